import { randomBytes } from 'crypto';
import { badRequest, describeValue, ImageApiError } from './errors';
import { formatFromExtension, ImageFormat } from './formats';
import { ImageLimits, Operation, OPERATIONS } from '../../contracts/image-processing-api/limits';
import { parseSourceKey } from './originals';

/**
 * The original service's protocol: POST a JSON object
 * `{ operation, base64Image, inputExtension, outputExtension, width, height, customArgs }`.
 */
export { OPERATIONS };
export type { Operation };

const NEEDS_IMAGE: ReadonlySet<Operation> = new Set(['getDimensions', 'identify', 'resize', 'thumbnail', 'convert']);

/** A request after validation: the image decoded, extensions resolved to formats, sizes checked. */
export interface ImageRequest {
  readonly operation: Operation;
  readonly image?: Buffer;
  /** What the client says the input is; checked against the bytes later. */
  readonly inputFormat?: ImageFormat;
  readonly outputFormat?: ImageFormat;
  readonly width?: number;
  readonly height?: number;
  /** Raw `customArgs`, parsed by `parseCustomArgs` for `convert`. */
  readonly customArgs?: unknown;
  /** The original in S3 (a key getUploadUrl handed out), instead of `base64Image`. */
  readonly sourceKey?: string;
  /** `url`: write the result to S3 and answer a presigned GET; `inline` (default): base64 unless too large. */
  readonly deliver?: 'inline' | 'url';
  /** getUploadUrl: what the client will PUT. */
  readonly contentType?: unknown;
  readonly contentLength?: unknown;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const BASE64_URL = /^[A-Za-z0-9_-]*={0,2}$/;
const DATA_URL_PREFIX = /^data:[\w.+-]+\/[\w.+-]+;base64,/i;

/** Bytes that `chars` base64 characters (without padding) decode to. */
function decodedLength(chars: number): number {
  return Math.floor((chars * 3) / 4);
}

/**
 * Strictly decodes base64 (standard or URL-safe, whitespace ignored, a `data:` URL prefix allowed).
 * Fast path for megabytes of clean base64: Node's decoder skips characters outside the alphabet, so a
 * decoded length equal to what the text's length predicts proves every character was valid (a regex over
 * 5 MB costs ~100 ms). Anything else takes the slow path, which says precisely what is wrong.
 */
export function decodeBase64Image(value: unknown, maxBytes: number): Buffer {
  if (typeof value !== 'string') throw badRequest('invalid_base64', 'base64Image must be a base64 string');
  let text = value.startsWith('data:') ? value.replace(DATA_URL_PREFIX, '') : value;
  if (text.length === 0) throw badRequest('invalid_base64', 'base64Image is empty');
  const estimated = decodedLength(text.length);
  if (estimated > maxBytes + 2) {
    throw new ImageApiError(413, 'image_too_large', `The image is about ${estimated} bytes; at most ${maxBytes} bytes are accepted`);
  }
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const fast = Buffer.from(text, 'base64');
  if (text.length % 4 !== 1 && fast.length === decodedLength(text.length - padding) && !text.slice(0, -2).includes('=')) return fast;
  text = text.replace(/\s+/g, '');
  if (text.length === 0 || (!BASE64.test(text) && !BASE64_URL.test(text)) || text.length % 4 === 1) {
    throw badRequest('invalid_base64', 'base64Image is not valid base64');
  }
  return Buffer.from(text, BASE64.test(text) ? 'base64' : 'base64url');
}

function dimension(field: string, value: unknown, max: number): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const n = typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > max) {
    throw badRequest('invalid_dimension', `${field} must be a whole number from 1 to ${max} (got ${describeValue(value, 20)})`, { field });
  }
  return n;
}

/** Replaces the base64 value while the rest is parsed; random per process, so no client can send it. */
const SENTINEL = `\u0000base64Image-${randomBytes(12).toString('hex')}`;
/** The sentinel as JSON string content (its NUL escaped). */
const SENTINEL_JSON = JSON.stringify(SENTINEL).slice(1, -1);
const BASE64_FIELD = /"base64Image"\s*:\s*"/;
/** Below this, parsing the whole body costs next to nothing. */
const FAST_PATH_MIN_CHARS = 64 * 1024;

/**
 * JSON.parse of a body carrying megabytes of base64 is the largest fixed cost of a request after the image
 * work itself (V8 scans and copies the whole string: ~10 ms per 6 MB on a quiet machine, 30 under load). The
 * base64 value needs no JSON decoding when it has no backslash, so it is cut out and the small rest parsed. The
 * cut is taken only when the parsed top-level `base64Image` is the sentinel put in its place (so a nested or
 * duplicated key falls back to the full parse, which then decides as JSON.parse always did).
 */
export function parseJson(body: string): unknown {
  if (body.length >= FAST_PATH_MIN_CHARS) {
    const match = BASE64_FIELD.exec(body);
    if (match) {
      const start = match.index + match[0].length;
      const end = body.indexOf('"', start);
      if (end > start && body.lastIndexOf('\\', end) < start) {
        try {
          const rest = JSON.parse(`${body.slice(0, start)}${SENTINEL_JSON}${body.slice(end)}`) as unknown;
          if (typeof rest === 'object' && rest !== null && !Array.isArray(rest) && Object.hasOwn(rest, 'base64Image') && (rest as Record<string, unknown>).base64Image === SENTINEL) {
            (rest as Record<string, unknown>).base64Image = body.slice(start, end);
            return rest;
          }
        } catch {
          // Not valid JSON with the value cut out: the full parse below says so.
        }
      }
    }
  }
  return JSON.parse(body);
}

/** Validates one HTTP request body against the protocol and the limits. */
export function parseRequestBody(body: string | null | undefined, limits: ImageLimits): ImageRequest {
  if (body === undefined || body === null || body.length === 0) {
    throw badRequest('missing_body', 'POST a JSON object such as {"operation":"ping"}');
  }
  if (body.length > limits.maxRequestBytes) {
    throw new ImageApiError(413, 'request_too_large', `The request body has ${body.length} bytes; at most ${limits.maxRequestBytes} are accepted`);
  }
  let parsed: unknown;
  try {
    parsed = parseJson(body);
  } catch {
    throw badRequest('invalid_json', 'The request body is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw badRequest('invalid_json', 'The request body must be a JSON object such as {"operation":"ping"}');
  }
  // Only the object's own fields count: a name inherited from Object.prototype is not a field.
  const own = parsed as Record<string, unknown>;
  const field = (name: string): unknown => (Object.hasOwn(own, name) ? own[name] : undefined);
  const operation = field('operation');
  if (typeof operation !== 'string' || !(OPERATIONS as readonly string[]).includes(operation)) {
    throw badRequest(
      'unknown_operation',
      operation === undefined
        ? `The request has no "operation"; use one of ${OPERATIONS.join(', ')}`
        : `Unknown operation ${describeValue(operation)}; use one of ${OPERATIONS.join(', ')}`,
    );
  }
  const op = operation as Operation;
  const given = (name: string): boolean => field(name) !== undefined && field(name) !== null && field(name) !== '';
  if (NEEDS_IMAGE.has(op) && !given('base64Image') && !given('sourceKey')) {
    throw badRequest('missing_image', `Invalid ${op} request: no "base64Image" field supplied (or "sourceKey" from getUploadUrl)`);
  }
  if (given('base64Image') && given('sourceKey')) {
    throw badRequest('ambiguous_image', 'Give either "base64Image" or "sourceKey", not both');
  }
  const deliver = field('deliver');
  if (deliver !== undefined && deliver !== 'url' && deliver !== 'inline') {
    throw badRequest('invalid_field', `deliver must be "url" or "inline" (got ${describeValue(deliver, 20)})`, { field: 'deliver' });
  }
  const fromS3 = NEEDS_IMAGE.has(op) && given('sourceKey');
  return {
    operation: op,
    image: NEEDS_IMAGE.has(op) && !fromS3 ? decodeBase64Image(field('base64Image'), limits.maxInputBytes) : undefined,
    sourceKey: fromS3 ? parseSourceKey(field('sourceKey')) : undefined,
    deliver: deliver as ImageRequest['deliver'],
    contentType: field('contentType'),
    contentLength: field('contentLength'),
    inputFormat: field('inputExtension') ? formatFromExtension('inputExtension', field('inputExtension')) : undefined,
    outputFormat: field('outputExtension') ? formatFromExtension('outputExtension', field('outputExtension')) : undefined,
    width: dimension('width', field('width'), limits.maxOutputDimension),
    height: dimension('height', field('height'), limits.maxOutputDimension),
    customArgs: field('customArgs'),
  };
}
