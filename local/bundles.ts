import { spawnSync } from 'child_process';
import * as path from 'path';

const ROOT = path.join(__dirname, '..');

/**
 * Throws unless the bundle `name` builds (`povray-worker`, `table-trigger`, ...) is at least as new as
 * every file it was built from. Jest's global set-up rebuilds stale bundles; this guard catches a source
 * edited after that (watch mode, a long run) and a run without the global set-up. The staleness rule
 * lives in scripts/build-assets.mjs (`--check`), the one place that knows what a bundle is built from.
 */
export function assertBundleCurrent(name: string): void {
  const check = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'build-assets.mjs'), '--check', name], { encoding: 'utf8' });
  if (check.status !== 0) {
    throw new Error(`refusing to test a stale bundle: ${(check.stderr || check.stdout || `exit ${check.status}`).trim()}`);
  }
}
