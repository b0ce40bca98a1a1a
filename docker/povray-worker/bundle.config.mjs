// After bundling the worker, compile its confinement launcher (sandbox/povray-jail.c) beside the bundle,
// where the worker looks for it (dist/povray-jail), so local runs and tests render confined exactly as
// the image does (the Dockerfile compiles the same file in a build stage). Linux only: elsewhere, or
// without a C compiler, the build says so and goes on; the worker then refuses to render (fails closed).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

export function afterBundle({ root, outDir }) {
  // The jail and its second backend (seccomp user notification, for kernels without Landlock).
  const sources = ['povray-jail.c', 'unotify.c'].map((file) => join(root, 'docker', 'povray-worker', 'sandbox', file));
  const output = join(outDir, 'povray-jail');
  if (process.platform !== 'linux') {
    console.warn(`!!! povray-jail not built: its Landlock and seccomp backends are Linux-only (this is ${process.platform}); the local worker will refuse to render`);
    return;
  }
  const cc = process.env.CC || 'cc';
  const result = spawnSync(cc, ['-O2', '-Wall', '-Wextra', '-Werror', '-o', output, ...sources], { encoding: 'utf8' });
  if (result.status !== 0) {
    console.warn(`!!! povray-jail not built (${cc}: ${(result.stderr || result.error?.message || '').trim()}); the local worker will refuse to render`);
    return;
  }
  console.log(`compiled docker/povray-worker/sandbox/{povray-jail,unotify}.c -> ${output.slice(root.length + 1)}`);
}
