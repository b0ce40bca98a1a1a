import { decideWorkers, QueueDepthPolicy, ScalingDecision, workersToStart } from '../../contracts/queue-depth-policy';

/** What the launcher saw before deciding to start workers. */
export interface WakeUpObservation {
  /** ApproximateNumberOfMessages of the job queue. */
  readonly visibleMessages: number;
  /** ApproximateNumberOfMessagesNotVisible of the job queue. */
  readonly inFlightMessages: number;
  /** Messages this invocation just sent: SQS's approximate counts may not show them yet. */
  readonly justSent: number;
  /** Worker tasks of this pipeline that are pending or running. */
  readonly runningWorkers: number;
  readonly nowSeconds: number;
}

export interface WakeUpPlan {
  readonly toStart: number;
  readonly decision: ScalingDecision;
}

/**
 * How many worker tasks to start: the shared queue-depth policy's scale-out (workers exit by
 * themselves when idle, so scale-in is theirs), never one task per event.
 */
export function planWakeUp(policy: QueueDepthPolicy, o: WakeUpObservation): WakeUpPlan {
  const observation = {
    visibleMessages: Math.max(o.visibleMessages, o.justSent),
    inFlightMessages: o.inFlightMessages,
    currentWorkers: o.runningWorkers,
    nowSeconds: o.nowSeconds,
  };
  return { toStart: workersToStart(policy, observation), decision: decideWorkers(policy, observation) };
}

/** RunTask starts at most 10 tasks per call: the counts of each call for `total`. */
export function runTaskBatches(total: number): number[] {
  const batches: number[] = [];
  for (let left = Math.max(0, Math.floor(total)); left > 0; left -= 10) batches.push(Math.min(10, left));
  return batches;
}
