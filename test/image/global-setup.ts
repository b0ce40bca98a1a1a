/**
 * Jest global set-up of `npm run test:image`: refuses to run (never skips) without podman, runc,
 * debootstrap and root; bundles the worker; builds the base image (cached) and the worker image once for
 * every test file; hands the tests what they need in a JSON file named by WORKER_IMAGE_STATE.
 */
import { mkdtempSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import buildMissingAssets from '../helpers/global-setup';
import { imageTestBlocker } from '../../local/image/podman';
import { buildWorkerImage } from '../../local/image/worker-image';

export const STATE_ENV = 'WORKER_IMAGE_STATE';

export default function globalSetup(): void {
  const blocker = imageTestBlocker();
  if (blocker) throw new Error(blocker);
  buildMissingAssets();
  const workDir = mkdtempSync(path.join(tmpdir(), 'povray-worker-image-test-'));
  const state = buildWorkerImage(workDir);
  process.stdout.write(`worker image ${state.image} ready in ${state.buildSeconds.toFixed(1)} s\n`);
  const file = path.join(workDir, 'state.json');
  writeFileSync(file, JSON.stringify(state, null, 2));
  process.env[STATE_ENV] = file;
}
