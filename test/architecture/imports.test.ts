/**
 * The house's dependency rules, checked on the source tree:
 * - contracts/ (what constructs, handlers and the worker agree on) imports nothing but other contracts;
 * - lib/ (constructs) never imports handler or worker code (lambda/, docker/);
 * - lambda/ and docker/ never import construct code (lib/), only contracts/ and their own modules;
 * - bench/ never imports test/ (test/ imports bench/), and local/ imports neither: no loop between them;
 * - no construct file grows past MAX_LIB_FILE_LINES.
 */
import * as fs from 'fs';
import * as path from 'path';

const ROOT = path.join(__dirname, '..', '..');
const MAX_LIB_FILE_LINES = 450;
const SOURCE = /\.(ts|mts|cts|js|mjs|cjs)$/;
const SKIP_DIRS = new Set(['node_modules', 'dist', 'assets', 'cdk.out']);

/** Repository-relative paths (with `/`) of the source files under `dir`. */
export function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const entry of fs.readdirSync(path.join(ROOT, rel), { withFileTypes: true })) {
      const child = `${rel}/${entry.name}`;
      if (entry.isDirectory()) {
        if (!SKIP_DIRS.has(entry.name)) walk(child);
      } else if (SOURCE.test(entry.name)) {
        out.push(child);
      }
    }
  };
  if (fs.existsSync(path.join(ROOT, dir))) walk(dir);
  return out;
}

/** Every module specifier in `source`: static and dynamic imports, re-exports and require calls. */
export function importSpecifiers(source: string): string[] {
  const specifiers: string[] = [];
  const patterns = [
    /\b(?:import|export)\s+(?:type\s+)?[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g,
    /\bimport\s*['"]([^'"]+)['"]/g,
    /\b(?:require|import)\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  for (const pattern of patterns) for (const match of source.matchAll(pattern)) specifiers.push(match[1]);
  return specifiers;
}

/** The top-level folder a specifier of `file` lands in (`lib`, `lambda`, ...), or `package:<name>`. */
function target(file: string, specifier: string): string {
  if (!specifier.startsWith('.')) return `package:${specifier}`;
  const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier));
  return resolved.startsWith('../') ? 'outside' : resolved;
}

/** What a file in each top-level folder may not import, as a rule name and a test on the target. */
const RULES: Array<{ from: string; forbids: (to: string) => boolean; why: string }> = [
  { from: 'lib/', forbids: (to) => /^(lambda|docker)(\/|$)/.test(to), why: 'constructs import contracts/, never handler or worker code' },
  { from: 'lambda/', forbids: (to) => /^lib(\/|$)/.test(to), why: 'handlers import contracts/, never construct code' },
  { from: 'docker/', forbids: (to) => /^lib(\/|$)/.test(to), why: 'the worker imports contracts/, never construct code' },
  { from: 'bench/', forbids: (to) => /^test(\/|$)/.test(to), why: 'benchmarks share code with tests through local/, never test/ (tests may import bench/)' },
  { from: 'local/', forbids: (to) => /^(test|bench)(\/|$)/.test(to), why: 'local/ serves tests, benchmarks and the demo: it imports none of them' },
  {
    from: 'contracts/',
    forbids: (to) => !to.startsWith('contracts/'),
    why: 'contracts are dependency-free: they import only other contracts (no aws-cdk-lib, no SDK, no Node modules)',
  },
];

/** Every broken rule in `files` (path → source text), as `file imports 'spec': why`. */
export function importViolations(files: Record<string, string>): string[] {
  const violations: string[] = [];
  for (const [file, source] of Object.entries(files)) {
    for (const rule of RULES.filter((r) => file.startsWith(r.from))) {
      for (const specifier of importSpecifiers(source)) {
        if (rule.forbids(target(file, specifier))) violations.push(`${file} imports '${specifier}': ${rule.why}`);
      }
    }
  }
  return violations;
}

function lineCount(text: string): number {
  return text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
}

function read(files: string[]): Record<string, string> {
  return Object.fromEntries(files.map((file) => [file, fs.readFileSync(path.join(ROOT, file), 'utf8')]));
}

describe('import rules', () => {
  const tree = read(['contracts', 'lib', 'lambda', 'docker', 'bench', 'local'].flatMap(sourceFiles));

  it('finds the source tree', () => {
    for (const dir of ['contracts/', 'lib/', 'lambda/', 'docker/', 'bench/', 'local/']) expect(Object.keys(tree).some((f) => f.startsWith(dir))).toBe(true);
  });

  it('holds for every file: lib ↛ lambda/docker, lambda/docker ↛ lib, contracts ↛ anything else, bench/local ↛ test', () => {
    expect(importViolations(tree)).toEqual([]);
  });

  it('reports each kind of violation, in every import form', () => {
    const violations = importViolations({
      'lib/x/x.ts': "import { a } from '../../lambda/shared/a';\nexport * from '../../docker/w/src/b';",
      'lambda/x/index.ts': "import type { C } from '../../lib/x/c';\nconst d = require('../../lib/x/d');",
      'docker/w/src/index.ts': "const e = await import('../../../lib/x/e');",
      'contracts/x.ts': "import { Duration } from 'aws-cdk-lib';\nimport { createHash } from 'crypto';\nimport { y } from './y';",
      'lib/x/ok.ts': "import { f } from '../../contracts/x';\nimport { Construct } from 'constructs';",
      'lambda/x/ok.ts': "import { g } from '../../contracts/x';\nimport { h } from '../shared/h';",
      'bench/x/run.ts': "import { startLocalAws } from '../../test/local/local-aws';\nimport { ok } from '../../local/local-aws';",
      'local/x.ts': "import { simulate } from '../bench/autoscaler/simulator';",
    });
    expect(violations.map((v) => v.split(':')[0])).toEqual([
      "lib/x/x.ts imports '../../lambda/shared/a'",
      "lib/x/x.ts imports '../../docker/w/src/b'",
      "lambda/x/index.ts imports '../../lib/x/c'",
      "lambda/x/index.ts imports '../../lib/x/d'",
      "docker/w/src/index.ts imports '../../../lib/x/e'",
      "contracts/x.ts imports 'aws-cdk-lib'",
      "contracts/x.ts imports 'crypto'",
      "bench/x/run.ts imports '../../test/local/local-aws'",
      "local/x.ts imports '../bench/autoscaler/simulator'",
    ]);
  });
});

describe('construct file size', () => {
  it(`keeps every file in lib/ at most ${MAX_LIB_FILE_LINES} lines`, () => {
    const tooLong = sourceFiles('lib')
      .map((file) => ({ file, lines: lineCount(fs.readFileSync(path.join(ROOT, file), 'utf8')) }))
      .filter(({ lines }) => lines > MAX_LIB_FILE_LINES)
      .map(({ file, lines }) => `${file}: ${lines} lines (split it: props.ts, validation.ts, permissions.ts, internal constructs)`);
    expect(tooLong).toEqual([]);
  });
});

/**
 * One import path for lib/core (docs/adding-a-pattern.md, step 2): what lib/core/index.ts re-exports is imported
 * from the barrel (`../core`), whether the package root makes it public or not; the internal modules the
 * barrel leaves out (assets, builders, defaults, props-validator, table-shape) are imported by their path.
 * Files of lib/core itself import their siblings by path (the barrel would import them back).
 */
export function coreImportViolations(files: Record<string, string>, barrelModules: string[]): string[] {
  const violations: string[] = [];
  for (const [file, source] of Object.entries(files)) {
    if (file.startsWith('lib/core/')) continue;
    for (const specifier of importSpecifiers(source)) {
      const to = target(file, specifier);
      const module = /^lib\/core\/([^/]+)$/.exec(to)?.[1];
      if (module && barrelModules.includes(module)) violations.push(`${file} imports '${specifier}': import it from lib/core's index ('${specifier.slice(0, -module.length - 1)}'), which re-exports ${module}.ts`);
    }
  }
  return violations;
}

/** The modules lib/core/index.ts re-exports (`export * from './x'`). */
function barrelModules(): string[] {
  const index = fs.readFileSync(path.join(ROOT, 'lib', 'core', 'index.ts'), 'utf8');
  return [...index.matchAll(/^export \* from '\.\/([^']+)';$/gm)].map((m) => m[1]);
}

describe('one import path for lib/core', () => {
  it('finds the barrel', () => {
    expect(barrelModules()).toEqual(expect.arrayContaining(['nag', 'prebundled-function', 'placement']));
  });

  it('holds for every file: barrel names from lib/core, internal modules by path', () => {
    // test/architecture holds example imports in strings (like the one below).
    const tree = read(['lib', 'bin', 'local', 'test', 'bench'].flatMap(sourceFiles).filter((f) => !f.startsWith('test/architecture/')));
    expect(coreImportViolations(tree, barrelModules())).toEqual([]);
  });

  it('names the file, the import and the path to use', () => {
    const violations = coreImportViolations(
      {
        'lib/x/x.ts': "import { acknowledgeNag } from '../core/nag';\nimport { PropsValidator } from '../core/props-validator';\nimport { SecureBucket } from '../core';",
        'test/x/x.test.ts': "import { PrebundledFunction } from '../../lib/core/prebundled-function';",
        'lib/core/secure-bucket.ts': "import { acknowledgeNag } from './nag';",
      },
      ['nag', 'prebundled-function'],
    );
    expect(violations).toEqual([
      "lib/x/x.ts imports '../core/nag': import it from lib/core's index ('../core'), which re-exports nag.ts",
      "test/x/x.test.ts imports '../../lib/core/prebundled-function': import it from lib/core's index ('../../lib/core'), which re-exports prebundled-function.ts",
    ]);
  });
});
