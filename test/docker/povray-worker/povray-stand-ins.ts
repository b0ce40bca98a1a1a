/**
 * Stand-ins for the `povray` command (the worker's POVRAY_COMMAND), written as executables into a scratch
 * directory: renders that take long by construction, and a renderer that crashes.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';

const PACED_POVRAY = path.join(__dirname, 'stand-ins', 'paced-povray.cjs');
const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export class PovrayStandIns {
  private readonly dir = mkdtempSync(path.join(tmpdir(), 'povray-stand-ins-'));
  private count = 0;

  /** The real POV-Ray, taking at least `seconds` and reporting progress meanwhile (stand-ins/paced-povray.cjs). */
  paced(seconds: number): string {
    return this.write(`#!/bin/sh\nexec ${quote(process.execPath)} ${quote(PACED_POVRAY)} ${seconds} "$@"\n`);
  }

  /**
   * A renderer that crashes: prints a line, then dies of SIGSEGV (no core file). The worker cannot tell
   * it from a POV-Ray that segfaults mid-render, which is the point.
   */
  crashing(): string {
    return this.write('#!/bin/sh\nulimit -c 0\necho "Parsing... (stand-in about to crash)" >&2\nkill -SEGV $$\n');
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  private write(script: string): string {
    const file = path.join(this.dir, `povray-${++this.count}`);
    writeFileSync(file, script);
    chmodSync(file, 0o755);
    return file;
  }
}
