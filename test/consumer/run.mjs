#!/usr/bin/env node
// npm run test:consumer: proves the library where users hold it. Packs the built library (`npm pack`),
// installs the tarball into a temporary copy of this fixture app (with aws-cdk-lib, constructs and cdk-nag
// from the npm registry, preferring npm's cache), compiles the fixture and the README's examples with the
// compiler options `cdk init` writes, and runs the matrix (src/main.ts) against the INSTALLED package.
// The temporary directory is removed afterwards (KEEP_CONSUMER_DIR=1 keeps it and prints its path).
//
//   node test/consumer/run.mjs [situation-name-substring ...]
//
// Expects `npm run build` to have run (the test:consumer script does it first).
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { extractReadmeExamples } from './readme-examples.mjs';

const fixture = dirname(fileURLToPath(import.meta.url));
const root = join(fixture, '..', '..');
const work = mkdtempSync(join(tmpdir(), 'cdk-compute-patterns-consumer-'));
const app = join(work, 'app');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function step(title, fn) {
  const started = Date.now();
  const result = fn();
  console.log(`[consumer] ${title} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  return result;
}
const run = (cmd, args, cwd) => execFileSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });

let exitCode = 1;
try {
  for (const built of ['dist/lib/index.js', 'assets/lambda-ecs-worker/index.js', 'docker/povray-worker/dist/index.js']) {
    if (!existsSync(join(root, built))) throw new Error(`${built} is missing: run 'npm run build' first`);
  }
  // --ignore-scripts: the library is built already; `prepare` would build it a second time.
  const packed = step('npm pack', () => JSON.parse(run(npm, ['pack', '--ignore-scripts', '--json', '--pack-destination', work], root)));
  const tarball = join(work, packed[0].filename);

  mkdirSync(app);
  for (const entry of ['package.json', 'tsconfig.json', 'src']) cpSync(join(fixture, entry), join(app, entry), { recursive: true });
  const examples = extractReadmeExamples(readFileSync(join(root, 'README.md'), 'utf8'));
  if (examples.length === 0) throw new Error('README.md has no ```ts consumer-test blocks');
  mkdirSync(join(app, 'src', 'readme'));
  for (const example of examples) writeFileSync(join(app, 'src', 'readme', example.file), example.source);

  step(`npm install (the tarball, ${Object.keys(JSON.parse(readFileSync(join(fixture, 'package.json'), 'utf8')).dependencies).join(', ')})`, () =>
    run(npm, ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', tarball], app),
  );
  step(`tsc (fixture + ${examples.length} README examples, cdk init compiler options)`, () =>
    run(process.execPath, [join(app, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], app),
  );
  const started = Date.now();
  try {
    // The aws-cdk-lib CloudFormation validator adds ~3 s per synth and is covered by the repo's own example-app
    // test; here every situation is synthesized once without it.
    execFileSync(process.execPath, [join(app, 'dist', 'main.js'), ...process.argv.slice(2)], {
      cwd: app,
      stdio: 'inherit',
      env: { ...process.env, CDK_VALIDATION: 'false' },
    });
    exitCode = 0;
  } catch {
    exitCode = 1;
  }
  console.log(`[consumer] matrix (${((Date.now() - started) / 1000).toFixed(1)} s)`);
} catch (error) {
  console.error(`[consumer] ${error.stdout ?? ''}${error.message}`);
  exitCode = 1;
} finally {
  if (process.env.KEEP_CONSUMER_DIR) console.log(`[consumer] kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
process.exitCode = exitCode;
