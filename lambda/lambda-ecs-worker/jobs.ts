import { RenderJobMessage, RenderJobRecord } from '../../contracts/lambda-ecs-worker/render-job';

/**
 * Bookkeeping attributes the launcher adds to a job record, beyond the shared {@link RenderJobRecord}.
 * They make "record the job, then send its message" safe against crashes and duplicate deliveries.
 */
export interface LauncherJobAttributes {
  /** ISO time an invocation took responsibility for sending the job's message. */
  readonly launchClaimedAt: string;
  /** ISO time the message was sent; absent until then. */
  readonly enqueuedAt?: string;
  /** SQS message id of the job's message. */
  readonly messageId?: string;
}

/**
 * How long a claim to send a job's message protects it from a concurrent duplicate delivery. A launcher
 * that crashed between recording the job and sending its message is retried by Lambda after a minute;
 * by then its claim has gone stale, so the retry (or any later duplicate) sends the message.
 */
export const LAUNCH_CLAIM_SECONDS = 30;

/** A new QUEUED job record for `message`, claimed for sending by this invocation. */
export function newJobRecord(message: RenderJobMessage, now: Date, ttlDays: number): RenderJobRecord & LauncherJobAttributes {
  const at = now.toISOString();
  return {
    jobId: message.jobId,
    status: 'QUEUED',
    bucket: message.bucket,
    key: message.key,
    ...(message.versionId ? { versionId: message.versionId } : {}),
    ...(message.eTag ? { eTag: message.eTag } : {}),
    createdAt: at,
    updatedAt: at,
    attempts: 0,
    progress: 0,
    expiresAt: Math.floor(now.getTime() / 1000) + Math.round(ttlDays * 24 * 3600),
    launchClaimedAt: at,
  };
}

/** Condition, names and values for PutItem of a brand-new job (fails when the job exists). */
export const CREATE_JOB_CONDITION = 'attribute_not_exists(jobId)';

/**
 * UpdateItem that re-claims an existing job whose message was never confirmed sent and whose previous
 * claim is stale (its launcher crashed). Fails, as a duplicate, when the message was sent or a live
 * claim exists.
 */
export function reclaimJobUpdate(jobId: string, now: Date) {
  return {
    Key: { jobId },
    UpdateExpression: 'SET launchClaimedAt = :now',
    // A status other than QUEUED means a worker already has the message: it was sent.
    ConditionExpression:
      'attribute_exists(jobId) AND #status = :queued AND attribute_not_exists(enqueuedAt) AND ' +
      '(attribute_not_exists(launchClaimedAt) OR launchClaimedAt < :stale)',
    ExpressionAttributeNames: { '#status': 'status' },
    ExpressionAttributeValues: {
      ':queued': 'QUEUED',
      ':now': now.toISOString(),
      ':stale': new Date(now.getTime() - LAUNCH_CLAIM_SECONDS * 1000).toISOString(),
    },
  };
}

/** UpdateItem that records the message as sent (never touches the status the worker owns). */
export function markEnqueuedUpdate(jobId: string, messageId: string | undefined, now: Date) {
  return {
    Key: { jobId },
    UpdateExpression: messageId ? 'SET enqueuedAt = :now, messageId = :id' : 'SET enqueuedAt = :now',
    ExpressionAttributeValues: { ':now': now.toISOString(), ...(messageId ? { ':id': messageId } : {}) },
  };
}

/** The reason a job whose message reached the dead-letter queue is FAILED. */
export function deadLetterReason(maxReceiveCount: number): string {
  return (
    `The job's message was delivered ${maxReceiveCount} time(s) without a result (the worker crashed, was stopped, ` +
    'or hit a transient error each time) and was moved to the dead-letter queue, where it is kept for inspection. ' +
    'See the worker logs, then re-upload the scene to try again.'
  );
}

/**
 * UpdateItem marking a dead-lettered job FAILED. Conditional: a job that SUCCEEDED (a late duplicate may
 * reach the DLQ after a good render) or that the worker already FAILED with its own reason is left alone.
 */
export function markDeadLetteredUpdate(jobId: string, maxReceiveCount: number, now: Date) {
  return {
    Key: { jobId },
    UpdateExpression: 'SET #status = :failed, errorReason = :reason, finishedAt = :now, updatedAt = :now',
    ConditionExpression: 'attribute_exists(jobId) AND #status <> :succeeded AND #status <> :failed',
    ExpressionAttributeNames: { '#status': 'status' },
    ExpressionAttributeValues: {
      ':failed': 'FAILED',
      ':succeeded': 'SUCCEEDED',
      ':reason': deadLetterReason(maxReceiveCount),
      ':now': now.toISOString(),
    },
  };
}

/** Parses a job message body; returns the reason when it is not a usable job message. */
export function parseJobMessage(body: string | undefined): { message?: RenderJobMessage; error?: string } {
  try {
    const parsed = JSON.parse(body ?? '');
    if (parsed && typeof parsed.jobId === 'string' && parsed.jobId !== '' && typeof parsed.key === 'string') {
      return { message: parsed as RenderJobMessage };
    }
    return { error: 'the body has no jobId/key' };
  } catch {
    return { error: 'the body is not JSON' };
  }
}
