// The harness's environment as the construct sets it, before the handler (and its Logger) load.
import { HARNESS_ENV } from '../../contracts/lambda-test-harness/config';

export const FUNCTION_ARN = 'arn:aws:lambda:us-east-1:123456789012:function:ImageProcessingService';
Object.assign(process.env, {
  [HARNESS_ENV.resultsTable]: 'HarnessResults',
  [HARNESS_ENV.allowedFunctions]: JSON.stringify([FUNCTION_ARN]),
  POWERTOOLS_LOG_LEVEL: 'SILENT',
  POWERTOOLS_METRICS_DISABLED: 'true',
});
