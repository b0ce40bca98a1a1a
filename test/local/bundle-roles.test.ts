/**
 * Several functions per pattern (scripts/build-assets.mjs): lambda/<pattern>/index.ts is the default role;
 * every other entry point is listed by name in `roles` of the pattern's bundle.config.mjs and bundled into
 * assets/<pattern>-<role>/ (or the role's assetName), with its own freshness record. Exercised on a scratch
 * tree; PrebundledFunction's `role` must name the same directory.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { handlerAssetName } from '../../lib/core/assets';
import { PrebundledFunction } from '../../lib/core';

const ROOT = path.join(__dirname, '..', '..');

describe('several functions per pattern (scripts/build-assets.mjs roles)', () => {
  let tree: string;
  const file = (rel: string) => path.join(tree, rel);
  const buildAssets = (...args: string[]) => spawnSync(process.execPath, [file('scripts/build-assets.mjs'), ...args], { cwd: tree, encoding: 'utf8' });
  const write = (rel: string, content: string) => {
    fs.mkdirSync(path.dirname(file(rel)), { recursive: true });
    fs.writeFileSync(file(rel), content);
  };
  const runHandler = (asset: string, event: unknown) =>
    spawnSync(process.execPath, ['-e', `require(${JSON.stringify(file(`assets/${asset}/index.js`))}).handler(${JSON.stringify(event)}).then((r) => console.log(JSON.stringify(r)))`], { encoding: 'utf8' });

  beforeAll(() => {
    tree = fs.mkdtempSync(path.join(os.tmpdir(), 'bundle-roles-'));
    fs.mkdirSync(file('scripts'));
    for (const script of ['build-assets.mjs', 'asset-freshness.mjs']) fs.copyFileSync(path.join(ROOT, 'scripts', script), file(`scripts/${script}`));
    fs.symlinkSync(path.join(ROOT, 'node_modules'), file('node_modules'));
    write('lambda/probe/index.ts', "export const handler = async () => 'probe';\n");
    write('lambda/probe/invoker.ts', "import { target } from './target';\nexport const handler = async (event: { n: number }) => ({ invoked: target, n: event.n });\n");
    // A helper module that happens to export `handler`: not listed, so never an entry point.
    write('lambda/probe/target.ts', "export const target = 'the probe';\nexport const handler = async () => 'not an entry point';\n");
    write('lambda/probe/tools/cli.ts', "console.log('cli');\n");
    write('lambda/probe/tools/lib.ts', "export const lib = 1;\n");
    write(
      'lambda/probe/bundle.config.mjs',
      "export const roles = {\n  invoker: {},\n  tools: { assetName: 'probe-tools', entry: { index: 'tools/lib.ts', cli: 'tools/cli.ts' }, esbuildOptions: { minify: false } },\n};\n",
    );
    const built = buildAssets();
    expect(built.stderr).toBe('');
    expect(built.status).toBe(0);
  });
  afterAll(() => {
    if (tree) fs.rmSync(tree, { recursive: true, force: true });
  });

  it('bundles each listed role into its own asset, and nothing for an unlisted module', () => {
    expect(fs.readdirSync(file('assets')).sort()).toEqual(['probe', 'probe-invoker', 'probe-tools']);
    expect(fs.readdirSync(file('assets/probe-invoker')).sort()).toEqual(['index.js', 'index.js.map']);
    expect(fs.readdirSync(file('assets/probe-tools')).sort()).toEqual(['cli.js', 'cli.js.map', 'index.js', 'index.js.map']);
    expect(JSON.parse(runHandler('probe-invoker', { n: 2 }).stdout)).toEqual({ invoked: 'the probe', n: 2 });
    expect(JSON.parse(runHandler('probe', {}).stdout)).toBe('probe');
  });

  it('records what each role read, so freshness is judged per role', () => {
    const record = JSON.parse(fs.readFileSync(file('dist/bundle-inputs/lambda-probe-invoker.json'), 'utf8'));
    expect(record.output).toBe('assets/probe-invoker/index.js');
    // What esbuild read for this role (by content), beside the pattern directory's files and the build scripts...
    expect(Object.keys(record.inputs)).toEqual(expect.arrayContaining(['lambda/probe/invoker.ts', 'lambda/probe/target.ts', 'scripts/build-assets.mjs']));
    // ...and only this role's own outputs.
    expect(Object.keys(record.outputs).every((f) => f.startsWith('assets/probe-invoker/'))).toBe(true);
    expect(buildAssets('--check').status).toBe(0);
    fs.rmSync(file('assets/probe-invoker/index.js'));
    const check = buildAssets('--check', 'probe');
    expect(check.status).toBe(1);
    expect(check.stderr).toContain('probe-invoker: out of date: assets/probe-invoker/index.js is missing');
    const rebuilt = buildAssets('--stale');
    expect(rebuilt.stdout).toContain('bundled lambda/probe/invoker.ts -> assets/probe-invoker/index.js');
    expect(rebuilt.stdout).not.toContain('bundled lambda/probe/index.ts');
  });

  it('names the file a listed role lacks', () => {
    write('lambda/probe/bundle.config.mjs', 'export const roles = { reporter: {} };\n');
    const result = buildAssets('--check');
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain("lambda/probe/bundle.config.mjs lists role 'reporter', but lambda/probe/reporter.ts does not exist");
  });

  it('names the same directory as PrebundledFunction: assets/<pattern>-<role>', () => {
    expect(() => handlerAssetName('probe', '../secrets')).toThrow("role must be the kebab-case name of lambda/probe/<role>.ts (got '../secrets')");
    expect(handlerAssetName('probe', 'invoker')).toBe('probe-invoker');
    expect(handlerAssetName('probe')).toBe('probe');
    const stack = new Stack(new App(), 'S');
    expect(() => new PrebundledFunction(stack, 'F', { assetName: 'table-trigger', role: 'reporter', description: 'x' })).toThrow(
      "The prebundled handler asset 'table-trigger-reporter' (role 'reporter' of 'table-trigger': lambda/table-trigger/reporter.ts, listed in roles of lambda/table-trigger/bundle.config.mjs) is missing",
    );
  });
});
