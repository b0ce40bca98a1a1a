// sharp is a native module: esbuild must not bundle it. Instead the asset gets its own node_modules with
// sharp, the prebuilt binaries for the function's platform and sharp's runtime dependencies.
//
// Platform: the construct runs this function on x86_64 (Lambda Node 24 = Amazon Linux 2023, glibc 2.34),
// so the asset ships @img/sharp-linux-x64 + @img/sharp-libvips-linux-x64 — the glibc x64 binaries npm
// installs on the build machines. Building on another platform fails loudly here instead of producing an
// asset that cannot load in Lambda.
import { cpSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';

export const SHARP_PLATFORM_PACKAGES = ['@img/sharp-linux-x64', '@img/sharp-libvips-linux-x64'];

export const esbuildOptions = {
  external: ['sharp'],
};

function packageDir(root, from, name) {
  // Resolve as Node would from `from`: its own node_modules first, then the root's.
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dir === root || dirname(dir) === dir) break;
  }
  throw new Error(`image-processing-api bundle: cannot find package '${name}' (run npm ci on linux x64 glibc)`);
}

/** Copies `name` and, recursively, its dependencies (not dev/optional ones) into `outDir/node_modules`. */
function copyPackage(root, outDir, name, from, seen) {
  if (seen.has(name)) return;
  seen.add(name);
  const dir = packageDir(root, from, name);
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const target = join(outDir, 'node_modules', name);
  cpSync(dir, target, {
    recursive: true,
    dereference: true,
    // Sources, headers and install scripts are not needed at run time.
    filter: (src) => !/[/\\](src|install|node_modules)([/\\]|$)/.test(src.slice(dir.length)) && !src.endsWith('.d.ts') && !src.endsWith('.d.mts'),
  });
  for (const dep of Object.keys(manifest.dependencies ?? {})) copyPackage(root, outDir, dep, dir, seen);
}

export async function afterBundle({ root, outDir }) {
  // The construct's web page ships beside the function asset (assets/ is in the package's files).
  const siteOut = join(root, 'assets', 'image-processing-api-site');
  rmSync(siteOut, { recursive: true, force: true });
  cpSync(join(root, 'lib', 'image-processing-api', 'site'), siteOut, { recursive: true });
  const seen = new Set();
  copyPackage(root, outDir, 'sharp', root, seen);
  for (const name of SHARP_PLATFORM_PACKAGES) copyPackage(root, outDir, name, join(root, 'node_modules', 'sharp'), seen);
}
