// TableTrigger handler: validates the items a DynamoDB stream reports, writes the computed attribute back
// (conditionally) and publishes one SNS alert per invalid write. Records from any stream but its table's
// are refused; an item deleted since its record was written gets no alert; an empty event is logged.
// Decisions live in the pure modules (checks, rules-engine, write-back, alert); this file only adapts the
// stream event and the SDK clients.
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { Logger } from '@aws-lambda-powertools/logger';
import { ConditionalCheckFailedException, DynamoDBClient, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { Context, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { parseTriggerConfig, STREAM_ARN_ENV, TABLE_NAME_ENV, TOPIC_ARN_ENV, TRIGGER_CONFIG_ENV } from '../../contracts/table-trigger/rule-config';
import { buildAlert } from './alert';
import { checkRecordSource, decideAlert, existenceCheckRequest, ExpectedSource, needsExistenceCheck, streamRecordsOf } from './checks';
import { compileConfig, CompiledConfig, evaluateRecord, MalformedRecordError } from './rules-engine';
import { planWriteBack } from './write-back';

const logger = new Logger({ serviceName: 'table-trigger' });
const processor = new BatchProcessor(EventType.DynamoDBStreams);

interface Runtime {
  readonly config: CompiledConfig;
  readonly tableName: string;
  readonly source: ExpectedSource;
  readonly topicArn: string;
  readonly dynamodb: DynamoDBClient;
  readonly sns: SNSClient;
}

let runtime: Runtime | undefined;

/** Reads the configuration and creates the clients on first use (the SDK reads AWS_ENDPOINT_URL_* then). */
function getRuntime(): Runtime {
  if (!runtime) {
    const tableName = process.env[TABLE_NAME_ENV];
    const topicArn = process.env[TOPIC_ARN_ENV];
    if (!tableName || !topicArn) throw new Error(`${TABLE_NAME_ENV} and ${TOPIC_ARN_ENV} must be set (the TableTrigger construct sets them)`);
    const streamArn = process.env[STREAM_ARN_ENV] || undefined;
    if (!streamArn) logger.warn(`${STREAM_ARN_ENV} is not set: records are checked against the table name only (the TableTrigger construct sets it)`);
    runtime = {
      config: compileConfig(parseTriggerConfig(process.env[TRIGGER_CONFIG_ENV])),
      tableName,
      source: { tableName, streamArn },
      topicArn,
      dynamodb: new DynamoDBClient({}),
      sns: new SNSClient({}),
    };
  }
  return runtime;
}

/** What happened to one record (returned to the batch processor, logged). */
export interface RecordResult {
  /** `refused`: the record is from another table's (or account's, region's) stream; nothing was done. */
  readonly outcome: 'skipped' | 'refused' | 'processed';
  readonly wrote: boolean;
  /** The write-back was refused because the item changed since this record (a newer record will follow). */
  readonly stale: boolean;
  readonly alerted: boolean;
  /** No alert because the item was deleted since the record was written. */
  readonly deleted: boolean;
}

async function processRecord(record: DynamoDBRecord, rt: Runtime): Promise<RecordResult> {
  const nothing = { wrote: false, stale: false, alerted: false, deleted: false };
  const source = checkRecordSource(record, rt.source);
  if (source.verdict === 'malformed') throw new MalformedRecordError(source.reason);
  if (source.verdict === 'foreign') {
    logger.warn("record refused: not from this trigger's table stream", { eventId: record.eventID, reason: source.reason });
    return { outcome: 'refused', ...nothing };
  }
  const decision = evaluateRecord(record, rt.config);
  if (decision.action === 'skip') return { outcome: 'skipped', ...nothing };
  const { evaluation } = decision;

  // Write first, then alert: if publishing fails, the retried record finds the computed attribute already
  // right and only publishes; the reverse order could publish twice.
  let wrote = false;
  let stale = false;
  const plan = planWriteBack(rt.tableName, evaluation);
  if (plan.request) {
    try {
      await rt.dynamodb.send(new UpdateItemCommand(plan.request));
      wrote = true;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      stale = true;
      logger.info('item changed since this record; its newer record carries the write-back', {
        eventId: record.eventID,
        sequenceNumber: record.dynamodb?.SequenceNumber,
      });
    }
  }

  let itemExists: boolean | undefined;
  if (needsExistenceCheck(evaluation.newViolations.length, wrote)) {
    itemExists = (await rt.dynamodb.send(new GetItemCommand(existenceCheckRequest(rt.tableName, evaluation.key)))).Item !== undefined;
  }
  const alertDecision = decideAlert({ newViolations: evaluation.newViolations.length, wroteBack: wrote, itemExists });
  if (alertDecision.action === 'skip') {
    logger.info('no alert: ' + alertDecision.reason, { eventId: record.eventID, sequenceNumber: record.dynamodb?.SequenceNumber });
    return { outcome: 'processed', wrote, stale, alerted: false, deleted: true };
  }

  let alerted = false;
  if (alertDecision.action === 'alert') {
    const alert = buildAlert(rt.tableName, evaluation);
    await rt.sns.send(
      new PublishCommand({
        TopicArn: rt.topicArn,
        Subject: alert.subject,
        Message: alert.message,
        MessageAttributes: Object.fromEntries(
          Object.entries(alert.attributes).map(([name, value]) => [name, { DataType: 'String', StringValue: value }]),
        ),
      }),
    );
    alerted = true;
  }
  return { outcome: 'processed', wrote, stale, alerted, deleted: false };
}

export const handler = async (event: DynamoDBStreamEvent, context?: Context): Promise<DynamoDBBatchResponse> => {
  if (context) logger.addContext(context);
  const batch = streamRecordsOf(event);
  if ('empty' in batch) {
    logger.warn('nothing to process', { reason: batch.empty });
    return { batchItemFailures: [] };
  }
  const records = batch.records as DynamoDBRecord[];
  const results: RecordResult[] = [];
  const recordHandler = async (record: DynamoDBRecord) => {
    const result = await processRecord(record, getRuntime());
    results.push(result);
    return result;
  };
  // Throws FullBatchFailureError when every record failed, so Lambda retries (and bisects) the batch.
  const response = await processPartialResponse({ Records: records }, recordHandler, processor, { context });
  for (const error of processor.errors) logger.error('record failed', error);
  // Powertools identifies failed stream records by SequenceNumber; a failed record without one could not
  // be reported and would be lost, so the whole batch fails instead (and is retried, then bisected).
  const unreportable = processor.failureMessages.filter((record) => !(record as DynamoDBRecord).dynamodb?.SequenceNumber);
  if (unreportable.length > 0) {
    throw new Error(`${unreportable.length} failed record(s) have no dynamodb.SequenceNumber, so they cannot be reported individually`);
  }
  const count = (predicate: (result: RecordResult) => boolean) => results.filter(predicate).length;
  logger.info('batch processed', {
    records: records.length,
    failed: response.batchItemFailures.length,
    skipped: count((r) => r.outcome === 'skipped'),
    refused: count((r) => r.outcome === 'refused'),
    deleted: count((r) => r.deleted),
    wrote: count((r) => r.wrote),
    stale: count((r) => r.stale),
    alerted: count((r) => r.alerted),
  });
  return response;
};
