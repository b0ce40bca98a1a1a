import { HARNESS_ENV, INVOKER_ENV } from '../../contracts/lambda-test-harness/config';
import { invokeAssetOnce } from '../helpers/fresh-asset';

describe('the prebundled lambda-test-harness assets', () => {
  it('harness: runs in a fresh process without node_modules and refuses an event beyond its caps', () => {
    const outcome = invokeAssetOnce('lambda-test-harness', {
      event: { operation: 'load', iterations: 5000, function: 'h', event: { operation: 'unit', function: 'f', event: {} } },
      env: { [HARNESS_ENV.resultsTable]: 'T', [HARNESS_ENV.allowedFunctions]: '["arn:aws:lambda:us-east-1:1:function:f"]', POWERTOOLS_LOG_LEVEL: 'SILENT' },
    });
    expect(outcome).toMatchObject({ rejected: expect.stringContaining("iterations 5000 exceeds this harness's maxIterations of 1000") });
  });

  it('invoker: runs in a fresh process and refuses a host off its allow-list before any connection', () => {
    const outcome = invokeAssetOnce('lambda-test-harness-invoker', {
      event: { options: { host: 'metadata.google.internal', path: '/', method: 'GET' } },
      env: { [INVOKER_ENV.allowedHosts]: '["api.example.com"]', POWERTOOLS_LOG_LEVEL: 'SILENT' },
    });
    expect(outcome).toMatchObject({ rejected: expect.stringContaining("metadata.google.internal is not on this invoker's allow-list") });
  });

  it('gate: runs in a fresh process and names its missing suite', () => {
    const outcome = invokeAssetOnce('lambda-test-harness-gate', {
      event: {},
      env: { [HARNESS_ENV.resultsTable]: 'T', [HARNESS_ENV.allowedFunctions]: '[]', POWERTOOLS_LOG_LEVEL: 'SILENT' },
    });
    expect(outcome).toMatchObject({ rejected: expect.stringContaining(`${HARNESS_ENV.suite} is not set`) });
  });
});
