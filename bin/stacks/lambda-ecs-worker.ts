import { App, CfnOutput, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { LambdaEcsWorker } from '../../lib';

/**
 * The LambdaEcsWorker example: upload `scenes/<name>.zip` to the bucket and get `renders/<name>.png`.
 * Defaults throughout (new secure bucket, job table, new VPC without NAT, Fargate Spot with on-demand
 * fallback, the POV-Ray worker image), plus a dashboard built from the construct's metric helpers.
 */
export function addLambdaEcsWorkerExample(app: App): Stack {
  const stack = new Stack(app, 'LambdaEcsWorkerExample', {
    description: 'cdk-compute-patterns: S3 upload -> launcher Lambda -> SQS -> ECS Fargate (Spot) workers rendering POV-Ray scenes',
  });
  const render = new LambdaEcsWorker(stack, 'Render', { maxWorkers: 5 });

  new cloudwatch.Dashboard(stack, 'Dashboard', {
    widgets: [
      [
        new cloudwatch.GraphWidget({ title: 'Jobs', left: [render.metricJobsWaiting(), render.metricJobsInProgress(), render.metricDeadLetterJobs()] }),
        new cloudwatch.GraphWidget({ title: 'Workers', left: [render.metricWorkersRunning(), render.metricWorkersStarted()] }),
        new cloudwatch.GraphWidget({ title: 'Oldest job (s)', left: [render.metricOldestJobAge()] }),
        new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: [render.deadLetterAlarm, render.oldestJobAlarm, render.launcherDeadLetterAlarm] }),
      ],
    ],
  });
  new CfnOutput(stack, 'BucketName', { value: render.bucket.bucketName, description: 'Upload scenes/<name>.zip here; renders/<name>.png appears' });
  new CfnOutput(stack, 'JobTableName', { value: render.jobTable!.tableName, description: 'Status, progress and errors of every job' });
  return stack;
}
