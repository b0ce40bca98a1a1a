/**
 * Failure classes. A permanent failure (the scene itself is wrong or unsafe) ends the job FAILED at once:
 * retrying would fail the same way. Anything else (S3/SQS/DynamoDB/network, a crashed renderer) is
 * transient: the message is left for another delivery, and only the last delivery marks the job FAILED.
 */
export class PermanentJobError extends Error {
  constructor(
    message: string,
    /** Short machine-readable cause, e.g. `archive-rejected`, `scene-rejected`, `render-failed`. */
    readonly code: string,
  ) {
    super(message);
    this.name = 'PermanentJobError';
  }
}

export type FailureKind = 'permanent' | 'transient';

/** S3 errors that say the scene object itself is not there; retrying cannot help. */
const PERMANENT_S3_ERRORS = new Set(['NoSuchKey', 'NoSuchVersion', 'NoSuchBucket', 'InvalidObjectState']);

export function classifyFailure(error: unknown): FailureKind {
  if (error instanceof PermanentJobError) return 'permanent';
  const name = (error as { name?: string } | undefined)?.name;
  if (name && PERMANENT_S3_ERRORS.has(name)) return 'permanent';
  return 'transient';
}

/** A reason for the job record: what went wrong, without stack traces. */
export function failureReason(error: unknown): string {
  if (error instanceof PermanentJobError) return error.message;
  const e = error as { name?: string; message?: string } | undefined;
  if (e?.name && PERMANENT_S3_ERRORS.has(e.name)) return `the scene object could not be read: ${e.name}${e.message ? ` (${e.message})` : ''}`;
  const text = e?.message ?? String(error);
  return e?.name && e.name !== 'Error' ? `${e.name}: ${text}` : text;
}

export interface FailureDecision {
  /** Final status to write, or QUEUED when another delivery will retry the job. */
  readonly status: 'FAILED' | 'QUEUED';
  /** Delete the message (permanent) or leave it on the queue (transient). */
  readonly deleteMessage: boolean;
  /** For a message left on the queue: seconds until it is visible again. */
  readonly retryAfterSeconds?: number;
}

/**
 * What to do after a failed attempt. A transient failure on the last delivery (receiveCount ≥
 * maxReceiveCount) marks the job FAILED; the message stays and SQS moves it to the DLQ.
 */
export function decideOnFailure(kind: FailureKind, receiveCount: number, maxReceiveCount: number): FailureDecision {
  if (kind === 'permanent') return { status: 'FAILED', deleteMessage: true };
  const last = receiveCount >= maxReceiveCount;
  // Back off a little more on each attempt (5 s, 10 s, 20 s ... at most 5 min), so a flapping dependency
  // is not hammered; the last delivery is left visible at once so it reaches the DLQ quickly.
  const retryAfterSeconds = last ? 0 : Math.min(300, 5 * 2 ** Math.max(0, receiveCount - 1));
  return { status: last ? 'FAILED' : 'QUEUED', deleteMessage: false, retryAfterSeconds };
}
