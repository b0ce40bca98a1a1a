/**
 * The staleness rule that keeps tests off stale bundles (scripts/build-assets.mjs --check / --stale, run by
 * jest's global set-up and by assertBundleCurrent; the rule is scripts/asset-freshness.mjs), exercised on a
 * scratch tree with one tiny handler. Freshness goes by content: every edit below is dated BEFORE the build,
 * so a rule by mtime would call each one current.
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
  const longAgo = new Date(Date.now() - 3_600_000);
  /** Edits (or only touches) a file, then dates it an hour back: older than the bundle, as after a `git checkout`. */
  const edit = (rel: string, content?: string) => {
    if (content !== undefined) fs.writeFileSync(file(rel), content);
    fs.utimesSync(file(rel), longAgo, longAgo);
  };
  /** Touches a file (now) without changing it. */
  const touch = (rel: string) => fs.utimesSync(file(rel), new Date(), new Date());

  beforeAll(() => {
    tree = fs.mkdtempSync(path.join(os.tmpdir(), 'bundle-staleness-'));
    fs.mkdirSync(file('scripts'));
    fs.copyFileSync(path.join(ROOT, 'scripts', 'build-assets.mjs'), file('scripts/build-assets.mjs'));
    fs.copyFileSync(path.join(ROOT, 'scripts', 'asset-freshness.mjs'), file('scripts/asset-freshness.mjs'));
    fs.symlinkSync(path.join(ROOT, 'node_modules'), file('node_modules'));
    fs.mkdirSync(file('lambda/echo'), { recursive: true });
    fs.mkdirSync(file('lambda/shared'), { recursive: true });
    fs.writeFileSync(file('lambda/echo/index.ts'), "import { greeting } from '../shared/greeting';\nexport const handler = async () => greeting;\n");
    fs.writeFileSync(file('lambda/shared/greeting.ts'), "export const greeting = 'hello';\n");
    fs.writeFileSync(file('lambda/shared/unrelated.ts'), 'export const unused = 1;\n');
    // A native helper the target's afterBundle step would compile (like docker/povray-worker/sandbox/*.c).
    fs.mkdirSync(file('lambda/echo/sandbox'));
    fs.writeFileSync(file('lambda/echo/sandbox/helper.c'), 'int main(void) { return 0; }\n');
    fs.writeFileSync(file('package-lock.json'), '{"lockfileVersion": 3}\n');
    const built = buildAssets();
    expect(built.stderr).toBe('');
    expect(built.status).toBe(0);
  });
  afterAll(() => {
    if (tree) fs.rmSync(tree, { recursive: true, force: true });
  });

  it('records the hash of every input (what esbuild read, its directory, the build scripts, the lock file) and output, outside the asset', () => {
    const record = JSON.parse(fs.readFileSync(file('dist/bundle-inputs/lambda-echo.json'), 'utf8'));
    expect(record.output).toBe('assets/echo/index.js');
    expect(Object.keys(record.inputs).sort()).toEqual([
      'lambda/echo/index.ts',
      'lambda/echo/sandbox/helper.c',
      'lambda/shared/greeting.ts',
      'package-lock.json',
      'scripts/asset-freshness.mjs',
      'scripts/build-assets.mjs',
    ]);
    expect(record.inputs['lambda/shared/greeting.ts']).toMatch(/^[0-9a-f]{64}$/);
    expect(Object.keys(record.outputs).sort()).toEqual(['assets/echo/index.js', 'assets/echo/index.js.map']);
    expect(fs.readdirSync(file('assets/echo')).sort()).toEqual(['index.js', 'index.js.map']);
    expect(buildAssets('--check').status).toBe(0);
  });

  it('ignores mtimes: a touched file that did not change leaves the bundle current', () => {
    for (const rel of ['lambda/echo/index.ts', 'lambda/shared/greeting.ts', 'lambda/echo/sandbox/helper.c', 'package-lock.json']) touch(rel);
    expect(buildAssets('--check').status).toBe(0);
  });

  it.each([
    ['a file it imports from outside its directory', 'lambda/shared/greeting.ts', "export const greeting = 'changed';\n"],
    ['a C source of its directory', 'lambda/echo/sandbox/helper.c', 'int main(void) { return 1; }\n'],
    ['the lock file', 'package-lock.json', '{"lockfileVersion": 3, "packages": {}}\n'],
    ['the build script', 'scripts/build-assets.mjs', null],
  ])('calls a bundle stale, naming it, when %s changed (with an OLD mtime), and --stale rebuilds it', (_what, rel, content) => {
    edit('lambda/shared/unrelated.ts', 'export const unused = 2;\n');
    expect(buildAssets('--check').status).toBe(0);

    const original = fs.readFileSync(file(rel), 'utf8');
    edit(rel, content ?? `${original}// an edit\n`);
    const check = buildAssets('--check');
    expect(check.status).toBe(1);
    expect(check.stderr).toContain(`echo: out of date: ${rel} changed since assets/echo/index.js was built`);

    const rebuilt = buildAssets('--stale');
    expect(rebuilt.status).toBe(0);
    expect(rebuilt.stdout).toContain('bundled lambda/echo/index.ts');
    expect(buildAssets('--check').status).toBe(0);
    if (rel === 'lambda/shared/greeting.ts') expect(fs.readFileSync(file('assets/echo/index.js'), 'utf8')).toContain('changed');
  });

  it('calls a bundle stale when a file appears in its directory, or an output is not what the build produced', () => {
    edit('lambda/echo/sandbox/extra.c', 'int extra;\n');
    expect(buildAssets('--check').stderr).toContain('echo: out of date: lambda/echo/sandbox/extra.c is new since assets/echo/index.js was built');
    expect(buildAssets('--stale').status).toBe(0);

    // An old output left in place (e.g. by `git checkout` or a copy), dated after the build.
    fs.appendFileSync(file('assets/echo/index.js'), '\n// an older build\n');
    touch('assets/echo/index.js');
    expect(buildAssets('--check').stderr).toContain('echo: out of date: assets/echo/index.js is not what the last build produced');
    expect(buildAssets('--stale').status).toBe(0);
    expect(buildAssets('--check').status).toBe(0);
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

/**
 * Every test that runs a bundle or the jail binary goes through the guard: a test file that names one
 * (WORKER_ENTRY, WORKER_JAIL, an ASSET_DIR, 'queue-worker.js') also calls assertBundleCurrent or a helper
 * that does (WorkerTestbed, AssetCopy, invokeAssetOnce, the local ECS stand-in).
 */
describe('tests that run a bundle are guarded against stale ones', () => {
  const RUNS_A_BUNDLE = /\b(WORKER_ENTRY|WORKER_JAIL|ASSET_DIR)\b|['"`]queue-worker\.js['"`]/;
  const GUARDED = /\b(assertBundleCurrent\(|new WorkerTestbed\(|new AssetCopy\(|invokeAssetOnce\(|startLocalEcs\()/;
  const testFiles = (dir: string): string[] =>
    fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
      const file = path.join(dir, e.name);
      if (e.isDirectory()) return e.name === 'node_modules' ? [] : testFiles(file);
      return e.name.endsWith('.test.ts') && file !== __filename ? [file] : [];
    });
  /** The code of a file without its comments (a comment naming a bundle runs nothing). */
  const code = (file: string) => fs.readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:])\/\/.*$/gm, '$1');

  it('finds the tests that run bundles, and each goes through assertBundleCurrent', () => {
    const running = testFiles(path.join(ROOT, 'test')).filter((f) => RUNS_A_BUNDLE.test(code(f)));
    expect(running.map((f) => path.relative(ROOT, f))).toEqual(expect.arrayContaining(['test/spot-fleet-autoscaler/queue-worker-cli.test.ts']));
    expect(running.filter((f) => !GUARDED.test(code(f))).map((f) => path.relative(ROOT, f))).toEqual([]);
  });
});

describe('the real targets record what they are made of', () => {
  it('povray-worker: its C launcher source, bundle config, build scripts and lock file are inputs; the compiled launcher is an output', () => {
    const record = JSON.parse(fs.readFileSync(path.join(ROOT, 'dist', 'bundle-inputs', 'docker-povray-worker.json'), 'utf8'));
    expect(Object.keys(record.inputs)).toEqual(
      expect.arrayContaining([
        'docker/povray-worker/sandbox/povray-jail.c',
        'docker/povray-worker/bundle.config.mjs',
        'docker/povray-worker/src/worker.ts',
        'scripts/build-assets.mjs',
        'scripts/asset-freshness.mjs',
        'package-lock.json',
      ]),
    );
    expect(Object.keys(record.outputs)).toEqual(expect.arrayContaining(['docker/povray-worker/dist/index.js', 'docker/povray-worker/dist/povray-jail']));
  });

  it('spot-fleet-autoscaler: the worker helpers its afterBundle step bundles into assets/spot-fleet-worker are inputs', () => {
    const record = JSON.parse(fs.readFileSync(path.join(ROOT, 'dist', 'bundle-inputs', 'lambda-spot-fleet-autoscaler.json'), 'utf8'));
    expect(Object.keys(record.inputs)).toEqual(
      expect.arrayContaining(['lambda/spot-fleet-autoscaler/worker/queue-worker.ts', 'lambda/spot-fleet-autoscaler/worker/cli.ts', 'lambda/spot-fleet-autoscaler/bundle.config.mjs']),
    );
  });
});
