import { LAUNCHER_ENV } from '../../lambda/lambda-ecs-worker/config';

/** The launcher's environment as the construct would set it, for tests that run the handler. */
export const LAUNCHER_TEST_ENV: Record<string, string> = {
  POWERTOOLS_LOG_LEVEL: 'SILENT',
  POWERTOOLS_METRICS_DISABLED: 'true',
  AWS_REGION: 'us-east-1',
  [LAUNCHER_ENV.queueUrl]: 'https://sqs/jobs',
  [LAUNCHER_ENV.deadLetterQueueUrl]: 'https://sqs/jobs-dlq',
  [LAUNCHER_ENV.jobTableName]: 'jobs',
  [LAUNCHER_ENV.inputPrefix]: 'scenes/',
  [LAUNCHER_ENV.outputPrefix]: 'renders/',
  [LAUNCHER_ENV.inputSuffixes]: '.zip',
  [LAUNCHER_ENV.maxReceiveCount]: '3',
  [LAUNCHER_ENV.clusterArn]: 'arn:aws:ecs:us-east-1:123456789012:cluster/render',
  [LAUNCHER_ENV.taskDefinitionArn]: 'arn:aws:ecs:us-east-1:123456789012:task-definition/render:1',
  [LAUNCHER_ENV.startedBy]: 'render-pipeline',
  [LAUNCHER_ENV.capacityProviders]: 'FARGATE_SPOT,FARGATE',
  [LAUNCHER_ENV.subnetIds]: 'subnet-a,subnet-b',
  [LAUNCHER_ENV.securityGroupIds]: 'sg-1',
  [LAUNCHER_ENV.assignPublicIp]: 'ENABLED',
  [LAUNCHER_ENV.maxWorkers]: '5',
};
