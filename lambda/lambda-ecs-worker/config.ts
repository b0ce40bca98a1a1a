import { DEFAULT_QUEUE_DEPTH_POLICY, QueueDepthPolicy, validateQueueDepthPolicy } from '../shared/queue-depth-policy';

/**
 * Environment variables the LambdaEcsWorker construct gives the launcher function (all strings).
 * The construct imports these names, so the two sides cannot drift apart.
 */
export const LAUNCHER_ENV = {
  queueUrl: 'QUEUE_URL',
  deadLetterQueueUrl: 'DEAD_LETTER_QUEUE_URL',
  /** Empty or absent when the job table is turned off. */
  jobTableName: 'JOB_TABLE_NAME',
  /** Days a job record is kept before DynamoDB's TTL deletes it. */
  jobRecordTtlDays: 'JOB_RECORD_TTL_DAYS',
  inputPrefix: 'INPUT_PREFIX',
  outputPrefix: 'OUTPUT_PREFIX',
  /** Comma-separated suffix allow-list, e.g. `.zip`. */
  inputSuffixes: 'INPUT_SUFFIXES',
  maxReceiveCount: 'MAX_RECEIVE_COUNT',
  clusterArn: 'CLUSTER_ARN',
  taskDefinitionArn: 'TASK_DEFINITION_ARN',
  /** Tag RunTask puts on every worker and ListTasks filters by (≤ 36 characters). */
  startedBy: 'STARTED_BY',
  /** Comma-separated capacity providers in order of preference, e.g. `FARGATE_SPOT,FARGATE`. */
  capacityProviders: 'CAPACITY_PROVIDERS',
  subnetIds: 'SUBNET_IDS',
  securityGroupIds: 'SECURITY_GROUP_IDS',
  /** `ENABLED` or `DISABLED`. */
  assignPublicIp: 'ASSIGN_PUBLIC_IP',
  maxWorkers: 'MAX_WORKERS',
  jobsPerWorker: 'JOBS_PER_WORKER',
  /** CloudWatch dimension value naming this pipeline in the launcher's metrics. */
  pipelineName: 'PIPELINE_NAME',
} as const;

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
