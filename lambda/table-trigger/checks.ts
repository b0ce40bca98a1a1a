import type { GetItemCommandInput } from '@aws-sdk/client-dynamodb';
import type { AttributeValue } from 'aws-lambda';

/**
 * What the TableTrigger handler checks before it acts on a stream event: that there is something to
 * process, that each record comes from the stream of its own table, and that an item it is about to alert
 * on still exists. Pure: the handler (index.ts) adapts these decisions to the SDK.
 */

/** The parts of a DynamoDB stream ARN: `arn:aws:dynamodb:us-east-1:123456789012:table/People/stream/2026-11-22T00:00:00.000`. */
export interface StreamArn {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
  readonly table: string;
  /** The stream label (its creation time); a table whose stream was turned off and on has a new one. */
  readonly label: string;
}

const STREAM_ARN = /^arn:([^:]+):dynamodb:([^:]+):(\d{12}):table\/([^/]+)\/stream\/(.+)$/;

/** Parses a stream ARN; undefined when `arn` is not one. */
export function parseStreamArn(arn: unknown): StreamArn | undefined {
  if (typeof arn !== 'string') return undefined;
  const match = STREAM_ARN.exec(arn);
  if (!match) return undefined;
  const [, partition, region, account, table, label] = match;
  return { partition, region, account, table, label };
}

/** Which stream this function serves: the construct passes both the table name and its stream ARN. */
export interface ExpectedSource {
  readonly tableName: string;
  /** When absent (a hand-made deployment), only the table name can be compared. */
  readonly streamArn?: string;
}

/** Where a record comes from, compared with where this function's records must come from. */
export type SourceVerdict =
  | { readonly verdict: 'ours' }
  /** From another table, account, region or stream: refused, never written back or alerted on. */
  | { readonly verdict: 'foreign'; readonly reason: string }
  /** No readable eventSourceARN: a broken record, reported as failed like any other (never dropped). */
  | { readonly verdict: 'malformed'; readonly reason: string };

/**
 * Whether a record comes from the configured table's stream. The function's grants and alerts concern one
 * table, so a record from any other stream (a second event source mapping, another account's replica) is
 * refused: only a record that names another stream is; one that names none is malformed.
 */
export function checkRecordSource(record: unknown, expected: ExpectedSource): SourceVerdict {
  const eventSourceArn = record !== null && typeof record === 'object' ? (record as { eventSourceARN?: unknown }).eventSourceARN : undefined;
  const actual = parseStreamArn(eventSourceArn);
  if (!actual) return { verdict: 'malformed', reason: `eventSourceARN ${JSON.stringify(eventSourceArn) ?? 'undefined'} is not a DynamoDB stream ARN` };
  const wanted = expected.streamArn ? parseStreamArn(expected.streamArn) : undefined;
  if (!wanted) {
    return actual.table === expected.tableName
      ? { verdict: 'ours' }
      : { verdict: 'foreign', reason: `the record is from table '${actual.table}', not '${expected.tableName}'` };
  }
  const parts: Array<[keyof StreamArn, string]> = [
    ['account', 'account'],
    ['region', 'region'],
    ['partition', 'partition'],
    ['table', 'table'],
    ['label', 'stream'],
  ];
  for (const [part, name] of parts) {
    if (actual[part] !== wanted[part]) {
      return { verdict: 'foreign', reason: `the record is from ${name} '${actual[part]}', not '${wanted[part]}' (this trigger reads ${expected.streamArn})` };
    }
  }
  return { verdict: 'ours' };
}

/** The records of a stream event, or why there are none (an empty or null event is logged, never a crash). */
export function streamRecordsOf(event: unknown): { readonly records: readonly unknown[] } | { readonly empty: string } {
  if (event === null || event === undefined) return { empty: `the event is ${event === null ? 'null' : 'undefined'}` };
  if (typeof event !== 'object' || Array.isArray(event)) return { empty: `the event is ${Array.isArray(event) ? 'an array' : `a ${typeof event}`}, not a stream event` };
  const records = (event as { Records?: unknown }).Records;
  if (records === undefined || records === null) return { empty: 'the event has no Records' };
  if (!Array.isArray(records)) return { empty: `the event's Records is ${typeof records}, not a list` };
  if (records.length === 0) return { empty: 'the event has an empty Records list' };
  return { records };
}

/** What to do about the violations a record introduced. */
export type AlertDecision =
  | { readonly action: 'none' }
  | { readonly action: 'alert' }
  /** The item was deleted since the record was written: an alert would ask someone to fix what no longer exists. */
  | { readonly action: 'skip'; readonly reason: string };

/**
 * Whether to alert. A successful conditional write-back proves the item still held the alerted values;
 * otherwise the handler reads the item back first, and an item that is gone gets no alert.
 */
export function decideAlert(input: { readonly newViolations: number; readonly wroteBack: boolean; readonly itemExists?: boolean }): AlertDecision {
  if (input.newViolations === 0) return { action: 'none' };
  if (input.wroteBack || input.itemExists !== false) return { action: 'alert' };
  return { action: 'skip', reason: 'the item was deleted since this record was written' };
}

/** True when the handler must read the item back before it may alert (see {@link decideAlert}). */
export function needsExistenceCheck(newViolations: number, wroteBack: boolean): boolean {
  return newViolations > 0 && !wroteBack;
}

/** The consistent read that tells whether the item with `key` still exists; it reads the key attributes only. */
export function existenceCheckRequest(tableName: string, key: Record<string, AttributeValue>): GetItemCommandInput {
  const names = Object.keys(key);
  return {
    TableName: tableName,
    Key: key as GetItemCommandInput['Key'],
    ConsistentRead: true,
    ProjectionExpression: names.map((_, i) => `#k${i}`).join(', '),
    ExpressionAttributeNames: Object.fromEntries(names.map((name, i) => [`#k${i}`, name])),
  };
}
