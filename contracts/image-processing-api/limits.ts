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
}

export const DEFAULT_LIMITS: ImageLimits = {
  maxRequestBytes: 6 * 1000 * 1000 - 64 * 1024,
  maxInputBytes: 4 * 1024 * 1024,
  maxInputPixels: 40_000_000,
  maxOutputDimension: 8192,
  maxResponseBytes: 6 * 1000 * 1000 - 16 * 1024,
};

/** Environment variable per limit, as the construct sets them. */
export const LIMIT_ENV: Record<keyof ImageLimits, string> = {
  maxRequestBytes: 'MAX_REQUEST_BYTES',
  maxInputBytes: 'MAX_INPUT_BYTES',
  maxInputPixels: 'MAX_INPUT_PIXELS',
  maxOutputDimension: 'MAX_OUTPUT_DIMENSION',
  maxResponseBytes: 'MAX_RESPONSE_BYTES',
};

/** Limits from the environment; a malformed value fails loudly at cold start instead of being ignored. */
export function limitsFromEnv(env: Record<string, string | undefined>): ImageLimits {
  const limits: Record<string, number> = { ...DEFAULT_LIMITS };
  for (const [key, name] of Object.entries(LIMIT_ENV)) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive whole number (got '${raw}')`);
    limits[key] = value;
  }
  return limits as unknown as ImageLimits;
}
