import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { graph, newPatternDashboard } from '../core';
import type { LambdaTestHarness } from './lambda-test-harness';

/** Tests passed and failed (healthy), latency and load against errors (keeping up), and the invocations that are billed. */
export function newLambdaTestHarnessDashboard(harness: LambdaTestHarness): cloudwatch.Dashboard {
  const period = Duration.minutes(5);
  const fns = [harness.harnessFunction, ...(harness.invokerFunction ? [harness.invokerFunction] : []), ...(harness.gateFunction ? [harness.gateFunction] : [])];
  // Each function sits in its PrebundledFunction: 'Harness', 'Invoker', 'Gate'.
  const name = (fn: lambda.Function) => fn.node.scope!.node.id;
  return newPatternDashboard(harness, {
    pattern: 'LambdaTestHarness',
    alarms: harness.alarms,
    rows: [
      [
        graph('Tests', [
          harness.metricTestsPassed({ period, label: 'passed' }),
          harness.metricTestsFailed({ period, label: 'failed' }),
        ]),
        graph('Test latency (ms)', ['p50', 'p95', 'p99'].map((statistic) => harness.metricTestLatency({ statistic, period, label: statistic })), [], 'milliseconds'),
        graph('Load requests', [
          harness.metricLoadRequests({ period, label: 'sent' }),
          harness.metricLoadErrors({ period, label: 'failed' }),
        ]),
        graph('Function health', [
          ...fns.map((fn) => fn.metricErrors({ statistic: 'Sum', period, label: `${name(fn)} errors` })),
          ...fns.map((fn) => fn.metricThrottles({ statistic: 'Sum', period, label: `${name(fn)} throttles` })),
        ]),
      ],
      [
        // Cost: Lambda bills invocations and GB-seconds; a load test's cost is its workers' duration.
        graph('Billed: invocations, duration', fns.map((fn) => fn.metricInvocations({ statistic: 'Sum', period, label: `${name(fn)} invocations` })), [
          harness.harnessFunction.metricDuration({ statistic: 'Sum', period, label: 'Harness duration, sum (ms)' }),
        ]),
      ],
    ],
  });
}
