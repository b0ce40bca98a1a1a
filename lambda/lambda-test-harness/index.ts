// LambdaTestHarness's harness function: the original protocol's unit and load events, plus load by rate,
// stop and suite (contracts/lambda-test-harness/events.ts). This file adapts the event, the environment
// and the clients; harness.ts decides. A refused event answers with every problem listed (thrown, so the
// caller sees a function error with the message; an asynchronous caller's retries hit the same refusal).
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { HARNESS_METRIC_NAMESPACE, HarnessConfig, parseHarnessConfig } from '../../contracts/lambda-test-harness/config';
import { parseHarnessEvent } from '../../contracts/lambda-test-harness/events';
import { awsPorts } from './aws-ports';
import { handle, HarnessAnswer } from './harness';

const logger = new Logger({ serviceName: 'lambda-test-harness' });
let config: HarnessConfig | undefined;

export const handler = async (event: unknown, context?: Context): Promise<HarnessAnswer> => {
  if (context) logger.addContext(context);
  config ??= parseHarnessConfig(process.env);
  const metrics = new Metrics({ namespace: HARNESS_METRIC_NAMESPACE, serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'lambda-test-harness' });
  try {
    const parsed = parseHarnessEvent(event, config.limits);
    // Never the event under test or the answer: only what identifies the run.
    logger.info('harness event', { operation: parsed.operation, testId: 'testId' in parsed ? parsed.testId : undefined });
    const answer = await handle(parsed, awsPorts(config, metrics, context));
    return answer;
  } catch (error) {
    logger.error('harness event refused or failed', { error: (error as Error).message });
    throw error;
  } finally {
    metrics.publishStoredMetrics();
  }
};
