/**
 * A small shared cache in front of a local origin, standing in for CloudFront in local runs and tests: it
 * keys by path only (the ImageProcessingApi's delivery cache policy forwards no query string, header or
 * cookie), stores only what the origin's Cache-Control allows a shared cache to keep, for as long as it says,
 * and counts hits and misses so a test can tell a repeat never reached the origin.
 */

export interface CachedResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
}

/**
 * Seconds a shared cache may keep a response, from its status and Cache-Control (`s-maxage` over `max-age`;
 * nothing for no-store, private, no-cache or a status other than 200), as CloudFront does when the cache
 * policy's minimum TTL is 0.
 */
export function sharedCacheSeconds(status: number, headers: Record<string, string>): number {
  if (status !== 200) return 0;
  const name = Object.keys(headers).find((k) => k.toLowerCase() === 'cache-control');
  const directives = new Map(
    (name ? headers[name] : '')
      .split(',')
      .map((d) => d.trim().toLowerCase())
      .filter(Boolean)
      .map((d) => {
        const [key, value] = d.split('=');
        return [key.trim(), value?.trim()] as const;
      }),
  );
  if (directives.has('no-store') || directives.has('private') || directives.has('no-cache')) return 0;
  const seconds = Number(directives.get('s-maxage') ?? directives.get('max-age'));
  return Number.isFinite(seconds) && seconds > 0 ? seconds : 0;
}

export class LocalHttpCache {
  private readonly entries = new Map<string, { response: CachedResponse; storedAt: number; expiresAt: number }>();
  public hits = 0;
  public misses = 0;

  constructor(private readonly now: () => number = Date.now) {}

  /** The cached response for `key` while fresh, else the origin's (stored when cacheable); `X-Cache` says which. */
  async get(key: string, origin: () => Promise<CachedResponse>): Promise<CachedResponse> {
    const entry = this.entries.get(key);
    const now = this.now();
    if (entry && entry.expiresAt > now) {
      this.hits++;
      const age = String(Math.floor((now - entry.storedAt) / 1000));
      return { ...entry.response, headers: { ...entry.response.headers, Age: age, 'X-Cache': 'Hit from local-cdn' } };
    }
    if (entry) this.entries.delete(key);
    this.misses++;
    const response = await origin();
    const seconds = sharedCacheSeconds(response.status, response.headers);
    if (seconds > 0) this.entries.set(key, { response, storedAt: now, expiresAt: now + seconds * 1000 });
    return { ...response, headers: { ...response.headers, 'X-Cache': 'Miss from local-cdn' } };
  }
}
