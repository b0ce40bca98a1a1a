/**
 * Environment variables the LambdaEcsWorker construct gives the launcher function (all strings).
 * Both the construct and the handler import these names, so the two sides cannot drift apart. Plain
 * constants, no imports (see test/architecture/imports.test.ts).
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
