import type { APIGatewayProxyEvent } from 'aws-lambda';
import sharp from 'sharp';
import { crc32, deflateSync } from 'zlib';

/** Test images, generated with sharp so every expected pixel is known. */

/** A solid image (RGB, or RGBA when `alpha` < 1). */
export function solid(width: number, height: number, rgb: [number, number, number], format: 'png' | 'jpeg' | 'webp' | 'gif' | 'tiff' | 'avif' = 'png', alpha = 1): Promise<Buffer> {
  const channels = alpha < 1 ? 4 : 3;
  const img = sharp({ create: { width, height, channels, background: { r: rgb[0], g: rgb[1], b: rgb[2], alpha } } });
  switch (format) {
    case 'png':
      return img.png().toBuffer();
    case 'jpeg':
      return img.jpeg({ quality: 95 }).toBuffer();
    case 'webp':
      return img.webp({ lossless: true }).toBuffer();
    case 'gif':
      return img.gif().toBuffer();
    case 'tiff':
      return img.tiff().toBuffer();
    case 'avif':
      return img.avif({ lossless: true, effort: 0 }).toBuffer();
  }
}

/**
 * A 40×20 PNG whose left half is red and right half is blue, with a fully transparent bottom-right quadrant
 * when `transparentCorner` is set: distinguishes flips, rotations and alpha handling.
 */
export async function halves(transparentCorner = false): Promise<Buffer> {
  const width = 40;
  const height = 20;
  const data = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      const left = x < width / 2;
      data[i] = left ? 255 : 0;
      data[i + 1] = 0;
      data[i + 2] = left ? 0 : 255;
      data[i + 3] = transparentCorner && !left && y >= height / 2 ? 0 : 255;
    }
  }
  return sharp(data, { raw: { width, height, channels: 4 } }).png().toBuffer();
}

/** A JPEG stored 60×30 with EXIF orientation 6 (display rotated 90° clockwise, i.e. 30×60). */
export function rotatedJpeg(): Promise<Buffer> {
  return sharp({ create: { width: 60, height: 30, channels: 3, background: { r: 30, g: 160, b: 90 } } })
    .jpeg()
    .withMetadata({ orientation: 6 })
    .toBuffer();
}

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body) >>> 0);
  return Buffer.concat([length, body, crc]);
}

/**
 * A decompression bomb: a valid PNG header announcing `width`×`height` 8-bit grey pixels with a tiny
 * zlib stream of zero rows; a few hundred bytes that would decode to width × height bytes.
 */
export function pngBomb(width = 30000, height = 30000): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // greyscale
  const rows = deflateSync(Buffer.alloc((width + 1) * 64), { level: 9 });
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', rows),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** RGBA of the pixel at (x, y) after decoding to sRGB with alpha. */
export async function pixel(image: Buffer, x: number, y: number): Promise<[number, number, number, number]> {
  const { data, info } = await sharp(image).toColourspace('srgb').ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  const i = (y * info.width + x) * info.channels;
  return [data[i], data[i + 1], data[i + 2], data[i + 3]];
}

/** An API Gateway REST proxy event for a POST of `body`. */
export function postEvent(body: unknown, headers: Record<string, string> = {}): APIGatewayProxyEvent {
  return {
    httpMethod: 'POST',
    path: '/',
    resource: '/',
    headers: { 'Content-Type': 'application/json', ...headers },
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    body: typeof body === 'string' ? body : JSON.stringify(body),
    isBase64Encoded: false,
    requestContext: { requestId: 'test-request' } as APIGatewayProxyEvent['requestContext'],
  };
}
