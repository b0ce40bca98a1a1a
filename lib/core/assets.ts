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

/**
 * Name of the asset directory of `pattern`'s function `role`: `<pattern>` for the default role (index.ts),
 * `<pattern>-<role>` for the others (lambda/<pattern>/<role>.ts, listed in its bundle.config.mjs). The same
 * rule as scripts/build-assets.mjs; test/core/prebundled-roles.test.ts builds a role and proves they agree.
 */
export function handlerAssetName(pattern: string, role?: string): string {
  if (role !== undefined && !/^[a-z0-9][a-z0-9-]*$/.test(role)) {
    throw new Error(`role must be the kebab-case name of lambda/${pattern}/<role>.ts (got '${role}')`);
  }
  return role === undefined || role === 'index' ? pattern : `${pattern}-${role}`;
}

/** Directory of the prebundled handler asset `name` (built by `npm run build` into `assets/<name>`). */
export function handlerAssetPath(name: string, role?: string): string {
  const assetName = handlerAssetName(name, role);
  const dir = path.join(packageRoot(), 'assets', assetName);
  if (!fs.existsSync(path.join(dir, 'index.js'))) {
    const roleHint = role === undefined ? '' : ` (role '${role}' of '${name}': lambda/${name}/${role}.ts, listed in roles of lambda/${name}/bundle.config.mjs)`;
    throw new Error(
      `The prebundled handler asset '${assetName}'${roleHint} is missing (${dir}/index.js). ` +
        "Run 'npm run build' (npm ci runs it through the 'prepare' script).",
    );
  }
  return dir;
}
