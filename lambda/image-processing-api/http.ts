import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { describeValue, ImageApiError } from './errors';
import { formatFromMimeType, ImageFormat, MIME_TYPES } from './formats';
import { ImageLimits } from '../../contracts/image-processing-api/limits';
import { DEFAULT_RUN_OPTIONS, OperationResult, RunOptions, runOperation } from './operations';
import { ImageRequest, parseRequestBody } from './protocol';
import { deliverByUrl, grantUpload, parseUploadRequest, readSource, requireStorage, StorageContext } from './originals';
import { parseDeliveryPath } from './delivery';

/** What the HTTP adapter needs besides the event. */
export interface HttpContext {
  readonly limits: ImageLimits;
  /** Origins allowed to call the API from a browser (`*` allows any). */
  readonly allowedOrigins: readonly string[];
  /** Seconds the invocation has left, when the platform says (Lambda's context); bounds sharp's timeout. */
  readonly secondsLeft?: () => number;
  /** The image bucket (originals, results); without it the S3 operations and the GET path answer 501. */
  readonly storage?: StorageContext;
  readonly log: {
    info(message: string, extra?: Record<string, unknown>): void;
    warn(message: string, extra?: Record<string, unknown>): void;
    error(message: string, extra?: Record<string, unknown>): void;
  };
}

/** How the client wants the answer: the original's JSON string, or the image bytes. */
export interface Negotiated {
  readonly image: boolean;
  /** The image type named in Accept (e.g. image/webp), if any. */
  readonly format?: ImageFormat;
}

/** Media ranges answered with the original protocol's JSON. */
const JSON_RANGES: ReadonlySet<string> = new Set(['*/*', 'application/*', 'application/json']);

/**
 * Reads the Accept header: the highest-quality media range this API can produce wins (ties: the first
 * listed). `image/*` or a supported `image/...` type asks for raw image bytes; JSON, `application/*`,
 * `*` / `*` or no header get the original base64 JSON. `undefined` when no range names anything the API
 * can produce (e.g. only `image/bmp` or `text/html`): the caller answers 406.
 */
export function negotiate(accept: string | undefined): Negotiated | undefined {
  if (!accept || accept.trim() === '') return { image: false };
  const ranges = accept
    .split(',')
    .slice(0, 64)
    .map((part, index) => {
      const [type, ...params] = part.split(';').map((s) => s.trim().toLowerCase());
      const q = params.map((p) => /^q=([0-9.]{1,6})$/.exec(p)).find((m) => m !== null);
      return { type, q: q ? Number(q[1]) : 1, index };
    })
    .filter((r) => r.type && r.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index);
  for (const { type } of ranges) {
    if (JSON_RANGES.has(type)) return { image: false };
    if (type === 'image/*') return { image: true };
    const format = formatFromMimeType(type);
    if (format) return { image: true, format };
  }
  return undefined;
}

/** sharp's timeout for this request: the default, cut to the invocation's time left minus 2 s to answer. */
export function runOptions(context: Pick<HttpContext, 'secondsLeft'>): RunOptions {
  const left = context.secondsLeft?.();
  if (left === undefined || !Number.isFinite(left)) return DEFAULT_RUN_OPTIONS;
  return { timeoutSeconds: Math.max(1, Math.min(DEFAULT_RUN_OPTIONS.timeoutSeconds, Math.floor(left - 2))) };
}

function header(event: APIGatewayProxyEvent, name: string): string | undefined {
  const headers = event.headers ?? {};
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
  return key === undefined ? undefined : (headers[key] ?? undefined);
}

/** CORS headers for the request's Origin, when that origin is allowed. */
export function corsHeaders(origin: string | undefined, allowedOrigins: readonly string[]): Record<string, string> {
  const base = { Vary: 'Origin' };
  if (allowedOrigins.includes('*')) return { ...base, 'Access-Control-Allow-Origin': '*' };
  if (origin && allowedOrigins.includes(origin)) return { ...base, 'Access-Control-Allow-Origin': origin };
  return base;
}

const COMMON_HEADERS = { 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' };

function json(status: number, value: unknown, cors: Record<string, string>): APIGatewayProxyResult {
  return {
    statusCode: status,
    headers: { ...COMMON_HEADERS, ...cors, 'Content-Type': 'application/json' },
    body: JSON.stringify(value),
    isBase64Encoded: false,
  };
}

function errorBody(error: ImageApiError): Record<string, unknown> {
  return { error: error.code, message: error.message, ...error.details };
}

/** Whether an encoded result fits the response (as base64, in quotes). */
function fitsResponse(bytes: number, limits: ImageLimits): boolean {
  return Math.ceil(bytes / 3) * 4 + 2 <= limits.maxResponseBytes;
}

function imageResponse(result: Extract<OperationResult, { kind: 'image' }>, headers: Record<string, string>): APIGatewayProxyResult {
  return {
    statusCode: 200,
    headers: {
      ...headers,
      'Content-Type': MIME_TYPES[result.format],
      'X-Image-Width': String(result.width),
      'X-Image-Height': String(result.height),
    },
    body: result.data.toString('base64'),
    isBase64Encoded: true,
  };
}

function tooLarge(result: Extract<OperationResult, { kind: 'image' }>, limits: ImageLimits, hint: string): ImageApiError {
  // Lambda refuses responses above 6 MB; say so clearly instead of letting API Gateway answer 502.
  return new ImageApiError(
    413,
    'response_too_large',
    `The result is ${result.data.length} bytes, too large to return (limit ${limits.maxResponseBytes} bytes as base64); ${hint}`,
  );
}

function respond(result: OperationResult, wanted: Negotiated, limits: ImageLimits, cors: Record<string, string>): APIGatewayProxyResult {
  if (result.kind === 'text') return json(200, result.value, cors);
  if (!fitsResponse(result.data.length, limits)) {
    throw tooLarge(result, limits, 'ask for a smaller width, a compressed format such as jpeg or webp, or "deliver":"url"');
  }
  if (wanted.image) return imageResponse(result, { ...COMMON_HEADERS, ...cors });
  const base64 = result.data.toString('base64');
  // Base64 needs no JSON escaping: quoting it is JSON.stringify without a second pass over megabytes.
  return { ...json(200, '', cors), body: `"${base64}"` };
}

function refusal(error: unknown, context: HttpContext, cors: Record<string, string>, requestId: string, operation?: string): APIGatewayProxyResult {
  if (error instanceof ImageApiError) {
    context.log.warn('request refused', { operation, status: error.status, code: error.code, reason: error.message });
    return json(error.status, errorBody(error), cors);
  }
  // Never return internals (stack, paths, library messages) to the client; the log has them.
  context.log.error('internal error', { operation, error: error instanceof Error ? { name: error.name, message: error.message, stack: error.stack } : String(error) });
  return json(500, { error: 'internal_error', message: `Internal error; quote request id ${requestId} when reporting it` }, cors);
}

/** The original's bytes for a `sourceKey` request, read from S3 within `maxSourceBytes`. */
async function withSource(request: ImageRequest, storage: StorageContext | undefined): Promise<ImageRequest> {
  if (!request.sourceKey) return request;
  const store = requireStorage(storage, 'sourceKey');
  return { ...request, image: await readSource(request.sourceKey, store, store.settings.maxSourceBytes) };
}

/**
 * GET /img/<spec>/<key>: the derived image's bytes with cache headers (CloudFront keeps them, so a repeat
 * never reaches the function). Errors are not cached.
 */
async function handleDelivery(event: APIGatewayProxyEvent, context: HttpContext, cors: Record<string, string>, requestId: string): Promise<APIGatewayProxyResult> {
  const started = Date.now();
  try {
    const storage = requireStorage(context.storage, 'The GET path');
    const path = event.pathParameters?.proxy !== undefined ? `/img/${event.pathParameters.proxy}` : event.path;
    const parsed = parseDeliveryPath(path ?? '', storage.settings.deliveryWidths);
    if (!parsed) throw new ImageApiError(404, 'not_found', `GET serves /img/<spec>/<key> only; POST the JSON protocol to the API's root`);
    const request = await withSource(parsed.request, storage);
    const result = await runOperation(request, context.limits, runOptions(context));
    if (result.kind !== 'image') throw new Error('delivery produced no image');
    if (!fitsResponse(result.data.length, context.limits)) throw tooLarge(result, context.limits, 'choose a smaller width from the list');
    context.log.info('image delivered', { spec: path, status: 200, ms: Date.now() - started, outputBytes: result.data.length });
    return imageResponse(result, {
      'X-Content-Type-Options': 'nosniff',
      ...cors,
      'Cache-Control': `public, max-age=${storage.settings.deliveryMaxAgeSeconds}, immutable`,
    });
  } catch (error) {
    return refusal(error, context, cors, requestId, 'deliver');
  }
}

/**
 * Handles one API Gateway (REST, proxy integration) request: OPTIONS preflight, POST of the original
 * JSON protocol; 4xx JSON for every client error, 500 without internals for anything else.
 */
export async function handleApiRequest(event: APIGatewayProxyEvent, context: HttpContext, requestId = 'local'): Promise<APIGatewayProxyResult> {
  const cors = corsHeaders(header(event, 'origin'), context.allowedOrigins);
  const started = Date.now();
  if (event.httpMethod === 'OPTIONS') {
    return {
      statusCode: 204,
      headers: {
        ...cors,
        'Access-Control-Allow-Methods': 'OPTIONS,GET,POST',
        'Access-Control-Allow-Headers': 'Content-Type,Accept,Authorization,X-Api-Key,X-Amz-Date,X-Amz-Security-Token',
        'Access-Control-Max-Age': '600',
      },
      body: '',
    };
  }
  if (event.httpMethod === 'GET' && (event.pathParameters?.proxy !== undefined || (event.path ?? '').startsWith('/img/'))) {
    return handleDelivery(event, context, cors, requestId);
  }
  let operation: string | undefined;
  try {
    if (event.httpMethod !== 'POST') {
      throw new ImageApiError(405, 'method_not_allowed', `Use POST with a JSON body, or GET /img/<spec>/<key> (got ${event.httpMethod})`);
    }
    const contentType = header(event, 'content-type') ?? '';
    if (/^\s*image\//i.test(contentType)) {
      throw new ImageApiError(
        415,
        'unsupported_media_type',
        `Raw ${contentType.split(';')[0].trim()} uploads are not accepted: POST JSON {"operation": ..., "base64Image": ...} with Content-Type application/json`,
      );
    }
    const raw = event.body ?? '';
    if (raw.length > context.limits.maxRequestBytes * (event.isBase64Encoded ? 4 / 3 : 1) + 4) {
      throw new ImageApiError(413, 'request_too_large', `The request body has ${raw.length} bytes; at most ${context.limits.maxRequestBytes} are accepted`);
    }
    const body = event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;
    const request: ImageRequest = parseRequestBody(body, context.limits);
    operation = request.operation;
    const accept = header(event, 'accept');
    const wanted = negotiate(accept);
    if (!wanted) {
      throw new ImageApiError(
        406,
        'not_acceptable',
        `Accept ${describeValue(accept, 80)} names nothing this API produces; accept application/json (base64 in JSON), image/* or one of ${Object.values(MIME_TYPES).join(', ')}`,
      );
    }
    if (request.operation === 'getUploadUrl') {
      const storage = requireStorage(context.storage, 'getUploadUrl');
      const grant = await grantUpload(parseUploadRequest(request.contentType, request.contentLength, storage.settings.maxSourceBytes), storage);
      context.log.info('upload granted', { operation, status: 200, ms: Date.now() - started, key: grant.key });
      return json(200, grant, cors);
    }
    const resolved = await withSource(wanted.format && !request.outputFormat ? { ...request, outputFormat: wanted.format } : request, context.storage);
    const result = await runOperation(resolved, context.limits, runOptions(context));
    const byUrl = result.kind === 'image' && (request.deliver === 'url' || (context.storage !== undefined && !fitsResponse(result.data.length, context.limits)));
    const response =
      byUrl && result.kind === 'image' ? json(200, await deliverByUrl(result, requireStorage(context.storage, '"deliver":"url"')), cors) : respond(result, wanted, context.limits, cors);
    context.log.info('request served', {
      operation,
      status: 200,
      ms: Date.now() - started,
      inputBytes: resolved.image?.length,
      sourceKey: request.sourceKey,
      deliveredByUrl: byUrl,
      ...(result.kind === 'image' ? { outputBytes: result.data.length, format: result.format, width: result.width, height: result.height } : {}),
    });
    return response;
  } catch (error) {
    return refusal(error, context, cors, requestId, operation);
  }
}
