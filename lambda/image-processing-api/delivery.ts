import { badRequest, describeValue, ImageApiError } from './errors';
import { ImageFormat } from './formats';
import { parseSourceKey } from './originals';
import { ImageRequest } from './protocol';
import { DELIVERY_PATH } from '../../contracts/image-processing-api/storage';

/**
 * The cached GET path: `/img/<spec>/<sourceKey>` answers the derived image's bytes with cache headers, so
 * CloudFront serves every repeat without running the function. The spec is compact and allow-listed, in ONE
 * canonical spelling, so the number of variants per original is bounded (widths × filters × formats) and no
 * one can make the pipeline run for endless distinct URLs of the same picture:
 *
 *   w<width>[-<filter>][-<format>]    e.g. w800, w400-gray, w1600-webp, w200-sepia-avif
 *
 * widths from the deployment's list (DELIVERY_WIDTHS), filters negate | gray | sepia, formats jpeg (the
 * default, never spelled) | png | webp | avif.
 */

export const DELIVERY_FILTERS: Readonly<Record<string, readonly string[]>> = {
  negate: ['-negate'],
  gray: ['-colorspace', 'Gray'],
  sepia: ['-sepia-tone', '65%'],
};
const FILTER_NAMES = new Map(Object.entries(DELIVERY_FILTERS));
const FORMATS: ReadonlyMap<string, ImageFormat> = new Map([
  ['png', 'png'],
  ['webp', 'webp'],
  ['avif', 'avif'],
]);
const SPEC = /^w(\d{1,5})(?:-([a-z]+))?(?:-([a-z]+))?$/;

export interface DeliverySpec {
  readonly width: number;
  readonly filter?: string;
  readonly format: ImageFormat;
}

/** Parses a spec against the allow-list; anything else (another width, order, case, a typo) is a 400 naming what is allowed. */
export function parseDeliverySpec(spec: string, widths: readonly number[]): DeliverySpec {
  const allowed = `w<width>[-${[...FILTER_NAMES.keys()].join('|')}][-${[...FORMATS.keys()].join('|')}] with width one of ${widths.join(', ')}`;
  const match = SPEC.exec(spec);
  const refuse = (why: string): ImageApiError => new ImageApiError(400, 'spec_not_allowed', `Spec ${describeValue(spec, 40)} ${why}; allowed: ${allowed}`, { allowed: { widths, filters: [...FILTER_NAMES.keys()], formats: ['jpeg', ...FORMATS.keys()] } });
  if (!match) throw refuse('is not in the allowed form');
  const width = Number(match[1]);
  if (String(width) !== match[1] || !widths.includes(width)) throw refuse(`asks for width ${match[1]}, which is not on the list`);
  let [, , filter, format] = match;
  if (filter && !FILTER_NAMES.has(filter) && FORMATS.has(filter) && format === undefined) [filter, format] = [undefined as unknown as string, filter];
  if (filter && !FILTER_NAMES.has(filter)) throw refuse(`names filter '${filter}', which is not on the list`);
  if (format !== undefined && !FORMATS.has(format)) throw refuse(`names format '${format}', which is not on the list (JPEG is the default and is not spelled)`);
  return { width, filter: filter || undefined, format: format ? FORMATS.get(format)! : 'jpeg' };
}

/** The spec's one spelling (the cache key); `parseDeliverySpec(canonicalSpec(s))` gives `s` back. */
export function canonicalSpec(spec: DeliverySpec): string {
  return ['w' + spec.width, spec.filter, spec.format === 'jpeg' ? undefined : spec.format].filter(Boolean).join('-');
}

/**
 * `/img/<spec>/<sourceKey>` (the path API Gateway passes, stage removed) → the image request it stands for,
 * or undefined when the path is not the delivery path.
 */
export function parseDeliveryPath(path: string, widths: readonly number[]): { request: ImageRequest; spec: DeliverySpec; sourceKey: string } | undefined {
  const prefix = `/${DELIVERY_PATH}/`;
  if (!path.startsWith(prefix)) return undefined;
  const rest = path.slice(prefix.length);
  const slash = rest.indexOf('/');
  if (slash < 0) throw badRequest('invalid_path', `GET ${prefix}<spec>/<key>, e.g. ${prefix}w800/originals/<uuid>.jpg`);
  const spec = parseDeliverySpec(rest.slice(0, slash), widths);
  let key = rest.slice(slash + 1);
  try {
    key = decodeURIComponent(key);
  } catch {
    throw badRequest('invalid_source_key', 'The key in the path is not valid percent-encoding');
  }
  const sourceKey = parseSourceKey(key);
  const filter = spec.filter ? DELIVERY_FILTERS[spec.filter] : undefined;
  const request: ImageRequest = filter
    ? { operation: 'convert', customArgs: [...filter, '-resize', String(spec.width)], outputFormat: spec.format, sourceKey }
    : { operation: 'resize', width: spec.width, outputFormat: spec.format, sourceKey };
  return { request, spec, sourceKey };
}
