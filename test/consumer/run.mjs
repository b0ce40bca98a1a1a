#!/usr/bin/env node
// npm run test:consumer: proves the library where users hold it. Packs the built library (`npm pack`),
// installs the tarball into a temporary copy of this fixture app (with aws-cdk-lib, constructs and cdk-nag
// from the npm registry, preferring npm's cache), compiles the fixture and the README's examples with the
// compiler options `cdk init` writes, and runs the matrix (src/main.ts) against the INSTALLED package.
// The temporary directory is removed afterwards (KEEP_CONSUMER_DIR=1 keeps it and prints its path).
//
//   node test/consumer/run.mjs [situation-name-substring ...]
//
// Then it runs the matrix again in a second app holding the OLDEST aws-cdk-lib the peer range admits (the
// floor of package.json's `peerDependencies`), judged by cdk-nag 2 (cdk-nag 3 needs aws-cdk-lib 2.257+), so
// the floor the package promises is tested as well as the newest. CONSUMER_SKIP_FLOOR=1 skips it.
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

/** The situations (name substrings) run at the peer floor. */
const FLOOR_SUBSET = ['package:', 'new App() without context', 'cdk init flags, env-specific stack', 'two instances in one stack', 'toolchain:'];

/** Runs the matrix (src/main.ts) in an installed app; 0 when every situation passed. */
function runMatrix(title, dir, filters = process.argv.slice(2)) {
  const started = Date.now();
  let code = 1;
  try {
    // The aws-cdk-lib CloudFormation validator adds ~3 s per synth and is covered by the repo's own example-app
    // test; here every situation is synthesized once without it.
    execFileSync(process.execPath, [join(dir, 'dist', 'main.js'), ...filters], {
      cwd: dir,
      stdio: 'inherit',
      env: { ...process.env, CDK_VALIDATION: 'false' },
    });
    code = 0;
  } catch {
    code = 1;
  }
  console.log(`[consumer] ${title} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  return code;
}

let exitCode = 1;
const totalStarted = Date.now();
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
  exitCode = runMatrix('matrix', app);

  if (!process.env.CONSUMER_SKIP_FLOOR) {
    // The peer floor: the same fixture with the oldest aws-cdk-lib the range admits, installed as a user on
    // that version would (no --force: the range itself must admit it), and without cdk-nag 3.
    const floor = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).peerDependencies['aws-cdk-lib'].replace(/^[\^~>=]+/, '');
    const floorApp = join(work, 'floor');
    mkdirSync(floorApp);
    // The fixture compiled above runs as is: what the floor tests is the library at run time against the old
    // aws-cdk-lib (the README's cdk-nag 3 examples could not compile there anyway).
    cpSync(join(app, 'dist'), join(floorApp, 'dist'), { recursive: true });
    const manifest = JSON.parse(readFileSync(join(fixture, 'package.json'), 'utf8'));
    manifest.dependencies['aws-cdk-lib'] = floor;
    delete manifest.dependencies['cdk-nag'];
    writeFileSync(join(floorApp, 'package.json'), JSON.stringify(manifest, null, 2));
    step(`npm install (floor: aws-cdk-lib ${floor}, cdk-nag 2 only)`, () =>
      run(npm, ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', tarball], floorApp),
    );
    // A representative subset keeps the whole run within minutes: every construct in the common app kinds,
    // several instances, the package checks and the toolchain situations (cdk-nag 2, each pack).
    const subset = process.argv.length > 2 ? process.argv.slice(2) : FLOOR_SUBSET;
    const floorExit = runMatrix(`matrix at the peer floor (aws-cdk-lib ${floor})`, floorApp, subset);
    exitCode = exitCode || floorExit;
  }
} catch (error) {
  console.error(`[consumer] ${error.stdout ?? ''}${error.message}`);
  exitCode = 1;
} finally {
  console.log(`[consumer] total ${((Date.now() - totalStarted) / 1000).toFixed(1)} s`);
  if (process.env.KEEP_CONSUMER_DIR) console.log(`[consumer] kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
process.exitCode = exitCode;
