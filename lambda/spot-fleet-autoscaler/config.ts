/**
 * The autoscaler handler's configuration, read from its environment (the construct sets every variable).
 * Pure: takes the environment as a plain object so tests pass their own.
 */
import { QUEUE_DEPTH_PRESETS, QueueDepthPolicy, QueueDepthPresetName, validateQueueDepthPolicy } from '../shared/queue-depth-policy';

/** Which kind of worker pool the handler sizes. The construct and the handler share these literals. */
export type TargetKind = 'spot-fleet' | 'auto-scaling-group' | 'ecs-service';
export const TARGET_KINDS: readonly TargetKind[] = ['spot-fleet', 'auto-scaling-group', 'ecs-service'];

/**
 * How the pool shrinks (the construct's ScaleInMode literals). `workers-exit` (Spot Fleet): lower the
 * target with ExcessCapacityTerminationPolicy `noTermination`; idle workers shut down. `protect-busy`
 * (Auto Scaling group, ECS service): busy workers hold scale-in protection, so the target removes idle ones;
 * the handler's calls are the same as for `terminate`. `terminate`: the target picks, busy or not.
 */
export type ScaleInMode = 'terminate' | 'workers-exit' | 'protect-busy';
export const SCALE_IN_MODES: readonly ScaleInMode[] = ['terminate', 'workers-exit', 'protect-busy'];

/** The mode each kind supports besides `terminate`, and its default (no scale-in kills). */
const SAFE_MODE: Record<TargetKind, ScaleInMode> = {
  'spot-fleet': 'workers-exit',
  'auto-scaling-group': 'protect-busy',
  'ecs-service': 'protect-busy',
};

export interface AutoscalerConfig {
  readonly targetKind: TargetKind;
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

/** Environment variable names, shared with the construct. */
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
  const targetKind = required(ENV.targetKind) as TargetKind;
  if (targetKind && !TARGET_KINDS.includes(targetKind)) errors.push(`${ENV.targetKind} must be one of ${TARGET_KINDS.join(', ')} (got '${targetKind}')`);
  const targetId = required(ENV.targetId);
  const cluster = env[ENV.cluster] || undefined;
  if (targetKind === 'ecs-service' && !cluster) errors.push(`${ENV.cluster} is required for an ecs-service target`);
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
  const scaleInMode = (env[ENV.scaleInMode] || SAFE_MODE[targetKind] || 'terminate') as ScaleInMode;
  if (!SCALE_IN_MODES.includes(scaleInMode)) errors.push(`${ENV.scaleInMode} must be one of ${SCALE_IN_MODES.join(', ')} (got '${scaleInMode}')`);
  else if (scaleInMode !== 'terminate' && SAFE_MODE[targetKind] && scaleInMode !== SAFE_MODE[targetKind]) {
    errors.push(`${ENV.scaleInMode} '${scaleInMode}' does not apply to a ${targetKind} target (use '${SAFE_MODE[targetKind]}' or 'terminate')`);
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
