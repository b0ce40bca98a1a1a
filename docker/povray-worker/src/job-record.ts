// Types only at the top: the DynamoDB SDK is loaded when a job table is configured (see dynamoJobRecords),
// so a worker without one does not pay for loading it at start-up.
import type { DynamoDBDocumentClient, UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { JOB_TABLE_PARTITION_KEY, RenderJobMessage } from '../../../contracts/lambda-ecs-worker/render-job';

/**
 * Keeps a job's record in the job table current. Every write is an UpdateItem with a condition, so a
 * SUCCEEDED job is never moved back and a stale worker cannot overwrite a newer outcome. With no table
 * configured every method does nothing (and `start` reports the job as startable).
 */
export interface JobRecords {
  /**
   * Marks the job RUNNING for this delivery; false when the job already SUCCEEDED (a duplicate delivery).
   * `confinement` names the kernel mechanism this worker confines POV-Ray with ("landlock",
   * "seccomp-unotify", or "none" when it renders nothing).
   */
  start(job: RenderJobMessage, attempt: number, workerId: string, now: Date, confinement?: string): Promise<boolean>;
  progress(jobId: string, progress: number, now: Date): Promise<void>;
  succeeded(jobId: string, keys: { outputKey: string; logKey: string }, now: Date): Promise<void>;
  failed(jobId: string, reason: string, logKey: string | undefined, now: Date): Promise<void>;
  /** Back to QUEUED for another delivery (transient failure or shutdown), with what happened. */
  requeued(jobId: string, lastError: string, now: Date): Promise<void>;
}

export const noJobRecords: JobRecords = {
  start: async () => true,
  progress: async () => undefined,
  succeeded: async () => undefined,
  failed: async () => undefined,
  requeued: async () => undefined,
};

/** The SDK's ConditionalCheckFailedException (matched by name: every instance of it carries that name). */
const isConditionFailure = (error: unknown) => (error as { name?: string })?.name === 'ConditionalCheckFailedException';

export function dynamoJobRecords(client: DynamoDBDocumentClient, tableName: string): JobRecords {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { UpdateCommand } = require('@aws-sdk/lib-dynamodb') as typeof import('@aws-sdk/lib-dynamodb');
  const key = (jobId: string) => ({ [JOB_TABLE_PARTITION_KEY]: jobId });
  const update = async (input: Omit<UpdateCommandInput, 'TableName'>): Promise<boolean> => {
    try {
      await client.send(new UpdateCommand({ TableName: tableName, ...input }));
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  };
  return {
    start: async (job, attempt, workerId, now, confinement = 'none') => {
      const at = now.toISOString();
      return update({
        Key: key(job.jobId),
        UpdateExpression:
          'SET #status = :running, attempts = :attempt, progress = :zero, startedAt = :now, updatedAt = :now, workerId = :worker, confinement = :confinement, ' +
          '#bucket = if_not_exists(#bucket, :bucket), #key = if_not_exists(#key, :key), createdAt = if_not_exists(createdAt, :now) ' +
          'REMOVE errorReason, finishedAt',
        ConditionExpression: 'attribute_not_exists(#status) OR #status <> :succeeded',
        ExpressionAttributeNames: { '#status': 'status', '#key': 'key', '#bucket': 'bucket' },
        ExpressionAttributeValues: {
          ':running': 'RUNNING',
          ':succeeded': 'SUCCEEDED',
          ':attempt': attempt,
          ':zero': 0,
          ':now': at,
          ':worker': workerId,
          ':confinement': confinement,
          ':bucket': job.bucket,
          ':key': job.key,
        },
      });
    },
    progress: async (jobId, progress, now) => {
      await update({
        Key: key(jobId),
        UpdateExpression: 'SET progress = :progress, updatedAt = :now',
        ConditionExpression: '#status = :running AND (attribute_not_exists(progress) OR progress < :progress)',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':progress': progress, ':now': now.toISOString(), ':running': 'RUNNING' },
      });
    },
    succeeded: async (jobId, keys, now) => {
      await update({
        Key: key(jobId),
        UpdateExpression: 'SET #status = :succeeded, progress = :hundred, outputKey = :output, logKey = :log, finishedAt = :now, updatedAt = :now REMOVE errorReason, lastError',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':succeeded': 'SUCCEEDED', ':hundred': 100, ':output': keys.outputKey, ':log': keys.logKey, ':now': now.toISOString() },
      });
    },
    failed: async (jobId, reason, logKey, now) => {
      await update({
        Key: key(jobId),
        UpdateExpression: `SET #status = :failed, errorReason = :reason, finishedAt = :now, updatedAt = :now${logKey ? ', logKey = :log' : ''}`,
        ConditionExpression: 'attribute_not_exists(#status) OR #status <> :succeeded',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':failed': 'FAILED',
          ':succeeded': 'SUCCEEDED',
          ':reason': reason,
          ':now': now.toISOString(),
          ...(logKey ? { ':log': logKey } : {}),
        },
      });
    },
    requeued: async (jobId, lastError, now) => {
      await update({
        Key: key(jobId),
        UpdateExpression: 'SET #status = :queued, lastError = :error, updatedAt = :now',
        ConditionExpression: '#status = :running',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':queued': 'QUEUED', ':running': 'RUNNING', ':error': lastError, ':now': now.toISOString() },
      });
    },
  };
}
