/**
 * The staleness rule that keeps tests off stale bundles (scripts/build-assets.mjs --check / --stale, run by
 * jest's global set-up and by assertBundleCurrent), exercised on a scratch tree with one tiny handler.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.join(__dirname, '..', '..');

describe('bundle staleness (scripts/build-assets.mjs)', () => {
  let tree: string;
  const file = (rel: string) => path.join(tree, rel);
  const buildAssets = (...args: string[]) => spawnSync(process.execPath, [file('scripts/build-assets.mjs'), ...args], { cwd: tree, encoding: 'utf8' });
  /** Edits (or touches) a file after the last build: the bundle is dated back first, as if built earlier. */
  const edit = (rel: string, content?: string) => {
    const earlier = new Date(Date.now() - 10_000);
    fs.utimesSync(file('assets/echo/index.js'), earlier, earlier);
    const now = new Date();
    if (content !== undefined) fs.writeFileSync(file(rel), content);
    fs.utimesSync(file(rel), now, now);
  };

  beforeAll(() => {
    tree = fs.mkdtempSync(path.join(os.tmpdir(), 'bundle-staleness-'));
    fs.mkdirSync(file('scripts'));
    fs.copyFileSync(path.join(ROOT, 'scripts', 'build-assets.mjs'), file('scripts/build-assets.mjs'));
    fs.symlinkSync(path.join(ROOT, 'node_modules'), file('node_modules'));
    fs.mkdirSync(file('lambda/echo'), { recursive: true });
    fs.mkdirSync(file('lambda/shared'), { recursive: true });
    fs.writeFileSync(file('lambda/echo/index.ts'), "import { greeting } from '../shared/greeting';\nexport const handler = async () => greeting;\n");
    fs.writeFileSync(file('lambda/shared/greeting.ts'), "export const greeting = 'hello';\n");
    fs.writeFileSync(file('lambda/shared/unrelated.ts'), 'export const unused = 1;\n');
    // Sources written long before the build, so dating the bundle back (edit) keeps it newer than them.
    const longAgo = new Date(Date.now() - 60_000);
    for (const rel of ['scripts/build-assets.mjs', 'lambda/echo/index.ts', 'lambda/shared/greeting.ts', 'lambda/shared/unrelated.ts']) fs.utimesSync(file(rel), longAgo, longAgo);
    const built = buildAssets();
    expect(built.stderr).toBe('');
    expect(built.status).toBe(0);
  });
  afterAll(() => {
    if (tree) fs.rmSync(tree, { recursive: true, force: true });
  });

  it('records exactly what esbuild read, outside the asset directory', () => {
    const record = JSON.parse(fs.readFileSync(file('dist/bundle-inputs/lambda-echo.json'), 'utf8'));
    expect(record).toEqual({ output: 'assets/echo/index.js', inputs: ['lambda/echo/index.ts', 'lambda/shared/greeting.ts'] });
    expect(fs.readdirSync(file('assets/echo')).sort()).toEqual(['index.js', 'index.js.map']);
    expect(buildAssets('--check').status).toBe(0);
  });

  it('calls a bundle stale when a file it imports from outside its directory changed, and --stale rebuilds it', () => {
    edit('lambda/shared/unrelated.ts');
    expect(buildAssets('--check').status).toBe(0);

    edit('lambda/shared/greeting.ts', "export const greeting = 'changed';\n");
    const check = buildAssets('--check');
    expect(check.status).toBe(1);
    expect(check.stderr).toContain('echo: out of date: lambda/shared/greeting.ts is newer than assets/echo/index.js');

    const rebuilt = buildAssets('--stale');
    expect(rebuilt.status).toBe(0);
    expect(rebuilt.stdout).toContain('bundled lambda/echo/index.ts');
    expect(fs.readFileSync(file('assets/echo/index.js'), 'utf8')).toContain('changed');
  });

  it('calls a bundle stale when it is missing, and leaves current bundles alone', () => {
    fs.rmSync(file('assets/echo/index.js'));
    expect(buildAssets('--check').stderr).toContain('echo: out of date: assets/echo/index.js is missing');
    expect(buildAssets('--stale').status).toBe(0);
    const again = buildAssets('--stale');
    expect(again.status).toBe(0);
    expect(again.stdout).toBe('');
  });

  it('names an unknown target instead of building nothing', () => {
    const result = buildAssets('--check', 'ecko');
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('no bundle target named ecko (targets: echo)');
  });
});
