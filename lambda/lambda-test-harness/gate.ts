// LambdaTestHarness's gate: runs the construct's suite of unit tests (HARNESS_SUITE). As a deploy gate
// (aws-cdk-lib triggers, any event) it throws when a test fails, which fails the deployment; on the
// monitoring schedule ({ "mode": "monitor" }) it records the failure (results, summary, TestsFailed
// metric → alarm) without throwing, so Lambda's asynchronous retries do not run the suite twice more.
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { HARNESS_ENV, HARNESS_METRIC_NAMESPACE, HarnessConfig, parseHarnessConfig } from '../../contracts/lambda-test-harness/config';
import { parseSuite, TestSuite } from '../../contracts/lambda-test-harness/events';
import { awsPorts } from './aws-ports';
import { runSuite } from './harness';

const logger = new Logger({ serviceName: 'lambda-test-harness-gate' });
let setup: { config: HarnessConfig; suite: TestSuite } | undefined;

function readSuite(): TestSuite {
  const text = process.env[HARNESS_ENV.suite];
  if (!text) throw new Error(`${HARNESS_ENV.suite} is not set: the gate must be deployed by the LambdaTestHarness construct`);
  return parseSuite(JSON.parse(text));
}

export const handler = async (event: unknown, context?: Context) => {
  if (context) logger.addContext(context);
  setup ??= { config: parseHarnessConfig(process.env), suite: readSuite() };
  const monitor = typeof event === 'object' && event !== null && (event as { mode?: unknown }).mode === 'monitor';
  const metrics = new Metrics({ namespace: HARNESS_METRIC_NAMESPACE, serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'lambda-test-harness' });
  try {
    const summary = await runSuite(setup.suite, awsPorts(setup.config, metrics, context));
    const { failures, ...rest } = summary;
    logger.info('suite ran', { mode: monitor ? 'monitor' : 'gate', testId: rest.testId, runId: rest.runId, count: rest.count, failed: rest.failed });
    if (rest.failed > 0 && !monitor) {
      throw new Error(
        `${rest.failed} of ${rest.count} tests of suite '${rest.testId}' failed (run ${rest.runId}):\n- ${rest.failureReasons.join('\n- ')}`,
      );
    }
    return rest;
  } finally {
    metrics.publishStoredMetrics();
  }
};
