/**
 * The contract between the ImageProcessingApi construct and its handler (lambda/image-processing-api): the
 * protocol's operations (the API Gateway request model's enum), the limits the handler enforces and the
 * environment variables that carry them. Both sides import this file; change it in one place.
 *
 * Pure TypeScript, no imports: the handler bundle includes this file.
 */

/** Operations of the original protocol, and `getUploadUrl` (a presigned PUT for an original of any size). */
export const OPERATIONS = ['ping', 'getDimensions', 'identify', 'resize', 'thumbnail', 'convert', 'getSample', 'getUploadUrl'] as const;
export type Operation = (typeof OPERATIONS)[number];

/** Operations of the original protocol, as the API Gateway request model's enum. */
export const IMAGE_API_OPERATIONS: string[] = [...OPERATIONS];

/** Lambda's synchronous invocation payload limit (request and response), in bytes. */
export const LAMBDA_PAYLOAD_LIMIT_BYTES = 6 * 1000 * 1000;

/** Room left in the 6 MB Lambda event for headers and the request context around the JSON body. */
export const EVENT_ENVELOPE_BYTES = 64 * 1024;

/** Room left in the 6 MB Lambda response for the status, headers and JSON around the body. */
const RESPONSE_ENVELOPE_BYTES = 16 * 1024;

/**
 * The limits the handler enforces. The construct passes them as environment variables; the defaults fit
 * inside Lambda's 6 MB synchronous payload limit (API Gateway's own limit is 10 MB).
 */
export interface ImageLimits {
  /** Largest request body (characters of the HTTP body as API Gateway delivers it). */
  readonly maxRequestBytes: number;
  /** Largest decoded input image in bytes. */
  readonly maxInputBytes: number;
  /** Largest input in pixels (width × height × frames), checked from the header before decoding. */
  readonly maxInputPixels: number;
  /** Largest width or height of an output image. */
  readonly maxOutputDimension: number;
  /** Largest response body in bytes (base64 included): Lambda refuses a response above 6 MB. */
  readonly maxResponseBytes: number;
  /**
   * Largest image, in pixels, that any step of an operation may produce (a 90° turn, an enlargement, a
   * rotation's bounding box). Checked from the input's header before decoding, so a request that would
   * exhaust the function's memory is refused instead of killing the sandbox.
   */
  readonly maxOutputPixels: number;
}

/** Function memory assumed when Lambda does not say (local runs): the construct's default. */
export const DEFAULT_MEMORY_MIB = 1536;
/** Memory kept for Node, the request and response buffers and sharp's cache. */
const RESERVED_MIB = 256;
/**
 * Peak bytes per output pixel: a 4-band float image (recomb works in float) plus its 8-bit copy and the
 * input region libvips keeps for a rotation.
 */
const BYTES_PER_OUTPUT_PIXEL = 24;

/** The output-pixel budget that fits a function of `memoryMiB` (≈ 56 MP at 1536 MiB, 11 MP at 512 MiB). */
export function outputPixelsFor(memoryMiB: number): number {
  return Math.floor((Math.max(memoryMiB - RESERVED_MIB, 128) * 1024 * 1024) / BYTES_PER_OUTPUT_PIXEL);
}

export const DEFAULT_LIMITS: ImageLimits = {
  maxRequestBytes: LAMBDA_PAYLOAD_LIMIT_BYTES - EVENT_ENVELOPE_BYTES,
  /** Its base64 (×4/3) plus the event's envelope stays below 6 MB. */
  maxInputBytes: 4 * 1024 * 1024,
  maxInputPixels: 40_000_000,
  maxOutputDimension: 8192,
  maxResponseBytes: LAMBDA_PAYLOAD_LIMIT_BYTES - RESPONSE_ENVELOPE_BYTES,
  maxOutputPixels: outputPixelsFor(DEFAULT_MEMORY_MIB),
};

/** Environment variable per limit, as the construct sets them. */
export const IMAGE_API_LIMIT_ENV: Record<keyof ImageLimits, string> = {
  maxRequestBytes: 'MAX_REQUEST_BYTES',
  maxInputBytes: 'MAX_INPUT_BYTES',
  maxInputPixels: 'MAX_INPUT_PIXELS',
  maxOutputDimension: 'MAX_OUTPUT_DIMENSION',
  maxResponseBytes: 'MAX_RESPONSE_BYTES',
  maxOutputPixels: 'MAX_OUTPUT_PIXELS',
};

/** Characters of base64 for `bytes` bytes. */
export function base64Length(bytes: number): number {
  return Math.ceil(bytes / 3) * 4;
}

/** Set by Lambda itself: the function's memory in MiB. */
const LAMBDA_MEMORY_ENV = 'AWS_LAMBDA_FUNCTION_MEMORY_SIZE';

/**
 * Limits from the environment; a malformed value fails loudly at cold start instead of being ignored.
 * Without MAX_OUTPUT_PIXELS the output-pixel budget is fitted to the memory Lambda reports.
 */
export function limitsFromEnv(env: Record<string, string | undefined>): ImageLimits {
  const memory = Number(env[LAMBDA_MEMORY_ENV]);
  const limits: Record<string, number> = { ...DEFAULT_LIMITS, ...(memory > 0 ? { maxOutputPixels: outputPixelsFor(memory) } : {}) };
  for (const [key, name] of Object.entries(IMAGE_API_LIMIT_ENV)) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive whole number (got '${raw}')`);
    limits[key] = value;
  }
  return limits as unknown as ImageLimits;
}
