/**
 * The scaling policies the benchmark compares, as simulator policies. "Ours" is NOT a re-implementation:
 * it calls planRun from the deployed handler (lambda/spot-fleet-autoscaler/state.ts), which calls
 * decideWorkers from contracts/queue-depth-policy.ts — the same modules the Lambda runs — with the
 * presets from that module. Each baseline is modelled as its original does it, once per setting a user
 * could reasonably pick (one row each).
 */
import {
  DEFAULT_QUEUE_DEPTH_PRESET,
  presetPolicy,
  QUEUE_DEPTH_PRESETS,
  QueueDepthPolicy,
  QueueDepthPresetName,
} from '../../contracts/queue-depth-policy';
import { SAFE_SCALE_IN_MODE } from '../../contracts/spot-fleet-autoscaler/config';
import { AutoscalerState, planRun } from '../../lambda/spot-fleet-autoscaler/state';
import { ScaleInModel, SimPolicy } from './simulator';

const clamp = (n: number, min: number, max: number) => Math.min(max, Math.max(min, n));
const mean = (values: number[]) => values.reduce((sum, v) => sum + v, 0) / values.length;

/** The cap every policy gets, so that they differ in how they scale, not in how far. */
export const BENCH_MAX_WORKERS = 100;

/**
 * The seed's scheduled Lambda ("Dynamic Scaling with EC2 Spot Fleet"): each run reads the 15-minute
 * Average of the queue's ApproximateNumberOfMessagesVisible from CloudWatch and steps the fleet's target
 * capacity by stepCount 5: up when the average is above 20, down when it is below 10 (the published
 * `if (metricValue = ...)` lines are HTML-stripped `>` / `<` comparisons). A step that would leave
 * [min 2, max 100] is skipped, not clamped: at 4 instances a step down to −1 does not happen. No cooldown.
 * The seed leaves the schedule to the reader ("e.g. via cron"): 60, 300 and 900 s are each a row.
 * Its fleet scales in with the default ExcessCapacityTerminationPolicy (`terminate`).
 */
export function seedStepPolicy(intervalSeconds: number): SimPolicy {
  const stepCount = 5;
  const scaleUpThreshold = 20;
  const scaleDownThreshold = 10;
  const min = 2;
  const max = BENCH_MAX_WORKERS;
  return {
    name: `seed-step-${intervalSeconds}s`,
    intervalSeconds,
    initialCapacity: min,
    scaleIn: 'terminate',
    decide: (view) => {
      const points = view.cloudWatch('ApproximateNumberOfMessagesVisible', 15 * 60);
      if (points.length === 0) return view.currentCapacity;
      const average = mean(points);
      const current = view.currentCapacity;
      if (average > scaleUpThreshold && current + stepCount <= max) return current + stepCount;
      if (average < scaleDownThreshold && current - stepCount >= min) return current - stepCount;
      return current;
    },
  };
}

/**
 * aws-cdk-lib 2.276 `QueueProcessingServiceBase.configureAutoscalingForService` (read from its source):
 * on the service's scalable target (min `minScalingCapacity` 1),
 * - `scaleOnMetric('QueueMessagesVisibleScaling')`: step scaling on `metricApproximateNumberOfMessagesVisible()`,
 *   whose statistic is **Maximum** over the default 5-minute period; default `scalingSteps`
 *   `[{ upper: 0, change: -1 }, { lower: 100, change: +1 }, { lower: 500, change: +5 }]` (ChangeInCapacity),
 *   i.e. a lower alarm `≤ 0` → −1 and an upper alarm `≥ 100` → +1, `≥ 500` → +5; alarms of 1 evaluation
 *   period, evaluated every minute, re-invoking the policy while in ALARM; no `cooldown` given, so
 *   Application Auto Scaling's 300 s;
 * - unless `disableCpuBasedScaling`, `scaleOnCpuUtilization('CpuScaling', { targetUtilizationPercent: 50 })`:
 *   target tracking on the service's average CPU (1-minute datapoints), as Application Auto Scaling runs it:
 *   scale out when 3 datapoints in a row are above 50 %, scale in when 15 in a row are below 45 % (90 % of
 *   the target), to ceil(current × CPU ÷ 50); 300 s cooldowns (the ECS defaults). Jobs are CPU-bound, so
 *   CPU = busy ÷ running tasks.
 * Both policies act on the same desired count independently. `maxScalingCapacity` defaults to 2 there;
 * 100 is used here, like every policy in the bench. No task protection: a scale-in stops tasks at random
 * (`terminate`).
 */
export function ecsPatternsPolicy(cpuScaling: boolean): SimPolicy {
  const min = 1;
  const max = BENCH_MAX_WORKERS;
  const cooldown = 300;
  let lastStep = -Infinity;
  let lastCpuOut = -Infinity;
  let lastCpuIn = -Infinity;
  return {
    name: cpuScaling ? 'ecs-patterns-step+cpu' : 'ecs-patterns-step',
    intervalSeconds: 60,
    initialCapacity: min,
    scaleIn: 'terminate',
    decide: (view) => {
      const now = view.nowSeconds;
      let capacity = view.currentCapacity;
      const visible = view.cloudWatch('ApproximateNumberOfMessagesVisible', 5 * 60);
      if (visible.length > 0 && now - lastStep >= cooldown) {
        const maximum = Math.max(...visible);
        const change = maximum >= 500 ? 5 : maximum >= 100 ? 1 : maximum <= 0 ? -1 : 0;
        const next = clamp(capacity + change, min, max);
        if (next !== capacity) {
          lastStep = now;
          capacity = next;
        }
      }
      if (cpuScaling) {
        const cpu = view.cloudWatch('CPUUtilization', 15 * 60);
        if (cpu.length === 0) return capacity;
        const latest = cpu[cpu.length - 1];
        const wanted = clamp(Math.ceil((view.currentCapacity * latest) / 50), min, max);
        const last3 = cpu.slice(-3);
        if (last3.length === 3 && last3.every((c) => c > 50) && wanted > capacity && now - lastCpuOut >= cooldown) {
          capacity = wanted;
          lastCpuOut = now;
        } else if (cpu.length >= 15 && cpu.slice(-15).every((c) => c < 45) && wanted < capacity && now - lastCpuIn >= cooldown && now - lastCpuOut >= cooldown) {
          capacity = wanted;
          lastCpuIn = now;
        }
      }
      return capacity;
    },
  };
}

/** Which targets ours runs on in the bench, and how each shrinks by default (the construct's defaults). */
export const TARGET_SCALE_IN: Readonly<Record<string, ScaleInModel>> = SAFE_SCALE_IN_MODE;

/** Ours: the deployed handler's decision step, run every minute on a direct SQS read. */
export function oursPolicy(
  name: string,
  policy: QueueDepthPolicy,
  scaleIn: ScaleInModel,
  workerIdleSeconds: number,
): SimPolicy {
  let state: AutoscalerState = {};
  return {
    name,
    intervalSeconds: 60,
    initialCapacity: policy.minWorkers,
    scaleIn,
    idleExitSeconds: workerIdleSeconds,
    releaseAfterIdleSeconds: workerIdleSeconds,
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

/** The row name of a preset: the default preset is plain `ours`. */
export const presetRowName = (preset: QueueDepthPresetName) => (preset === DEFAULT_QUEUE_DEPTH_PRESET ? 'ours' : `ours-${preset}`);

/** Ours with a preset, min 0 and the bench's cap, shrinking as `target` does by default. */
export function oursPresetPolicy(preset: QueueDepthPresetName, target = 'spot-fleet'): SimPolicy {
  const scaleIn = TARGET_SCALE_IN[target];
  if (!scaleIn) throw new Error(`unknown target '${target}' (known: ${Object.keys(TARGET_SCALE_IN).join(', ')})`);
  const policy = presetPolicy(preset, { minWorkers: 0, maxWorkers: BENCH_MAX_WORKERS });
  return oursPolicy(presetRowName(preset), policy, scaleIn, QUEUE_DEPTH_PRESETS[preset].workerIdleSeconds);
}

/** Ours with the explicit opt-in `TERMINATE_INSTANCES` (the target picks victims, busy or not). */
export function oursTerminatePolicy(): SimPolicy {
  const policy = presetPolicy(DEFAULT_QUEUE_DEPTH_PRESET, { minWorkers: 0, maxWorkers: BENCH_MAX_WORKERS });
  return oursPolicy('ours-terminate-instances', policy, 'terminate', 0);
}

/** The baseline configurations, one row each. */
export const BASELINES: Record<string, () => SimPolicy> = {
  'seed-step-60s': () => seedStepPolicy(60),
  'seed-step-300s': () => seedStepPolicy(300),
  'seed-step-900s': () => seedStepPolicy(900),
  'ecs-patterns-step': () => ecsPatternsPolicy(false),
  'ecs-patterns-step+cpu': () => ecsPatternsPolicy(true),
};

/** Every policy by name (fresh instances: policies keep state); ours on `target`. */
export function policiesFor(target = 'spot-fleet'): Record<string, () => SimPolicy> {
  const ours: Record<string, () => SimPolicy> = {};
  for (const preset of Object.keys(QUEUE_DEPTH_PRESETS) as QueueDepthPresetName[]) ours[presetRowName(preset)] = () => oursPresetPolicy(preset, target);
  return { ...BASELINES, ...ours, 'ours-terminate-instances': oursTerminatePolicy };
}

/** The policies on the default target (a Spot Fleet). */
export const POLICIES: Record<string, () => SimPolicy> = policiesFor();
