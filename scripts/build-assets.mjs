#!/usr/bin/env node
// Bundles every handler and worker at build time, so consumers need neither esbuild nor Docker to synth
// and asset hashes are identical on every machine.
//
//   lambda/<name>/index.ts      -> assets/<name>/index.js      (Lambda asset, loaded by PrebundledFunction)
//   lambda/<name>/<role>.ts     -> assets/<name>-<role>/index.js (a further function of the pattern, only
//                                  when bundle.config.mjs lists the role: see below)
//   docker/<name>/src/index.ts  -> docker/<name>/dist/index.js (copied into the container image)
//
// A target may add `bundle.config.mjs` beside its index.ts (or in docker/<name>/) exporting
// `esbuildOptions` (merged over the defaults) and/or `afterBundle({ root, outDir, outFile })`,
// e.g. to copy native modules that esbuild must not bundle.
//
// Several functions per pattern: index.ts is the pattern's default role. Every other entry point is listed
// by name in the pattern's bundle.config.mjs, so a helper module is never taken for one:
//   export const roles = { invoker: {} };   // lambda/<name>/invoker.ts -> assets/<name>-invoker/index.js
// A role's options (all optional): `entry` (path under lambda/<name>/, default `<role>.ts`; or an object
// { outputName: path } for several outputs in one asset), `assetName` (default `<name>-<role>`),
// `esbuildOptions`, `afterBundle` (as above; the default role's are not inherited). A Lambda role exports
// `handler` and is deployed with `new PrebundledFunction(this, id, { assetName: '<name>', role: '<role>' })`.
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

/** A role's entry point: a path under the pattern's directory, or { outputName: path } for several outputs. */
function roleEntries(dir, role, entry = `${role}.ts`) {
  if (typeof entry === 'string') return { entry: join(dir, entry), files: [join(dir, entry)] };
  const entryPoints = Object.fromEntries(Object.entries(entry).map(([out, src]) => [out, join(dir, src)]));
  return { entry: Object.values(entryPoints)[0], entryPoints, files: Object.values(entryPoints) };
}

async function targets() {
  const found = [];
  for (const name of readdirSync(join(root, 'lambda'))) {
    const configDir = join(root, 'lambda', name);
    const entry = join(configDir, 'index.ts');
    if (name !== 'shared' && existsSync(entry)) {
      const configFile = join(configDir, 'bundle.config.mjs');
      const config = existsSync(configFile) ? await import(pathToFileURL(configFile).href) : {};
      found.push({ name, kind: 'lambda', entry, configDir, outDir: join(root, 'assets', name), config });
      for (const [role, options] of Object.entries(config.roles ?? {})) {
        const assetName = options.assetName ?? `${name}-${role}`;
        const { entry: roleEntry, entryPoints, files } = roleEntries(configDir, role, options.entry);
        const missing = files.filter((file) => !existsSync(file));
        if (missing.length > 0) throw new Error(`lambda/${name}/bundle.config.mjs lists role '${role}', but ${missing.map((f) => relative(root, f)).join(', ')} does not exist`);
        found.push({ name: assetName, pattern: name, role, kind: 'lambda', entry: roleEntry, entryPoints, configDir, outDir: join(root, 'assets', assetName), config: options });
      }
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
  const names = found.map((t) => t.name);
  const clash = names.find((n, i) => names.indexOf(n) !== i);
  if (clash) throw new Error(`two bundle targets are named ${clash}: give a role another assetName in its bundle.config.mjs`);
  // A pattern's name selects its default role and every other role it lists.
  const unknown = only.filter((name) => !found.some((t) => t.name === name || t.pattern === name));
  if (unknown.length > 0) throw new Error(`no bundle target named ${unknown.join(', ')} (targets: ${names.join(', ')})`);
  return found.filter((t) => only.length === 0 || only.includes(t.name) || only.includes(t.pattern));
}

async function bundle(target) {
  const configFile = join(target.configDir, 'bundle.config.mjs');
  const config = target.config ?? (existsSync(configFile) ? await import(pathToFileURL(configFile).href) : {});
  rmSync(target.outDir, { recursive: true, force: true });
  const outFile = join(target.outDir, 'index.js');
  const started = Date.now();
  const { build } = await import('esbuild');
  // outDir/index.js, and for a role with several outputs ({ outputName: path }) outDir/<outputName>.js, each
  // built on its own: a single-entry build names things by its file, so the bytes match a build of it alone.
  const entries = target.entryPoints ?? { index: target.entry };
  const results = await Promise.all(Object.entries(entries).map(([output, entry]) => build({
    entryPoints: [entry],
    outfile: join(target.outDir, `${output}.js`),
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
  })));
  const result = { metafile: { inputs: Object.assign({}, ...results.map((r) => r.metafile.inputs)), outputs: Object.assign({}, ...results.map((r) => r.metafile.outputs)) } };
  if (config.afterBundle) await config.afterBundle({ root, outDir: target.outDir, outFile });
  // Metafile input paths are relative to esbuild's working directory (this process's).
  recordBuild(root, target, Object.keys(result.metafile.inputs).map((f) => join(process.cwd(), f)));
  const bytes = Object.values(result.metafile.outputs).reduce((sum, o) => sum + o.bytes, 0);
  console.log(`bundled ${relative(root, target.entry)} -> ${relative(root, outFile)} (${(bytes / 1024).toFixed(0)} KiB, ${Date.now() - started} ms)`);
}

const staleness = (target) => stalenessOf(root, target);
const all = await targets();
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
