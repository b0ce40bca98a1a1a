/**
 * The autoscaler handler's configuration, read from its environment (the construct sets every variable).
 * Pure: takes the environment as a plain object so tests pass their own.
 */
import { QUEUE_DEPTH_PRESETS, QueueDepthPolicy, QueueDepthPresetName, validateQueueDepthPolicy } from '../queue-depth-policy';

/** The kinds of worker pool the autoscaler can size (the construct sets one, the handler reads it). */
export enum ScalingTargetKind {
  /** An EC2 Spot Fleet request of type `maintain`: sets its TargetCapacity. */
  SPOT_FLEET = 'spot-fleet',
  /** An EC2 Auto Scaling group: sets its DesiredCapacity. */
  AUTO_SCALING_GROUP = 'auto-scaling-group',
  /** An ECS service: sets its desiredCount. */
  ECS_SERVICE = 'ecs-service',
}
const TARGET_KINDS: readonly string[] = Object.values(ScalingTargetKind);

/** How a pool shrinks when the autoscaler lowers its capacity. */
export enum ScaleInMode {
  /**
   * Spot Fleet only (its default): lowering the target terminates nobody (ExcessCapacityTerminationPolicy
   * `noTermination`); each worker shuts its instance down after an idle period (queue-worker.js, or the
   * IdleExit helper). No job in progress is killed by a scale-in. The workers MUST exit when idle, or the
   * fleet never shrinks.
   */
  WORKERS_EXIT_WHEN_IDLE = 'workers-exit',
  /**
   * Auto Scaling group and ECS service only (their default): each worker protects itself from scale-in
   * while it holds a message and releases the protection when idle (instance scale-in protection through
   * `SetInstanceProtection`; ECS task scale-in protection through the ECS agent), so the target removes
   * only idle workers. The construct grants the workers that right, scoped to the group or cluster. The
   * handler's calls are the same as for TERMINATE_INSTANCES.
   */
  PROTECT_BUSY_WORKERS = 'protect-busy',
  /**
   * Explicit opt-in, for workers that cannot cooperate: lowering capacity lets the target stop workers of
   * its choice, busy or not. A busy one gets the 2-minute Spot notice (a SIGTERM on ECS) and, with the
   * interruption helper, returns its message; the job runs again from the start. Its cost in the
   * benchmark: 4–16 % of job runs redone (docs/spot-fleet-autoscaler.md).
   */
  TERMINATE_INSTANCES = 'terminate',
}
const SCALE_IN_MODES: readonly string[] = Object.values(ScaleInMode);

/** The safe mode of each kind (its default: no scale-in kills); TERMINATE_INSTANCES is the only other one. */
export const SAFE_SCALE_IN_MODE: Readonly<Record<ScalingTargetKind, ScaleInMode>> = {
  [ScalingTargetKind.SPOT_FLEET]: ScaleInMode.WORKERS_EXIT_WHEN_IDLE,
  [ScalingTargetKind.AUTO_SCALING_GROUP]: ScaleInMode.PROTECT_BUSY_WORKERS,
  [ScalingTargetKind.ECS_SERVICE]: ScaleInMode.PROTECT_BUSY_WORKERS,
};

/** The modes a kind of target supports: its safe mode and TERMINATE_INSTANCES. */
export function scaleInModesOf(kind: ScalingTargetKind): ScaleInMode[] {
  return [SAFE_SCALE_IN_MODE[kind], ScaleInMode.TERMINATE_INSTANCES];
}

export interface AutoscalerConfig {
  readonly targetKind: ScalingTargetKind;
  /** Spot Fleet request id, Auto Scaling group name, or ECS service name/ARN. */
  readonly targetId: string;
  /** The ECS cluster of an `ecs-service` target. */
  readonly cluster?: string;
  readonly queueUrl: string;
  readonly policy: QueueDepthPolicy;
  /** Only log and emit metrics; never change capacity or write state. */
  readonly dryRun: boolean;
  readonly scaleInMode: ScaleInMode;
  /** The preset the construct built the policy from (logged with each decision); undefined if none was named. */
  readonly preset?: QueueDepthPresetName;
  /** Value of the `Autoscaler` metric dimension. */
  readonly autoscalerName: string;
}

/** Environment variable names the construct sets and the handler reads. */
export const ENV = {
  targetKind: 'TARGET_KIND',
  targetId: 'TARGET_ID',
  cluster: 'ECS_CLUSTER',
  queueUrl: 'QUEUE_URL',
  policy: 'SCALING_POLICY',
  dryRun: 'DRY_RUN',
  autoscalerName: 'AUTOSCALER_NAME',
  scaleInMode: 'SCALE_IN_MODE',
  preset: 'SCALING_PRESET',
} as const;

/** Parses and validates the environment; throws one error naming every problem. */
export function readConfig(env: Record<string, string | undefined>): AutoscalerConfig {
  const errors: string[] = [];
  const required = (name: string): string => {
    const value = env[name];
    if (!value) errors.push(`${name} is not set`);
    return value ?? '';
  };
  const targetKind = required(ENV.targetKind) as ScalingTargetKind;
  if (targetKind && !TARGET_KINDS.includes(targetKind)) errors.push(`${ENV.targetKind} must be one of ${TARGET_KINDS.join(', ')} (got '${targetKind}')`);
  const targetId = required(ENV.targetId);
  const cluster = env[ENV.cluster] || undefined;
  if (targetKind === ScalingTargetKind.ECS_SERVICE && !cluster) errors.push(`${ENV.cluster} is required for an ecs-service target`);
  const queueUrl = required(ENV.queueUrl);
  let policy = {} as QueueDepthPolicy;
  const rawPolicy = required(ENV.policy);
  if (rawPolicy) {
    try {
      policy = JSON.parse(rawPolicy);
      errors.push(...validateQueueDepthPolicy(policy));
    } catch (error) {
      errors.push(`${ENV.policy} is not JSON: ${(error as Error).message}`);
    }
  }
  const dryRunRaw = (env[ENV.dryRun] ?? 'false').toLowerCase();
  if (dryRunRaw !== 'true' && dryRunRaw !== 'false') errors.push(`${ENV.dryRun} must be 'true' or 'false' (got '${env[ENV.dryRun]}')`);
  const safeMode = SAFE_SCALE_IN_MODE[targetKind] as ScaleInMode | undefined;
  const scaleInMode = (env[ENV.scaleInMode] || safeMode || ScaleInMode.TERMINATE_INSTANCES) as ScaleInMode;
  if (!SCALE_IN_MODES.includes(scaleInMode)) errors.push(`${ENV.scaleInMode} must be one of ${SCALE_IN_MODES.join(', ')} (got '${scaleInMode}')`);
  else if (scaleInMode !== ScaleInMode.TERMINATE_INSTANCES && safeMode && scaleInMode !== safeMode) {
    errors.push(`${ENV.scaleInMode} '${scaleInMode}' does not apply to a ${targetKind} target (use '${safeMode}' or '${ScaleInMode.TERMINATE_INSTANCES}')`);
  }
  const preset = (env[ENV.preset] || undefined) as QueueDepthPresetName | undefined;
  if (preset !== undefined && !QUEUE_DEPTH_PRESETS[preset]) {
    errors.push(`${ENV.preset} must be one of ${Object.keys(QUEUE_DEPTH_PRESETS).join(', ')} (got '${preset}')`);
  }
  if (errors.length > 0) throw new Error(`Invalid autoscaler configuration: ${errors.join('; ')}`);
  return {
    targetKind,
    targetId,
    cluster,
    queueUrl,
    policy,
    dryRun: dryRunRaw === 'true',
    scaleInMode,
    preset,
    autoscalerName: env[ENV.autoscalerName] || targetId,
  };
}
