/**
 * The contract for originals and results in S3 and for cached delivery (GET through CloudFront), shared by
 * the ImageProcessingApi construct and its handler. Pure TypeScript, no imports: the handler bundle includes
 * this file.
 *
 * One bucket, two prefixes: clients upload originals under SOURCE_PREFIX through presigned PUT URLs; results
 * too large for the response (or asked for with `"deliver":"url"`) are written under OUTPUT_PREFIX and
 * answered with a presigned GET URL. The function reads only under SOURCE_PREFIX and writes only under
 * OUTPUT_PREFIX; the rights the presigned URLs carry are granted to query-string-signed requests only.
 */

/** Where originals are uploaded (keys are chosen by the server: `originals/<uuid>.<ext>`). */
export const SOURCE_PREFIX = 'originals/';
/** Where results delivered by URL are written. */
export const OUTPUT_PREFIX = 'results/';
/** First path segment of the cached GET path: `/img/<spec>/<sourceKey>`. */
export const DELIVERY_PATH = 'img';

/** Environment variables that carry the storage settings to the handler. */
export const IMAGE_API_STORAGE_ENV = {
  /** The bucket holding originals and results; without it the S3 operations answer 501. */
  bucket: 'IMAGE_BUCKET',
  /** Lifetime of an upload URL, seconds. */
  uploadUrlSeconds: 'UPLOAD_URL_SECONDS',
  /** Lifetime of a result URL, seconds. */
  resultUrlSeconds: 'RESULT_URL_SECONDS',
  /** Largest original in bytes (the upload URL binds the declared size; larger declarations get 413). */
  maxSourceBytes: 'MAX_SOURCE_BYTES',
  /** Widths the GET path may produce, comma-separated. */
  deliveryWidths: 'DELIVERY_WIDTHS',
  /** Seconds CloudFront and browsers may keep a derived image. */
  deliveryMaxAgeSeconds: 'DELIVERY_MAX_AGE_SECONDS',
} as const;

export interface StorageSettings {
  readonly bucket?: string;
  readonly uploadUrlSeconds: number;
  readonly resultUrlSeconds: number;
  readonly maxSourceBytes: number;
  readonly deliveryWidths: readonly number[];
  readonly deliveryMaxAgeSeconds: number;
}

/** A phone photo is 3–12 MB, a 50 MP camera file about 25 MB. */
export const DEFAULT_MAX_SOURCE_BYTES = 32 * 1024 * 1024;

/** The GET path's widths: a responsive-image ladder. Variants per original ≤ widths × filters × formats. */
export const DEFAULT_DELIVERY_WIDTHS: readonly number[] = [100, 200, 400, 800, 1200, 1600, 2400];

export const DEFAULT_STORAGE: StorageSettings = {
  uploadUrlSeconds: 300,
  resultUrlSeconds: 900,
  maxSourceBytes: DEFAULT_MAX_SOURCE_BYTES,
  deliveryWidths: DEFAULT_DELIVERY_WIDTHS,
  deliveryMaxAgeSeconds: 86_400,
};

/** Presigned URLs are refused by S3 once their signature is older than this (the IAM policy's s3:signatureAge). */
export const MAX_URL_SECONDS = 3600;

function positive(env: Record<string, string | undefined>, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive whole number (got '${raw}')`);
  return value;
}

/** Storage settings from the environment; malformed values fail loudly at cold start. */
export function storageFromEnv(env: Record<string, string | undefined>): StorageSettings {
  const widths = env[IMAGE_API_STORAGE_ENV.deliveryWidths];
  const deliveryWidths = widths
    ? widths.split(',').map((w) => {
      const n = Number(w.trim());
      if (!Number.isInteger(n) || n < 1) throw new Error(`${IMAGE_API_STORAGE_ENV.deliveryWidths} must list positive whole numbers (got '${widths}')`);
      return n;
    })
    : DEFAULT_STORAGE.deliveryWidths;
  return {
    bucket: env[IMAGE_API_STORAGE_ENV.bucket] || undefined,
    uploadUrlSeconds: positive(env, IMAGE_API_STORAGE_ENV.uploadUrlSeconds, DEFAULT_STORAGE.uploadUrlSeconds),
    resultUrlSeconds: positive(env, IMAGE_API_STORAGE_ENV.resultUrlSeconds, DEFAULT_STORAGE.resultUrlSeconds),
    maxSourceBytes: positive(env, IMAGE_API_STORAGE_ENV.maxSourceBytes, DEFAULT_STORAGE.maxSourceBytes),
    deliveryWidths,
    deliveryMaxAgeSeconds: positive(env, IMAGE_API_STORAGE_ENV.deliveryMaxAgeSeconds, DEFAULT_STORAGE.deliveryMaxAgeSeconds),
  };
}
