import { App, CfnOutput, Stack } from 'aws-cdk-lib';
import { LambdaEcsWorker } from '../../lib';
import { exampleAlarmActions } from './alarm-topic';

/**
 * The LambdaEcsWorker example: upload `scenes/<name>.zip` to the bucket and get `renders/<name>.png`.
 * Defaults throughout (new secure bucket, job table, new VPC without NAT, Fargate Spot with on-demand
 * fallback, the POV-Ray worker image), with the construct's dashboard and alarms
 * notifying the app's alarm topic.
 */
export function addLambdaEcsWorkerExample(app: App): Stack {
  const stack = new Stack(app, 'LambdaEcsWorkerExample', {
    description: 'cdk-compute-patterns: S3 upload -> launcher Lambda -> SQS -> ECS Fargate (Spot) workers rendering POV-Ray scenes',
  });
  const render = new LambdaEcsWorker(stack, 'Render', { maxWorkers: 5, alarmActions: exampleAlarmActions(stack) });

  new CfnOutput(stack, 'BucketName', { value: render.bucket.bucketName, description: 'Upload scenes/<name>.zip here; renders/<name>.png appears' });
  new CfnOutput(stack, 'JobTableName', { value: render.jobTable!.tableName, description: 'Status, progress and errors of every job' });
  return stack;
}
