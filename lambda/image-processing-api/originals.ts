import { randomUUID } from 'crypto';
import { badRequest, describeValue, ImageApiError } from './errors';
import { formatFromMimeType, IMAGE_FORMATS, ImageFormat, MIME_TYPES } from './formats';
import { OUTPUT_PREFIX, SOURCE_PREFIX, StorageSettings } from '../../contracts/image-processing-api/storage';

/**
 * Originals of any size through S3: the decisions (which key, which content type and size, which key a
 * client may name) as pure functions, and the S3 calls behind the small ObjectStore interface.
 */

/** The S3 operations the handler needs; `s3-store.ts` implements them with the AWS SDK. */
export interface ObjectStore {
  /** A presigned PUT for exactly `contentLength` bytes of `contentType`, refused by S3 if the key exists. */
  uploadUrl(key: string, contentType: string, contentLength: number, expiresInSeconds: number): Promise<string>;
  /** The object's bytes; `undefined` when there is no such key. Refuses (413) an object above `maxBytes`. */
  read(key: string, maxBytes: number): Promise<Buffer | undefined>;
  write(key: string, bytes: Buffer, contentType: string): Promise<void>;
  /** A presigned GET. */
  downloadUrl(key: string, expiresInSeconds: number, fileName: string): Promise<string>;
}

/** What the handler needs for the S3 path: the settings and the store (absent: the construct gave no bucket). */
export interface StorageContext {
  readonly settings: StorageSettings;
  readonly store: ObjectStore;
}

const EXTENSIONS: Readonly<Record<ImageFormat, string>> = { jpeg: 'jpg', png: 'png', webp: 'webp', gif: 'gif', avif: 'avif', tiff: 'tif' };
const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const SOURCE_KEY = new RegExp(`^${SOURCE_PREFIX}${UUID}\\.(${Object.values(EXTENSIONS).join('|')})$`);

export const extensionOf = (format: ImageFormat): string => EXTENSIONS[format];

/** A fresh key under the source prefix; the client never chooses it. */
export function newSourceKey(format: ImageFormat): string {
  return `${SOURCE_PREFIX}${randomUUID()}.${EXTENSIONS[format]}`;
}

/** A fresh key under the output prefix. */
export function newResultKey(format: ImageFormat): string {
  return `${OUTPUT_PREFIX}${randomUUID()}.${EXTENSIONS[format]}`;
}

/**
 * Checks a client-supplied `sourceKey`: only keys this API hands out (`originals/<uuid>.<ext>`) are read, so
 * `..`, other prefixes (results, the site, anything else in the bucket), encoded tricks and made-up names are
 * all refused before S3 is asked.
 */
export function parseSourceKey(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) throw badRequest('invalid_source_key', 'sourceKey must be the "key" string getUploadUrl returned');
  if (value.length > 200) throw badRequest('invalid_source_key', `sourceKey has ${value.length} characters; keys from getUploadUrl have about 50`);
  if (value.split(/[/\\]/).some((part) => part === '..' || part === '.') || /%2e|%2f|%5c/i.test(value)) {
    throw badRequest('invalid_source_key', `sourceKey ${describeValue(value, 60)} contains a relative path segment; use the key getUploadUrl returned`);
  }
  if (!value.startsWith(SOURCE_PREFIX)) {
    throw new ImageApiError(403, 'source_key_forbidden', `sourceKey ${describeValue(value, 60)} is outside ${SOURCE_PREFIX}; only uploaded originals can be read`);
  }
  if (!SOURCE_KEY.test(value)) {
    throw badRequest('invalid_source_key', `sourceKey ${describeValue(value, 60)} is not a key getUploadUrl hands out (${SOURCE_PREFIX}<uuid>.<ext>)`);
  }
  return value;
}

/** A validated `getUploadUrl` request. */
export interface UploadRequest {
  readonly contentType: string;
  readonly format: ImageFormat;
  readonly contentLength: number;
}

/** Checks the declared content type and size of an upload against the formats and `maxSourceBytes`. */
export function parseUploadRequest(contentType: unknown, contentLength: unknown, maxSourceBytes: number): UploadRequest {
  const format = typeof contentType === 'string' ? formatFromMimeType(contentType) : undefined;
  if (!format) {
    throw new ImageApiError(
      415,
      'unsupported_format',
      `contentType ${describeValue(contentType, 40)} is not accepted; use one of ${IMAGE_FORMATS.map((f) => MIME_TYPES[f]).join(', ')}`,
      { field: 'contentType' },
    );
  }
  if (typeof contentLength !== 'number' || !Number.isSafeInteger(contentLength) || contentLength < 1) {
    throw badRequest('invalid_content_length', `contentLength must be the file's size in bytes, a whole number ≥ 1 (got ${describeValue(contentLength, 20)})`, {
      field: 'contentLength',
    });
  }
  if (contentLength > maxSourceBytes) {
    throw new ImageApiError(413, 'image_too_large', `contentLength ${contentLength} is above the ${maxSourceBytes} bytes an original may have (maxSourceSize)`, {
      limit: 'maxSourceBytes',
      maxSourceBytes,
    });
  }
  return { contentType: MIME_TYPES[format], format, contentLength };
}

/** The answer to `getUploadUrl`: the URL, the key to pass as `sourceKey`, and how to PUT. */
export interface UploadGrant {
  readonly uploadUrl: string;
  readonly key: string;
  readonly expiresAt: string;
  readonly method: 'PUT';
  /** Headers the PUT must carry exactly: they are part of the signature. */
  readonly headers: Record<string, string>;
}

export async function grantUpload(request: UploadRequest, storage: StorageContext, now = Date.now()): Promise<UploadGrant> {
  const key = newSourceKey(request.format);
  const seconds = storage.settings.uploadUrlSeconds;
  const uploadUrl = await storage.store.uploadUrl(key, request.contentType, request.contentLength, seconds);
  return {
    uploadUrl,
    key,
    expiresAt: new Date(now + seconds * 1000).toISOString(),
    method: 'PUT',
    headers: { 'Content-Type': request.contentType, 'If-None-Match': '*' },
  };
}

/** Reads an original, or answers 404 naming the likely cause. */
export async function readSource(key: string, storage: StorageContext, maxBytes: number): Promise<Buffer> {
  const bytes = await storage.store.read(key, maxBytes);
  if (!bytes) {
    throw new ImageApiError(404, 'no_such_source', `There is no original at ${key}: PUT the file to the uploadUrl first (originals expire after a day)`);
  }
  return bytes;
}

/** The answer to a request delivered by URL. */
export interface DeliveredResult {
  readonly resultUrl: string;
  readonly expiresAt: string;
  readonly width: number;
  readonly height: number;
  readonly bytes: number;
  readonly contentType: string;
}

export async function deliverByUrl(
  result: { data: Buffer; format: ImageFormat; width: number; height: number },
  storage: StorageContext,
  now = Date.now(),
): Promise<DeliveredResult> {
  const key = newResultKey(result.format);
  await storage.store.write(key, result.data, MIME_TYPES[result.format]);
  const seconds = storage.settings.resultUrlSeconds;
  const resultUrl = await storage.store.downloadUrl(key, seconds, `result-${result.width}x${result.height}.${EXTENSIONS[result.format]}`);
  return {
    resultUrl,
    expiresAt: new Date(now + seconds * 1000).toISOString(),
    width: result.width,
    height: result.height,
    bytes: result.data.length,
    contentType: MIME_TYPES[result.format],
  };
}

/** Without a bucket (a handler run outside the construct), the S3 operations are refused clearly. */
export function requireStorage(storage: StorageContext | undefined, what: string): StorageContext {
  if (!storage) throw new ImageApiError(501, 'storage_not_configured', `${what} needs the image bucket; this deployment has none (IMAGE_BUCKET is not set)`);
  return storage;
}
