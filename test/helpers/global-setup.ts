import { execFileSync } from 'child_process';
import { join } from 'path';

const root = join(__dirname, '..', '..');

/**
 * Tests run the bundles (assets/<name>/index.js, docker/<name>/dist/index.js), not the sources, where
 * they test what ships. Rebuild every bundle that is missing or whose inputs' or outputs' content differs from its build record, so
 * an edit is never tested through a stale bundle (`npm test` does not build). A no-op costs ~0.2 s.
 */
export default function globalSetup(): void {
  execFileSync(process.execPath, [join(root, 'scripts', 'build-assets.mjs'), '--stale'], { stdio: 'inherit' });
}
