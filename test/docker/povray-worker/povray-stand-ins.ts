/**
 * Stand-ins for the worker's confinement launcher (POVRAY_JAIL), written as executables into a scratch
 * directory: renders that take long by construction, and a renderer that crashes. They wrap the real
 * launcher rather than POV-Ray, so every render still runs confined (the worker never renders unconfined),
 * and they pass the worker's start-up probe (`--probe`) straight to the real launcher.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { WORKER_JAIL } from '../../../local/povray-worker';
import { IMAGE_ENV } from '../../../docker/povray-worker/src/config';

const PACED = path.join(__dirname, 'stand-ins', 'paced-povray.cjs');
const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
/** The probe the worker runs at start-up goes to the real launcher, untouched. */
const PROBE_PASSES = `if [ "$1" = --probe ]; then exec ${quote(WORKER_JAIL)} "$@"; fi\n`;

export class PovrayStandIns {
  private readonly dir = mkdtempSync(path.join(tmpdir(), 'povray-stand-ins-'));
  private count = 0;

  /**
   * Worker environment whose renders take at least `seconds`: the real launcher and the real POV-Ray, with
   * the output held back and paced progress reported meanwhile (stand-ins/paced-povray.cjs).
   */
  paced(seconds: number): Record<string, string> {
    return this.launcher(`${PROBE_PASSES}exec ${quote(process.execPath)} ${quote(PACED)} ${seconds} ${quote(WORKER_JAIL)} "$@"\n`);
  }

  /**
   * Worker environment whose renderer crashes: it prints a line, then dies of SIGSEGV (no core file). The
   * worker cannot tell it from a POV-Ray that segfaults mid-render, which is the point.
   */
  crashing(): Record<string, string> {
    return this.launcher(`${PROBE_PASSES}ulimit -c 0\necho "Parsing... (stand-in about to crash)" >&2\nkill -SEGV $$\n`);
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  private launcher(body: string): Record<string, string> {
    const file = path.join(this.dir, `povray-jail-${++this.count}`);
    writeFileSync(file, `#!/bin/sh\n${body}`);
    chmodSync(file, 0o755);
    return { [IMAGE_ENV.povrayJail]: file };
  }
}
