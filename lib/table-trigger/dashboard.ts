import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type { TableTrigger } from './table-trigger';
import { graph, newPatternDashboard } from '../core';

/** Iterator age (keeping up), failures and dead letters (healthy), alerts, and the invocations that are billed. */
export function newTableTriggerDashboard(trigger: TableTrigger): cloudwatch.Dashboard {
  const period = Duration.minutes(5);
  const fn = trigger.triggerFunction;
  return newPatternDashboard(trigger, {
    pattern: 'TableTrigger',
    alarms: trigger.alarms,
    rows: [
      [
        graph('Iterator age (ms): lag behind writes', [trigger.metricIteratorAge({ period: Duration.minutes(1), label: 'max iterator age' })], [], 'milliseconds'),
        graph('Failures', [
          trigger.metricErrors({ statistic: 'Sum', period, label: 'failed invocations' }),
          trigger.metricDeadLetters({ period, label: 'records in the on-failure queue' }),
          fn.metricThrottles({ statistic: 'Sum', period, label: 'throttles' }),
        ]),
        graph('Invalid items alerted', [trigger.metricAlertsPublished({ statistic: 'Sum', period, label: 'alerts published' })]),
        // Cost: Lambda bills invocations and GB-seconds; stream reads by Lambda are free.
        graph('Billed: invocations, duration', [fn.metricInvocations({ statistic: 'Sum', period, label: 'invocations' })], [
          fn.metricDuration({ statistic: 'p50', period, label: 'duration p50 (ms)' }),
          fn.metricDuration({ statistic: 'p95', period, label: 'duration p95 (ms)' }),
        ]),
      ],
    ],
  });
}
