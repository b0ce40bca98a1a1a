import { badRequest, describeValue, ImageApiError } from './errors';

/**
 * `convert`'s `customArgs`, parsed against an allow-list. The original service handed these strings to
 * ImageMagick's `convert`; here they never reach a shell or ImageMagick: each allowed option becomes a
 * typed filter with bounded parameters, and anything else is refused with a 400 naming the argument.
 */
export type Filter =
  | { readonly kind: 'negate' }
  | { readonly kind: 'sepia'; readonly percent: number }
  | { readonly kind: 'grayscale' }
  | { readonly kind: 'colorize'; readonly color: readonly [number, number, number]; readonly percent: number }
  | {
      readonly kind: 'resize';
      readonly width?: number;
      readonly height?: number;
      readonly percent?: number;
      /** `!`: exact size, aspect ratio ignored. */
      readonly exact: boolean;
      /** `>`: only shrink larger images. */
      readonly shrinkOnly: boolean;
    }
  | { readonly kind: 'rotate'; readonly degrees: number }
  | { readonly kind: 'flip' }
  | { readonly kind: 'flop' }
  | { readonly kind: 'blur'; readonly sigma: number };

export interface ConvertPlan {
  /** Filters in the order given, applied one after another as ImageMagick would. */
  readonly filters: readonly Filter[];
  /** Encoder quality 1-100 from `-quality`. */
  readonly quality?: number;
}

export const MAX_CUSTOM_ARGS = 32;
const MAX_TOKEN_LENGTH = 64;
const MAX_BLUR_SIGMA = 50;
const MAX_RESIZE_PERCENT = 1000;

/** Human-readable allow-list, used in error messages and the docs. */
export const ALLOWED_CUSTOM_ARGS = [
  '-negate',
  '-sepia-tone P%',
  '-colorspace Gray',
  '-fill COLOR -colorize P%',
  '-resize WxH|W|xH|P% (optional ! or >)',
  '-rotate DEGREES',
  '-flip',
  '-flop',
  '-blur [RADIUSx]SIGMA',
  '-quality 1-100',
  '-auto-orient',
  '-strip',
];

/** Looked up through a Map: a client's `__proto__` or `constructor` is an unknown colour, not an object. */
const NAMED_COLORS: ReadonlyMap<string, readonly [number, number, number]> = new Map([
  ['black', [0, 0, 0]],
  ['white', [255, 255, 255]],
  ['red', [255, 0, 0]],
  ['green', [0, 128, 0]],
  ['lime', [0, 255, 0]],
  ['blue', [0, 0, 255]],
  ['yellow', [255, 255, 0]],
  ['cyan', [0, 255, 255]],
  ['magenta', [255, 0, 255]],
  ['gray', [128, 128, 128]],
  ['grey', [128, 128, 128]],
]);
const IMAGEMAGICK_DEFAULT_FILL = NAMED_COLORS.get('black')!;

function rejected(argument: string, message: string): ImageApiError {
  return badRequest('disallowed_argument', `customArgs: ${message}`, { argument });
}

/** Splits `customArgs` (an array of strings as the original clients send, or one space-separated string). */
export function customArgTokens(customArgs: unknown): string[] {
  if (customArgs === undefined || customArgs === null) return [];
  let tokens: unknown[];
  if (typeof customArgs === 'string') tokens = customArgs.split(/\s+/).filter((t) => t.length > 0);
  else if (Array.isArray(customArgs)) tokens = customArgs;
  else throw badRequest('invalid_field', `customArgs must be an array of strings, e.g. ["-negate"] (got ${describeValue(customArgs)})`);
  if (tokens.length > MAX_CUSTOM_ARGS) throw badRequest('invalid_field', `customArgs has ${tokens.length} items; at most ${MAX_CUSTOM_ARGS} are allowed`);
  return tokens.map((token, i) => {
    if (typeof token !== 'string') throw badRequest('invalid_field', `customArgs[${i}] must be a string (got ${describeValue(token)})`);
    if (token.length > MAX_TOKEN_LENGTH) {
      throw rejected(token.slice(0, MAX_TOKEN_LENGTH), `argument ${i} is longer than ${MAX_TOKEN_LENGTH} characters`);
    }
    return token;
  });
}

function percentOf(option: string, value: string | undefined, max = 100): number {
  const match = value === undefined ? null : /^(\d{1,4}(?:\.\d{1,3})?)%?$/.exec(value);
  const percent = match ? Number(match[1]) : NaN;
  if (!(percent >= 0 && percent <= max)) {
    throw rejected(value ?? option, `'${option}' needs a percentage from 0 to ${max}%${value === undefined ? '' : ` (got '${value}')`}`);
  }
  return percent;
}

function colorOf(value: string | undefined): readonly [number, number, number] {
  if (value === undefined) throw rejected('-fill', "'-fill' needs a color, e.g. black, white or #rrggbb");
  const named = NAMED_COLORS.get(value.toLowerCase());
  if (named) return named;
  const hex = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(value);
  if (hex) {
    const digits = hex[1].length === 3 ? [...hex[1]].map((d) => d + d).join('') : hex[1];
    return [0, 2, 4].map((i) => parseInt(digits.slice(i, i + 2), 16)) as unknown as [number, number, number];
  }
  throw rejected(value, `'-fill' color '${value}' is not allowed; use ${[...NAMED_COLORS.keys()].join(', ')} or #rrggbb`);
}

function resizeOf(value: string | undefined, maxDimension: number): Filter {
  const text = value ?? '';
  const percent = /^(\d{1,4}(?:\.\d{1,3})?)%$/.exec(text);
  if (percent) {
    const p = Number(percent[1]);
    if (p > 0 && p <= MAX_RESIZE_PERCENT) return { kind: 'resize', percent: p, exact: false, shrinkOnly: false };
  }
  const geometry = /^(\d{1,5})?(?:x(\d{1,5}))?([!>])?$/.exec(text);
  if (geometry && (geometry[1] || geometry[2])) {
    const width = geometry[1] ? Number(geometry[1]) : undefined;
    const height = geometry[2] ? Number(geometry[2]) : undefined;
    const ok = [width, height].every((d) => d === undefined || (d >= 1 && d <= maxDimension));
    if (ok && !(geometry[3] === '!' && (!width || !height))) {
      return { kind: 'resize', width, height, exact: geometry[3] === '!', shrinkOnly: geometry[3] === '>' };
    }
    throw rejected(text, `'-resize ${text}' is out of bounds: width and height must be 1 to ${maxDimension} ('!' needs both)`);
  }
  throw rejected(value ?? '-resize', `'-resize' needs a geometry such as 300x200, 300, x200, 300x200!, 300x200> or 50% (got '${text}')`);
}

/**
 * Parses `customArgs` into a convert plan, or throws a 400 naming the first argument that is not on the
 * allow-list or whose parameter is out of bounds.
 */
export function parseCustomArgs(customArgs: unknown, maxOutputDimension: number): ConvertPlan {
  const tokens = customArgTokens(customArgs);
  const filters: Filter[] = [];
  let quality: number | undefined;
  let fill = IMAGEMAGICK_DEFAULT_FILL;
  let pendingFill: string | undefined;
  for (let i = 0; i < tokens.length; i++) {
    const option = tokens[i];
    const next = (): string | undefined => tokens[++i];
    switch (option.toLowerCase()) {
      case '-negate':
        filters.push({ kind: 'negate' });
        break;
      case '-sepia-tone':
        filters.push({ kind: 'sepia', percent: percentOf(option, next()) });
        break;
      case '-colorspace': {
        const value = next();
        if (!value || !/^gr[ae]y$/i.test(value)) {
          throw rejected(value ?? option, `'-colorspace' accepts only Gray (got '${value ?? ''}')`);
        }
        filters.push({ kind: 'grayscale' });
        break;
      }
      case '-fill': {
        const value = next();
        fill = colorOf(value);
        pendingFill = value;
        break;
      }
      case '-colorize':
        filters.push({ kind: 'colorize', color: fill, percent: percentOf(option, next()) });
        pendingFill = undefined;
        break;
      case '-resize':
        filters.push(resizeOf(next(), maxOutputDimension));
        break;
      case '-rotate': {
        const value = next();
        const degrees = value !== undefined && /^-?\d{1,3}(\.\d{1,3})?$/.test(value) ? Number(value) : NaN;
        if (!(Math.abs(degrees) <= 360)) throw rejected(value ?? option, `'-rotate' needs degrees from -360 to 360 (got '${value ?? ''}')`);
        filters.push({ kind: 'rotate', degrees });
        break;
      }
      case '-flip':
        filters.push({ kind: 'flip' });
        break;
      case '-flop':
        filters.push({ kind: 'flop' });
        break;
      case '-blur': {
        const value = next();
        const match = value === undefined ? null : /^(?:\d{1,3}(?:\.\d{1,3})?x)?(\d{1,3}(?:\.\d{1,3})?)$/.exec(value);
        const sigma = match ? Number(match[1]) : NaN;
        if (!(sigma >= 0.3 && sigma <= MAX_BLUR_SIGMA)) {
          throw rejected(value ?? option, `'-blur' needs [RADIUSx]SIGMA with sigma from 0.3 to ${MAX_BLUR_SIGMA} (got '${value ?? ''}')`);
        }
        filters.push({ kind: 'blur', sigma });
        break;
      }
      case '-quality': {
        const value = next();
        const q = value !== undefined && /^\d{1,3}$/.test(value) ? Number(value) : NaN;
        if (!(q >= 1 && q <= 100)) throw rejected(value ?? option, `'-quality' needs a whole number from 1 to 100 (got '${value ?? ''}')`);
        quality = q;
        break;
      }
      case '-auto-orient': // always done: inputs are oriented by their EXIF tag before any filter
      case '-strip': // always done: metadata (EXIF, GPS, ICC comments) is never copied to the output
        break;
      default:
        throw rejected(option, `'${option}' is not allowed; allowed: ${ALLOWED_CUSTOM_ARGS.join('; ')}`);
    }
  }
  if (pendingFill !== undefined) {
    throw rejected('-fill', `'-fill ${pendingFill}' has no effect without a following '-colorize P%'`);
  }
  return { filters, quality };
}
