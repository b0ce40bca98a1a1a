import { badRequest, ImageApiError } from './errors';

/** The image formats the API reads and writes. */
export type ImageFormat = 'jpeg' | 'png' | 'webp' | 'gif' | 'avif' | 'tiff';

export const IMAGE_FORMATS: readonly ImageFormat[] = ['jpeg', 'png', 'webp', 'gif', 'avif', 'tiff'];

const EXTENSION_ALIASES: Record<string, ImageFormat> = {
  jpg: 'jpeg',
  jpeg: 'jpeg',
  jpe: 'jpeg',
  png: 'png',
  webp: 'webp',
  gif: 'gif',
  avif: 'avif',
  tif: 'tiff',
  tiff: 'tiff',
};

export const MIME_TYPES: Record<ImageFormat, string> = {
  jpeg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
  gif: 'image/gif',
  avif: 'image/avif',
  tiff: 'image/tiff',
};

/**
 * The format an `inputExtension`/`outputExtension` names (`jpg`, `.PNG`, `tif`, ...), or a 400 naming
 * the field and the formats allowed.
 */
export function formatFromExtension(field: string, extension: unknown): ImageFormat {
  if (typeof extension !== 'string') throw badRequest('invalid_field', `${field} must be a string such as "png"`);
  const format = EXTENSION_ALIASES[extension.trim().replace(/^\./, '').toLowerCase()];
  if (!format) {
    throw new ImageApiError(415, 'unsupported_format', `${field} '${extension.slice(0, 20)}' is not supported; use one of ${IMAGE_FORMATS.join(', ')}`, {
      field,
    });
  }
  return format;
}

/**
 * The real format of an input from what sharp read in its header (never from the client's extension).
 * sharp reports AVIF as `heif` with `av1` compression; HEIC (HEVC) and everything else is refused.
 */
export function detectedFormat(metadata: { format?: string; compression?: string }): ImageFormat {
  const format = metadata.format;
  if (format === 'heif' && metadata.compression === 'av1') return 'avif';
  if (format && (IMAGE_FORMATS as readonly string[]).includes(format)) return format as ImageFormat;
  throw new ImageApiError(
    415,
    'unsupported_format',
    `The image is ${format ? `'${format}${metadata.compression ? `/${metadata.compression}` : ''}'` : 'of an unknown format'}; supported formats: ${IMAGE_FORMATS.join(', ')}`,
  );
}

/** The output format a client asked for in an `Accept` header (`image/webp`), if it named exactly one supported type. */
export function formatFromMimeType(mimeType: string): ImageFormat | undefined {
  const wanted = mimeType.trim().toLowerCase();
  return IMAGE_FORMATS.find((f) => MIME_TYPES[f] === wanted);
}
