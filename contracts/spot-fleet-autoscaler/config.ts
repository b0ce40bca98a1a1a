/**
 * The autoscaler handler's configuration, read from its environment (the construct sets every variable).
 * Pure: takes the environment as a plain object so tests pass their own.
 */
import { QueueDepthPolicy, validateQueueDepthPolicy } from '../queue-depth-policy';

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

/** How a Spot Fleet shrinks. */
export enum ScaleInMode {
  /**
   * Lowering the target lets the fleet terminate instances of its choice (its default). A busy worker
   * gets the 2-minute notice and returns its message (the spot-interruption helper); its work is lost.
   */
  TERMINATE_INSTANCES = 'terminate',
  /**
   * Lowering the target terminates nobody (ExcessCapacityTerminationPolicy `noTermination`); workers
   * shut their instances down after an idle period (the IdleExit helper). No job in progress is killed by
   * a scale-in. Spot Fleet targets only; the workers MUST exit when idle, or the fleet never shrinks.
   */
  WORKERS_EXIT_WHEN_IDLE = 'workers-exit',
}
const SCALE_IN_MODES: readonly string[] = Object.values(ScaleInMode);

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
  const scaleInMode = (env[ENV.scaleInMode] || ScaleInMode.TERMINATE_INSTANCES) as ScaleInMode;
  if (!SCALE_IN_MODES.includes(scaleInMode)) errors.push(`${ENV.scaleInMode} must be one of ${SCALE_IN_MODES.join(', ')} (got '${scaleInMode}')`);
  else if (scaleInMode === ScaleInMode.WORKERS_EXIT_WHEN_IDLE && targetKind && targetKind !== ScalingTargetKind.SPOT_FLEET) {
    errors.push(`${ENV.scaleInMode} 'workers-exit' needs a spot-fleet target (got ${targetKind})`);
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
    autoscalerName: env[ENV.autoscalerName] || targetId,
  };
}
