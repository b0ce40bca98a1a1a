import { execFileSync } from 'child_process';
import { existsSync, readdirSync } from 'fs';
import { join } from 'path';

/**
 * Constructs load prebundled handler assets; a fresh clone has them after `npm ci` (prepare), but a
 * developer who edited a handler must not test a stale bundle, so rebuild when any is missing.
 */
export default function globalSetup(): void {
  const root = join(__dirname, '..', '..');
  const missing = readdirSync(join(root, 'lambda')).filter(
    (name) => name !== 'shared' && existsSync(join(root, 'lambda', name, 'index.ts')) && !existsSync(join(root, 'assets', name, 'index.js')),
  );
  if (missing.length > 0) {
    process.stdout.write(`\nbuilding missing handler assets: ${missing.join(', ')}\n`);
    execFileSync(process.execPath, [join(root, 'scripts', 'build-assets.mjs')], { stdio: 'inherit' });
  }
}
