import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import sharp from 'sharp';
import { assertBundleCurrent } from '../harness/bundles';

const ROOT = path.join(__dirname, '..', '..');
const ASSET = path.join(ROOT, 'assets', 'image-processing-api');

/**
 * The Lambda asset must run on its own: sharp is not bundled by esbuild, so the asset carries sharp, its
 * linux-x64 binaries and its dependencies. Prove it in a fresh Node process that cannot see this repo.
 */
describe('image-processing-api Lambda asset', () => {
  let dir: string;
  beforeAll(() => {
    assertBundleCurrent('image-processing-api');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'image-api-asset-'));
    fs.cpSync(ASSET, dir, { recursive: true });
  });
  afterAll(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

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
    expect(path.relative(ROOT, dir).startsWith('..')).toBe(true);
    const input = await sharp({ create: { width: 120, height: 60, channels: 3, background: { r: 250, g: 10, b: 10 } } })
      .png()
      .toBuffer();
    fs.writeFileSync(path.join(dir, 'input.png'), input);
    const script = `
      const fs = require('fs');
      const sharpPath = require.resolve('sharp');
      const { handler } = require('./index.js');
      const event = { httpMethod: 'POST', headers: { Accept: 'image/png' }, body: JSON.stringify({
        operation: 'resize', base64Image: fs.readFileSync('input.png').toString('base64'), width: 30 }) };
      handler(event, { awsRequestId: 'asset-test' }).then((r) => {
        process.stdout.write(JSON.stringify({ sharpPath, status: r.statusCode, type: r.headers['Content-Type'], body: r.body, b64: r.isBase64Encoded }));
      }, (e) => { console.error(e); process.exit(1); });`;
    const env = { ...process.env, AWS_LAMBDA_LOG_LEVEL: 'ERROR', POWERTOOLS_LOG_LEVEL: 'ERROR' } as NodeJS.ProcessEnv;
    delete env.NODE_PATH;
    delete env.NODE_OPTIONS;
    const out = execFileSync(process.execPath, ['-e', script], { cwd: dir, env, encoding: 'utf8', timeout: 30_000 });
    const result = JSON.parse(out.slice(out.indexOf('{"sharpPath"')));
    expect(result.sharpPath.startsWith(fs.realpathSync(dir))).toBe(true);
    expect(result).toMatchObject({ status: 200, type: 'image/png', b64: true });
    const png = Buffer.from(result.body, 'base64');
    expect(await sharp(png).metadata()).toMatchObject({ format: 'png', width: 30, height: 15 });
    const { data } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    expect([data[0], data[1], data[2]]).toEqual([250, 10, 10]);
  });
});
