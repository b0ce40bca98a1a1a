#!/usr/bin/env node
// The package.json that goes into the tarball carries no `prepare` script.
//
//   node scripts/pack-manifest.mjs strip      (prepack: the last step before npm packs the directory)
//   node scripts/pack-manifest.mjs restore    (postpack)
//
// Why: `prepare` builds a git checkout (`npm ci` must leave a tree that synthesizes), but a tarball holds the
// build already and none of its sources, so the script has nothing to do there. npm still counts it as an
// install script of a tarball or git dependency and ends every such install with "1 package has install
// scripts not yet covered by allowScripts: cdk-compute-patterns (prepare: npm run build)", asking each user to
// review a script that would fail if it ran. npm reads the manifest it packs from disk after `prepack`, so
// removing the script there keeps it out of the tarball, and out of `npm pack`'s own `prepare` run (prepack
// has built what the tarball needs). `restore` puts the file back byte for byte; a pack that died before
// `postpack` leaves the original in dist/, and the next `strip` or `restore` recovers it (`strip` trusts it only
// while package.json still lacks `prepare`, so later edits to package.json are never overwritten). The restored
// file keeps its modification time too: tools that judge freshness by mtime (the jsii-surface test compares
// .jsii with package.json) must not see a pack as an edit.
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const manifestPath = join(root, 'package.json');
// dist/ is ignored by git and only dist/lib and dist/contracts are packed.
const originalPath = join(root, 'dist', 'package.json.before-pack');

const command = process.argv[2];
if (command === 'strip') {
  const current = readFileSync(manifestPath, 'utf8');
  // package.json without `prepare` beside a saved original is what a pack that died before postpack left:
  // the saved file is the real one. Otherwise package.json is, and it is saved (again).
  const leftByADeadPack = JSON.parse(current).scripts?.prepare === undefined && existsSync(originalPath);
  if (!leftByADeadPack) {
    mkdirSync(dirname(originalPath), { recursive: true });
    writeFileSync(originalPath, current);
    const { atime, mtime } = statSync(manifestPath);
    utimesSync(originalPath, atime, mtime);
  }
  const original = readFileSync(originalPath, 'utf8');
  const manifest = JSON.parse(original);
  delete manifest.scripts?.prepare;
  writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
} else if (command === 'restore') {
  if (existsSync(originalPath)) {
    const { atime, mtime } = statSync(originalPath);
    writeFileSync(manifestPath, readFileSync(originalPath));
    utimesSync(manifestPath, atime, mtime);
    rmSync(originalPath);
  }
} else {
  console.error('usage: node scripts/pack-manifest.mjs strip|restore');
  process.exit(2);
}
