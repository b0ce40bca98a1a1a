// Whether a built bundle (or the binary built beside it) is current, judged by CONTENT, never by mtime.
//
// At build time, scripts/build-assets.mjs records beside each target, in dist/bundle-inputs/<kind>-<name>.json
// (outside the asset directory, so the asset's hash is unchanged):
//   - inputs:  the SHA-256 of every file the output was made from: each file esbuild read (its metafile),
//              every file of the target's own directory (C sources such as sandbox/povray-jail.c, Dockerfile,
//              bundle.config.mjs, the worker helpers an afterBundle step bundles), the build scripts
//              (build-assets.mjs and this file), package-lock.json and tsconfig.json;
//   - outputs: the SHA-256 of every file in the output directory (the bundle, its map, a compiled binary).
// A target is stale when any recorded input's content differs or is gone, when its directory gained or
// lost a file, or when an output differs from what was built (e.g. `git checkout` or a copy left an old
// binary in dist/). Timestamps play no part: an edit with an old mtime is seen, a touch without an edit is not.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const RECORD_VERSION = 2;

/** Files under `dir` (recursively), leaving out `exclude` (the output directory) and installed packages. */
function filesUnder(dir, exclude) {
  if (!existsSync(dir)) return [];
  const found = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const file = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules' && file !== exclude) found.push(...filesUnder(file, exclude));
    } else if (entry.isFile()) {
      found.push(file);
    }
  }
  return found;
}

const sha256 = (file) => {
  try {
    return createHash('sha256').update(readFileSync(file)).digest('hex');
  } catch {
    return undefined;
  }
};

/** `{ relativePath: sha256 }` for `files`, sorted by path. */
function digests(root, files) {
  const rel = [...new Set(files.map((f) => relative(root, f)))].sort();
  return Object.fromEntries(rel.map((f) => [f, sha256(join(root, f))]));
}

/** Where a target's record is kept. */
export const recordPath = (root, target) => join(root, 'dist', 'bundle-inputs', `${target.kind}-${target.name}.json`);

/**
 * Inputs of a target besides those esbuild read: every file of its own directory (not its output), the
 * build scripts, the locked dependency versions and the TypeScript settings esbuild reads.
 */
export function directoryInputs(root, target) {
  return [
    ...filesUnder(target.configDir, target.outDir),
    join(root, 'scripts', 'build-assets.mjs'),
    fileURLToPath(import.meta.url),
    join(root, 'package-lock.json'),
    join(root, 'tsconfig.json'),
  ].filter(existsSync);
}

/** Records what `target` was just built from (`bundlerInputs`: absolute paths esbuild read) and what it produced. */
export function recordBuild(root, target, bundlerInputs) {
  const record = {
    version: RECORD_VERSION,
    output: relative(root, join(target.outDir, 'index.js')),
    inputs: digests(root, [...bundlerInputs, ...directoryInputs(root, target)]),
    outputs: digests(root, filesUnder(target.outDir)),
  };
  mkdirSync(dirname(recordPath(root, target)), { recursive: true });
  writeFileSync(recordPath(root, target), `${JSON.stringify(record, null, 1)}\n`);
  return record;
}

/** Why `target`'s output is out of date (a sentence naming the file), or undefined when it is current. */
export function staleness(root, target) {
  const outFile = relative(root, join(target.outDir, 'index.js'));
  if (!existsSync(join(root, outFile))) return `${outFile} is missing`;
  let record;
  try {
    record = JSON.parse(readFileSync(recordPath(root, target), 'utf8'));
  } catch {
    return `its build record (${relative(root, recordPath(root, target))}) is missing`;
  }
  if (record.version !== RECORD_VERSION) return `its build record (${relative(root, recordPath(root, target))}) is from an older build script`;
  for (const [file, digest] of Object.entries(record.inputs)) {
    const now = sha256(join(root, file));
    if (now === undefined) return `${file}, one of its inputs, is gone`;
    if (now !== digest) return `${file} changed since ${outFile} was built`;
  }
  const added = directoryInputs(root, target).map((f) => relative(root, f)).find((f) => !(f in record.inputs));
  if (added) return `${added} is new since ${outFile} was built`;
  for (const [file, digest] of Object.entries(record.outputs)) {
    const now = sha256(join(root, file));
    if (now === undefined) return `${file}, one of its outputs, is gone`;
    if (now !== digest) return `${file} is not what the last build produced`;
  }
  const extra = filesUnder(target.outDir).map((f) => relative(root, f)).find((f) => !(f in record.outputs));
  if (extra) return `${extra} was not produced by the last build`;
  return undefined;
}
