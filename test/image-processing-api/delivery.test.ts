import { canonicalSpec, parseDeliveryPath, parseDeliverySpec } from '../../lambda/image-processing-api/delivery';
import { parseSourceKey, parseUploadRequest } from '../../lambda/image-processing-api/originals';
import { DEFAULT_DELIVERY_WIDTHS } from '../../contracts/image-processing-api/storage';
import { LocalHttpCache, sharedCacheSeconds } from '../../local/http-cache';

const KEY = 'originals/0f8fad5b-d9cb-469f-a165-70867728950e.jpg';

describe('cached delivery spec', () => {
  it('has one spelling per variant: every allowed spec round-trips, and the variants are bounded', () => {
    const specs = new Set<string>();
    for (const width of DEFAULT_DELIVERY_WIDTHS) {
      for (const filter of ['', '-negate', '-gray', '-sepia']) {
        for (const format of ['', '-png', '-webp', '-avif']) {
          const spec = `w${width}${filter}${format}`;
          expect(canonicalSpec(parseDeliverySpec(spec, DEFAULT_DELIVERY_WIDTHS))).toBe(spec);
          specs.add(spec);
        }
      }
    }
    expect(specs.size).toBe(DEFAULT_DELIVERY_WIDTHS.length * 16);
  });

  it.each(['w801', 'w0800', 'W800', 'w800-jpeg', 'w800-webp-gray', 'w800-blur', 'w800-gray-gray', 'w800-', 'w', '800', 'w800_gray', 'w99999999'])('refuses %s', (spec) => {
    expect(() => parseDeliverySpec(spec, DEFAULT_DELIVERY_WIDTHS)).toThrow(expect.objectContaining({ status: 400, code: 'spec_not_allowed' }));
  });

  it('turns a path into the request it stands for', () => {
    expect(parseDeliveryPath(`/img/w400-gray-webp/${KEY}`, DEFAULT_DELIVERY_WIDTHS)?.request).toEqual({
      operation: 'convert',
      customArgs: ['-colorspace', 'Gray', '-resize', '400'],
      outputFormat: 'webp',
      sourceKey: KEY,
    });
    expect(parseDeliveryPath(`/img/w800/${KEY}`, DEFAULT_DELIVERY_WIDTHS)?.request).toEqual({ operation: 'resize', width: 800, outputFormat: 'jpeg', sourceKey: KEY });
    expect(parseDeliveryPath('/other', DEFAULT_DELIVERY_WIDTHS)).toBeUndefined();
  });
});

describe('source keys and upload requests', () => {
  it('accepts only keys the API hands out', () => {
    expect(parseSourceKey(KEY)).toBe(KEY);
    for (const [key, code] of [
      ['originals/../results/x.jpg', 'invalid_source_key'],
      ['originals/%2e%2e/x.jpg', 'invalid_source_key'],
      ['originals\\..\\x.jpg', 'invalid_source_key'],
      ['results/0f8fad5b-d9cb-469f-a165-70867728950e.jpg', 'source_key_forbidden'],
      ['/originals/0f8fad5b-d9cb-469f-a165-70867728950e.jpg', 'source_key_forbidden'],
      ['originals/0f8fad5b-d9cb-469f-a165-70867728950e.svg', 'invalid_source_key'],
      ['originals/0F8FAD5B-D9CB-469F-A165-70867728950E.jpg', 'invalid_source_key'],
      [`${KEY}/x`, 'invalid_source_key'],
    ]) {
      expect(() => parseSourceKey(key)).toThrow(expect.objectContaining({ code }));
    }
  });

  it('binds the declared type to a supported image format and the size to the limit', () => {
    expect(parseUploadRequest('IMAGE/JPEG', 10, 100)).toEqual({ contentType: 'image/jpeg', format: 'jpeg', contentLength: 10 });
    expect(() => parseUploadRequest('image/jpeg', 101, 100)).toThrow(expect.objectContaining({ status: 413 }));
    expect(() => parseUploadRequest('image/jpeg', 1.5, 100)).toThrow(expect.objectContaining({ status: 400 }));
    expect(() => parseUploadRequest('image/heic', 10, 100)).toThrow(expect.objectContaining({ status: 415 }));
  });
});

describe('local CDN cache', () => {
  it('keeps what Cache-Control lets a shared cache keep, for as long as it says', () => {
    expect(sharedCacheSeconds(200, { 'Cache-Control': 'public, max-age=60, immutable' })).toBe(60);
    expect(sharedCacheSeconds(200, { 'cache-control': 'max-age=60, s-maxage=5' })).toBe(5);
    for (const value of ['no-store', 'private, max-age=60', 'no-cache, max-age=60', 'max-age=0', '']) expect(sharedCacheSeconds(200, { 'Cache-Control': value })).toBe(0);
    expect(sharedCacheSeconds(404, { 'Cache-Control': 'max-age=60' })).toBe(0);
  });

  it('serves a fresh entry without asking the origin, and asks again once it is stale', async () => {
    let now = 0;
    const cache = new LocalHttpCache(() => now);
    let calls = 0;
    const origin = async () => ({ status: 200, headers: { 'Cache-Control': 'max-age=10' }, body: Buffer.from(String(++calls)) });
    expect((await cache.get('/a', origin)).headers['X-Cache']).toMatch(/^Miss/);
    now = 9_000;
    const hit = await cache.get('/a', origin);
    expect([hit.headers['X-Cache'], hit.headers.Age, hit.body.toString()]).toEqual(['Hit from local-cdn', '9', '1']);
    now = 10_000;
    expect((await cache.get('/a', origin)).body.toString()).toBe('2');
    expect([cache.hits, cache.misses, calls]).toEqual([1, 2, 2]);
  });
});

describe('request body fast path (the base64 value is not JSON-parsed)', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { parseJson } = require('../../lambda/image-processing-api/protocol') as typeof import('../../lambda/image-processing-api/protocol');
  const big = 'QUJD'.repeat(40_000);

  it('gives exactly what JSON.parse gives, for the plain case and every tricky one', () => {
    const bodies = [
      JSON.stringify({ operation: 'resize', width: 10, base64Image: big, customArgs: ['-negate'] }),
      `{"base64Image" : "${big}", "operation":"thumbnail"}`,
      // A nested key first: the top-level one must win, as in JSON.parse.
      JSON.stringify({ nested: { base64Image: 'AAAA' }, base64Image: big }),
      // Duplicate top-level keys: the last wins.
      `{"base64Image":"${big}","base64Image":"QkJC"}`,
      // Escaped slashes (PHP's json_encode): full parse.
      `{"base64Image":"${big.slice(0, 100)}\\/${big}"}`,
      // Escapes elsewhere in the body do not matter.
      JSON.stringify({ customArgs: ['a"b\\c'], base64Image: big }),
      JSON.stringify([{ base64Image: big }]),
    ];
    for (const body of bodies) expect(parseJson(body)).toEqual(JSON.parse(body));
  });

  it('refuses what JSON.parse refuses', () => {
    for (const body of [`{"base64Image":"${big}"`, `{"base64Image":"${big}",}`, `{"base64Image":"${big}" "x":1}`]) {
      expect(() => parseJson(body)).toThrow(SyntaxError);
    }
  });
});
