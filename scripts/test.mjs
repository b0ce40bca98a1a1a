#!/usr/bin/env node
// `npm test`: the type-check (`tsc --noEmit`) and jest at the same time, not one after the other.
//
// jest's workers spend much of a run waiting on child processes (workers, emulators, POV-Ray), so the
// type-check fits in the CPU they leave idle; it runs at a lower priority so it never slows an end-to-end test.
// jest's output streams as usual; the type-check's is printed when it ends. Arguments go to jest. Exits non-zero
// when either fails (the type-check's exit code first), so a type error still fails `npm test`.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { setPriority } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));

/** Runs `bin` (a package's CLI script) with node; resolves to its exit code (1 when killed by a signal). */
function run(bin, args, options) {
  const child = spawn(process.execPath, [bin, ...args], { cwd: root, ...options });
  const exited = new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
  return { child, exited };
}

const tsc = run(require.resolve('typescript/bin/tsc'), ['--noEmit', '-p', 'tsconfig.json'], { stdio: ['ignore', 'pipe', 'pipe'] });
try {
  setPriority(tsc.child.pid, 10);
} catch {
  // Not permitted here: it runs at the same priority, only slower.
}
let tscOutput = '';
tsc.child.stdout.on('data', (chunk) => (tscOutput += chunk));
tsc.child.stderr.on('data', (chunk) => (tscOutput += chunk));
const tscDone = tsc.exited.then((code) => {
  const status = code === 0 ? 'passed' : `FAILED (exit ${code})`;
  process.stderr.write(`\ntype-check (tsc --noEmit -p tsconfig.json) ${status}${tscOutput ? `:\n${tscOutput}` : ''}\n`);
  return code;
});

const jest = run(require.resolve('jest/bin/jest'), process.argv.slice(2), { stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    tsc.child.kill(signal);
    jest.child.kill(signal);
  });
}

const [tscCode, jestCode] = await Promise.all([tscDone, jest.exited]);
if (tscCode !== 0) process.stderr.write('npm test: the type-check failed (see above)\n');
process.exit(tscCode !== 0 ? tscCode : jestCode);
