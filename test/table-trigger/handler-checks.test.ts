import { Logger } from '@aws-lambda-powertools/logger';
import { ConditionalCheckFailedException, DynamoDBClient, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
// First: the handler's environment must be in place before its module (and its Logger) loads.
import { PEOPLE_STREAM_ARN } from './handler-checks-env';
import { checkRecordSource, decideAlert, needsExistenceCheck, parseStreamArn, streamRecordsOf } from '../../lambda/table-trigger/checks';
import { handler } from '../../lambda/table-trigger/index';
import { streamRecord } from './fixtures';

// What the TableTrigger handler checks before it acts: records from another stream are refused (no write,
// no alert), an item deleted since its record gets no alert, an empty or null event is logged.

const KEY = { pk: { S: 'person-1' } };
const INVALID = { ...KEY, SocialSecurityNumber: { S: '12' } };
const EXPECTED = { tableName: 'People', streamArn: PEOPLE_STREAM_ARN };
const fromStream = (record: DynamoDBRecord, eventSourceARN: string): DynamoDBRecord => ({ ...record, eventSourceARN });

/** Stream ARNs that are not the People table's stream, and what is different about each. */
const FOREIGN: Array<[string, string, RegExp]> = [
  ['another table', 'arn:aws:dynamodb:us-east-1:123456789012:table/Orders/stream/2026-11-22T00:00:00.000', /table 'Orders', not 'People'/],
  ['another account', 'arn:aws:dynamodb:us-east-1:999999999999:table/People/stream/2026-11-22T00:00:00.000', /account '999999999999', not '123456789012'/],
  ['another region', 'arn:aws:dynamodb:eu-west-1:123456789012:table/People/stream/2026-11-22T00:00:00.000', /region 'eu-west-1', not 'us-east-1'/],
  ['an older stream of the same table', 'arn:aws:dynamodb:us-east-1:123456789012:table/People/stream/2025-01-01T00:00:00.000', /stream '2025-01-01T00:00:00.000'/],
  ['another partition', 'arn:aws-cn:dynamodb:us-east-1:123456789012:table/People/stream/2026-11-22T00:00:00.000', /partition 'aws-cn', not 'aws'/],
];

describe('record source check (pure)', () => {
  it('parses a stream ARN into account, region, table and stream label', () => {
    expect(parseStreamArn(PEOPLE_STREAM_ARN)).toEqual({ partition: 'aws', region: 'us-east-1', account: '123456789012', table: 'People', label: '2026-11-22T00:00:00.000' });
    expect(parseStreamArn('arn:aws:dynamodb:us-east-1:123456789012:table/People')).toBeUndefined();
    expect(parseStreamArn(42)).toBeUndefined();
  });

  it("accepts records from the configured table's stream", () => {
    expect(checkRecordSource({ eventSourceARN: PEOPLE_STREAM_ARN }, EXPECTED)).toEqual({ verdict: 'ours' });
  });

  it.each(FOREIGN)('refuses a record from %s, saying what differs', (_name, arn, reason) => {
    expect(checkRecordSource({ eventSourceARN: arn }, EXPECTED)).toEqual({ verdict: 'foreign', reason: expect.stringMatching(reason) });
  });

  it('calls a record without a stream ARN malformed (reported as failed), not foreign (dropped)', () => {
    for (const record of [null, 'x', {}, { eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:q' }, { eventSourceARN: 7 }]) {
      expect(checkRecordSource(record, EXPECTED)).toMatchObject({ verdict: 'malformed' });
    }
  });

  it('compares the table name alone when the stream ARN is not configured', () => {
    expect(checkRecordSource({ eventSourceARN: PEOPLE_STREAM_ARN }, { tableName: 'People' })).toEqual({ verdict: 'ours' });
    expect(checkRecordSource({ eventSourceARN: FOREIGN[0][1] }, { tableName: 'People' })).toMatchObject({ verdict: 'foreign' });
  });
});

describe('empty events and alert decisions (pure)', () => {
  it.each<[string, unknown, RegExp]>([
    ['null', null, /event is null/],
    ['undefined', undefined, /event is undefined/],
    ['a string', 'x', /a string/],
    ['an array', [], /an array/],
    ['no Records', {}, /no Records/],
    ['Records: null', { Records: null }, /no Records/],
    ['Records that is not a list', { Records: { 0: {} } }, /not a list/],
    ['an empty Records list', { Records: [] }, /empty Records/],
  ])('%s is an empty event, with the reason', (_name, event, reason) => {
    expect(streamRecordsOf(event)).toEqual({ empty: expect.stringMatching(reason) });
  });

  it('alerts on new violations unless the item is known to be gone', () => {
    expect(decideAlert({ newViolations: 0, wroteBack: false, itemExists: false })).toEqual({ action: 'none' });
    expect(decideAlert({ newViolations: 1, wroteBack: true })).toEqual({ action: 'alert' });
    expect(decideAlert({ newViolations: 1, wroteBack: false, itemExists: true })).toEqual({ action: 'alert' });
    expect(decideAlert({ newViolations: 2, wroteBack: false, itemExists: false })).toEqual({ action: 'skip', reason: expect.stringMatching(/deleted/) });
  });

  it('reads the item back only when there is something to alert and no write-back proved it exists', () => {
    expect(needsExistenceCheck(1, false)).toBe(true);
    expect(needsExistenceCheck(1, true)).toBe(false);
    expect(needsExistenceCheck(0, false)).toBe(false);
  });
});

describe('TableTrigger handler checks (mocked DynamoDB and SNS)', () => {
  const dynamodb = mockClient(DynamoDBClient);
  const sns = mockClient(SNSClient);
  const calls = () => dynamodb.calls().length + sns.calls().length;
  let warn: jest.SpyInstance;
  afterEach(() => warn.mockRestore());

  beforeEach(() => {
    warn = jest.spyOn(Logger.prototype, 'warn');
    dynamodb.reset();
    sns.reset();
    dynamodb.on(UpdateItemCommand).resolves({});
    dynamodb.on(GetItemCommand).resolves({ Item: KEY });
    sns.on(PublishCommand).resolves({ MessageId: 'm' });
  });

  it.each(FOREIGN)('refuses a record from %s with a log line: no write, no alert, no failure', async (_name, arn, reason) => {
    const response = await handler({ Records: [fromStream(streamRecord('INSERT', KEY, INVALID), arn)] });
    expect(response).toEqual({ batchItemFailures: [] });
    expect(calls()).toBe(0);
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/refused/), expect.objectContaining({ reason: expect.stringMatching(reason) }));
  });

  it('processes the records of its own stream in a batch that also holds foreign ones', async () => {
    const ours = streamRecord('INSERT', KEY, INVALID);
    await handler({ Records: [fromStream(streamRecord('INSERT', { pk: { S: 'other' } }, INVALID), FOREIGN[0][1]), ours, fromStream(streamRecord('INSERT', KEY, INVALID), FOREIGN[1][1])] });
    expect(dynamodb.commandCalls(UpdateItemCommand)).toHaveLength(1);
    expect(dynamodb.commandCalls(UpdateItemCommand)[0].args[0].input.Key).toEqual(KEY);
    expect(sns.commandCalls(PublishCommand)).toHaveLength(1);
  });

  it('reports a record without a stream ARN as failed (to be retried, then kept in the on-failure queue), never drops it', async () => {
    const broken = { ...streamRecord('INSERT', KEY, INVALID), eventSourceARN: undefined } as unknown as DynamoDBRecord;
    const good = streamRecord('INSERT', { pk: { S: 'person-2' } }, { pk: { S: 'person-2' }, SocialSecurityNumber: { S: '123456789' } });
    const response = await handler({ Records: [broken, good] });
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: broken.dynamodb!.SequenceNumber }]);
    expect(dynamodb.commandCalls(UpdateItemCommand).map((c) => c.args[0].input.Key)).toEqual([{ pk: { S: 'person-2' } }]);
  });

  it('sends no alert for an item deleted since the record was written (the write-back found it gone)', async () => {
    dynamodb.on(UpdateItemCommand).rejects(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }));
    dynamodb.on(GetItemCommand).resolves({});
    const response = await handler({ Records: [streamRecord('INSERT', KEY, INVALID)] });
    expect(response).toEqual({ batchItemFailures: [] });
    const [read] = dynamodb.commandCalls(GetItemCommand);
    expect(read.args[0].input).toMatchObject({ TableName: 'People', Key: KEY, ConsistentRead: true, ProjectionExpression: '#k0', ExpressionAttributeNames: { '#k0': 'pk' } });
    expect(sns.commandCalls(PublishCommand)).toHaveLength(0);
  });

  it('sends no alert for a deleted item even when there was nothing to write back', async () => {
    // The computed attribute already says INVALID, so no write-back is planned and nothing proves the item exists.
    dynamodb.on(GetItemCommand).resolves({});
    await handler({ Records: [streamRecord('INSERT', KEY, { ...INVALID, 'SSN Format': { S: 'INVALID' } })] });
    expect(dynamodb.commandCalls(UpdateItemCommand)).toHaveLength(0);
    expect(dynamodb.commandCalls(GetItemCommand)).toHaveLength(1);
    expect(sns.commandCalls(PublishCommand)).toHaveLength(0);
  });

  it('still alerts when the item changed but exists, and reads nothing back after a successful write-back', async () => {
    dynamodb.on(UpdateItemCommand).rejects(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }));
    await handler({ Records: [streamRecord('INSERT', KEY, INVALID)] });
    expect(sns.commandCalls(PublishCommand)).toHaveLength(1);

    dynamodb.reset();
    sns.reset();
    dynamodb.on(UpdateItemCommand).resolves({});
    sns.on(PublishCommand).resolves({ MessageId: 'm' });
    await handler({ Records: [streamRecord('INSERT', KEY, INVALID)] });
    expect(dynamodb.commandCalls(GetItemCommand)).toHaveLength(0);
    expect(sns.commandCalls(PublishCommand)).toHaveLength(1);
  });

  it('fails the record (for a retry) when the read-back itself fails, instead of guessing', async () => {
    dynamodb.on(UpdateItemCommand).rejects(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }));
    dynamodb.on(GetItemCommand).rejects(new Error('ProvisionedThroughputExceededException'));
    const record = streamRecord('INSERT', KEY, INVALID);
    const other = streamRecord('INSERT', { pk: { S: 'person-2' } }, { pk: { S: 'person-2' }, SocialSecurityNumber: { S: '123456789' } });
    const response = await handler({ Records: [record, other] });
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: record.dynamodb!.SequenceNumber }]);
    expect(sns.commandCalls(PublishCommand)).toHaveLength(0);
  });

  it.each<[string, unknown]>([
    ['null', null],
    ['undefined', undefined],
    ['{}', {}],
    ['{ Records: [] }', { Records: [] }],
    ['{ Records: null }', { Records: null }],
  ])('logs an empty event (%s) and returns no failures, touching nothing', async (_name, event) => {
    await expect(handler(event as DynamoDBStreamEvent)).resolves.toEqual({ batchItemFailures: [] });
    expect(calls()).toBe(0);
    expect(warn).toHaveBeenCalledWith('nothing to process', { reason: expect.any(String) });
  });
});
