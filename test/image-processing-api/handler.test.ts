import sharp from 'sharp';
import { handleApiRequest, HttpContext, negotiate } from '../../lambda/image-processing-api/http';
import { parseCustomArgs } from '../../lambda/image-processing-api/custom-args';
import { DEFAULT_LIMITS, ImageLimits, limitsFromEnv } from '../../contracts/image-processing-api/limits';
import { executionOrder } from '../../lambda/image-processing-api/pipeline-plan';
import { SAMPLE_HEIGHT, SAMPLE_WIDTH } from '../../lambda/image-processing-api/sample';
import { halves, pixel, pngBomb, postEvent, rotatedJpeg, solid } from './images';

const logs: Array<{ level: string; message: string; extra?: Record<string, unknown> }> = [];
function context(limits: Partial<ImageLimits> = {}, allowedOrigins = ['https://site.example']): HttpContext {
  return {
    limits: { ...DEFAULT_LIMITS, ...limits },
    allowedOrigins,
    log: {
      info: (message, extra) => logs.push({ level: 'info', message, extra }),
      warn: (message, extra) => logs.push({ level: 'warn', message, extra }),
      error: (message, extra) => logs.push({ level: 'error', message, extra }),
    },
  };
}

async function call(body: unknown, headers: Record<string, string> = {}, limits: Partial<ImageLimits> = {}) {
  const response = await handleApiRequest(postEvent(body, headers), context(limits));
  const json = response.isBase64Encoded ? undefined : JSON.parse(response.body);
  return { response, json };
}

/** Calls an image operation and returns the decoded result image. */
async function image(body: Record<string, unknown>): Promise<Buffer> {
  const { response, json } = await call(body);
  if (response.statusCode !== 200) throw new Error(`HTTP ${response.statusCode}: ${response.body}`);
  expect(typeof json).toBe('string');
  return Buffer.from(json as string, 'base64');
}

const b64 = (b: Buffer): string => b.toString('base64');

describe('image API handler: operations of the original protocol', () => {
  it('answers ping with "pong" as the original did', async () => {
    const { response, json } = await call({ operation: 'ping' });
    expect(response.statusCode).toBe(200);
    expect(json).toBe('pong');
    expect(response.headers?.['Content-Type']).toBe('application/json');
  });

  it('reports dimensions as WxH, after the EXIF orientation', async () => {
    expect((await call({ operation: 'getDimensions', base64Image: b64(await solid(37, 11, [1, 2, 3])) })).json).toBe('37x11');
    // Stored 60×30 with orientation 6: a viewer shows it 30 wide and 60 high.
    expect((await call({ operation: 'getDimensions', base64Image: b64(await rotatedJpeg()), inputExtension: 'jpg' })).json).toBe('30x60');
  });

  it('identifies format, size, depth, colour space with alpha and byte count', async () => {
    const png = await halves(true);
    expect((await call({ operation: 'identify', base64Image: b64(png) })).json).toBe(`image.png PNG 40x20 40x20+0+0 8-bit sRGBA ${png.length}B`);
    const jpeg = await solid(8, 4, [9, 9, 9], 'jpeg');
    expect((await call({ operation: 'identify', base64Image: b64(jpeg) })).json).toMatch(/^image\.jpg JPEG 8x4 8x4\+0\+0 8-bit (sRGB|Gray) \d+B$/);
  });

  it('resizes keeping the aspect ratio, defaults to a 100 px wide PNG, and treats thumbnail as a synonym', async () => {
    const input = b64(await solid(400, 200, [200, 10, 10], 'jpeg'));
    const byWidth = await image({ operation: 'resize', base64Image: input, width: 50, outputExtension: 'webp' });
    expect(await sharp(byWidth).metadata()).toMatchObject({ format: 'webp', width: 50, height: 25 });
    const byHeight = await image({ operation: 'resize', base64Image: input, height: '40' });
    expect(await sharp(byHeight).metadata()).toMatchObject({ format: 'png', width: 80, height: 40 });
    const boxed = await image({ operation: 'resize', base64Image: input, width: 100, height: 100, outputExtension: 'jpg' });
    expect(await sharp(boxed).metadata()).toMatchObject({ format: 'jpeg', width: 100, height: 50 });
    const thumb = await image({ operation: 'thumbnail', base64Image: input });
    expect(await sharp(thumb).metadata()).toMatchObject({ format: 'png', width: 100, height: 50 });
    const [r, g, b] = await pixel(thumb, 50, 25);
    expect(r).toBeGreaterThan(180);
    expect(g + b).toBeLessThan(60);
  });

  it('applies the EXIF orientation before resizing', async () => {
    const out = await image({ operation: 'resize', base64Image: b64(await rotatedJpeg()), width: 15 });
    expect(await sharp(out).metadata()).toMatchObject({ width: 15, height: 30 });
  });

  it('keeps alpha in PNG and WebP, and flattens it onto white in JPEG', async () => {
    const input = b64(await halves(true));
    const png = await image({ operation: 'resize', base64Image: input, width: 40 });
    expect((await sharp(png).metadata()).hasAlpha).toBe(true);
    expect((await pixel(png, 35, 15))[3]).toBe(0);
    expect(await pixel(png, 5, 5)).toEqual([255, 0, 0, 255]);
    const webp = await image({ operation: 'convert', base64Image: input, outputExtension: 'webp' });
    expect((await pixel(webp, 35, 15))[3]).toBeLessThan(10);
    const jpeg = await image({ operation: 'convert', base64Image: input, outputExtension: 'jpeg' });
    const [r, g, b, a] = await pixel(jpeg, 35, 15);
    expect(a).toBe(255);
    expect(Math.min(r, g, b)).toBeGreaterThan(240);
  });

  it.each(['jpeg', 'png', 'webp', 'gif', 'tiff', 'avif'] as const)('reads %s and converts it to every output format', async (format) => {
    const input = b64(await solid(16, 8, [20, 120, 220], format));
    for (const [ext, expected] of [
      ['jpg', 'jpeg'],
      ['png', 'png'],
      ['webp', 'webp'],
      ['gif', 'gif'],
      ['tif', 'tiff'],
    ]) {
      const out = await image({ operation: 'convert', base64Image: input, inputExtension: format, outputExtension: ext });
      expect(await sharp(out).metadata()).toMatchObject({ format: expected, width: 16, height: 8 });
    }
  });

  it('processes the first frame of an animated GIF', async () => {
    const frame = (background: string) => sharp({ create: { width: 10, height: 8, channels: 3, background } }).png().toBuffer();
    const animated = await sharp([await frame('#ff0000'), await frame('#0000ff')], { join: { animated: true } }).gif().toBuffer();
    expect((await sharp(animated).metadata()).pages).toBe(2);
    expect((await call({ operation: 'getDimensions', base64Image: b64(animated) })).json).toBe('10x8');
    const out = await image({ operation: 'resize', base64Image: b64(animated), width: 5 });
    expect(await sharp(out).metadata()).toMatchObject({ format: 'png', width: 5, height: 4 });
    const [r, , b] = await pixel(out, 2, 2);
    expect(r).toBeGreaterThan(240);
    expect(b).toBeLessThan(15);
  });

  it('converts to AVIF (sharp reports it as heif/av1)', async () => {
    const out = await image({ operation: 'convert', base64Image: b64(await solid(16, 8, [20, 120, 220])), outputExtension: 'avif' });
    expect(await sharp(out).metadata()).toMatchObject({ format: 'heif', compression: 'av1', width: 16, height: 8 });
  });

  it('keeps the input format when convert gets no outputExtension', async () => {
    const out = await image({ operation: 'convert', base64Image: b64(await solid(8, 8, [1, 1, 1], 'webp')), customArgs: ['-negate'] });
    expect((await sharp(out).metadata()).format).toBe('webp');
  });

  it('returns the bundled sample image, optionally resized', async () => {
    const sample = await image({ operation: 'getSample' });
    expect(await sharp(sample).metadata()).toMatchObject({ format: 'png', width: SAMPLE_WIDTH, height: SAMPLE_HEIGHT });
    // The sun (yellow) is where the SVG draws it.
    const [r, g, b] = await pixel(sample, 240, 70);
    expect(r).toBeGreaterThan(230);
    expect(g).toBeGreaterThan(190);
    expect(b).toBeLessThan(100);
    const small = await image({ operation: 'getSample', width: 80, outputExtension: 'jpg' });
    expect(await sharp(small).metadata()).toMatchObject({ format: 'jpeg', width: 80, height: 60 });
  });

  it('accepts a data: URL prefix and URL-safe base64', async () => {
    const png = await solid(3, 2, [0, 0, 0]);
    expect((await call({ operation: 'getDimensions', base64Image: `data:image/png;base64,${b64(png)}` })).json).toBe('3x2');
    expect((await call({ operation: 'getDimensions', base64Image: png.toString('base64url') })).json).toBe('3x2');
  });
});

describe('image API handler: convert filters, measured on pixels', () => {
  const grey = (v: number): [number, number, number] => [v, v, v];
  async function convert(input: Buffer, customArgs: unknown, outputExtension = 'png'): Promise<Buffer> {
    return image({ operation: 'convert', base64Image: b64(input), customArgs, outputExtension });
  }

  it('-negate inverts every colour channel and leaves alpha alone', async () => {
    const out = await convert(await solid(4, 4, [10, 100, 250], 'png', 0.5), ['-negate']);
    const [r, g, b, a] = await pixel(out, 1, 1);
    expect([r, g, b]).toEqual([245, 155, 5]);
    expect(a).toBeGreaterThanOrEqual(127);
    expect(a).toBeLessThanOrEqual(128);
  });

  it('-colorspace Gray makes R = G = B with Rec. 709 luma', async () => {
    const out = await convert(await solid(4, 4, [200, 50, 10]), ['-colorspace', 'Gray']);
    const [r, g, b] = await pixel(out, 2, 2);
    expect(r).toBe(g);
    expect(g).toBe(b);
    expect(r).toBeCloseTo(0.2126 * 200 + 0.7152 * 50 + 0.0722 * 10, -1);
  });

  it('-sepia-tone 65% turns grey brown (R > G > B) and is stronger at 100%', async () => {
    const input = await solid(4, 4, grey(120));
    const [r, g, b] = await pixel(await convert(input, ['-sepia-tone', '65%']), 0, 0);
    expect(r).toBeGreaterThan(g);
    expect(g).toBeGreaterThan(b);
    const [r2, , b2] = await pixel(await convert(input, ['-sepia-tone', '100%']), 0, 0);
    expect(r2 - b2).toBeGreaterThan(r - b);
  });

  it('-fill black -colorize 50% halves every channel; -fill white -colorize 50% goes half-way to white', async () => {
    const input = await solid(4, 4, [200, 100, 40]);
    expect((await pixel(await convert(input, ['-fill', 'black', '-colorize', '50%']), 0, 0)).slice(0, 3)).toEqual([100, 50, 20]);
    const [r, g, b] = await pixel(await convert(input, ['-fill', 'white', '-colorize', '50%']), 0, 0);
    expect(Math.abs(r - 227.5)).toBeLessThanOrEqual(1);
    expect(Math.abs(g - 177.5)).toBeLessThanOrEqual(1);
    expect(Math.abs(b - 147.5)).toBeLessThanOrEqual(1);
  });

  it('accepts customArgs as one string, as some clients send it', async () => {
    const out = await convert(await solid(2, 2, [0, 0, 0]), '-negate');
    expect((await pixel(out, 0, 0)).slice(0, 3)).toEqual([255, 255, 255]);
  });

  it('-flip mirrors top-bottom and -flop left-right', async () => {
    const input = await halves(true); // red left, blue right, transparent bottom-right
    const flopped = await convert(input, ['-flop']);
    expect(await pixel(flopped, 5, 5)).toEqual([0, 0, 255, 255]);
    expect((await pixel(flopped, 5, 15))[3]).toBe(0);
    const flipped = await convert(input, ['-flip']);
    expect((await pixel(flipped, 35, 5))[3]).toBe(0);
    expect(await pixel(flipped, 35, 15)).toEqual([0, 0, 255, 255]);
  });

  it('-rotate 90 turns the image clockwise', async () => {
    const out = await convert(await halves(), ['-rotate', '90']);
    expect(await sharp(out).metadata()).toMatchObject({ width: 20, height: 40 });
    expect((await pixel(out, 10, 5)).slice(0, 3)).toEqual([255, 0, 0]); // left (red) is now on top
    expect((await pixel(out, 10, 35)).slice(0, 3)).toEqual([0, 0, 255]);
  });

  it('-resize supports WxH, W, xH, P%, ! and >', async () => {
    const input = await halves();
    const size = async (geometry: string) => sharp(await convert(input, ['-resize', geometry])).metadata();
    expect(await size('20x20')).toMatchObject({ width: 20, height: 10 });
    expect(await size('10')).toMatchObject({ width: 10, height: 5 });
    expect(await size('x4')).toMatchObject({ width: 8, height: 4 });
    expect(await size('50%')).toMatchObject({ width: 20, height: 10 });
    expect(await size('7x9!')).toMatchObject({ width: 7, height: 9 });
    expect(await size('400x400>')).toMatchObject({ width: 40, height: 20 });
  });

  it('-blur softens the red/blue edge and -quality changes the JPEG size', async () => {
    const input = await halves();
    const sharpEdge = await pixel(await convert(input, []), 19, 10);
    const blurred = await pixel(await convert(input, ['-blur', '0x3']), 19, 10);
    expect(sharpEdge[2]).toBe(0);
    expect(blurred[2]).toBeGreaterThan(40);
    const noisy = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#888', noise: { type: 'gaussian', mean: 128, sigma: 60 } } }).png().toBuffer();
    const low = await convert(noisy, ['-quality', '10'], 'jpg');
    const high = await convert(noisy, ['-quality', '95'], 'jpg');
    expect(low.length).toBeLessThan(high.length / 2);
  });

  it('works on single-channel grey inputs', async () => {
    const grey1 = await sharp({ create: { width: 4, height: 4, channels: 3, background: { r: 60, g: 60, b: 60 } } }).toColourspace('b-w').png().toBuffer();
    expect((await sharp(grey1).metadata()).channels).toBe(1);
    expect((await pixel(await convert(grey1, ['-negate']), 1, 1)).slice(0, 3)).toEqual([195, 195, 195]);
    expect((await pixel(await convert(grey1, ['-fill', 'red', '-colorize', '100%']), 1, 1)).slice(0, 3)).toEqual([255, 0, 0]);
  });

  it('runs a shrinking -resize before preceding colour filters only (they commute), otherwise keeps the order', () => {
    const kinds = (args: string[], w = 4000, h = 3000) => executionOrder(parseCustomArgs(args, 8192).filters, w, h).map((f) => f.kind);
    expect(kinds(['-negate', '-resize', '300'])).toEqual(['resize', 'negate']);
    expect(kinds(['-negate', '-sepia-tone', '65%', '-resize', '50%', '-flip'])).toEqual(['resize', 'negate', 'sepia', 'flip']);
    expect(kinds(['-negate', '-resize', '200%'])).toEqual(['negate', 'resize']);
    expect(kinds(['-negate', '-resize', '8000x8000>'])).toEqual(['negate', 'resize']);
    expect(kinds(['-negate', '-blur', '2', '-resize', '300'])).toEqual(['negate', 'blur', 'resize']);
    expect(kinds(['-rotate', '90', '-negate', '-resize', 'x300'])).toEqual(['rotate', 'resize', 'negate']);
    // The size after any angle is known (the rotated bounding box), so the shrink still moves forward.
    expect(kinds(['-rotate', '30', '-negate', '-resize', '300'])).toEqual(['rotate', 'resize', 'negate']);
  });

  it('gives the same pixels for -negate -resize as for -resize -negate', async () => {
    const input = await halves();
    const a = await convert(input, ['-negate', '-resize', '20']);
    const b = await convert(input, ['-resize', '20', '-negate']);
    expect(await pixel(a, 2, 2)).toEqual([0, 255, 255, 255]);
    expect(await pixel(a, 17, 2)).toEqual(await pixel(b, 17, 2));
  });

  it('applies filters in the order given, as ImageMagick does', async () => {
    const input = await solid(2, 2, [200, 100, 40]);
    // negate then darken: (55,155,215)/2 ; darken then negate: 255 - (100,50,20)
    const near = (actual: number[], expected: number[]) => actual.slice(0, 3).forEach((v, i) => expect(Math.abs(v - expected[i])).toBeLessThanOrEqual(1));
    near(await pixel(await convert(input, ['-negate', '-fill', 'black', '-colorize', '50%']), 0, 0), [27.5, 77.5, 107.5]);
    near(await pixel(await convert(input, ['-fill', 'black', '-colorize', '50%', '-negate']), 0, 0), [155, 205, 235]);
  });
});

describe('image API handler: bad input gets a clear 4xx JSON error', () => {
  let png: string;
  beforeAll(async () => {
    png = b64(await solid(8, 8, [10, 20, 30]));
  });

  async function expectError(body: unknown, status: number, code: string, message?: RegExp, limits: Partial<ImageLimits> = {}) {
    const { response, json } = await call(body, {}, limits);
    expect({ status: response.statusCode, code: json.error }).toEqual({ status, code });
    if (message) expect(json.message).toMatch(message);
    expect(response.headers?.['Content-Type']).toBe('application/json');
    return json;
  }

  it('refuses a missing body, invalid JSON and non-objects', async () => {
    await expectError('', 400, 'missing_body');
    await expectError('{"operation": "ping"', 400, 'invalid_json', /not valid JSON/);
    await expectError('[1,2]', 400, 'invalid_json', /JSON object/);
    await expectError('"ping"', 400, 'invalid_json');
  });

  it('refuses unknown or missing operations, listing the valid ones', async () => {
    await expectError({ operation: 'rm -rf /' }, 400, 'unknown_operation', /use one of ping, getDimensions/);
    await expectError({ base64Image: png }, 400, 'unknown_operation', /no "operation"/);
    await expectError({ operation: 42 }, 400, 'unknown_operation');
  });

  it('refuses a missing image, bad base64 and bytes that are no image', async () => {
    await expectError({ operation: 'resize' }, 400, 'missing_image', /no "base64Image" field/);
    await expectError({ operation: 'resize', base64Image: 'not base64 at all!' }, 400, 'invalid_base64');
    await expectError({ operation: 'resize', base64Image: 'abcde' }, 400, 'invalid_base64');
    await expectError({ operation: 'resize', base64Image: 12345 }, 400, 'invalid_base64');
    await expectError({ operation: 'resize', base64Image: b64(Buffer.from('just some text, no image')) }, 415, 'unsupported_format');
    const truncated = Buffer.from(png, 'base64').subarray(0, 60);
    await expectError({ operation: 'convert', base64Image: b64(truncated), customArgs: ['-negate'] }, 422, 'unreadable_image');
  });

  it('refuses an oversized body and an oversized image', async () => {
    await expectError({ operation: 'ping', padding: 'x'.repeat(2000) }, 413, 'request_too_large', /at most 1000/, { maxRequestBytes: 1000 });
    await expectError({ operation: 'resize', base64Image: png }, 413, 'image_too_large', /at most 10 bytes/, { maxInputBytes: 10 });
  });

  it('refuses a decompression bomb from its header, before decoding', async () => {
    const bomb = pngBomb(30000, 30000);
    expect(bomb.length).toBeLessThan(10_000);
    const started = Date.now();
    const json = await expectError({ operation: 'resize', base64Image: b64(bomb), width: 10 }, 413, 'too_many_pixels', /30000x30000/);
    expect(json).toMatchObject({ width: 30000, height: 30000 });
    expect(Date.now() - started).toBeLessThan(2000);
    await expectError({ operation: 'getDimensions', base64Image: png }, 413, 'too_many_pixels', /at most 10 pixels/, { maxInputPixels: 10 });
  });

  it('refuses unsupported formats, in and out', async () => {
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>');
    await expectError({ operation: 'resize', base64Image: b64(svg) }, 415, 'unsupported_format', /SVG.*refused before decoding/);
    await expectError({ operation: 'convert', base64Image: png, outputExtension: 'pdf' }, 415, 'unsupported_format', /outputExtension "pdf"/);
    await expectError({ operation: 'convert', base64Image: png, inputExtension: 'bmp' }, 415, 'unsupported_format');
  });

  it('refuses an inputExtension that lies about the bytes', async () => {
    const json = await expectError({ operation: 'resize', base64Image: png, inputExtension: 'jpg' }, 415, 'format_mismatch', /says 'jpeg' but the image is 'png'/);
    expect(json).toMatchObject({ declared: 'jpeg', detected: 'png' });
  });

  it('refuses out-of-range dimensions and outputs larger than allowed', async () => {
    await expectError({ operation: 'resize', base64Image: png, width: 0 }, 400, 'invalid_dimension', /width must be a whole number from 1 to 8192/);
    await expectError({ operation: 'resize', base64Image: png, width: 100000 }, 400, 'invalid_dimension');
    await expectError({ operation: 'resize', base64Image: png, height: 'tall' }, 400, 'invalid_dimension');
    await expectError({ operation: 'resize', base64Image: png, width: 2.5 }, 400, 'invalid_dimension');
    const tall = b64(await solid(2, 200, [0, 0, 0]));
    await expectError({ operation: 'resize', base64Image: tall, width: 100 }, 422, 'output_too_large', /100x10000/, { maxOutputDimension: 8192 });
    await expectError({ operation: 'convert', base64Image: png, customArgs: ['-resize', '1000%', '-resize', '1000%'] }, 422, 'output_too_large', undefined, {
      maxOutputDimension: 500,
    });
  });

  it('refuses a result too large to return within the Lambda response limit', async () => {
    await expectError({ operation: 'getSample' }, 413, 'response_too_large', /smaller width/, { maxResponseBytes: 1000 });
  });

  it.each([
    [['-write', '/tmp/x'], '-write'],
    [['-negate;', 'ls'], '-negate;'],
    ['-negate; rm -rf /', '-negate;'],
    [['-negate', '&&', 'curl', 'evil'], '&&'],
    [['$(reboot)'], '$(reboot)'],
    [['`id`'], '`id`'],
    [['|cat /etc/passwd'], '|cat /etc/passwd'],
    [['-sepia-tone', '65%;ls'], '65%;ls'],
    [['-colorspace', 'CMYK'], 'CMYK'],
    [['-fill', 'url(https://x)', '-colorize', '50%'], 'url(https://x)'],
    [['-fill', 'red'], '-fill'],
    [['-colorize', '150%'], '150%'],
    [['-resize', '99999x99999'], '99999x99999'],
    [['-rotate', 'ninety'], 'ninety'],
    [['-blur', '0x500'], '0x500'],
    [['-quality', '0'], '0'],
    [['@/etc/passwd'], '@/etc/passwd'],
    [['msl:/tmp/x.msl'], 'msl:/tmp/x.msl'],
    [['-define', 'png:x=y'], '-define'],
  ])('refuses customArgs %j naming %s', async (customArgs, rejected) => {
    const json = await expectError({ operation: 'convert', base64Image: png, customArgs }, 400, 'disallowed_argument');
    expect(json.argument).toBe(rejected);
    expect(json.message).toContain(rejected.slice(0, 10));
  });

  it('refuses customArgs of the wrong shape', async () => {
    await expectError({ operation: 'convert', base64Image: png, customArgs: { negate: true } }, 400, 'invalid_field', /array of strings/);
    await expectError({ operation: 'convert', base64Image: png, customArgs: [1] }, 400, 'invalid_field', /customArgs\[0\]/);
    await expectError({ operation: 'convert', base64Image: png, customArgs: Array(40).fill('-negate') }, 400, 'invalid_field', /at most 32/);
    await expectError({ operation: 'convert', base64Image: png, customArgs: ['-'.repeat(100)] }, 400, 'disallowed_argument', /longer than 64/);
  });

  it('refuses raw image uploads (API Gateway passes image/* bodies base64-encoded) with a pointer to the protocol', async () => {
    const event = { ...postEvent(''), headers: { 'Content-Type': 'image/png' }, body: png, isBase64Encoded: true };
    const response = await handleApiRequest(event, context());
    expect(response.statusCode).toBe(415);
    expect(JSON.parse(response.body)).toMatchObject({ error: 'unsupported_media_type', message: expect.stringMatching(/Raw image\/png uploads are not accepted: POST JSON/) });
  });

  it('refuses methods other than POST', async () => {
    const response = await handleApiRequest({ ...postEvent(''), httpMethod: 'GET' }, context());
    expect(response.statusCode).toBe(405);
    expect(JSON.parse(response.body).error).toBe('method_not_allowed');
  });

  it('answers 500 without internals when something unexpected fails', async () => {
    logs.length = 0;
    const broken = { ...context(), limits: undefined as unknown as ImageLimits };
    const response = await handleApiRequest(postEvent({ operation: 'ping' }), broken, 'req-123');
    expect(response.statusCode).toBe(500);
    const body = JSON.parse(response.body);
    expect(body).toEqual({ error: 'internal_error', message: 'Internal error; quote request id req-123 when reporting it' });
    expect(response.body).not.toMatch(/TypeError|at |\.ts|node_modules/);
    expect(logs.find((l) => l.level === 'error')?.extra?.error).toMatchObject({ name: 'TypeError' });
  });
});

describe('image API handler: HTTP behaviour', () => {
  it('returns raw image bytes for Accept: image/* (binary media type) and honours a specific image type', async () => {
    const input = b64(await solid(30, 10, [0, 200, 0]));
    const { response } = await call({ operation: 'resize', base64Image: input, width: 15 }, { Accept: 'image/*' });
    expect(response.isBase64Encoded).toBe(true);
    expect(response.headers).toMatchObject({ 'Content-Type': 'image/png', 'X-Image-Width': '15', 'X-Image-Height': '5' });
    expect((await sharp(Buffer.from(response.body, 'base64')).metadata()).format).toBe('png');
    const webp = await call({ operation: 'resize', base64Image: input, width: 15 }, { accept: 'image/webp' });
    expect(webp.response.headers?.['Content-Type']).toBe('image/webp');
    const explicit = await call({ operation: 'resize', base64Image: input, width: 15, outputExtension: 'jpg' }, { accept: 'image/webp' });
    expect(explicit.response.headers?.['Content-Type']).toBe('image/jpeg');
  });

  it('negotiates Accept by quality and order', () => {
    expect(negotiate(undefined)).toEqual({ image: false });
    expect(negotiate('*/*')).toEqual({ image: false });
    expect(negotiate('application/json, image/*')).toEqual({ image: false });
    expect(negotiate('application/json;q=0.5, image/avif')).toEqual({ image: true, format: 'avif' });
    expect(negotiate('image/*')).toEqual({ image: true });
    expect(negotiate('image/bmp')).toBeUndefined();
    expect(negotiate('image/bmp, application/json;q=0.1')).toEqual({ image: false });
    expect(negotiate('text/html')).toBeUndefined();
    expect(negotiate('image/png;q=0, */*')).toEqual({ image: false });
  });

  it('sends CORS headers only to allowed origins and answers preflight', async () => {
    const allowed = await handleApiRequest(postEvent({ operation: 'ping' }, { Origin: 'https://site.example' }), context());
    expect(allowed.headers).toMatchObject({ 'Access-Control-Allow-Origin': 'https://site.example', Vary: 'Origin' });
    const other = await handleApiRequest(postEvent({ operation: 'ping' }, { origin: 'https://evil.example' }), context());
    expect(other.headers?.['Access-Control-Allow-Origin']).toBeUndefined();
    const preflight = await handleApiRequest({ ...postEvent(''), httpMethod: 'OPTIONS', headers: { Origin: 'https://site.example' } }, context());
    expect(preflight.statusCode).toBe(204);
    expect(preflight.headers).toMatchObject({ 'Access-Control-Allow-Origin': 'https://site.example', 'Access-Control-Allow-Methods': 'OPTIONS,GET,POST' });
    const any = await handleApiRequest(postEvent({ operation: 'ping' }, { Origin: 'https://x.example' }), context({}, ['*']));
    expect(any.headers?.['Access-Control-Allow-Origin']).toBe('*');
  });

  it('decodes a base64-encoded body (API Gateway does so for binary content types)', async () => {
    const event = { ...postEvent(''), body: Buffer.from('{"operation":"ping"}').toString('base64'), isBase64Encoded: true };
    expect(JSON.parse((await handleApiRequest(event, context())).body)).toBe('pong');
  });

  it('reads its limits from the environment and refuses malformed values', () => {
    expect(limitsFromEnv({ MAX_INPUT_PIXELS: '1000', MAX_OUTPUT_DIMENSION: '' })).toEqual({ ...DEFAULT_LIMITS, maxInputPixels: 1000 });
    expect(() => limitsFromEnv({ MAX_INPUT_BYTES: '4MB' })).toThrow(/MAX_INPUT_BYTES must be a positive whole number/);
  });
});
