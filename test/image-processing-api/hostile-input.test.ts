import type { APIGatewayProxyResult } from 'aws-lambda';
import { createHash } from 'crypto';
import sharp from 'sharp';
import { handleApiRequest, HttpContext, runOptions } from '../../lambda/image-processing-api/http';
import { clientFailure, DEFAULT_RUN_OPTIONS } from '../../lambda/image-processing-api/operations';
import { DEFAULT_LIMITS, ImageLimits, limitsFromEnv, outputPixelsFor } from '../../contracts/image-processing-api/limits';
import { pngBomb, postEvent, solid } from './images';

/**
 * Whatever a client sends, the answer is a 2xx or a 4xx JSON error with a short message: never a 5xx,
 * never a stack overflow, never a property of Object.prototype taken for a colour, format or operation.
 */
const errors: Array<Record<string, unknown>> = [];
function context(limits: Partial<ImageLimits> = {}, secondsLeft?: () => number): HttpContext {
  return {
    limits: { ...DEFAULT_LIMITS, ...limits },
    allowedOrigins: [],
    secondsLeft,
    log: { info: () => {}, warn: () => {}, error: (_m, extra) => errors.push(extra ?? {}) },
  };
}

async function send(body: unknown, headers: Record<string, string> = {}, limits: Partial<ImageLimits> = {}): Promise<APIGatewayProxyResult> {
  return handleApiRequest(postEvent(body, headers), context(limits));
}

/** A client error: 4xx, a JSON body with a code, and a message short enough to read (no echoed payload). */
function expectClientError(response: APIGatewayProxyResult, status?: number, code?: string): Record<string, unknown> {
  expect(response.statusCode).toBeGreaterThanOrEqual(400);
  expect(response.statusCode).toBeLessThan(500);
  if (status) expect(response.statusCode).toBe(status);
  const json = JSON.parse(response.body) as Record<string, unknown>;
  expect(typeof json.error).toBe('string');
  if (code) expect(json.error).toBe(code);
  expect(String(json.message).length).toBeLessThan(600);
  expect(response.body.length).toBeLessThan(1500);
  return json;
}

const nested = (depth: number, leaf = '"-negate"'): string => `${'['.repeat(depth)}${leaf}${']'.repeat(depth)}`;

let png: string;
beforeAll(async () => {
  png = (await solid(6, 4, [10, 20, 30])).toString('base64');
});
beforeEach(() => {
  errors.length = 0;
});
afterEach(() => {
  expect(errors).toEqual([]); // no request reached the 500 path
});

describe('image API: names of Object.prototype are just unknown names', () => {
  const PROTOTYPE_NAMES = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', 'isPrototypeOf'];

  it.each(PROTOTYPE_NAMES)('-fill %s is an unknown colour (400 naming it)', async (name) => {
    const json = expectClientError(await send({ operation: 'convert', base64Image: png, customArgs: ['-fill', name, '-colorize', '50%'] }), 400, 'disallowed_argument');
    expect(json.argument).toBe(name);
  });

  it.each(PROTOTYPE_NAMES)('customArgs option %s is not allowed (400)', async (name) => {
    expectClientError(await send({ operation: 'convert', base64Image: png, customArgs: [name] }), 400, 'disallowed_argument');
  });

  it.each(PROTOTYPE_NAMES)('outputExtension / inputExtension %s is an unsupported format (415)', async (name) => {
    expectClientError(await send({ operation: 'convert', base64Image: png, outputExtension: name }), 415, 'unsupported_format');
    expectClientError(await send({ operation: 'convert', base64Image: png, inputExtension: name }), 415, 'unsupported_format');
  });

  it.each(PROTOTYPE_NAMES)('operation %s is unknown (400)', async (name) => {
    expectClientError(await send({ operation: name }), 400, 'unknown_operation');
  });

  it('reads only the body\'s own fields: a "__proto__" key carries nothing into the request', async () => {
    expectClientError(await send('{"__proto__":{"operation":"ping"}}'), 400, 'unknown_operation');
    expectClientError(await send(`{"operation":"resize","__proto__":{"base64Image":"${png}"}}`), 400, 'missing_image');
    const ok = await send(`{"operation":"resize","base64Image":"${png}","__proto__":{"width":1}}`);
    expect(ok.statusCode).toBe(200);
    expect((await sharp(Buffer.from(JSON.parse(ok.body) as string, 'base64')).metadata()).width).toBe(100); // the default, not 1
  });
});

describe('image API: deeply nested values', () => {
  it.each(['operation', 'width', 'height', 'customArgs', 'outputExtension', 'inputExtension', 'base64Image'])(
    '%s nested 100000 arrays deep gets a 400 with a short message (no stack overflow building it)',
    async (field) => {
      const fields: Record<string, string> = { operation: '"convert"', base64Image: `"${png}"` };
      fields[field] = nested(100_000);
      const body = `{${Object.entries(fields)
        .map(([k, v]) => `"${k}":${v}`)
        .join(',')}}`;
      const json = expectClientError(await send(body));
      expect(String(json.message)).not.toContain('[[');
    },
  );

  it('a deep customArgs item is named by its type, not serialised', async () => {
    const json = expectClientError(await send(`{"operation":"convert","base64Image":"${png}","customArgs":["-negate",${nested(50_000)}]}`), 400, 'invalid_field');
    expect(json.message).toMatch(/customArgs\[1\] must be a string \(got an array of 1 item\)/);
  });
});

describe('image API: content negotiation and formats', () => {
  it.each(['image/bmp', 'text/html', 'image/svg+xml', 'application/xml, image/x-icon;q=0.5', 'image/png;q=0'])('Accept: %s (nothing the API produces) gets 406', async (accept) => {
    const json = expectClientError(await send({ operation: 'getSample' }, { Accept: accept }), 406, 'not_acceptable');
    expect(json.message).toMatch(/application\/json.*image\/\*/);
  });

  it('a 10 kB Accept header is not echoed back whole', async () => {
    const json = expectClientError(await send({ operation: 'getSample' }, { Accept: `text/${'x'.repeat(10_000)}` }), 406);
    expect(String(json.message).length).toBeLessThan(400);
  });

  it('still serves Accept lists that include something it produces', async () => {
    expect((await send({ operation: 'getSample' }, { Accept: 'image/bmp, application/json;q=0.2' })).statusCode).toBe(200);
    const webp = await send({ operation: 'getSample' }, { Accept: 'image/bmp, image/webp;q=0.9' });
    expect(webp.headers?.['Content-Type']).toBe('image/webp');
  });

  it.each([
    ['SVG', '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><image href="file:///etc/passwd"/></svg>'],
    ['SVG with a BOM and XML prolog', '\ufeff<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>'],
    ['PDF', '%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF'],
    ['BMP', 'BM\x3a\0\0\0\0\0\0\0\x36\0\0\0\x28\0\0\0\x01\0\0\0\x01\0\0\0\x01\0\x18\0'],
    ['ImageMagick MVG', 'push graphic-context\nviewbox 0 0 1 1\nimage over 0,0 0,0 "/etc/passwd"\npop graphic-context'],
  ])('%s input is refused with 415 before any decoder sees it', async (_name, text) => {
    const json = expectClientError(await send({ operation: 'convert', base64Image: Buffer.from(text, 'latin1').toString('base64') }), 415, 'unsupported_format');
    expect(json.message).toMatch(/refused before decoding/);
  });
});

describe('image API: bounded cost per request', () => {
  it('refuses, from the header alone, a result above the output-pixel budget and names the limit', async () => {
    // The header says 3000×3000 but the pixel data is a few rows of zeros: decoding it would fail with
    // unreadable_image, so output_too_large proves the refusal came first.
    const bomb = pngBomb(3000, 3000).toString('base64');
    for (const customArgs of [['-resize', '200%'], ['-rotate', '45'], ['-resize', '250%', '-resize', '10%']]) {
      const json = expectClientError(await send({ operation: 'convert', base64Image: bomb, customArgs }, {}, { maxOutputPixels: 10_000_000 }), 422, 'output_too_large');
      expect(json).toMatchObject({ limit: 'maxOutputPixels' });
      expect(json.message).toMatch(/at most 10000000 pixels .*\(maxOutputPixels\)/);
    }
    expectClientError(await send({ operation: 'resize', base64Image: bomb, width: 8000 }, {}, { maxOutputPixels: 10_000_000 }), 422, 'output_too_large');
    // Within the budget the same input reaches the decoder, which finds it broken.
    expectClientError(await send({ operation: 'convert', base64Image: bomb, customArgs: ['-rotate', '45'] }, {}, { maxOutputPixels: 20_000_000 }), 422, 'unreadable_image');
  });

  it('derives the budget from the function memory Lambda reports, unless MAX_OUTPUT_PIXELS is set', () => {
    expect(limitsFromEnv({}).maxOutputPixels).toBe(outputPixelsFor(1536));
    expect(limitsFromEnv({ AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '512' }).maxOutputPixels).toBe(outputPixelsFor(512));
    expect(outputPixelsFor(512)).toBeLessThan(outputPixelsFor(3008));
    expect(limitsFromEnv({ AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '512', MAX_OUTPUT_PIXELS: '1234' }).maxOutputPixels).toBe(1234);
    expect(() => limitsFromEnv({ MAX_OUTPUT_PIXELS: 'lots' })).toThrow(/MAX_OUTPUT_PIXELS must be a positive whole number/);
  });

  // Whether a real pipeline outlasts one second depends on the machine, so the two halves are checked apart:
  // the timeout given to sharp (from the invocation's time left) and the answer to sharp's timeout error.
  it("gives sharp the invocation's time left minus 2 s to answer, at most the default and at least 1 s", () => {
    expect(runOptions({ secondsLeft: () => 3 })).toEqual({ timeoutSeconds: 1 });
    expect(runOptions({ secondsLeft: () => 0.5 })).toEqual({ timeoutSeconds: 1 });
    expect(runOptions({ secondsLeft: () => 12.9 })).toEqual({ timeoutSeconds: 10 });
    expect(runOptions({ secondsLeft: () => 900 })).toEqual(DEFAULT_RUN_OPTIONS);
    expect(runOptions({})).toEqual(DEFAULT_RUN_OPTIONS);
  });

  it("answers sharp's timeout error (libvips: 'timeout: N% complete') with a 422 naming the limit", () => {
    const error = clientFailure(new Error('timeout: 43% complete'), { timeoutSeconds: 1 });
    expect(error).toMatchObject({ status: 422, code: 'processing_timeout' });
    expect(error.details).toMatchObject({ limit: 'timeoutSeconds', timeoutSeconds: 1 });
    expect(error.message).toContain('1 s');
  });

  it('encodes JPEG without Huffman optimisation, and re-encodes optimised only when that is what makes the answer fit', async () => {
    const noisy = await sharp({ create: { width: 300, height: 200, channels: 3, background: '#888', noise: { type: 'gaussian', mean: 128, sigma: 50 } } }).jpeg().toBuffer();
    const plain = await sharp(noisy).negate().jpeg({ quality: 80, optimiseCoding: false }).toBuffer();
    const optimised = await sharp(noisy).negate().jpeg({ quality: 80, optimiseCoding: true }).toBuffer();
    expect(optimised.length).toBeLessThan(plain.length);
    const request = { operation: 'convert', base64Image: noisy.toString('base64'), customArgs: ['-negate'] };
    const outputBytes = async (limits: Partial<ImageLimits>) => Buffer.from(JSON.parse((await send(request, {}, limits)).body) as string, 'base64');
    expect((await outputBytes({})).equals(plain)).toBe(true);
    const between = Math.ceil(((optimised.length + plain.length) / 2 / 3) * 4);
    expect((await outputBytes({ maxResponseBytes: between })).equals(optimised)).toBe(true);
    expectClientError(await send(request, {}, { maxResponseBytes: 1000 }), 413, 'response_too_large');
  });
});

/** Deterministic draws in [0, 1) from a seed (SHA-256 of seed and counter), so a failing shape can be replayed. */
function random(seed: string): () => number {
  let counter = 0;
  return () => createHash('sha256').update(`${seed}:${counter++}`).digest().readUInt32BE(0) / 2 ** 32;
}

describe('image API: generated request shapes', () => {
  const WORDS = [
    '__proto__', 'constructor', 'prototype', 'toString', '', ' ', '-negate', '-fill', 'black', '-colorize', '50%', '-resize', '99999x99999',
    '1e309', '-1', 'NaN', '%', '\u0000', '\ud800', '../../etc/passwd', 'png', 'jpg', 'svg', 'convert', 'resize', 'getSample', '-rotate', '45',
    'x'.repeat(5000), '-sepia-tone', '-colorspace', 'Gray', 'data:image/png;base64,', '=', '-quality', '0',
  ];
  const FIELDS = ['operation', 'base64Image', 'inputExtension', 'outputExtension', 'width', 'height', 'customArgs', '__proto__', 'constructor'];

  function value(next: () => number, depth = 0): unknown {
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)];
    switch (Math.floor(next() * (depth > 3 ? 4 : 7))) {
      case 0:
        return pick(WORDS);
      case 1:
        return pick([0, -0, -1, 1, 0.5, 1e308, -1e308, 2 ** 53, 8193, 100, 40]);
      case 2:
        return pick([true, false, null]);
      case 3:
        return png;
      case 4:
        return Array.from({ length: Math.floor(next() * 5) }, () => value(next, depth + 1));
      case 5:
        return Object.fromEntries(Array.from({ length: Math.floor(next() * 4) }, () => [pick([...FIELDS, ...WORDS.slice(0, 6)]), value(next, depth + 1)]));
      default:
        return nested(1 + Math.floor(next() * 20_000), JSON.stringify(pick(WORDS)));
    }
  }

  it('answers 300 generated requests with 2xx or 4xx only', async () => {
    const next = random('image-api-shapes-1');
    const statuses = new Map<number, number>();
    for (let i = 0; i < 300; i++) {
      const fields: string[] = [];
      if (next() < 0.8) fields.push(`"operation":${JSON.stringify(['convert', 'resize', 'thumbnail', 'identify', 'getSample'][i % 5])}`);
      if (next() < 0.6) fields.push(`"base64Image":"${png}"`);
      for (let k = Math.floor(next() * 4); k > 0; k--) {
        const v = value(next);
        fields.push(`${JSON.stringify(FIELDS[Math.floor(next() * FIELDS.length)])}:${typeof v === 'string' && v.startsWith('[') ? v : JSON.stringify(v)}`);
      }
      const accept: Record<string, string> = next() < 0.2 ? { Accept: ['image/*', 'image/bmp', '*/*', 'application/json', 'image/webp;q=0.1, text/html'][i % 5] } : {};
      const response = await send(`{${fields.join(',')}}`, accept);
      statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
      if (response.statusCode !== 200) expectClientError(response);
      else expect(response.statusCode).toBe(200);
    }
    // The generator reaches both outcomes, so the loop proves something.
    expect(statuses.get(200)).toBeGreaterThan(5);
    expect([...statuses.entries()].filter(([s]) => s >= 400).reduce((n, [, count]) => n + count, 0)).toBeGreaterThan(100);
  }, 60_000);
});
