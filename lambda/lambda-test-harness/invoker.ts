// LambdaTestHarness's HTTPS invoker (the original protocol): { options: { host, path, method }, data } →
// { statusCode, body }. It calls only allow-listed hosts at public addresses (ssrf.ts), bounds time and
// response size (https-call.ts), and logs the host, path, status and sizes: never headers or bodies.
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import { InvokerConfig, parseInvokerConfig } from '../../contracts/lambda-test-harness/config';
import { parseInvokerEvent } from '../../contracts/lambda-test-harness/events';
import { callEndpoint, InvokerAnswer } from './https-call';

const logger = new Logger({ serviceName: 'lambda-test-harness-invoker' });
let config: InvokerConfig | undefined;

export const handler = async (event: unknown, context?: Context): Promise<InvokerAnswer> => {
  if (context) logger.addContext(context);
  config ??= parseInvokerConfig(process.env);
  const request = parseInvokerEvent(event);
  const where = { host: request.options.host, path: request.options.path.split('?')[0], method: request.options.method };
  const started = Date.now();
  try {
    const answer = await callEndpoint(request, config);
    logger.info('endpoint called', { ...where, statusCode: answer.statusCode, bodyBytes: answer.bodyBytes, redirects: answer.redirects, ms: Date.now() - started });
    return answer;
  } catch (error) {
    logger.warn('endpoint call refused or failed', { ...where, error: (error as Error).name, message: (error as Error).message, ms: Date.now() - started });
    throw error;
  }
};
