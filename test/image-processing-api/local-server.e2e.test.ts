import sharp from 'sharp';
import { LocalImageApi, startLocalImageApi } from '../../bin/image-api-local';

/** `npm run image-api:local`: the page, its config and the API Gateway emulation around the real handler. */
describe('image API local server', () => {
  let api: LocalImageApi;
  beforeAll(async () => {
    api = await startLocalImageApi({ port: 0 });
  });
  afterAll(async () => {
    await api?.close();
  });

  const post = (body: string, headers: Record<string, string> = {}) =>
    fetch(api.apiUrl, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body });

  it('listens on 127.0.0.1 and serves the page with a config.json pointing at the local API', async () => {
    expect(api.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const page = await fetch(`${api.url}/`);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(page.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
    expect(await page.text()).toContain('<script src="app.js" defer></script>');
    expect(await (await fetch(`${api.url}/config.json`)).json()).toEqual({
      apiUrl: api.apiUrl,
      authorization: 'NONE',
      maxInputBytes: 4 * 1024 * 1024,
      uploads: true,
      deliveryUrl: api.deliveryUrl,
    });
    // The page may PUT to and GET from the local S3 emulator (presigned URLs), nothing else.
    expect(page.headers.get('content-security-policy')).toContain(`connect-src 'self' ${api.s3Endpoint};`);
    expect((await fetch(`${api.url}/app.js`)).status).toBe(200);
  });

  it('serves nothing outside the site directory', async () => {
    for (const path of ['/../package.json', '/%2e%2e/package.json', '/..%2fpackage.json', '/missing.js', '/index.ts']) {
      expect((await fetch(`${api.url}${path}`)).status).toBe(404);
    }
  });

  it('answers the JSON protocol as the deployed API does', async () => {
    const ping = await post('{"operation":"ping"}');
    expect(ping.status).toBe(200);
    expect(await ping.json()).toBe('pong');
    const bad = await post('{"operation":"format c:"}');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toBe('unknown_operation');
  });

  it('returns binary bytes when Accept matches image/* (binary media types), base64 JSON otherwise', async () => {
    const binary = await post('{"operation":"getSample","width":64}', { Accept: 'image/webp' });
    expect(binary.headers.get('content-type')).toBe('image/webp');
    const bytes = Buffer.from(await binary.arrayBuffer());
    expect(await sharp(bytes).metadata()).toMatchObject({ format: 'webp', width: 64, height: 48 });
    const json = await post('{"operation":"getSample","width":64}');
    expect(await sharp(Buffer.from((await json.json()) as string, 'base64')).metadata()).toMatchObject({ format: 'png', width: 64 });
  });

  it("refuses bodies above API Gateway's 10 MB with 413", async () => {
    const response = await post(JSON.stringify({ operation: 'resize', base64Image: 'A'.repeat(11 * 1024 * 1024) }));
    expect(response.status).toBe(413);
  });
});
