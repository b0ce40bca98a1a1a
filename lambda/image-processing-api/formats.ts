import { badRequest, describeValue, ImageApiError } from './errors';

/** The image formats the API reads and writes. */
export type ImageFormat = 'jpeg' | 'png' | 'webp' | 'gif' | 'avif' | 'tiff';

export const IMAGE_FORMATS: readonly ImageFormat[] = ['jpeg', 'png', 'webp', 'gif', 'avif', 'tiff'];

/** Every lookup of client text goes through a Map: `__proto__` or `constructor` is just an unknown name. */
const EXTENSION_ALIASES: ReadonlyMap<string, ImageFormat> = new Map([
  ['jpg', 'jpeg'],
  ['jpeg', 'jpeg'],
  ['jpe', 'jpeg'],
  ['png', 'png'],
  ['webp', 'webp'],
  ['gif', 'gif'],
  ['avif', 'avif'],
  ['tif', 'tiff'],
  ['tiff', 'tiff'],
]);

export const MIME_TYPES: Readonly<Record<ImageFormat, string>> = {
  jpeg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
  gif: 'image/gif',
  avif: 'image/avif',
  tiff: 'image/tiff',
};

const FORMAT_OF_MIME_TYPE: ReadonlyMap<string, ImageFormat> = new Map(IMAGE_FORMATS.map((f) => [MIME_TYPES[f], f]));

/**
 * The format an `inputExtension`/`outputExtension` names (`jpg`, `.PNG`, `tif`, ...), or a 400 naming
 * the field and the formats allowed.
 */
export function formatFromExtension(field: string, extension: unknown): ImageFormat {
  if (typeof extension !== 'string') throw badRequest('invalid_field', `${field} must be a string such as "png"`);
  const format = EXTENSION_ALIASES.get(extension.trim().replace(/^\./, '').toLowerCase());
  if (!format) {
    throw new ImageApiError(415, 'unsupported_format', `${field} ${describeValue(extension, 20)} is not supported; use one of ${IMAGE_FORMATS.join(', ')}`, {
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
  return FORMAT_OF_MIME_TYPE.get(mimeType.trim().toLowerCase());
}

const startsWith = (bytes: Buffer, text: string, at = 0): boolean => bytes.length >= at + text.length && bytes.toString('latin1', at, at + text.length) === text;

/**
 * The format the first bytes announce, for the six formats only; anything else (SVG, PDF, BMP, HEIC, PSD,
 * text...) is refused with a 415 before sharp sees it, so no other libvips loader (librsvg, poppler,
 * ImageMagick) ever parses client bytes. sharp reads the header afterwards and must agree.
 */
export function sniffFormat(bytes: Buffer): ImageFormat | undefined {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (startsWith(bytes, '\x89PNG\r\n\x1a\n')) return 'png';
  if (startsWith(bytes, 'GIF87a') || startsWith(bytes, 'GIF89a')) return 'gif';
  if (startsWith(bytes, 'RIFF') && startsWith(bytes, 'WEBP', 8)) return 'webp';
  if (startsWith(bytes, 'II*\0') || startsWith(bytes, 'MM\0*')) return 'tiff';
  // ISO-BMFF: box size, 'ftyp', major brand, minor version, compatible brands. AVIF must be among the
  // brands (HEIC alone is refused here; sharp's header check refuses HEVC-coded files that claim AVIF).
  if (startsWith(bytes, 'ftyp', 4)) {
    const boxEnd = Math.min(bytes.readUInt32BE(0), bytes.length, 64);
    for (let at = 8; at + 4 <= boxEnd; at += 4) {
      if (at !== 12 && (startsWith(bytes, 'avif', at) || startsWith(bytes, 'avis', at))) return 'avif';
    }
  }
  return undefined;
}
