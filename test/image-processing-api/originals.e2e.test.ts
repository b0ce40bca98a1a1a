import { S3Client } from '@aws-sdk/client-s3';
import sharp from 'sharp';
import { LocalImageApi, startLocalImageApi } from '../../bin/image-api-local';
import { S3ObjectStore } from '../../lambda/image-processing-api/s3-store';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/local-aws';

/**
 * Real photo sizes, end to end on the local server (the real handler behind the API Gateway emulation, the
 * local S3 emulator, the local CDN cache): a 10 MB, 24 MP JPEG goes up through a presigned PUT, is resized by
 * `sourceKey` into a presigned result, and is served twice through the cached GET path.
 */
describe('image API with originals in S3 (local server)', () => {
  let api: LocalImageApi;
  let photo: Buffer;
  let key: string;

  beforeAll(async () => {
    api = await startLocalImageApi({ port: 0 });
    // 6000×4000 with film-grain noise, so it does not compress away: about 10 MB.
    photo = await sharp({ create: { width: 6000, height: 4000, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 30 } } })
      .jpeg({ quality: 82 })
      .toBuffer();
  }, 120_000);
  afterAll(async () => {
    await api?.close();
  });

  const post = async (request: Record<string, unknown>): Promise<{ status: number; body: any }> => {
    const response = await fetch(api.apiUrl, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(request) });
    return { status: response.status, body: await response.json() };
  };

  async function upload(bytes: Buffer, contentType = 'image/jpeg'): Promise<string> {
    const grant = await post({ operation: 'getUploadUrl', contentType, contentLength: bytes.length });
    expect(grant.status).toBe(200);
    const put = await fetch(grant.body.uploadUrl, { method: 'PUT', headers: grant.body.headers, body: bytes });
    expect(put.status).toBe(200);
    return grant.body.key;
  }

  it('takes a 10 MB, 24 MP JPEG through upload URL → sourceKey resize → presigned result', async () => {
    expect(photo.length).toBeGreaterThan(8_000_000);
    expect(await sharp(photo).metadata()).toMatchObject({ width: 6000, height: 4000 });
    const grant = await post({ operation: 'getUploadUrl', contentType: 'image/jpeg', contentLength: photo.length });
    expect(grant.status).toBe(200);
    expect(grant.body).toMatchObject({ key: expect.stringMatching(/^originals\/[0-9a-f-]{36}\.jpg$/), method: 'PUT', headers: { 'Content-Type': 'image/jpeg', 'If-None-Match': '*' } });
    const expiresIn = Date.parse(grant.body.expiresAt) - Date.now();
    expect(expiresIn).toBeGreaterThan(200_000);
    expect(expiresIn).toBeLessThanOrEqual(300_000);
    const signed = new URL(grant.body.uploadUrl);
    expect(signed.searchParams.get('X-Amz-Expires')).toBe('300');
    expect(signed.searchParams.get('X-Amz-SignedHeaders')!.split(';')).toEqual(expect.arrayContaining(['content-length', 'content-type', 'if-none-match', 'host']));
    expect([...signed.searchParams.keys()].filter((k) => /checksum/i.test(k))).toEqual([]);

    const put = await fetch(grant.body.uploadUrl, { method: 'PUT', headers: grant.body.headers, body: photo });
    expect(put.status).toBe(200);
    key = grant.body.key;

    const resized = await post({ operation: 'resize', sourceKey: key, width: 1200, outputExtension: 'jpg', deliver: 'url' });
    expect(resized.status).toBe(200);
    expect(resized.body).toMatchObject({ width: 1200, height: 800, bytes: expect.any(Number), resultUrl: expect.stringContaining('/results/') });
    expect(Date.parse(resized.body.expiresAt)).toBeGreaterThan(Date.now());
    const result = Buffer.from(await (await fetch(resized.body.resultUrl)).arrayBuffer());
    expect(result.length).toBe(resized.body.bytes);
    expect(await sharp(result).metadata()).toMatchObject({ format: 'jpeg', width: 1200, height: 800 });
  }, 120_000);

  it('answers small results from sourceKey inline (base64), and results above the response budget by URL', async () => {
    const inline = await post({ operation: 'getDimensions', sourceKey: key });
    expect(inline).toEqual({ status: 200, body: '6000x4000' });
    const thumb = await post({ operation: 'thumbnail', sourceKey: key });
    expect(await sharp(Buffer.from(thumb.body, 'base64')).metadata()).toMatchObject({ width: 100, height: 67 });
    // Full size, noisy, lossless: far above the 6 MB response.
    const big = await post({ operation: 'convert', sourceKey: key, customArgs: ['-negate'], outputExtension: 'png' });
    expect(big.status).toBe(200);
    expect(big.body).toMatchObject({ width: 6000, height: 4000, resultUrl: expect.any(String) });
    expect(big.body.bytes).toBeGreaterThan(6_000_000);
  }, 120_000);

  it('serves the cached GET path: the second request is a cache hit that never runs the pipeline', async () => {
    const url = `${api.deliveryUrl}/w800/${key}`;
    const before = api.stats();
    const first = await fetch(url);
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toBe('image/jpeg');
    expect(first.headers.get('cache-control')).toMatch(/^public, max-age=\d+, immutable$/);
    expect(first.headers.get('x-cache')).toMatch(/^Miss/);
    const firstBytes = Buffer.from(await first.arrayBuffer());
    expect(await sharp(firstBytes).metadata()).toMatchObject({ format: 'jpeg', width: 800, height: 533 });
    const afterFirst = api.stats();
    expect(afterFirst.deliveryInvocations - before.deliveryInvocations).toBe(1);

    const second = await fetch(url);
    expect(second.status).toBe(200);
    expect(second.headers.get('x-cache')).toMatch(/^Hit/);
    expect(Buffer.from(await second.arrayBuffer()).equals(firstBytes)).toBe(true);
    const afterSecond = api.stats();
    expect(afterSecond.deliveryInvocations).toBe(afterFirst.deliveryInvocations);
    expect(afterSecond.invocations).toBe(afterFirst.invocations);
    expect(afterSecond.cacheHits - afterFirst.cacheHits).toBe(1);

    const webp = await fetch(`${api.deliveryUrl}/w200-gray-webp/${key}`);
    expect(webp.headers.get('content-type')).toBe('image/webp');
    expect(await sharp(Buffer.from(await webp.arrayBuffer())).metadata()).toMatchObject({ format: 'webp', width: 200 });
  }, 120_000);

  it('refuses specs outside the allow-list and keys outside the originals, and caches none of the refusals', async () => {
    const cases: Array<[string, number, string]> = [
      [`w801/${key}`, 400, 'spec_not_allowed'],
      [`w800-blur/${key}`, 400, 'spec_not_allowed'],
      [`w800-webp-gray/${key}`, 400, 'spec_not_allowed'],
      [`w0800/${key}`, 400, 'spec_not_allowed'],
      [`W800/${key}`, 400, 'spec_not_allowed'],
      [`w800-jpeg/${key}`, 400, 'spec_not_allowed'],
      ['w800/results/00000000-0000-0000-0000-000000000000.jpg', 403, 'source_key_forbidden'],
      ['w800/originals/..%2Fresults%2Fx.jpg', 400, 'invalid_source_key'],
      ['w800/originals/not-a-uuid.jpg', 400, 'invalid_source_key'],
      ['w800/originals/00000000-0000-0000-0000-000000000000.jpg', 404, 'no_such_source'],
    ];
    for (const [path, status, code] of cases) {
      const before = api.stats();
      for (let i = 0; i < 2; i++) {
        const response = await fetch(`${api.deliveryUrl}/${path}`);
        expect({ path, status: response.status, error: ((await response.json()) as { error: string }).error }).toEqual({ path, status, error: code });
        expect(response.headers.get('cache-control')).toBe('no-store');
      }
      expect(api.stats().deliveryInvocations - before.deliveryInvocations).toBe(2);
    }
  });

  it('refuses hostile sourceKeys and upload requests with clear 4xx', async () => {
    const cases: Array<[Record<string, unknown>, number, string]> = [
      [{ operation: 'resize', sourceKey: 'originals/../site/index.html', width: 10 }, 400, 'invalid_source_key'],
      [{ operation: 'resize', sourceKey: '../originals/x.jpg', width: 10 }, 400, 'invalid_source_key'],
      [{ operation: 'resize', sourceKey: 'results/00000000-0000-0000-0000-000000000000.jpg', width: 10 }, 403, 'source_key_forbidden'],
      [{ operation: 'resize', sourceKey: 'index.html', width: 10 }, 403, 'source_key_forbidden'],
      [{ operation: 'resize', sourceKey: 'originals/00000000-0000-0000-0000-000000000000.jpg', width: 10 }, 404, 'no_such_source'],
      [{ operation: 'resize', sourceKey: key, base64Image: 'AAAA', width: 10 }, 400, 'ambiguous_image'],
      [{ operation: 'resize', sourceKey: key, width: 10, deliver: 'email' }, 400, 'invalid_field'],
      [{ operation: 'getUploadUrl', contentType: 'image/jpeg', contentLength: 5e12 }, 413, 'image_too_large'],
      [{ operation: 'getUploadUrl', contentType: 'image/jpeg', contentLength: 32 * 1024 * 1024 + 1 }, 413, 'image_too_large'],
      [{ operation: 'getUploadUrl', contentType: 'image/jpeg', contentLength: -1 }, 400, 'invalid_content_length'],
      [{ operation: 'getUploadUrl', contentType: 'image/jpeg', contentLength: '10' }, 400, 'invalid_content_length'],
      [{ operation: 'getUploadUrl', contentType: 'image/svg+xml', contentLength: 10 }, 415, 'unsupported_format'],
      [{ operation: 'getUploadUrl', contentType: 'text/html', contentLength: 10 }, 415, 'unsupported_format'],
    ];
    for (const [request, status, code] of cases) {
      const response = await post(request);
      expect({ request, status: response.status, error: response.body.error }).toEqual({ request, status, error: code });
      expect(response.body.message).toEqual(expect.any(String));
    }
  });

  it('refuses an original that is not an image with 415, read from S3 like any other', async () => {
    const notImage = await upload(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'), 'image/png');
    const response = await post({ operation: 'resize', sourceKey: notImage, width: 10 });
    expect(response.status).toBe(415);
    expect((await fetch(`${api.deliveryUrl}/w100/${notImage}`)).status).toBe(415);
  });

  it('refuses an upload URL and a result URL once they have expired (the emulator checks X-Amz-Expires as S3 does)', async () => {
    const client = new S3Client({ endpoint: api.s3Endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, forcePathStyle: true, requestChecksumCalculation: 'WHEN_REQUIRED' });
    const store = new S3ObjectStore(api.bucket!, client);
    const uploadUrl = await store.uploadUrl('originals/11111111-1111-4111-8111-111111111111.png', 'image/png', 4, 1);
    const downloadUrl = await store.downloadUrl(key.replace('originals/', 'results/'), 1, 'x.jpg');
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    const put = await fetch(uploadUrl, { method: 'PUT', headers: { 'Content-Type': 'image/png', 'If-None-Match': '*' }, body: Buffer.from('abcd') });
    expect(put.status).toBe(403);
    expect(await put.text()).toMatch(/expired/i);
    expect((await fetch(downloadUrl)).status).toBe(403);
    client.destroy();
  });
});
