import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECSClient, ListTasksCommand, RunTaskCommand, RunTaskCommandInput } from '@aws-sdk/client-ecs';
import { DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { createHash } from 'crypto';
import { LauncherConfig, readLauncherConfig } from './config';
import { classifyEvent } from './events';
import { CREATE_JOB_CONDITION, markDeadLetteredUpdate, markEnqueuedUpdate, newJobRecord, parseJobMessage, reclaimJobUpdate } from './jobs';
import { classifyObjectCreated, classifyRecord, jobMessage, RecordDecision, SceneObject } from './s3-records';
import { planWakeUp, runTaskBatches } from './wake-up';

// The launcher of the LambdaEcsWorker pattern. One code path for every trigger:
//  - an S3 notification or an EventBridge 'Object Created' event: every object becomes at most one job
//    (recorded, then queued), then workers wake; null or malformed records are logged, counted and skipped;
//  - S3's s3:TestEvent (sent when a notification is configured): acknowledged, nothing else;
//  - the reconciler's scheduled event (every minute): jobs dead-lettered are marked FAILED, then workers
//    wake if messages wait and too few run (after a Spot interruption, a crash, a failed RunTask).
// Decisions live in the pure modules beside this file; this one only adapts events and SDK clients.

const logger = new Logger({ serviceName: 'lambda-ecs-worker-launcher' });
const METRICS_NAMESPACE = 'CdkComputePatterns/LambdaEcsWorker';

interface Clients {
  readonly sqs: SQSClient;
  readonly ddb: DynamoDBDocumentClient;
  readonly ecs: ECSClient;
}
let clients: Clients | undefined;
let config: LauncherConfig | undefined;

/** Clients and configuration are created on first use, from the environment of that moment. */
function setup(): { clients: Clients; config: LauncherConfig } {
  config ??= readLauncherConfig(process.env);
  clients ??= {
    sqs: new SQSClient({}),
    ddb: DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } }),
    ecs: new ECSClient({}),
  };
  return { clients, config };
}

const sha256Hex = (input: string) => createHash('sha256').update(input, 'utf8').digest('hex');

export interface LauncherResult {
  readonly kind: 's3' | 's3-test-event' | 'object-created' | 'schedule';
  /** Jobs whose message this invocation sent. */
  readonly submitted: string[];
  /** Records that were duplicates of a job already queued. */
  readonly duplicates: string[];
  /** Records skipped, with the reason. */
  readonly skipped: Array<{ key: string; reason: string }>;
  /** Why each unreadable record (null, no bucket or key...) was dropped; the other records still ran. */
  readonly malformed: string[];
  /** Jobs marked FAILED because their message is in the dead-letter queue. */
  readonly deadLettered: string[];
  readonly runningWorkers: number;
  readonly workersStarted: number;
}

export async function handler(event: unknown): Promise<LauncherResult> {
  const { clients, config } = setup();
  const kind = classifyEvent(event);
  const result = {
    kind: kind.kind,
    submitted: [] as string[],
    duplicates: [] as string[],
    skipped: [] as Array<{ key: string; reason: string }>,
    malformed: [] as string[],
    deadLettered: [] as string[],
    runningWorkers: 0,
    workersStarted: 0,
  };
  if (kind.kind === 's3-test-event') {
    // Nothing to queue and nothing to retry: a failure here would only park the test event in the DLQ.
    logger.info('S3 test event acknowledged: the bucket notification reaches the launcher', { bucket: kind.bucket });
    return result;
  }
  const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: 'launcher', defaultDimensions: { Pipeline: config.pipelineName } });
  let failure: Error | undefined;
  try {
    if (kind.kind === 'schedule') {
      result.deadLettered = await failDeadLetteredJobs(clients, config);
    } else {
      const decisions = kind.kind === 's3' ? kind.records.map((record) => classifyRecord(record, config)) : [classifyObjectCreated(kind.event, config)];
      failure = await submitObjects(clients, config, decisions, result);
    }
    const wake = await wakeWorkers(clients, config, result.submitted.length);
    result.runningWorkers = wake.running + wake.started;
    result.workersStarted = wake.started;
    // On the upload path a failed wake-up is repaired by the reconciler within a minute; it only fails the
    // reconciler itself, so its error metric shows it.
    if (wake.error && kind.kind === 'schedule') failure ??= wake.error;
  } finally {
    metrics.addMetric('JobsSubmitted', MetricUnit.Count, result.submitted.length);
    metrics.addMetric('DuplicateDeliveries', MetricUnit.Count, result.duplicates.length);
    metrics.addMetric('ScenesSkipped', MetricUnit.Count, result.skipped.length);
    metrics.addMetric('MalformedRecords', MetricUnit.Count, result.malformed.length);
    metrics.addMetric('JobsDeadLettered', MetricUnit.Count, result.deadLettered.length);
    metrics.addMetric('WorkersStarted', MetricUnit.Count, result.workersStarted);
    metrics.addMetric('WorkersRunning', MetricUnit.Count, result.runningWorkers);
    metrics.publishStoredMetrics();
  }
  logger.info('launcher done', { ...result });
  if (failure) throw failure;
  return result;
}

/** Submits every object the event names; returns an error (for a Lambda retry) if any could not be queued. */
async function submitObjects(clients: Clients, config: LauncherConfig, decisions: RecordDecision[], result: LauncherResult): Promise<Error | undefined> {
  const failed: string[] = [];
  for (const [index, decision] of decisions.entries()) {
    if (decision.action === 'malformed') {
      logger.warn('malformed S3 event record skipped', { record: index, reason: decision.reason });
      result.malformed.push(decision.reason);
      continue;
    }
    if (decision.action === 'skip') {
      logger.info('skipped S3 record', { key: decision.key, reason: decision.reason });
      result.skipped.push({ key: decision.key, reason: decision.reason });
      continue;
    }
    try {
      const outcome = await submitJob(clients, config, decision.object);
      (outcome.sent ? result.submitted : result.duplicates).push(outcome.jobId);
      logger.info(outcome.sent ? 'job queued' : 'duplicate delivery: job already queued', { jobId: outcome.jobId, key: decision.object.key });
    } catch (error) {
      logger.error('could not queue job', { key: decision.object.key, error: error as Error });
      failed.push(decision.object.key);
    }
  }
  if (failed.length === 0) return undefined;
  // Lambda retries the whole event; records already queued are recognised as duplicates then.
  return new Error(`Could not queue ${failed.length} of ${decisions.length} scene(s): ${failed.join(', ')}`);
}

/** Records the job (once per object version) and sends its message. */
async function submitJob(clients: Clients, config: LauncherConfig, object: SceneObject): Promise<{ jobId: string; sent: boolean }> {
  const now = new Date();
  const message = jobMessage(object, sha256Hex, now);
  const table = config.jobTableName;
  if (table) {
    try {
      await clients.ddb.send(new PutCommand({ TableName: table, Item: newJobRecord(message, now, config.jobRecordTtlDays), ConditionExpression: CREATE_JOB_CONDITION }));
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      // The job exists. Send its message only if no launcher ever did and none is doing it now.
      try {
        await clients.ddb.send(new UpdateCommand({ TableName: table, ...reclaimJobUpdate(message.jobId, now) }));
        logger.warn('job recorded earlier but its message was never confirmed sent: sending it now', { jobId: message.jobId });
      } catch (reclaimError) {
        if (reclaimError instanceof ConditionalCheckFailedException) return { jobId: message.jobId, sent: false };
        throw reclaimError;
      }
    }
  }
  const sent = await clients.sqs.send(new SendMessageCommand({ QueueUrl: config.queueUrl, MessageBody: JSON.stringify(message) }));
  if (table) {
    try {
      await clients.ddb.send(new UpdateCommand({ TableName: table, ...markEnqueuedUpdate(message.jobId, sent.MessageId, new Date()) }));
    } catch (error) {
      // The job is queued: failing the record now would only make a retry send its message twice.
      logger.warn('job queued, but recording that it was sent failed', { jobId: message.jobId, error: error as Error });
    }
  }
  return { jobId: message.jobId, sent: true };
}

/**
 * Marks FAILED every job whose message sits in the dead-letter queue. Messages are received with
 * visibility 0, so they stay there as evidence (and for redrive); the update is conditional, so a job
 * that SUCCEEDED or was FAILED by the worker keeps its status and reason.
 */
async function failDeadLetteredJobs(clients: Clients, config: LauncherConfig): Promise<string[]> {
  const marked: string[] = [];
  if (!config.jobTableName) return marked;
  const seen = new Set<string>();
  for (let batch = 0; batch < 10; batch++) {
    const received = await clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: config.deadLetterQueueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 0, WaitTimeSeconds: 0 }),
    );
    const fresh = (received.Messages ?? []).filter((m) => m.MessageId && !seen.has(m.MessageId));
    if (fresh.length === 0) break;
    for (const m of fresh) {
      seen.add(m.MessageId!);
      const { message, error } = parseJobMessage(m.Body);
      if (!message) {
        logger.warn('dead letter is not a job message', { messageId: m.MessageId, reason: error });
        continue;
      }
      try {
        await clients.ddb.send(new UpdateCommand({ TableName: config.jobTableName, ...markDeadLetteredUpdate(message.jobId, config.maxReceiveCount, new Date()) }));
        marked.push(message.jobId);
        logger.warn('job FAILED: its message is in the dead-letter queue', { jobId: message.jobId, key: message.key });
      } catch (e) {
        if (!(e instanceof ConditionalCheckFailedException)) throw e;
      }
    }
  }
  return marked;
}

/** Starts the missing worker tasks, per the shared queue-depth policy. */
async function wakeWorkers(clients: Clients, config: LauncherConfig, justSent: number): Promise<{ running: number; started: number; error?: Error }> {
  let running = 0;
  try {
    const attributes = await clients.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: config.queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
    );
    running = await countWorkers(clients, config);
    const plan = planWakeUp(config.policy, {
      visibleMessages: Number(attributes.Attributes?.ApproximateNumberOfMessages ?? 0),
      inFlightMessages: Number(attributes.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0),
      justSent,
      runningWorkers: running,
      nowSeconds: Math.floor(Date.now() / 1000),
    });
    logger.info('worker wake-up decision', { ...plan.decision, toStart: plan.toStart });
    let started = 0;
    let error: Error | undefined;
    for (const count of runTaskBatches(plan.toStart)) {
      const batch = await runTasks(clients, config, count);
      started += batch.started;
      error ??= batch.error;
    }
    return { running, started, error };
  } catch (error) {
    logger.error('could not wake workers', { error: error as Error });
    return { running, started: 0, error: error as Error };
  }
}

/** Pending and running worker tasks of this pipeline. */
async function countWorkers(clients: Clients, config: LauncherConfig): Promise<number> {
  let count = 0;
  let nextToken: string | undefined;
  do {
    const page = await clients.ecs.send(
      new ListTasksCommand({ cluster: config.clusterArn, startedBy: config.startedBy, desiredStatus: 'RUNNING', nextToken }),
    );
    count += page.taskArns?.length ?? 0;
    nextToken = page.nextToken;
  } while (nextToken);
  return count;
}

/**
 * Starts `count` tasks, trying each capacity provider in order of preference (FARGATE_SPOT, then the
 * on-demand fallback) for whatever the previous one could not place.
 */
async function runTasks(clients: Clients, config: LauncherConfig, count: number): Promise<{ started: number; error?: Error }> {
  const providers: Array<string | undefined> = config.capacityProviders.length > 0 ? config.capacityProviders : [undefined];
  let started = 0;
  let error: Error | undefined;
  for (const provider of providers) {
    const missing = count - started;
    if (missing <= 0) break;
    const input: RunTaskCommandInput = {
      cluster: config.clusterArn,
      taskDefinition: config.taskDefinitionArn,
      count: missing,
      startedBy: config.startedBy,
      networkConfiguration: {
        awsvpcConfiguration: { subnets: config.subnetIds, securityGroups: config.securityGroupIds, assignPublicIp: config.assignPublicIp },
      },
      ...(provider ? { capacityProviderStrategy: [{ capacityProvider: provider, weight: 1 }] } : { launchType: 'FARGATE' }),
    };
    try {
      const out = await clients.ecs.send(new RunTaskCommand(input));
      started += out.tasks?.length ?? 0;
      if (out.failures?.length) {
        logger.warn('RunTask could not place every task', { capacityProvider: provider, requested: missing, failures: out.failures });
        error = new Error(`RunTask on ${provider ?? 'FARGATE'} placed ${out.tasks?.length ?? 0} of ${missing}: ${out.failures.map((f) => f.reason).join('; ')}`);
      }
    } catch (e) {
      logger.error('RunTask failed', { capacityProvider: provider, requested: missing, error: e as Error });
      error = e as Error;
    }
  }
  return { started, error: started < count ? error : undefined };
}
