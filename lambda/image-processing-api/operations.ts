import sharp, { Matrix3x3, Metadata, OutputInfo, Sharp, SharpOptions } from 'sharp';
import { ConvertPlan, Filter, parseCustomArgs } from './custom-args';
import { ImageApiError } from './errors';
import { detectedFormat, IMAGE_FORMATS, ImageFormat } from './formats';
import { ImageLimits } from '../../contracts/image-processing-api/limits';
import { ImageRequest } from './protocol';
import { SAMPLE_SVG } from './sample';

/** What an operation produced: a string (`pong`, `640x480`, an identify line) or an encoded image. */
export type OperationResult =
  | { readonly kind: 'text'; readonly value: string }
  | { readonly kind: 'image'; readonly data: Buffer; readonly format: ImageFormat; readonly width: number; readonly height: number };

/** The original service resized to 100 px wide when neither width nor height was given. */
export const DEFAULT_THUMBNAIL_WIDTH = 100;
/** Quality used when the request gives no `-quality`. */
export const DEFAULT_QUALITY = 80;

/** An error raised by libvips while reading the client's bytes: the client's fault, not ours. */
function unreadable(error: unknown): ImageApiError {
  const message = error instanceof Error ? error.message.split('\n')[0].slice(0, 200) : 'unknown decoder error';
  if (/pixel limit/i.test(message)) {
    return new ImageApiError(413, 'too_many_pixels', `The image has more pixels than allowed (${message})`);
  }
  if (/unsupported image format/i.test(message)) {
    return new ImageApiError(415, 'unsupported_format', `The bytes are not an image in a supported format (${IMAGE_FORMATS.join(', ')})`);
  }
  return new ImageApiError(422, 'unreadable_image', `The image could not be decoded: ${message}`);
}

/** Runs `fn`, turning libvips/sharp errors about the input into a 4xx; programming errors stay 500s. */
async function decoding<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof ImageApiError || error instanceof TypeError || error instanceof RangeError || error instanceof ReferenceError) throw error;
    throw unreadable(error);
  }
}

interface Input {
  readonly image: Buffer;
  readonly format: ImageFormat;
  readonly metadata: Metadata;
  /** Width and height as displayed, after the EXIF orientation is applied. */
  readonly width: number;
  readonly height: number;
}

function sharpOptions(limits: ImageLimits): SharpOptions {
  // autoOrient: apply the EXIF orientation first, as a viewer would; failOn 'error': refuse broken files
  // rather than returning half-decoded images; animated: false: only the first frame of a GIF/WebP.
  return { limitInputPixels: limits.maxInputPixels, autoOrient: true, failOn: 'error', animated: false };
}

/**
 * Reads the header only: real format (from the bytes, never the extension), dimensions and the pixel
 * count, so a decompression bomb is refused before a single pixel is decoded.
 */
export async function inspectInput(request: ImageRequest, limits: ImageLimits): Promise<Input> {
  const image = request.image;
  if (!image || image.length === 0) throw new ImageApiError(400, 'missing_image', 'The request has no image');
  const metadata = await decoding(() => sharp(image, { limitInputPixels: false }).metadata());
  const format = detectedFormat(metadata);
  if (request.inputFormat && request.inputFormat !== format) {
    throw new ImageApiError(
      415,
      'format_mismatch',
      `inputExtension says '${request.inputFormat}' but the image is '${format}'; send the right extension or omit inputExtension (the format is read from the bytes)`,
      { declared: request.inputFormat, detected: format },
    );
  }
  const width = metadata.autoOrient?.width ?? metadata.width ?? 0;
  const height = metadata.autoOrient?.height ?? metadata.height ?? 0;
  if (width * height > limits.maxInputPixels) {
    throw new ImageApiError(
      413,
      'too_many_pixels',
      `The image is ${width}x${height} (${width * height} pixels); at most ${limits.maxInputPixels} pixels are accepted`,
      { width, height },
    );
  }
  return { image, format, metadata, width, height };
}

function checkOutputSize(width: number, height: number, limits: ImageLimits): void {
  if (width > limits.maxOutputDimension || height > limits.maxOutputDimension) {
    throw new ImageApiError(
      422,
      'output_too_large',
      `The result would be ${width}x${height}; at most ${limits.maxOutputDimension} pixels wide and high are allowed`,
      { width, height },
    );
  }
}

function encode(pipeline: Sharp, format: ImageFormat, quality: number | undefined, hasAlpha: boolean): Sharp {
  const q = quality ?? DEFAULT_QUALITY;
  switch (format) {
    case 'jpeg':
      // JPEG has no alpha: transparent areas become white, as a browser shows them on a page.
      return (hasAlpha ? pipeline.flatten({ background: '#ffffff' }) : pipeline).jpeg({ quality: q });
    case 'png':
      return pipeline.png({ compressionLevel: 6 });
    case 'webp':
      return pipeline.webp({ quality: q });
    case 'gif':
      return pipeline.gif();
    case 'avif':
      return pipeline.avif({ quality: Math.min(q, 100), effort: 2 });
    case 'tiff':
      return pipeline.tiff({ quality: q, compression: hasAlpha ? 'lzw' : 'jpeg' });
  }
}

async function finish(pipeline: Sharp, format: ImageFormat, quality: number | undefined, hasAlpha: boolean): Promise<OperationResult> {
  const { data, info } = await decoding(() => encode(pipeline, format, quality, hasAlpha).toBuffer({ resolveWithObject: true }));
  return { kind: 'image', data, format, width: info.width, height: info.height };
}

/** Width × height of fitting `w×h` inside the requested box, as ImageMagick's `-resize WxH` does. */
export function fitInside(w: number, h: number, width?: number, height?: number): { width: number; height: number } {
  const scale = Math.min(width ? width / w : Infinity, height ? height / h : Infinity);
  return { width: Math.max(1, Math.round(w * scale)), height: Math.max(1, Math.round(h * scale)) };
}

async function resize(request: ImageRequest, limits: ImageLimits): Promise<OperationResult> {
  const input = await inspectInput(request, limits);
  const width = request.width ?? (request.height ? undefined : DEFAULT_THUMBNAIL_WIDTH);
  const target = fitInside(input.width, input.height, width, request.height);
  checkOutputSize(target.width, target.height, limits);
  const pipeline = sharp(input.image, sharpOptions(limits)).resize({ width: target.width, height: target.height, fit: 'fill' });
  // The original wrote `/tmp/resized.<outputExtension || 'png'>`: PNG unless asked otherwise.
  return finish(pipeline, request.outputFormat ?? 'png', undefined, input.metadata.hasAlpha === true);
}

// ---- convert: filters applied one after another on raw sRGB pixels ----

interface Raw {
  readonly data: Buffer;
  readonly info: OutputInfo;
}

const SEPIA: readonly (readonly number[])[] = [
  [0.393, 0.769, 0.189],
  [0.349, 0.686, 0.168],
  [0.272, 0.534, 0.131],
];
// Rec. 709 luma, as ImageMagick's `-colorspace Gray`; three equal rows keep an RGB image with R = G = B.
const LUMA = [0.2126, 0.7152, 0.0722];

function fromRaw(raw: Raw, limits: ImageLimits): Sharp {
  const { width, height, channels } = raw.info;
  return sharp(raw.data, { raw: { width, height, channels: channels as 1 | 2 | 3 | 4 }, limitInputPixels: limits.maxInputPixels });
}

function toRaw(pipeline: Sharp): Promise<Raw> {
  return decoding(() => pipeline.toColourspace('srgb').raw().toBuffer({ resolveWithObject: true }));
}

/** The sharp step for one filter on an sRGB image of `raw`'s size and channels. */
export function applyFilter(pipeline: Sharp, filter: Filter, info: OutputInfo, limits: ImageLimits): Sharp {
  const alpha = info.channels === 4;
  switch (filter.kind) {
    case 'negate':
      return pipeline.negate({ alpha: false });
    case 'grayscale':
      return pipeline.recomb([LUMA, LUMA, LUMA] as Matrix3x3);
    case 'sepia': {
      const t = filter.percent / 100;
      const matrix = SEPIA.map((row, r) => row.map((v, c) => (1 - t) * (r === c ? 1 : 0) + t * v));
      return pipeline.recomb(matrix as unknown as Matrix3x3);
    }
    case 'colorize': {
      const t = filter.percent / 100;
      const a = [1 - t, 1 - t, 1 - t];
      const b = filter.color.map((c) => c * t);
      return pipeline.linear(alpha ? [...a, 1] : a, alpha ? [...b, 0] : b);
    }
    case 'resize': {
      const size = resizedSize(filter, info.width, info.height);
      if (size.width === info.width && size.height === info.height) return pipeline;
      checkOutputSize(size.width, size.height, limits);
      return pipeline.resize({ width: size.width, height: size.height, fit: 'fill' });
    }
    case 'rotate':
      // ImageMagick fills the corners uncovered by a rotation with white (transparent if there is alpha).
      return pipeline.rotate(filter.degrees, { background: { r: 255, g: 255, b: 255, alpha: alpha ? 0 : 1 } });
    case 'flip':
      return pipeline.flip();
    case 'flop':
      return pipeline.flop();
    case 'blur':
      return pipeline.blur(filter.sigma);
  }
}

const COLOUR_FILTERS: ReadonlySet<Filter['kind']> = new Set(['negate', 'grayscale', 'sepia', 'colorize']);

/** Size after a `-resize` filter on a `width`×`height` image. */
export function resizedSize(filter: Extract<Filter, { kind: 'resize' }>, width: number, height: number): { width: number; height: number } {
  if (filter.percent !== undefined) {
    return { width: Math.max(1, Math.round((width * filter.percent) / 100)), height: Math.max(1, Math.round((height * filter.percent) / 100)) };
  }
  const target = filter.exact ? { width: filter.width!, height: filter.height! } : fitInside(width, height, filter.width, filter.height);
  if (filter.shrinkOnly && width <= target.width && height <= target.height) return { width, height };
  return target;
}

/**
 * The order filters actually run in. Per-pixel colour filters (negate, grayscale, sepia, colorize) commute
 * with resampling up to rounding (and clipping at edges of saturated areas), so a `-resize` that shrinks
 * the image and follows only such filters runs before them: fewer pixels to colour, and for JPEG the
 * decoder can shrink on load. Everything else keeps ImageMagick's left-to-right order.
 */
export function executionOrder(filters: readonly Filter[], width: number, height: number): Filter[] {
  const order = [...filters];
  let w = width;
  let h = height;
  for (let i = 0; i < order.length; i++) {
    const filter = order[i];
    if (COLOUR_FILTERS.has(filter.kind)) {
      let j = i;
      while (j < order.length && COLOUR_FILTERS.has(order[j].kind)) j++;
      const next = order[j];
      if (next?.kind === 'resize') {
        const size = resizedSize(next, w, h);
        if (size.width * size.height < w * h) {
          order.splice(j, 1);
          order.splice(i, 0, next);
          ({ width: w, height: h } = size);
        }
      }
      continue;
    }
    if (filter.kind === 'resize') ({ width: w, height: h } = resizedSize(filter, w, h));
    else if (filter.kind === 'rotate') {
      if (Math.abs(filter.degrees) % 180 === 90) [w, h] = [h, w];
      else if (filter.degrees % 180 !== 0) break; // size after an arbitrary angle: stop reordering
    }
  }
  return order;
}

/** Applies a convert plan to an input and encodes the result. */
export async function convertImage(
  input: { readonly image: Buffer; readonly hasAlpha: boolean; readonly width: number; readonly height: number },
  plan: ConvertPlan,
  outputFormat: ImageFormat,
  limits: ImageLimits,
): Promise<OperationResult> {
  // One filter per sharp pipeline, pixels handed on raw between them (sRGB, RGBA when the input has alpha),
  // so filters compose in the order given, as on ImageMagick's command line.
  const decoded = sharp(input.image, sharpOptions(limits)).pipelineColourspace('srgb');
  let pipeline = input.hasAlpha ? decoded.ensureAlpha() : decoded.removeAlpha();
  let info = { width: input.width, height: input.height, channels: input.hasAlpha ? 4 : 3 } as OutputInfo;
  const order = executionOrder(plan.filters, input.width, input.height);
  for (let k = 0; k < order.length; k++) {
    if (k > 0) {
      const raw = await toRaw(pipeline);
      info = raw.info;
      checkOutputSize(info.width, info.height, limits);
      pipeline = fromRaw(raw, limits);
    }
    pipeline = applyFilter(pipeline, order[k], info, limits);
  }
  const result = await finish(pipeline.toColourspace('srgb'), outputFormat, plan.quality, info.channels === 4);
  if (result.kind === 'image') checkOutputSize(result.width, result.height, limits);
  return result;
}

async function convert(request: ImageRequest, limits: ImageLimits): Promise<OperationResult> {
  const plan = parseCustomArgs(request.customArgs, limits.maxOutputDimension);
  const input = await inspectInput(request, limits);
  return convertImage({ image: input.image, hasAlpha: input.metadata.hasAlpha === true, width: input.width, height: input.height }, plan, request.outputFormat ?? input.format, limits);
}

function describeSpace(metadata: Metadata): string {
  const names: Record<string, string> = { srgb: 'sRGB', 'b-w': 'Gray', cmyk: 'CMYK', rgb16: 'sRGB', grey16: 'Gray', lab: 'Lab' };
  const space = names[metadata.space ?? ''] ?? (metadata.space ?? 'unknown');
  return metadata.hasAlpha ? `${space}A` : space;
}

/** One line in the shape of ImageMagick's `identify`: `image.png PNG 640x480 640x480+0+0 8-bit sRGB 12345B`. */
export function identifyLine(input: { format: ImageFormat; width: number; height: number; metadata: Metadata; bytes: number }): string {
  const bits = input.metadata.depth === 'ushort' ? 16 : input.metadata.depth === 'float' || input.metadata.depth === 'double' ? 32 : 8;
  const size = `${input.width}x${input.height}`;
  const ext = input.format === 'jpeg' ? 'jpg' : input.format;
  return `image.${ext} ${input.format.toUpperCase()} ${size} ${size}+0+0 ${bits}-bit ${describeSpace(input.metadata)} ${input.bytes}B`;
}

/** Runs one validated request. */
export async function runOperation(request: ImageRequest, limits: ImageLimits): Promise<OperationResult> {
  switch (request.operation) {
    case 'ping':
      return { kind: 'text', value: 'pong' };
    case 'getDimensions': {
      const input = await inspectInput(request, limits);
      return { kind: 'text', value: `${input.width}x${input.height}` };
    }
    case 'identify': {
      const input = await inspectInput(request, limits);
      return { kind: 'text', value: identifyLine({ ...input, bytes: input.image.length }) };
    }
    case 'resize':
    case 'thumbnail':
      return resize(request, limits);
    case 'convert':
      return convert(request, limits);
    case 'getSample': {
      const pipeline = sharp(Buffer.from(SAMPLE_SVG));
      const sized = request.width || request.height ? pipeline.resize({ width: request.width, height: request.height, fit: 'inside' }) : pipeline;
      return finish(sized, request.outputFormat ?? 'png', undefined, true);
    }
  }
}
