#!/usr/bin/env node
// npm run test:consumer: proves the library where users hold it. Packs the library as publishing does
// (`npm pack`: its prepack builds the assets that are out of date, compiles with jsii and leaves `prepare` out
// of the packed package.json), installs the tarball into a temporary copy of this fixture app (with
// aws-cdk-lib, constructs and cdk-nag from the npm registry, preferring npm's cache) and fails when the
// install prints a warning naming this package, compiles the fixture and the README's examples with the
// compiler options `cdk init` writes, and runs the matrix (src/main.ts) against the INSTALLED package.
// The temporary directory is removed afterwards (KEEP_CONSUMER_DIR=1 keeps it and prints its path).
//
//   node test/consumer/run.mjs [situation-name-substring ...]
//
// Beside it, the matrix runs in a second app holding the OLDEST aws-cdk-lib the peer range admits (the floor
// of package.json's `peerDependencies`), judged by cdk-nag 2 (cdk-nag 3 needs aws-cdk-lib 2.257+), so the
// floor the package promises is tested as well as the newest. The two apps install and run side by side
// (the floor's output is printed after the main matrix's). CONSUMER_SKIP_FLOOR=1 skips the floor.
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { extractReadmeExamples } from './readme-examples.mjs';

const fixture = dirname(fileURLToPath(import.meta.url));
const root = join(fixture, '..', '..');
const work = mkdtempSync(join(tmpdir(), 'cdk-compute-patterns-consumer-'));
const app = join(work, 'app');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const packageName = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).name;

const seconds = (started) => `${((Date.now() - started) / 1000).toFixed(1)} s`;

function step(title, fn) {
  const started = Date.now();
  const result = fn();
  console.log(`[consumer] ${title} (${seconds(started)})`);
  return result;
}
const run = (cmd, args, cwd) => execFileSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });

/** Runs a command to completion with its output captured: { code, output } (stdout and stderr, in order). */
function capture(cmd, args, options) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => {
      output += chunk;
      stderr += chunk;
    });
    child.on('close', (code) => resolve({ code: code ?? 1, output, stderr }));
  });
}

/**
 * Installs the tarball into `dir` as a user would (npm's default log level, so its warnings show) and fails
 * when the install fails or warns about this package (e.g. "install scripts not yet covered by allowScripts").
 */
async function install(title, dir, tarball) {
  const started = Date.now();
  const { code, output, stderr } = await capture(npm, ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball], { cwd: dir });
  const ours = stderr.split('\n').filter((line) => line.includes(packageName));
  console.log(`[consumer] ${title} (${seconds(started)})`);
  if (code !== 0) throw new Error(`${title} failed:\n${output}`);
  if (stderr.trim()) console.log(stderr.trimEnd().replace(/^/gm, '[consumer]   npm: '));
  if (ours.length > 0) throw new Error(`${title} printed warnings naming ${packageName}:\n${ours.join('\n')}`);
}

/** Runs the matrix (src/main.ts) in an installed app; resolves to 0 when every situation passed. */
async function runMatrix(title, dir, filters, { quiet = false } = {}) {
  const started = Date.now();
  // The aws-cdk-lib CloudFormation validator adds ~3 s per synth and is covered by the repo's own example-app
  // test; here every situation is synthesized once without it.
  const args = [join(dir, 'dist', 'main.js'), ...filters];
  const options = { cwd: dir, env: { ...process.env, CDK_VALIDATION: 'false' } };
  let code;
  let output = '';
  if (quiet) {
    ({ code, output } = await capture(process.execPath, args, options));
  } else {
    code = await new Promise((resolve) => spawn(process.execPath, args, { ...options, stdio: 'inherit' }).on('close', (c) => resolve(c ?? 1)));
  }
  return { code: code === 0 ? 0 : 1, output, summary: `[consumer] ${title} (${seconds(started)})` };
}

/** The situations (name substrings) run at the peer floor. */
const FLOOR_SUBSET = ['package:', 'new App() without context', 'cdk init flags, env-specific stack', 'two instances in one stack', 'toolchain:'];

let exitCode = 1;
const totalStarted = Date.now();
try {
  // With scripts (no --ignore-scripts): prepack builds and strips `prepare`, postpack restores package.json.
  const pack = join(work, 'pack');
  mkdirSync(pack);
  step('npm pack (prepack: stale assets, jsii)', () => run(npm, ['pack', '--loglevel=warn', '--pack-destination', pack], root));
  const [tarballName] = readdirSync(pack).filter((f) => f.endsWith('.tgz'));
  const tarball = join(pack, tarballName);

  mkdirSync(app);
  for (const entry of ['package.json', 'tsconfig.json', 'src']) cpSync(join(fixture, entry), join(app, entry), { recursive: true });
  const examples = extractReadmeExamples(readFileSync(join(root, 'README.md'), 'utf8'));
  if (examples.length === 0) throw new Error('README.md has no ```ts consumer-test blocks');
  mkdirSync(join(app, 'src', 'readme'));
  for (const example of examples) writeFileSync(join(app, 'src', 'readme', example.file), example.source);
  const manifest = JSON.parse(readFileSync(join(fixture, 'package.json'), 'utf8'));

  // The peer floor: the same fixture with the oldest aws-cdk-lib the range admits, installed as a user on
  // that version would (no --force: the range itself must admit it), and without cdk-nag 3.
  const floor = process.env.CONSUMER_SKIP_FLOOR
    ? undefined
    : JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).peerDependencies['aws-cdk-lib'].replace(/^[\^~>=]+/, '');
  const floorApp = join(work, 'floor');
  let floorInstalled = Promise.resolve();
  if (floor) {
    mkdirSync(floorApp);
    const floorManifest = { ...manifest, dependencies: { ...manifest.dependencies, 'aws-cdk-lib': floor } };
    delete floorManifest.dependencies['cdk-nag'];
    writeFileSync(join(floorApp, 'package.json'), JSON.stringify(floorManifest, null, 2));
    floorInstalled = install(`npm install (floor: aws-cdk-lib ${floor}, cdk-nag 2 only)`, floorApp, tarball);
    floorInstalled.catch(() => {}); // awaited below; this only keeps a failure before then from being unhandled
  }

  await install(`npm install (the tarball, ${Object.keys(manifest.dependencies).join(', ')})`, app, tarball);
  step(`tsc (fixture + ${examples.length} README examples, cdk init compiler options)`, () =>
    run(process.execPath, [join(app, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], app),
  );
  await floorInstalled;

  const filters = process.argv.slice(2);
  let floorRun = Promise.resolve(undefined);
  if (floor) {
    // The fixture compiled above runs as is: what the floor tests is the library at run time against the old
    // aws-cdk-lib (the README's cdk-nag 3 examples could not compile there anyway).
    cpSync(join(app, 'dist'), join(floorApp, 'dist'), { recursive: true });
    // A representative subset: every construct in the common app kinds, several instances, the package checks
    // and the toolchain situations (cdk-nag 2, each pack).
    floorRun = runMatrix(`matrix at the peer floor (aws-cdk-lib ${floor})`, floorApp, filters.length > 0 ? filters : FLOOR_SUBSET, { quiet: true });
  }
  const main = await runMatrix('matrix', app, filters);
  console.log(main.summary);
  exitCode = main.code;
  const floorResult = await floorRun;
  if (floorResult) {
    console.log(`\n[consumer] at the peer floor (aws-cdk-lib ${floor}):\n${floorResult.output.trimEnd()}`);
    console.log(floorResult.summary);
    exitCode = exitCode || floorResult.code;
  }
} catch (error) {
  console.error(`[consumer] ${error.stdout ?? ''}${error.message}`);
  exitCode = 1;
} finally {
  console.log(`[consumer] total ${seconds(totalStarted)}`);
  if (process.env.KEEP_CONSUMER_DIR) console.log(`[consumer] kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
process.exitCode = exitCode;
