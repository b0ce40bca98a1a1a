import { Logger } from '@aws-lambda-powertools/logger';
import sharp from 'sharp';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { handleApiRequest, HttpContext } from './http';
import { limitsFromEnv } from '../../contracts/image-processing-api/limits';
import { storageFromEnv } from '../../contracts/image-processing-api/storage';
import type { ObjectStore } from './originals';

/**
 * API Gateway (REST, Lambda proxy integration) → image operations with sharp. This file only adapts the
 * event and the environment; the decisions live in protocol.ts, custom-args.ts, operations.ts and http.ts.
 */
const logger = new Logger({ serviceName: 'image-processing-api' });

// Every request brings new bytes, so libvips' operation cache never hits; it would only hold up to 50 MB
// that the output-pixel budget (limits.ts) counts on being free.
sharp.cache(false);

const storage = storageFromEnv(process.env);

/**
 * The S3 store, loaded on first use: the AWS SDK is most of the bundle, and a cold start that only serves
 * base64 requests should not evaluate it (esbuild keeps a dynamic import's module unevaluated until called).
 */
function lazyStore(bucket: string): ObjectStore {
  let store: Promise<ObjectStore> | undefined;
  const get = (): Promise<ObjectStore> => (store ??= import('./s3-store').then((m) => new m.S3ObjectStore(bucket)));
  return {
    uploadUrl: async (...args) => (await get()).uploadUrl(...args),
    read: async (...args) => (await get()).read(...args),
    write: async (...args) => (await get()).write(...args),
    downloadUrl: async (...args) => (await get()).downloadUrl(...args),
  };
}

const context: HttpContext = {
  limits: limitsFromEnv(process.env),
  storage: storage.bucket ? { settings: storage, store: lazyStore(storage.bucket) } : undefined,
  allowedOrigins: (process.env.ALLOWED_ORIGINS ?? '')
    .split(',')
    .map((o) => o.trim())
    .filter((o) => o.length > 0),
  log: {
    info: (message, extra) => logger.info(message, extra ?? {}),
    warn: (message, extra) => logger.warn(message, extra ?? {}),
    error: (message, extra) => logger.error(message, extra ?? {}),
  },
};

export async function handler(event: APIGatewayProxyEvent, lambdaContext?: Context): Promise<APIGatewayProxyResult> {
  const secondsLeft = lambdaContext?.getRemainingTimeInMillis ? () => lambdaContext.getRemainingTimeInMillis() / 1000 : undefined;
  return handleApiRequest(event, { ...context, secondsLeft }, lambdaContext?.awsRequestId ?? event.requestContext?.requestId ?? 'unknown');
}
