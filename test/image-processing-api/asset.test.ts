import * as fs from 'fs';
import * as path from 'path';
import sharp from 'sharp';
import { AssetCopy } from '../helpers/fresh-asset';

const ROOT = path.join(__dirname, '..', '..');
const ASSET = path.join(ROOT, 'assets', 'image-processing-api');

/**
 * The Lambda asset must run on its own: sharp is not bundled by esbuild, so the asset carries sharp, its
 * linux-x64 binaries and its dependencies. Prove it in a fresh Node process that cannot see this repo.
 */
describe('image-processing-api Lambda asset', () => {
  let copy: AssetCopy;
  beforeAll(() => {
    copy = new AssetCopy('image-processing-api');
  });
  afterAll(() => copy?.remove());

  it('keeps sharp out of the bundle and ships it with its platform packages', () => {
    const bundle = fs.readFileSync(path.join(ASSET, 'index.js'), 'utf8');
    expect(bundle).toMatch(/require\("sharp"\)/);
    for (const pkg of ['sharp', 'detect-libc', 'semver', '@img/colour', '@img/sharp-linux-x64', '@img/sharp-libvips-linux-x64']) {
      expect(fs.existsSync(path.join(ASSET, 'node_modules', pkg, 'package.json'))).toBe(true);
    }
    expect(fs.readdirSync(path.join(ASSET, 'node_modules', '@img', 'sharp-linux-x64', 'lib'))).toEqual([expect.stringMatching(/^sharp-linux-x64.*\.node$/)]);
    expect(fs.readdirSync(path.join(ASSET, 'node_modules', '@img', 'sharp-libvips-linux-x64', 'lib')).some((f) => f.startsWith('libvips-cpp.so'))).toBe(true);
  });

  it('loads in a fresh process outside the repo (no NODE_PATH) and resizes an image', async () => {
    expect(path.relative(ROOT, copy.dir).startsWith('..')).toBe(true);
    const input = await sharp({ create: { width: 120, height: 60, channels: 3, background: { r: 250, g: 10, b: 10 } } })
      .png()
      .toBuffer();
    const event = {
      httpMethod: 'POST',
      headers: { Accept: 'image/png' },
      body: JSON.stringify({ operation: 'resize', base64Image: input.toString('base64'), width: 30 }),
    };
    const outcome = copy.invoke({
      event,
      context: { awsRequestId: 'asset-test' },
      env: { AWS_LAMBDA_LOG_LEVEL: 'ERROR', POWERTOOLS_LOG_LEVEL: 'ERROR' },
      resolve: ['sharp'],
    });
    expect(outcome.modules.sharp.startsWith(fs.realpathSync(copy.dir))).toBe(true);
    const result = (outcome as { resolved: { statusCode: number; headers: Record<string, string>; body: string; isBase64Encoded: boolean } }).resolved;
    expect(result).toMatchObject({ statusCode: 200, headers: expect.objectContaining({ 'Content-Type': 'image/png' }), isBase64Encoded: true });
    const png = Buffer.from(result.body, 'base64');
    expect(await sharp(png).metadata()).toMatchObject({ format: 'png', width: 30, height: 15 });
    const { data } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    expect([data[0], data[1], data[2]]).toEqual([250, 10, 10]);
  });
});
