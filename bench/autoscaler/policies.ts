/**
 * The scaling policies the benchmark compares, as simulator policies. "Ours" is NOT a re-implementation:
 * it calls planRun from the deployed handler (lambda/spot-fleet-autoscaler/state.ts), which calls
 * decideWorkers from contracts/queue-depth-policy.ts — the same modules the Lambda runs.
 */
import { QueueDepthPolicy } from '../../contracts/queue-depth-policy';
import { ScaleInMode } from '../../contracts/spot-fleet-autoscaler/config';
import { AutoscalerState, planRun } from '../../lambda/spot-fleet-autoscaler/state';
import { SimPolicy } from './simulator';

const clamp = (n: number, min: number, max: number) => Math.min(max, Math.max(min, n));

/**
 * The original blog post's scheduled Lambda ("Dynamic Scaling with EC2 Spot Fleet"): every run it reads the
 * 15-minute Average of the queue's ApproximateNumberOfMessagesVisible from CloudWatch and steps the fleet's
 * target capacity by stepCount 5: up when the average is at least 20, down when it is at most 10, within
 * min 2 and max 100. Its comparisons were written as assignments (`if (metricValue = ...)`), which would
 * scale on every run; the intent (compare with the thresholds) is unambiguous, so that is what runs here.
 * It has no cooldown; the run interval is 1 minute (the same cadence as ours).
 */
export function originalStepPolicy(): SimPolicy {
  const stepCount = 5;
  const scaleUpThreshold = 20;
  const scaleDownThreshold = 10;
  const min = 2;
  const max = 100;
  return {
    name: 'original-step',
    intervalSeconds: 60,
    initialCapacity: min,
    decide: (view) => {
      const average = view.cloudWatchAverageVisible(15 * 60);
      if (average === undefined) return clamp(view.currentCapacity, min, max);
      if (average >= scaleUpThreshold) return clamp(view.currentCapacity + stepCount, min, max);
      if (average <= scaleDownThreshold) return clamp(view.currentCapacity - stepCount, min, max);
      return clamp(view.currentCapacity, min, max);
    },
  };
}

/**
 * CloudWatch-alarm step scaling with aws-ecs-patterns' QueueProcessingService defaults (aws-cdk-lib 2.276,
 * queue-processing-service-base): metric ApproximateNumberOfMessagesVisible (5-minute Average, the
 * metric's default period), scalingSteps [{ upper: 0, change: -1 }, { lower: 100, change: +1 },
 * { lower: 500, change: +5 }] (ChangeInCapacity), cooldown 300 s, minScalingCapacity 1. Alarms evaluate
 * 1 period (evaluationPeriods default 1) once a minute and keep firing while in ALARM; an action
 * during the cooldown is ignored. maxScalingCapacity defaults to 2 there; 100 is used here so that the
 * policies differ only in how they scale, not in the cap.
 */
export function ecsPatternsStepPolicy(): SimPolicy {
  const min = 1;
  const max = 100;
  const cooldown = 300;
  let lastAction = -Infinity;
  return {
    name: 'ecs-patterns-step',
    intervalSeconds: 60,
    initialCapacity: min,
    decide: (view) => {
      const average = view.cloudWatchAverageVisible(5 * 60);
      if (average === undefined || view.nowSeconds - lastAction < cooldown) return view.currentCapacity;
      let change = 0;
      if (average >= 500) change = 5;
      else if (average >= 100) change = 1;
      else if (average <= 0) change = -1;
      const next = clamp(view.currentCapacity + change, min, max);
      if (next !== view.currentCapacity) lastAction = view.nowSeconds;
      return next;
    },
  };
}

/** The policy the construct deploys by default, with the benchmark's cap of 100 workers. */
export const OURS_POLICY: QueueDepthPolicy = {
  backlogPerWorker: 1,
  minWorkers: 0,
  maxWorkers: 100,
  scaleInCooldownSeconds: 300,
  idleSecondsBeforeScaleIn: 300,
  scaleInHysteresisWorkers: 1,
};

/** Ours: the deployed handler's decision step, run every minute on a direct SQS read. */
export function oursPolicy(policy: QueueDepthPolicy = OURS_POLICY): SimPolicy {
  let state: AutoscalerState = {};
  return {
    name: 'ours',
    intervalSeconds: 60,
    initialCapacity: policy.minWorkers,
    decide: (view) => {
      const plan = planRun(
        policy,
        state,
        {
          visibleMessages: view.visibleMessages,
          inFlightMessages: view.inFlightMessages,
          currentCapacity: view.currentCapacity,
          nowSeconds: view.nowSeconds,
        },
        false,
      );
      state = plan.nextState;
      return plan.apply ? plan.desiredCapacity : view.currentCapacity;
    },
  };
}

/**
 * Ours with `scaleInMode: WORKERS_EXIT`: lowering the Spot Fleet's target terminates nobody
 * (ExcessCapacityTerminationPolicy noTermination) and workers exit after `idleExitSeconds` without a
 * message (the IdleExit helper), so scale-in never kills a job in progress.
 */
export function oursWorkersExitPolicy(policy: QueueDepthPolicy = OURS_POLICY, idleExitSeconds = 180): SimPolicy {
  return { ...oursPolicy(policy), name: 'ours-workers-exit', scaleIn: ScaleInMode.WORKERS_EXIT_WHEN_IDLE, idleExitSeconds };
}

/** Every policy by name (fresh instances: policies keep state). */
export const POLICIES: Record<string, () => SimPolicy> = {
  'original-step': originalStepPolicy,
  'ecs-patterns-step': ecsPatternsStepPolicy,
  ours: () => oursPolicy(),
  'ours-workers-exit': () => oursWorkersExitPolicy(),
};
