import * as fs from 'fs';
import * as path from 'path';

const PACKAGE_NAME = 'cdk-compute-patterns';

/**
 * The package root, found by walking up from this file, so it resolves the same from `lib/` (ts-node,
 * ts-jest) and from `dist/lib/` (the published package).
 */
export function packageRoot(): string {
  let dir = __dirname;
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest) && JSON.parse(fs.readFileSync(manifest, 'utf8')).name === PACKAGE_NAME) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`Cannot find the ${PACKAGE_NAME} package root above ${__dirname}`);
    dir = parent;
  }
}

/** Directory of the prebundled handler asset `name` (built by `npm run build` into `assets/<name>`). */
export function handlerAssetPath(name: string): string {
  const dir = path.join(packageRoot(), 'assets', name);
  if (!fs.existsSync(path.join(dir, 'index.js'))) {
    throw new Error(
      `The prebundled handler asset '${name}' is missing (${dir}/index.js). ` +
        "Run 'npm run build' (npm ci runs it through the 'prepare' script).",
    );
  }
  return dir;
}
