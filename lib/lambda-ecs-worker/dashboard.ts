import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { LambdaEcsWorker } from './lambda-ecs-worker';
import { graph, newPatternDashboard } from '../core';

/**
 * Render time and failed attempts, read from the worker's JSON log lines (`job succeeded` with `renderMs`,
 * `job failed`) by metric filters: the worker itself publishes no metrics, and a filter costs nothing while idle.
 */
function workerLogMetrics(worker: LambdaEcsWorker): { renderTime: cloudwatch.Metric; failedAttempts: cloudwatch.Metric } {
  // Filters cannot add a fixed dimension, so the pipeline's name is in the namespace.
  const namespace = `CdkComputePatterns/LambdaEcsWorker/${worker.pipelineName}`;
  const renderTime = new logs.MetricFilter(worker, 'RenderTimeMetric', {
    logGroup: worker.workerLogGroup,
    filterPattern: logs.FilterPattern.stringValue('$.message', '=', 'job succeeded'),
    metricNamespace: namespace,
    metricName: 'RenderTime',
    metricValue: '$.renderMs',
    unit: cloudwatch.Unit.MILLISECONDS,
  });
  const failed = new logs.MetricFilter(worker, 'FailedAttemptsMetric', {
    logGroup: worker.workerLogGroup,
    filterPattern: logs.FilterPattern.stringValue('$.message', '=', 'job failed'),
    metricNamespace: namespace,
    metricName: 'FailedAttempts',
    metricValue: '1',
    unit: cloudwatch.Unit.COUNT,
  });
  return {
    renderTime: renderTime.metric({ period: Duration.minutes(5), label: 'render time' }),
    failedAttempts: failed.metric({ period: Duration.minutes(5), statistic: 'Sum', label: 'failed attempts' }),
  };
}

/** Jobs (waiting, rendering, dead), the oldest job's age, workers against backlog, render time, and what is billed. */
export function newLambdaEcsWorkerDashboard(worker: LambdaEcsWorker): cloudwatch.Dashboard {
  const logMetrics = workerLogMetrics(worker);
  return newPatternDashboard(worker, {
    pattern: 'LambdaEcsWorker',
    alarms: worker.alarms,
    rows: [
      [
        graph('Jobs', [worker.metricJobsWaiting({ label: 'waiting' }), worker.metricJobsInProgress({ label: 'rendering' }), worker.metricDeadLetterJobs({ label: 'dead-lettered' })]),
        graph('Oldest job waiting (s)', [worker.metricOldestJobAge({ label: 'age of oldest job' })], [], 'seconds'),
        graph('Workers', [worker.metricWorkersRunning({ label: 'running' }), worker.metricWorkersStarted({ label: 'started' })]),
        graph('Jobs submitted and failed attempts', [worker.metricJobsSubmitted({ label: 'submitted' }), logMetrics.failedAttempts]),
      ],
      [
        graph('Render time (ms)', [
          logMetrics.renderTime.with({ statistic: 'p50', label: 'p50' }),
          logMetrics.renderTime.with({ statistic: 'p95', label: 'p95' }),
        ], [], 'milliseconds'),
        graph('Launcher health', [worker.metricLauncherErrors({ label: 'errors' }), worker.launcherFunction.metricThrottles({ label: 'throttles', period: Duration.minutes(1) })]),
        // Cost: Fargate bills running workers by the second; the launcher by invocation and GB-second.
        graph('Billed: worker-minutes, launcher invocations', [
          new cloudwatch.MathExpression({
            expression: 'running * PERIOD(running) / 60',
            usingMetrics: { running: worker.metricWorkersRunning({ statistic: 'Average', period: Duration.minutes(5) }) },
            label: 'worker-minutes',
            period: Duration.minutes(5),
          }),
        ], [worker.launcherFunction.metricInvocations({ label: 'launcher invocations', period: Duration.minutes(5) })]),
      ],
    ],
  });
}
