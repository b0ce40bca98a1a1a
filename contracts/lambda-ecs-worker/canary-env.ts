/**
 * The deploy-time canary (LambdaEcsWorker's `deployCanary`): environment variables the construct gives
 * its trigger function, and the worker command it runs. Both sides import these, so they cannot drift.
 * Plain constants, no imports (see test/architecture/imports.test.ts).
 */
export const CANARY_ENV = {
  clusterArn: 'CLUSTER_ARN',
  taskDefinitionArn: 'TASK_DEFINITION_ARN',
  /** The worker container's name in the task definition (its command is overridden). */
  containerName: 'CONTAINER_NAME',
  subnetIds: 'SUBNET_IDS',
  securityGroupIds: 'SECURITY_GROUP_IDS',
  /** `ENABLED` or `DISABLED`. */
  assignPublicIp: 'ASSIGN_PUBLIC_IP',
  /** The worker's log group and awslogs stream prefix, where the canary's reason is read from. */
  logGroupName: 'WORKER_LOG_GROUP',
  logStreamPrefix: 'WORKER_LOG_STREAM_PREFIX',
} as const;

/** Arguments after the worker image's entrypoint that make it render the embedded canary scene and exit. */
export const CANARY_COMMAND = ['--canary'];

/** `startedBy` of the canary task: the launcher counts its workers by its own tag, never this one. */
export const CANARY_STARTED_BY = 'deploy-canary';

/** The worker's exit codes for the canary (docker/povray-worker/src/canary.ts), in words. */
export const CANARY_EXIT_REASONS: Readonly<Record<number, string>> = {
  3: 'POV-Ray cannot be confined on this compute',
  4: 'the canary scene did not render',
};

/** The prefix of the worker's one failure line. */
export const CANARY_FAILED_PREFIX = 'CANARY FAILED: ';
