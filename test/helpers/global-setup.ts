import { execFileSync } from 'child_process';
import { existsSync, readdirSync } from 'fs';
import { join } from 'path';

const root = join(__dirname, '..', '..');

/** Entry points `scripts/build-assets.mjs` bundles, with the file each produces. */
function bundleTargets(): Array<{ entry: string; output: string }> {
  const targets: Array<{ entry: string; output: string }> = [];
  for (const name of readdirSync(join(root, 'lambda'))) {
    targets.push({ entry: join(root, 'lambda', name, 'index.ts'), output: join(root, 'assets', name, 'index.js') });
  }
  for (const name of existsSync(join(root, 'docker')) ? readdirSync(join(root, 'docker')) : []) {
    targets.push({ entry: join(root, 'docker', name, 'src', 'index.ts'), output: join(root, 'docker', name, 'dist', 'index.js') });
  }
  return targets.filter((t) => existsSync(t.entry));
}

/**
 * Constructs load prebundled assets; a fresh clone has them after `npm ci` (prepare). Rebuild when one
 * is missing, so a developer who added a handler does not test against nothing.
 */
export default function globalSetup(): void {
  const missing = bundleTargets().filter((t) => !existsSync(t.output));
  if (missing.length > 0) {
    process.stdout.write(`\nbuilding missing assets: ${missing.map((t) => t.entry.slice(root.length + 1)).join(', ')}\n`);
    execFileSync(process.execPath, [join(root, 'scripts', 'build-assets.mjs')], { stdio: 'inherit' });
  }
}
