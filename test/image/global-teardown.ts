import { rmSync } from 'fs';
import * as path from 'path';
import { STATE_ENV } from './global-setup';

/** Removes the set-up's work directory (the synthesized assembly with the staged build context). */
export default function globalTeardown(): void {
  const file = process.env[STATE_ENV];
  if (file) rmSync(path.dirname(file), { recursive: true, force: true });
}
