import { existsSync } from 'fs';
import * as path from 'path';
import * as yauzl from 'yauzl';

/**
 * The original project's sample scene (Apache-2.0, see its NOTICE), kept in `shared/` beside the
 * checkout, where CI has it too (a checkout elsewhere, e.g. a git worktree, names it with SEED_SCENE_ZIP).
 */
export const SEED_SCENE_ZIP = process.env.SEED_SCENE_ZIP ?? path.join(__dirname, '..', '..', 'shared', 'fixtures', 'seed-scene', 'ECSLogo.zip');

/** SEED_SCENE_ZIP, or a clear error saying where it is expected. */
export function seedSceneZipPath(): string {
  if (!existsSync(SEED_SCENE_ZIP)) {
    throw new Error(`The seed scene is missing: expected ${SEED_SCENE_ZIP} (shared/fixtures beside the checkout)`);
  }
  return SEED_SCENE_ZIP;
}

/** The bytes of one entry of a zip file. */
export function readZipEntry(zipPath: string, entryName: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    yauzl.open(zipPath, { lazyEntries: true }, (openError, zip) => {
      if (openError) return reject(openError);
      zip.on('entry', (entry: yauzl.Entry) => {
        if (entry.fileName !== entryName) return zip.readEntry();
        zip.openReadStream(entry, (streamError, stream) => {
          if (streamError) return reject(streamError);
          const chunks: Buffer[] = [];
          stream.on('data', (chunk: Buffer) => chunks.push(chunk));
          stream.on('end', () => (zip.close(), resolve(Buffer.concat(chunks))));
          stream.on('error', reject);
        });
      });
      zip.on('end', () => reject(new Error(`${zipPath} has no entry ${entryName}`)));
      zip.on('error', reject);
      zip.readEntry();
    });
  });
}
