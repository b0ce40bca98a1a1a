import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type { SpotFleetAutoscaler } from './spot-fleet-autoscaler';
import { graph, newPatternDashboard } from '../core';

/** Backlog against desired and running capacity (keeping up), errors (healthy), and worker-hours (what is billed). */
export function newSpotFleetAutoscalerDashboard(autoscaler: SpotFleetAutoscaler): cloudwatch.Dashboard {
  const minute = Duration.minutes(1);
  const fn = autoscaler.autoscalerFunction;
  return newPatternDashboard(autoscaler, {
    pattern: 'SpotFleetAutoscaler',
    alarms: autoscaler.alarms,
    rows: [
      [
        graph('Capacity: desired against running', [
          autoscaler.metricDesiredCapacity({ period: minute, statistic: 'Maximum', label: 'desired' }),
          autoscaler.metricCurrentCapacity({ period: minute, statistic: 'Maximum', label: 'running' }),
        ]),
        graph('Backlog (messages)', [autoscaler.metricBacklog({ period: minute, statistic: 'Maximum', label: 'backlog' })], [
          autoscaler.queue.metricApproximateAgeOfOldestMessage({ period: minute, statistic: 'Maximum', label: 'oldest message age (s)' }),
        ]),
        graph('Autoscaler health', [
          autoscaler.metricErrors({ label: 'errors' }),
          fn.metricThrottles({ statistic: 'Sum', period: Duration.minutes(5), label: 'throttles' }),
          autoscaler.metricCapacityChanges({ period: Duration.minutes(5), label: 'capacity changes' }),
        ]),
        // Cost: instances bill per second while running; the worker-hours of a period are its running capacity.
        graph('Billed: worker-hours', [
          new cloudwatch.MathExpression({
            expression: 'running * PERIOD(running) / 3600',
            usingMetrics: { running: autoscaler.metricCurrentCapacity({ statistic: 'Average', period: Duration.hours(1) }) },
            label: 'worker-hours',
            period: Duration.hours(1),
          }),
        ]),
      ],
    ],
  });
}
