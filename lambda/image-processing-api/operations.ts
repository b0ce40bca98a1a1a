import sharp, { Matrix3x3, Metadata, OutputInfo, Sharp, SharpOptions } from 'sharp';
import { ConvertPlan, parseCustomArgs } from './custom-args';
import { ImageApiError } from './errors';
import { base64Length, ImageLimits } from '../../contracts/image-processing-api/limits';
import { detectedFormat, IMAGE_FORMATS, ImageFormat, sniffFormat } from './formats';
import { ColourTransform, executionOrder, fitInside, GeometricFilter, planStages, Size } from './pipeline-plan';
import { ImageRequest } from './protocol';
import { SAMPLE_HEIGHT, SAMPLE_SVG, SAMPLE_WIDTH } from './sample';

/** What an operation produced: a string (`pong`, `640x480`, an identify line) or an encoded image. */
export type OperationResult =
  | { readonly kind: 'text'; readonly value: string }
  | { readonly kind: 'image'; readonly data: Buffer; readonly format: ImageFormat; readonly width: number; readonly height: number };

/** The original service resized to 100 px wide when neither width nor height was given. */
export const DEFAULT_THUMBNAIL_WIDTH = 100;
/** Quality used when the request gives no `-quality`. */
export const DEFAULT_QUALITY = 80;

/** Per-request settings that are not limits of the deployment. */
export interface RunOptions {
  /** sharp's `timeout`: seconds one pipeline may run before libvips stops it (the request gets a 422). */
  readonly timeoutSeconds: number;
}

/** Used when the caller does not know the time left (tests, local runs): below Lambda's 28 s default. */
export const DEFAULT_RUN_OPTIONS: RunOptions = { timeoutSeconds: 20 };

/** An error raised by libvips while reading or processing the client's image: the client's fault, not ours. */
export function clientFailure(error: unknown, options: RunOptions): ImageApiError {
  const message = error instanceof Error ? error.message.split('\n')[0].slice(0, 200) : 'unknown decoder error';
  if (/^timeout\b/i.test(message)) {
    return new ImageApiError(
      422,
      'processing_timeout',
      `Processing stopped after the per-request limit of ${options.timeoutSeconds} s (${message}); ask for a smaller output or fewer filters`,
      { limit: 'timeoutSeconds', timeoutSeconds: options.timeoutSeconds },
    );
  }
  if (/pixel limit/i.test(message)) {
    return new ImageApiError(413, 'too_many_pixels', `The image has more pixels than allowed (${message})`, { limit: 'maxInputPixels' });
  }
  if (/unsupported image format/i.test(message)) {
    return new ImageApiError(415, 'unsupported_format', `The bytes are not an image in a supported format (${IMAGE_FORMATS.join(', ')})`);
  }
  return new ImageApiError(422, 'unreadable_image', `The image could not be decoded: ${message}`);
}

/** Runs `fn`, turning libvips/sharp errors about the input into a 4xx; programming errors stay 500s. */
async function decoding<T>(fn: () => Promise<T>, options: RunOptions = DEFAULT_RUN_OPTIONS): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof ImageApiError || error instanceof TypeError || error instanceof RangeError || error instanceof ReferenceError) throw error;
    throw clientFailure(error, options);
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

/** 8-bit sRGB with 3 or 4 bands, as libvips decodes most JPEG, PNG and WebP files. */
function isSrgb8(metadata: Metadata): boolean {
  return metadata.space === 'srgb' && metadata.depth === 'uchar' && (metadata.channels === 3 || metadata.channels === 4);
}

/**
 * Reads the header only: real format (from the bytes, never the extension), dimensions and the pixel
 * count, so a decompression bomb is refused before a single pixel is decoded.
 */
export async function inspectInput(request: ImageRequest, limits: ImageLimits): Promise<Input> {
  const image = request.image;
  if (!image || image.length === 0) throw new ImageApiError(400, 'missing_image', 'The request has no image');
  if (!sniffFormat(image)) {
    throw new ImageApiError(
      415,
      'unsupported_format',
      `The bytes are not an image in a supported format (${IMAGE_FORMATS.join(', ')}); SVG, PDF, BMP, HEIC and others are refused before decoding`,
    );
  }
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
      `The image is ${width}x${height} (${width * height} pixels); at most ${limits.maxInputPixels} pixels are accepted (maxInputPixels)`,
      { width, height, limit: 'maxInputPixels' },
    );
  }
  return { image, format, metadata, width, height };
}

/** Refuses, before any pixel is decoded, a result (or intermediate image) above the output limits. */
function checkOutputSize(width: number, height: number, limits: ImageLimits): void {
  if (width > limits.maxOutputDimension || height > limits.maxOutputDimension) {
    throw new ImageApiError(
      422,
      'output_too_large',
      `The result would be ${width}x${height}; at most ${limits.maxOutputDimension} pixels wide and high are allowed (maxOutputDimension)`,
      { width, height, limit: 'maxOutputDimension' },
    );
  }
  if (width * height > limits.maxOutputPixels) {
    throw new ImageApiError(
      422,
      'output_too_large',
      `The result would be ${width}x${height} (${width * height} pixels); at most ${limits.maxOutputPixels} pixels fit this function's memory (maxOutputPixels)`,
      { width, height, limit: 'maxOutputPixels' },
    );
  }
}

/**
 * The encoder for `format`. JPEG is written without Huffman-table optimisation by default: the pixels are
 * the same (the tables are lossless), the file ~10 % larger, and libjpeg skips a second pass over the
 * whole image's coefficients, which is most of the encoding time for a 12 MP result.
 */
function encode(pipeline: Sharp, format: ImageFormat, quality: number | undefined, hasAlpha: boolean, optimiseCoding = false): Sharp {
  const q = quality ?? DEFAULT_QUALITY;
  switch (format) {
    case 'jpeg':
      // JPEG has no alpha: transparent areas become white, as a browser shows them on a page.
      return (hasAlpha ? pipeline.flatten({ background: '#ffffff' }) : pipeline).jpeg({ quality: q, optimiseCoding });
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

async function finish(pipeline: Sharp, format: ImageFormat, quality: number | undefined, hasAlpha: boolean, limits: ImageLimits, options: RunOptions): Promise<OperationResult> {
  const retry = format === 'jpeg' ? pipeline.clone() : undefined;
  const timed = encode(pipeline, format, quality, hasAlpha).timeout({ seconds: options.timeoutSeconds });
  let { data, info } = await decoding(() => timed.toBuffer({ resolveWithObject: true }), options);
  if (retry && base64Length(data.length) + 2 > limits.maxResponseBytes) {
    // Too large to return: the optimised tables save ~10 %, worth a second encode to answer at all.
    const optimised = encode(retry, format, quality, hasAlpha, true).timeout({ seconds: options.timeoutSeconds });
    ({ data, info } = await decoding(() => optimised.toBuffer({ resolveWithObject: true }), options));
  }
  return { kind: 'image', data, format, width: info.width, height: info.height };
}

async function resize(request: ImageRequest, limits: ImageLimits, options: RunOptions): Promise<OperationResult> {
  const input = await inspectInput(request, limits);
  const width = request.width ?? (request.height ? undefined : DEFAULT_THUMBNAIL_WIDTH);
  const target = fitInside(input.width, input.height, width, request.height);
  checkOutputSize(target.width, target.height, limits);
  // One pipeline: the JPEG decoder shrinks on load (by 2, 4 or 8), and the EXIF rotation runs after the
  // resize on the smaller image (sharp swaps the target for a quarter turn).
  const pipeline = sharp(input.image, sharpOptions(limits)).resize({ width: target.width, height: target.height, fit: 'fill' });
  // The original wrote `/tmp/resized.<outputExtension || 'png'>`: PNG unless asked otherwise.
  return finish(pipeline, request.outputFormat ?? 'png', undefined, input.metadata.hasAlpha === true, limits, options);
}

// ---- convert: the filters as few sharp pipelines as give the same pixels (see pipeline-plan.ts) ----

/** An image handed from one pipeline to the next as raw 8-bit sRGB(A); only when sharp's fixed order needs it. */
interface Raw {
  readonly data: Buffer;
  readonly info: OutputInfo;
}

function fromRaw(raw: Raw, limits: ImageLimits): Sharp {
  const { width, height, channels } = raw.info;
  return sharp(raw.data, { raw: { width, height, channels: channels as 1 | 2 | 3 | 4 }, limitInputPixels: limits.maxInputPixels });
}

function toRaw(pipeline: Sharp, options: RunOptions): Promise<Raw> {
  return decoding(() => pipeline.toColourspace('srgb').raw().timeout({ seconds: options.timeoutSeconds }).toBuffer({ resolveWithObject: true }), options);
}

const isDiagonal = (m: readonly (readonly number[])[]): boolean => m.every((row, r) => row.every((v, c) => r === c || v === 0));

/**
 * The sharp operations for one colour transform, cheapest first: sharp's own negate for an exact
 * negation, `linear` (8-bit, per channel) for a diagonal matrix (colorize, darken/lighten), otherwise
 * `recomb` (grayscale, sepia, and composites), followed by `linear` for any constant offset. Alpha is
 * never touched (sharp leaves the 4th band out of a 3-channel recomb or linear).
 */
export function applyColour(pipeline: Sharp, transform: ColourTransform): Sharp {
  const { matrix, offset } = transform;
  const diagonal = matrix.map((row, r) => row[r]);
  if (isDiagonal(matrix) && diagonal.every((v) => v === -1) && offset.every((v) => v === 255)) return pipeline.negate({ alpha: false });
  if (isDiagonal(matrix)) return pipeline.linear(diagonal, [...offset]);
  const recombined = pipeline.recomb(matrix.map((row) => [...row]) as unknown as Matrix3x3);
  return offset.some((v) => v !== 0) ? recombined.linear([1, 1, 1], [...offset]) : recombined;
}

function applyGeometric(pipeline: Sharp, filter: GeometricFilter, from: Size, to: Size, alpha: boolean): Sharp {
  switch (filter.kind) {
    case 'resize':
      if (to.width === from.width && to.height === from.height) return pipeline;
      return pipeline.resize({ width: to.width, height: to.height, fit: 'fill' });
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

/** Refuses, from sizes alone, a plan whose steps would produce an image above the output limits. */
export function checkPlannedSizes(sizes: readonly Size[], limits: ImageLimits): void {
  for (const size of sizes) checkOutputSize(size.width, size.height, limits);
}

/** The input as the convert pipeline sees it. */
export interface ConvertInput {
  readonly image: Buffer;
  readonly hasAlpha: boolean;
  /** Displayed size (after the EXIF orientation). */
  readonly width: number;
  readonly height: number;
  /** 8-bit sRGB with 3 or 4 bands: the filters can run on the decoded bands as they are. */
  readonly isSrgb8?: boolean;
}

/** Applies a convert plan to an input and encodes the result. */
export async function convertImage(input: ConvertInput, plan: ConvertPlan, outputFormat: ImageFormat, limits: ImageLimits, options: RunOptions = DEFAULT_RUN_OPTIONS): Promise<OperationResult> {
  const from: Size = { width: input.width, height: input.height };
  const stages = planStages(executionOrder(plan.filters, input.width, input.height), from);
  checkPlannedSizes(stages, limits);
  // Other inputs (grey, CMYK, 16-bit, palette with grey) are brought to 8-bit sRGB(A) first. For the common
  // case this is skipped: forcing a pipeline colour space would turn off JPEG shrink-on-load.
  const decoded = sharp(input.image, sharpOptions(limits));
  let pipeline = input.isSrgb8 ? decoded : input.hasAlpha ? decoded.pipelineColourspace('srgb').ensureAlpha() : decoded.pipelineColourspace('srgb').removeAlpha();
  let size = from;
  for (let k = 0; k < stages.length; k++) {
    const stage = stages[k];
    if (k > 0) pipeline = fromRaw(await toRaw(pipeline, options), limits);
    if (stage.geometric) pipeline = applyGeometric(pipeline, stage.geometric, size, stage, input.hasAlpha);
    if (stage.colour) pipeline = applyColour(pipeline, stage.colour);
    size = stage;
  }
  return finish(pipeline.toColourspace('srgb'), outputFormat, plan.quality, input.hasAlpha, limits, options);
}

async function convert(request: ImageRequest, limits: ImageLimits, options: RunOptions): Promise<OperationResult> {
  const plan = parseCustomArgs(request.customArgs, limits.maxOutputDimension);
  const input = await inspectInput(request, limits);
  return convertImage(
    { image: input.image, hasAlpha: input.metadata.hasAlpha === true, width: input.width, height: input.height, isSrgb8: isSrgb8(input.metadata) },
    plan,
    request.outputFormat ?? input.format,
    limits,
    options,
  );
}

/** Names by libvips interpretation; a Map, so no name can resolve to a property of Object.prototype. */
const SPACE_NAMES: ReadonlyMap<string, string> = new Map([
  ['srgb', 'sRGB'],
  ['b-w', 'Gray'],
  ['cmyk', 'CMYK'],
  ['rgb16', 'sRGB'],
  ['grey16', 'Gray'],
  ['lab', 'Lab'],
]);

function describeSpace(metadata: Metadata): string {
  const space = SPACE_NAMES.get(metadata.space ?? '') ?? metadata.space ?? 'unknown';
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
export async function runOperation(request: ImageRequest, limits: ImageLimits, options: RunOptions = DEFAULT_RUN_OPTIONS): Promise<OperationResult> {
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
      return resize(request, limits, options);
    case 'convert':
      return convert(request, limits, options);
    case 'getUploadUrl':
      // Answered by the HTTP layer (it needs the bucket); reaching here is a programming error.
      throw new Error('getUploadUrl is not an image operation');
    case 'getSample': {
      const sized = request.width || request.height ? fitInside(SAMPLE_WIDTH, SAMPLE_HEIGHT, request.width, request.height) : { width: SAMPLE_WIDTH, height: SAMPLE_HEIGHT };
      checkOutputSize(sized.width, sized.height, limits);
      const pipeline = sharp(Buffer.from(SAMPLE_SVG));
      const resized = request.width || request.height ? pipeline.resize({ width: request.width, height: request.height, fit: 'inside' }) : pipeline;
      return finish(resized, request.outputFormat ?? 'png', undefined, true, limits, options);
    }
  }
}
