import { Filter } from './custom-args';

/**
 * How a convert plan runs in sharp, decided without touching a pixel: the order of the filters, which of
 * them share one libvips pipeline, and the size of the image after every step (so a result that is too
 * large is refused from the header alone).
 *
 * sharp applies the operations of one pipeline in a fixed order (resize, flip/flop, rotate, blur, then
 * recomb, linear and negate), whatever order they were called in. A `Stage` therefore holds at most one
 * geometric filter followed by at most one colour transform; the per-pixel colour filters (negate,
 * grayscale, sepia, colorize) are all affine maps of RGB, so consecutive ones compose into one
 * `out = M·in + b` and cost one pass over the pixels whatever their number.
 */

/** `out[r] = Σ matrix[r][c] · in[c] + offset[r]` on 0-255 sRGB values. */
export interface ColourTransform {
  readonly matrix: readonly (readonly number[])[];
  readonly offset: readonly number[];
  /** The filters it was composed from, in order (for logs and tests). */
  readonly filters: readonly Filter[];
}

export type GeometricFilter = Extract<Filter, { kind: 'resize' | 'rotate' | 'flip' | 'flop' | 'blur' }>;

/** One sharp pipeline: an optional geometric filter, then an optional colour transform. */
export interface Stage {
  readonly geometric?: GeometricFilter;
  readonly colour?: ColourTransform;
  /** Size of the image this stage produces. */
  readonly width: number;
  readonly height: number;
}

export interface Size {
  readonly width: number;
  readonly height: number;
}

const IDENTITY = [
  [1, 0, 0],
  [0, 1, 0],
  [0, 0, 1],
];

/** ImageMagick's sepia weights (the classic Microsoft matrix), blended with the identity by the percentage. */
const SEPIA = [
  [0.393, 0.769, 0.189],
  [0.349, 0.686, 0.168],
  [0.272, 0.534, 0.131],
];
/** Rec. 709 luma, as ImageMagick's `-colorspace Gray`; three equal rows keep an RGB image with R = G = B. */
export const LUMA = [0.2126, 0.7152, 0.0722];

const COLOUR_KINDS: ReadonlySet<Filter['kind']> = new Set(['negate', 'grayscale', 'sepia', 'colorize']);

export function isColourFilter(filter: Filter): filter is Extract<Filter, { kind: 'negate' | 'grayscale' | 'sepia' | 'colorize' }> {
  return COLOUR_KINDS.has(filter.kind);
}

/** The affine map of one colour filter. */
export function colourTransformOf(filter: Extract<Filter, { kind: 'negate' | 'grayscale' | 'sepia' | 'colorize' }>): ColourTransform {
  switch (filter.kind) {
    case 'negate':
      return { matrix: IDENTITY.map((row) => row.map((v) => -v)), offset: [255, 255, 255], filters: [filter] };
    case 'grayscale':
      return { matrix: [LUMA, LUMA, LUMA], offset: [0, 0, 0], filters: [filter] };
    case 'sepia': {
      const t = filter.percent / 100;
      return { matrix: SEPIA.map((row, r) => row.map((v, c) => (1 - t) * IDENTITY[r][c] + t * v)), offset: [0, 0, 0], filters: [filter] };
    }
    case 'colorize': {
      const t = filter.percent / 100;
      return { matrix: IDENTITY.map((row) => row.map((v) => (1 - t) * v)), offset: filter.color.map((c) => c * t), filters: [filter] };
    }
  }
}

/** `second ∘ first`: the map that applies `first`, then `second`. */
export function compose(first: ColourTransform, second: ColourTransform): ColourTransform {
  const matrix = second.matrix.map((row) => [0, 1, 2].map((c) => row.reduce((sum, v, k) => sum + v * first.matrix[k][c], 0)));
  const offset = second.matrix.map((row, r) => row.reduce((sum, v, k) => sum + v * first.offset[k], second.offset[r]));
  return { matrix, offset, filters: [...first.filters, ...second.filters] };
}

/**
 * Whether the map sends every 0-255 colour to a 0-255 colour. Only then may another colour filter follow
 * in the same pass: otherwise ImageMagick (and the raw 8-bit hand-over between steps) clips the values
 * first, and the composed map would not clip.
 */
export function staysInRange(transform: ColourTransform): boolean {
  const eps = 1e-9;
  return transform.matrix.every((row, r) => {
    const high = transform.offset[r] + row.reduce((s, v) => s + Math.max(v, 0) * 255, 0);
    const low = transform.offset[r] + row.reduce((s, v) => s + Math.min(v, 0) * 255, 0);
    return low >= -eps && high <= 255 + eps;
  });
}

/** Width × height of fitting `w×h` inside the requested box, as ImageMagick's `-resize WxH` does. */
export function fitInside(w: number, h: number, width?: number, height?: number): Size {
  const scale = Math.min(width ? width / w : Infinity, height ? height / h : Infinity);
  return { width: Math.max(1, Math.round(w * scale)), height: Math.max(1, Math.round(h * scale)) };
}

/** Size after a `-resize` filter on a `width`×`height` image. */
export function resizedSize(filter: Extract<Filter, { kind: 'resize' }>, width: number, height: number): Size {
  if (filter.percent !== undefined) {
    return { width: Math.max(1, Math.round((width * filter.percent) / 100)), height: Math.max(1, Math.round((height * filter.percent) / 100)) };
  }
  const target = filter.exact ? { width: filter.width!, height: filter.height! } : fitInside(width, height, filter.width, filter.height);
  if (filter.shrinkOnly && width <= target.width && height <= target.height) return { width, height };
  return target;
}

/** Size after rotating by `degrees`: the bounding box libvips allocates (rounded up, as it does). */
export function rotatedSize(degrees: number, width: number, height: number): Size {
  const quarter = ((degrees % 360) + 360) % 360;
  if (quarter % 180 === 0) return { width, height };
  if (quarter % 90 === 0) return { width: height, height: width };
  const radians = (degrees * Math.PI) / 180;
  const [c, s] = [Math.abs(Math.cos(radians)), Math.abs(Math.sin(radians))];
  return { width: Math.ceil(width * c + height * s), height: Math.ceil(width * s + height * c) };
}

/** Size of the image after one filter. */
export function sizeAfter(filter: Filter, size: Size): Size {
  switch (filter.kind) {
    case 'resize':
      return resizedSize(filter, size.width, size.height);
    case 'rotate':
      return rotatedSize(filter.degrees, size.width, size.height);
    default:
      return size;
  }
}

/**
 * The order filters actually run in. Per-pixel colour filters commute with resampling up to rounding (and
 * clipping at edges of saturated areas), so a `-resize` that shrinks the image and follows only such
 * filters runs before them: fewer pixels to colour, and for JPEG the decoder can shrink on load.
 * Everything else keeps ImageMagick's left-to-right order.
 */
export function executionOrder(filters: readonly Filter[], width: number, height: number): Filter[] {
  const order = [...filters];
  let size: Size = { width, height };
  for (let i = 0; i < order.length; i++) {
    const filter = order[i];
    if (isColourFilter(filter)) {
      let j = i;
      while (j < order.length && isColourFilter(order[j])) j++;
      const next = order[j];
      if (next?.kind === 'resize') {
        const resized = resizedSize(next, size.width, size.height);
        if (resized.width * resized.height < size.width * size.height) {
          order.splice(j, 1);
          order.splice(i, 0, next);
          size = resized;
        }
      }
      continue;
    }
    size = sizeAfter(filter, size);
  }
  return order;
}

/** Flips, flops and quarter turns: pixels change place, never value. */
function movesPixelsOnly(filter: Filter): filter is GeometricFilter {
  return filter.kind === 'flip' || filter.kind === 'flop' || (filter.kind === 'rotate' && filter.degrees % 90 === 0);
}

/**
 * Groups the filters (already in execution order) into as few sharp pipelines as give the same pixels
 * as applying them one by one, and records the size after each stage.
 */
export function planStages(filters: readonly Filter[], input: Size): Stage[] {
  const stages: Array<{ geometric?: GeometricFilter; colour?: ColourTransform; width: number; height: number }> = [];
  let size = input;
  for (const filter of filters) {
    const current = stages[stages.length - 1];
    if (isColourFilter(filter)) {
      const transform = colourTransformOf(filter);
      if (current && !current.colour) current.colour = transform;
      else if (current?.colour && staysInRange(current.colour)) current.colour = compose(current.colour, transform);
      else stages.push({ colour: transform, ...size });
      continue;
    }
    size = sizeAfter(filter, size);
    // sharp runs the geometric step of a pipeline before its colour transform. That is only right for a
    // filter that merely moves pixels (flip, flop, quarter turns): it commutes with any per-pixel map.
    // Anything else after a colour transform opens a pipeline of its own.
    if (current && !current.geometric && movesPixelsOnly(filter)) Object.assign(current, { geometric: filter, ...size });
    else stages.push({ geometric: filter as GeometricFilter, ...size });
  }
  return stages;
}
