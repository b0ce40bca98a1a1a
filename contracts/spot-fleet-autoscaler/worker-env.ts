/**
 * What the shipped queue worker (assets/spot-fleet-worker/queue-worker.js) reads from its environment, and
 * which cooperation a target kind in a scale-in mode asks of it. The construct writes these variables (a
 * created fleet's user data, `workerEnvironment`); the worker reads them.
 */
import { ScaleInMode, ScalingTargetKind } from './config';

/** How the worker cooperates with scale-in (its WORKER_SCALE_IN). */
export const WORKER_SCALE_IN_MODES = ['workers-exit', 'protect-instance', 'protect-task', 'none'] as const;
export type WorkerScaleIn = (typeof WORKER_SCALE_IN_MODES)[number];

/** Environment names the construct's user data and task definitions set and the worker reads. */
export const WORKER_CLI_ENV = {
  queueUrl: 'QUEUE_URL',
  scaleIn: 'WORKER_SCALE_IN',
  idleSeconds: 'WORKER_IDLE_SECONDS',
  shutdownOnIdle: 'WORKER_SHUTDOWN_ON_IDLE',
  /** Spot notice polling, in ms (default 5000; tests shorten it). */
  interruptionIntervalMs: 'WORKER_INTERRUPTION_INTERVAL_MS',
  /** SQS long-poll wait, in seconds (default 20; tests shorten it). */
  waitTimeSeconds: 'WORKER_WAIT_TIME_SECONDS',
} as const;

/** What the worker must do (its WORKER_SCALE_IN) for a target kind in a scale-in mode. */
export function workerScaleIn(kind: ScalingTargetKind, mode: ScaleInMode): WorkerScaleIn {
  if (mode === ScaleInMode.WORKERS_EXIT_WHEN_IDLE) return 'workers-exit';
  if (mode === ScaleInMode.PROTECT_BUSY_WORKERS) return kind === ScalingTargetKind.ECS_SERVICE ? 'protect-task' : 'protect-instance';
  return 'none';
}
