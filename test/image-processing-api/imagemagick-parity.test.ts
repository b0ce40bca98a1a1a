import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import sharp from 'sharp';
import { handleApiRequest, HttpContext } from '../../lambda/image-processing-api/http';
import { DEFAULT_LIMITS } from '../../contracts/image-processing-api/limits';
import { colourTransformOf } from '../../lambda/image-processing-api/pipeline-plan';
import { describeWithTools } from '../../local/tools';
import { postEvent } from './images';

/**
 * The seed clients' operations against ImageMagick's own output (`/usr/bin/convert`, run as the original
 * service ran it), compared pixel by pixel on a small photo-like picture: gradients, edges, saturated and
 * dark areas. sharp's native operations must give ImageMagick's pixels, not merely similar-looking ones.
 */
const context: HttpContext = { limits: DEFAULT_LIMITS, allowedOrigins: [], log: { info: () => {}, warn: () => {}, error: () => {} } };

interface Pixels {
  data: Buffer;
  width: number;
  height: number;
}

async function pixels(image: Buffer): Promise<Pixels> {
  const { data, info } = await sharp(image).toColourspace('srgb').removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

function difference(a: Pixels, b: Pixels): { max: number; mean: number } {
  expect([a.width, a.height]).toEqual([b.width, b.height]);
  let max = 0;
  let sum = 0;
  for (let i = 0; i < a.data.length; i++) {
    const d = Math.abs(a.data[i] - b.data[i]);
    max = Math.max(max, d);
    sum += d;
  }
  return { max, mean: sum / a.data.length };
}

describeWithTools(['convert'], 'image API against ImageMagick, pixel by pixel', () => {
  let dir: string;
  let input: Buffer;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'image-api-im-'));
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="160" height="120"><defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="#2a6fb0"/><stop offset="1" stop-color="#f0c060"/></linearGradient></defs><rect width="100%" height="100%" fill="url(#g)"/><circle cx="50" cy="40" r="30" fill="#c03030"/><rect x="90" y="60" width="50" height="40" fill="#30a040"/><rect x="10" y="90" width="30" height="20" fill="#fff"/><rect x="120" y="5" width="30" height="20" fill="#000"/></svg>`;
    input = await sharp(Buffer.from(svg)).png().toBuffer();
    fs.writeFileSync(path.join(dir, 'in.png'), input);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function api(request: Record<string, unknown>): Promise<Pixels> {
    const response = await handleApiRequest(postEvent({ ...request, base64Image: input.toString('base64'), outputExtension: 'png' }), context);
    expect(response.statusCode).toBe(200);
    return pixels(Buffer.from(JSON.parse(response.body) as string, 'base64'));
  }

  function imagemagick(args: string[]): Promise<Pixels> {
    const out = path.join(dir, 'out.png');
    execFileSync('/usr/bin/convert', [path.join(dir, 'in.png'), ...args, out]);
    return pixels(fs.readFileSync(out));
  }

  it.each([
    [['-negate']],
    [['-colorspace', 'Gray']],
    [['-fill', 'black', '-colorize', '50%']],
    [['-fill', 'white', '-colorize', '50%']],
  ])('convert %j gives ImageMagick pixels (off by at most 1)', async (customArgs) => {
    const { max } = difference(await api({ operation: 'convert', customArgs }), await imagemagick(customArgs));
    expect(max).toBeLessThanOrEqual(1);
  });

  it.each([
    ['resize', { operation: 'resize', width: 40 }, 40],
    ['thumbnail', { operation: 'thumbnail' }, 100],
  ])('%s matches the original resize (Lagrange, blur 0.8) to within resampling noise', async (_name, request, width) => {
    const theirs = await imagemagick(['-set', 'option:filter:blur', '0.8', '-filter', 'Lagrange', '-strip', '-resize', String(width), '-quality', '80']);
    const { mean, max } = difference(await api(request), theirs);
    expect(mean).toBeLessThan(2);
    expect(max).toBeLessThanOrEqual(24); // only at the sharp edges of the shapes, where kernels differ
  });

  it('-sepia-tone 65% keeps its documented matrix (ImageMagick thresholds and normalises instead): brown like ImageMagick, exact to the matrix', async () => {
    const ours = await api({ operation: 'convert', customArgs: ['-sepia-tone', '65%'] });
    const original = await pixels(input);
    const { matrix } = colourTransformOf({ kind: 'sepia', percent: 65 });
    let max = 0;
    for (let i = 0; i < original.data.length; i += 3) {
      for (let r = 0; r < 3; r++) {
        const expected = Math.min(255, matrix[r][0] * original.data[i] + matrix[r][1] * original.data[i + 1] + matrix[r][2] * original.data[i + 2]);
        max = Math.max(max, Math.abs(ours.data[i + r] - expected));
      }
    }
    expect(max).toBeLessThanOrEqual(1);
    // Both tone a mid grey brown: red above green above blue.
    const theirs = await imagemagick(['-sepia-tone', '65%']);
    const at = (p: Pixels, x: number, y: number) => [...p.data.subarray((y * p.width + x) * 3, (y * p.width + x) * 3 + 3)];
    for (const p of [ours, theirs]) {
      const [r, g, b] = at(p, 80, 60);
      expect(r).toBeGreaterThan(g);
      expect(g).toBeGreaterThan(b);
    }
  });
});
