import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type { ImageProcessingApi } from './image-processing-api';
import { graph, newPatternDashboard } from '../core';

/** Requests and 4xx/5xx (healthy), latency percentiles (keeping up), and the requests and GB-seconds that are billed. */
export function newImageProcessingApiDashboard(images: ImageProcessingApi): cloudwatch.Dashboard {
  const period = Duration.minutes(5);
  return newPatternDashboard(images, {
    pattern: 'ImageProcessingApi',
    alarms: images.alarms,
    rows: [
      [
        graph('Requests and errors', [
          images.metricRequests({ period, label: 'requests' }),
          images.metricClientErrors({ period, label: '4xx' }),
          images.metricServerErrors({ period, label: '5xx' }),
        ]),
        graph('API latency (ms)', ['p50', 'p95', 'p99'].map((statistic) => images.metricLatency({ statistic, period, label: statistic })), [], 'milliseconds'),
        graph('Image function', [
          images.metricFunctionErrors({ period, label: 'errors' }),
          images.metricFunctionThrottles({ period, label: 'throttles' }),
        ], [images.metricProcessingDuration({ statistic: 'p95', period, label: 'duration p95 (ms)' })]),
        // Cost: API Gateway bills requests, Lambda invocations and GB-seconds (memory × duration).
        graph('Billed: invocations, duration (ms)', [images.imageFunction.metricInvocations({ statistic: 'Sum', period, label: 'invocations' })], [
          images.imageFunction.metricDuration({ statistic: 'Sum', period, label: 'total duration (ms)' }),
        ]),
      ],
    ],
  });
}
