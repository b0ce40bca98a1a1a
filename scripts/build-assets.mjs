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
import { build } from 'esbuild';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const only = process.argv.slice(2);

function targets() {
  const found = [];
  for (const name of readdirSync(join(root, 'lambda'))) {
    const entry = join(root, 'lambda', name, 'index.ts');
    if (name !== 'shared' && existsSync(entry)) {
      found.push({ name, entry, configDir: join(root, 'lambda', name), outDir: join(root, 'assets', name) });
    }
  }
  if (existsSync(join(root, 'docker'))) {
    for (const name of readdirSync(join(root, 'docker'))) {
      const entry = join(root, 'docker', name, 'src', 'index.ts');
      if (existsSync(entry)) {
        found.push({ name, entry, configDir: join(root, 'docker', name), outDir: join(root, 'docker', name, 'dist') });
      }
    }
  }
  return found.filter((t) => only.length === 0 || only.includes(t.name));
}

async function bundle(target) {
  const configFile = join(target.configDir, 'bundle.config.mjs');
  const config = existsSync(configFile) ? await import(pathToFileURL(configFile).href) : {};
  rmSync(target.outDir, { recursive: true, force: true });
  const outFile = join(target.outDir, 'index.js');
  const started = Date.now();
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
  const bytes = Object.values(result.metafile.outputs).reduce((sum, o) => sum + o.bytes, 0);
  console.log(`bundled ${relative(root, target.entry)} -> ${relative(root, outFile)} (${(bytes / 1024).toFixed(0)} KiB, ${Date.now() - started} ms)`);
}

const list = targets();
if (list.length === 0) console.log('no handler or worker entry points yet');
await Promise.all(list.map(bundle));
