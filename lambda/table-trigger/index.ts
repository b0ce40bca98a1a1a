// TableTrigger handler: validates the items a DynamoDB stream reports, writes the computed attribute back
// (conditionally) and publishes one SNS alert per invalid write. Decisions live in the pure modules
// (rules-engine, write-back, alert); this file only adapts the stream event and the SDK clients.
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { Logger } from '@aws-lambda-powertools/logger';
import { ConditionalCheckFailedException, DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { Context, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { parseTriggerConfig, TABLE_NAME_ENV, TOPIC_ARN_ENV, TRIGGER_CONFIG_ENV } from '../../contracts/table-trigger/rule-config';
import { buildAlert } from './alert';
import { compileConfig, CompiledConfig, evaluateRecord } from './rules-engine';
import { planWriteBack } from './write-back';

const logger = new Logger({ serviceName: 'table-trigger' });
const processor = new BatchProcessor(EventType.DynamoDBStreams);

interface Runtime {
  readonly config: CompiledConfig;
  readonly tableName: string;
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
    runtime = {
      config: compileConfig(parseTriggerConfig(process.env[TRIGGER_CONFIG_ENV])),
      tableName,
      topicArn,
      dynamodb: new DynamoDBClient({}),
      sns: new SNSClient({}),
    };
  }
  return runtime;
}

/** What happened to one record (returned to the batch processor, logged). */
export interface RecordResult {
  readonly outcome: 'skipped' | 'processed';
  readonly wrote: boolean;
  /** The write-back was refused because the item changed since this record (a newer record will follow). */
  readonly stale: boolean;
  readonly alerted: boolean;
}

async function processRecord(record: DynamoDBRecord, rt: Runtime): Promise<RecordResult> {
  const decision = evaluateRecord(record, rt.config);
  if (decision.action === 'skip') return { outcome: 'skipped', wrote: false, stale: false, alerted: false };
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

  let alerted = false;
  if (evaluation.newViolations.length > 0) {
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
  return { outcome: 'processed', wrote, stale, alerted };
}

export const handler = async (event: DynamoDBStreamEvent, context?: Context): Promise<DynamoDBBatchResponse> => {
  if (context) logger.addContext(context);
  const records = Array.isArray(event?.Records) ? event.Records : [];
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
    wrote: count((r) => r.wrote),
    stale: count((r) => r.stale),
    alerted: count((r) => r.alerted),
  });
  return response;
};
