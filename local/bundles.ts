import { spawnSync } from 'child_process';
import * as path from 'path';

const ROOT = path.join(__dirname, '..');

/**
 * Throws unless the bundle target `name` (`povray-worker`, `table-trigger`, ...) is current: every file it
 * was built from (C sources, lock file and build scripts included) and every file it produced (the bundle,
 * the povray-jail binary) has the content recorded at build time. Jest's global set-up rebuilds stale
 * bundles; this guard catches a source edited after that (watch mode, a long run) and a run without the
 * global set-up. Every test that runs a bundle or the jail binary goes through it. The rule lives in
 * scripts/asset-freshness.mjs (`build-assets.mjs --check`), the one place that knows what a bundle is made from.
 */
export function assertBundleCurrent(name: string): void {
  const check = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'build-assets.mjs'), '--check', name], { encoding: 'utf8' });
  if (check.status !== 0) {
    throw new Error(`refusing to test a stale bundle: ${(check.stderr || check.stdout || `exit ${check.status}`).trim()}`);
  }
}
