import { DEFAULT_QUEUE_DEPTH_POLICY, QueueDepthPolicy, validateQueueDepthPolicy } from '../../contracts/queue-depth-policy';

import { LAUNCHER_ENV } from '../../contracts/lambda-ecs-worker/launcher-env';

export { LAUNCHER_ENV };

export interface LauncherConfig {
  readonly queueUrl: string;
  readonly deadLetterQueueUrl: string;
  readonly jobTableName?: string;
  readonly jobRecordTtlDays: number;
  readonly inputPrefix: string;
  readonly outputPrefix: string;
  readonly inputSuffixes: string[];
  readonly maxReceiveCount: number;
  readonly clusterArn: string;
  readonly taskDefinitionArn: string;
  readonly startedBy: string;
  readonly capacityProviders: string[];
  readonly subnetIds: string[];
  readonly securityGroupIds: string[];
  readonly assignPublicIp: 'ENABLED' | 'DISABLED';
  readonly pipelineName: string;
  /** The shared queue-depth policy with this pipeline's maxWorkers and jobs per worker. */
  readonly policy: QueueDepthPolicy;
}

const list = (value: string | undefined) =>
  (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);

/** Reads and validates the launcher's configuration; throws one error naming every problem. */
export function readLauncherConfig(env: Record<string, string | undefined>): LauncherConfig {
  const errors: string[] = [];
  const required = (name: string): string => {
    const value = env[name];
    if (value === undefined || value === '') errors.push(`${name} is not set`);
    return value ?? '';
  };
  const number = (name: string, fallback: number, min: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < min) errors.push(`${name} must be a number ≥ ${min} (got '${raw}')`);
    return value;
  };

  const assignPublicIp = (env[LAUNCHER_ENV.assignPublicIp] ?? 'DISABLED').toUpperCase();
  if (assignPublicIp !== 'ENABLED' && assignPublicIp !== 'DISABLED') {
    errors.push(`${LAUNCHER_ENV.assignPublicIp} must be ENABLED or DISABLED (got '${assignPublicIp}')`);
  }
  const config: LauncherConfig = {
    queueUrl: required(LAUNCHER_ENV.queueUrl),
    deadLetterQueueUrl: required(LAUNCHER_ENV.deadLetterQueueUrl),
    jobTableName: env[LAUNCHER_ENV.jobTableName] || undefined,
    jobRecordTtlDays: number(LAUNCHER_ENV.jobRecordTtlDays, 30, 1),
    inputPrefix: env[LAUNCHER_ENV.inputPrefix] ?? '',
    outputPrefix: required(LAUNCHER_ENV.outputPrefix),
    inputSuffixes: list(env[LAUNCHER_ENV.inputSuffixes]),
    maxReceiveCount: number(LAUNCHER_ENV.maxReceiveCount, 3, 1),
    clusterArn: required(LAUNCHER_ENV.clusterArn),
    taskDefinitionArn: required(LAUNCHER_ENV.taskDefinitionArn),
    startedBy: required(LAUNCHER_ENV.startedBy),
    capacityProviders: list(env[LAUNCHER_ENV.capacityProviders]),
    subnetIds: list(env[LAUNCHER_ENV.subnetIds]),
    securityGroupIds: list(env[LAUNCHER_ENV.securityGroupIds]),
    assignPublicIp: assignPublicIp as 'ENABLED' | 'DISABLED',
    pipelineName: env[LAUNCHER_ENV.pipelineName] || 'lambda-ecs-worker',
    policy: {
      ...DEFAULT_QUEUE_DEPTH_POLICY,
      minWorkers: 0,
      maxWorkers: number(LAUNCHER_ENV.maxWorkers, DEFAULT_QUEUE_DEPTH_POLICY.maxWorkers, 1),
      backlogPerWorker: number(LAUNCHER_ENV.jobsPerWorker, 1, 1),
    },
  };
  if (config.inputSuffixes.length === 0) errors.push(`${LAUNCHER_ENV.inputSuffixes} must list at least one suffix`);
  if (config.startedBy.length > 36) errors.push(`${LAUNCHER_ENV.startedBy} must be at most 36 characters (ECS limit)`);
  if (config.subnetIds.length === 0) errors.push(`${LAUNCHER_ENV.subnetIds} must list at least one subnet`);
  errors.push(...validateQueueDepthPolicy(config.policy));
  if (errors.length > 0) throw new Error(`The launcher is misconfigured: ${errors.join('; ')}`);
  return config;
}
