/**
 * Builds local/sandbox/without-landlock.c, which runs a program the way Fargate's kernel would (Landlock's
 * system calls answer ENOSYS, user namespaces refused), and with `--no-unotify` without seccomp() too.
 */
import { spawnSync } from 'child_process';
import { mkdtempSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';

export const WITHOUT_LANDLOCK_SOURCE = path.join(__dirname, 'without-landlock.c');

/** Compiles the wrapper into a fresh temporary directory and returns its path; throws with the compiler's words. */
export function buildWithoutLandlock(cc = process.env.CC || 'cc'): string {
  const output = path.join(mkdtempSync(path.join(tmpdir(), 'without-landlock-')), 'without-landlock');
  const result = spawnSync(cc, ['-O2', '-Wall', '-Wextra', '-Werror', '-o', output, WITHOUT_LANDLOCK_SOURCE], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`cannot build ${WITHOUT_LANDLOCK_SOURCE} (${cc}): ${result.stderr || result.error?.message}`);
  return output;
}
