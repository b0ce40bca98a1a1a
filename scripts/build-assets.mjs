#!/usr/bin/env node
// Bundles every handler and worker at build time, so consumers need neither esbuild nor Docker to synth
// and asset hashes are identical on every machine.
//
//   lambda/<name>/index.ts      -> assets/<name>/index.js      (Lambda asset, loaded by PrebundledFunction)
//   docker/<name>/src/index.ts  -> docker/<name>/dist/index.js (copied into the container image)
//
// A target may add `bundle.config.mjs` beside its index.ts (or in docker/<name>/) exporting
// `esbuildOptions` (merged over the defaults) and/or `afterBundle({ root, outDir, outFile })`,
// e.g. to copy native modules that esbuild must not bundle.
//
//   node scripts/build-assets.mjs [name ...]   build every target (or the named ones)
//   node scripts/build-assets.mjs --stale      build only the targets whose bundle is out of date
//   node scripts/build-assets.mjs --check [name ...]
//                                              build nothing; exit 1 naming every out-of-date bundle
//
// Out of date: judged by content (scripts/asset-freshness.mjs): the hash of any file it was built from (what
// esbuild read, its own directory's files such as C sources, the build scripts, package-lock.json) or of
// any output differs from the build's record. Jest's global set-up runs --stale, so no test runs stale code.
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { recordBuild, staleness as stalenessOf } from './asset-freshness.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const flags = new Set(process.argv.slice(2).filter((a) => a.startsWith('--')));
const only = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const unknownFlags = [...flags].filter((f) => f !== '--stale' && f !== '--check');
if (unknownFlags.length > 0) throw new Error(`unknown option ${unknownFlags.join(', ')}: expected --stale or --check`);

function targets() {
  const found = [];
  for (const name of readdirSync(join(root, 'lambda'))) {
    const entry = join(root, 'lambda', name, 'index.ts');
    if (name !== 'shared' && existsSync(entry)) {
      found.push({ name, kind: 'lambda', entry, configDir: join(root, 'lambda', name), outDir: join(root, 'assets', name) });
    }
  }
  if (existsSync(join(root, 'docker'))) {
    for (const name of readdirSync(join(root, 'docker'))) {
      const entry = join(root, 'docker', name, 'src', 'index.ts');
      if (existsSync(entry)) {
        found.push({ name, kind: 'docker', entry, configDir: join(root, 'docker', name), outDir: join(root, 'docker', name, 'dist') });
      }
    }
  }
  const unknown = only.filter((name) => !found.some((t) => t.name === name));
  if (unknown.length > 0) throw new Error(`no bundle target named ${unknown.join(', ')} (targets: ${found.map((t) => t.name).join(', ')})`);
  return found.filter((t) => only.length === 0 || only.includes(t.name));
}

async function bundle(target) {
  const configFile = join(target.configDir, 'bundle.config.mjs');
  const config = existsSync(configFile) ? await import(pathToFileURL(configFile).href) : {};
  rmSync(target.outDir, { recursive: true, force: true });
  const outFile = join(target.outDir, 'index.js');
  const started = Date.now();
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: [target.entry],
    outfile: outFile,
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'cjs',
    minify: true,
    sourcemap: true,
    // Absolute paths would leak this machine's layout into the asset and change its hash per clone.
    sourceRoot: '',
    sourcesContent: false,
    legalComments: 'none',
    metafile: true,
    logLevel: 'warning',
    ...(config.esbuildOptions ?? {}),
  });
  if (config.afterBundle) await config.afterBundle({ root, outDir: target.outDir, outFile });
  // Metafile input paths are relative to esbuild's working directory (this process's).
  recordBuild(root, target, Object.keys(result.metafile.inputs).map((f) => join(process.cwd(), f)));
  const bytes = Object.values(result.metafile.outputs).reduce((sum, o) => sum + o.bytes, 0);
  console.log(`bundled ${relative(root, target.entry)} -> ${relative(root, outFile)} (${(bytes / 1024).toFixed(0)} KiB, ${Date.now() - started} ms)`);
}

const staleness = (target) => stalenessOf(root, target);
const all = targets();
if (flags.has('--check')) {
  const stale = all.map((t) => ({ t, why: staleness(t) })).filter((s) => s.why);
  for (const { t, why } of stale) console.error(`${t.name}: out of date: ${why}; run 'node scripts/build-assets.mjs ${t.name}'`);
  process.exit(stale.length > 0 ? 1 : 0);
}
let list = all;
if (flags.has('--stale')) {
  list = all.map((t) => ({ ...t, why: staleness(t) })).filter((t) => t.why);
  for (const t of list) console.log(`${t.name} is out of date: ${t.why}`);
}
if (all.length === 0) console.log('no handler or worker entry points yet');
await Promise.all(list.map(bundle));
