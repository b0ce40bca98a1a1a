/**
 * A CI run cannot pass on a hand-installed tool: every tool the tests use is declared in local/tools.ts
 * (TOOLS), `.ci/run` installs its packages, the README lists the same packages, and a tool that is
 * missing or is not the real one (a `convert` that is not ImageMagick) fails the tests that need it under CI=true.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { describeWithTools, toolProblem, TOOLS } from '../../local/tools';

const ROOT = path.join(__dirname, '..', '..');

/** The packages `.ci/run` installs (its `for pkg in ...; do` list). */
function ciPackages(): string[] {
  const match = /for pkg in ([^;]+); do/.exec(fs.readFileSync(path.join(ROOT, '.ci', 'run'), 'utf8'));
  if (!match) throw new Error(".ci/run has no 'for pkg in ...; do' package list");
  return match[1].trim().split(/\s+/);
}

/** The Debian packages the README's "how to run" section names (its back-quoted package lists). */
function readmePackages(): string[] {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const howToRun = readme.slice(0, readme.indexOf('\nAn AWS CDK v2 construct library'));
  const lists = [...howToRun.matchAll(/`(?:apt-get install -y )?([a-z0-9][a-z0-9.+-]*(?:\s+[a-z0-9][a-z0-9.+-]*){2,})`/g)];
  return lists.flatMap((m) => m[1].split(/\s+/));
}

/** Every tool a test file asks for through describeWithTools([...]). */
function toolsAskedFor(): Map<string, string[]> {
  const asked = new Map<string, string[]>();
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory() && entry.name !== 'node_modules') walk(file);
      else if (entry.name.endsWith('.ts') && file !== __filename) {
        for (const m of fs.readFileSync(file, 'utf8').matchAll(/describeWithTools\(\s*\[([^\]]*)\]/g)) {
          for (const tool of [...m[1].matchAll(/'([^']+)'/g)].map((t) => t[1])) asked.set(tool, [...(asked.get(tool) ?? []), path.relative(ROOT, file)]);
        }
      }
    }
  };
  walk(path.join(ROOT, 'test'));
  return asked;
}

describe('the tools the tests use are the ones CI installs', () => {
  it('every tool a test asks for is declared, with its packages', () => {
    const asked = toolsAskedFor();
    expect([...asked.keys()].sort()).toEqual(expect.arrayContaining(['convert', 'chromium', 'inotifywait', 'povray']));
    for (const [tool, files] of asked) expect({ tool, files, declared: tool in TOOLS }).toEqual({ tool, files, declared: true });
  });

  it('.ci/run installs every declared tool\'s packages (imagemagick included), and the README lists exactly what .ci/run installs', () => {
    const ci = ciPackages();
    const needed = [...new Set(Object.values(TOOLS).flatMap((t) => t.packages))].sort();
    expect(needed).toContain('imagemagick');
    expect(needed).toContain('inotify-tools');
    expect(needed.filter((p) => !ci.includes(p))).toEqual([]);
    expect([...new Set(readmePackages())].sort()).toEqual([...new Set(ci)].sort());
  });
});

describe('a tool that is missing or not the real one', () => {
  let bin: string;
  const savedPath = process.env.PATH;
  const savedCi = process.env.CI;
  beforeAll(() => {
    bin = fs.mkdtempSync(path.join(os.tmpdir(), 'tool-stand-ins-'));
    // A `convert` that answers, but is not ImageMagick (as a shim or another package's convert would be).
    fs.writeFileSync(path.join(bin, 'convert'), '#!/bin/sh\necho "GraphicsMagick 1.4 (a stand-in)"\n', { mode: 0o755 });
  });
  afterEach(() => {
    process.env.PATH = savedPath;
    process.env.CI = savedCi;
  });
  afterAll(() => fs.rmSync(bin, { recursive: true, force: true }));

  it('is named: not installed, or not the real tool', () => {
    process.env.PATH = `${bin}:${savedPath}`;
    expect(toolProblem('convert')).toMatch(/^.*tool-stand-ins-.*\/convert is not the real convert \(`convert -version` said "GraphicsMagick 1\.4/);
    process.env.PATH = bin;
    expect(toolProblem('inotifywait')).toBe('inotifywait is not installed');
    expect(() => toolProblem('gm')).toThrow(/unknown tool 'gm': add it to TOOLS/);
  });

  it('fails its tests under CI=true instead of skipping them', () => {
    process.env.PATH = `${bin}:${savedPath}`;
    process.env.CI = 'true';
    const declared: Array<{ name: string; fn: () => unknown }> = [];
    const globals = globalThis as unknown as Record<string, unknown>;
    const real = { describe: globals.describe, it: globals.it };
    globals.describe = (_name: string, body: () => void) => body();
    globals.it = (name: string, fn: () => unknown) => declared.push({ name, fn });
    try {
      describeWithTools(['convert'], 'parity with a stand-in', () => {
        throw new Error('the body must not be declared');
      });
    } finally {
      Object.assign(globals, real);
    }
    expect(declared.map((d) => d.name)).toEqual(['has its required tools']);
    expect(() => declared[0].fn()).toThrow(/not the real convert.*apt-get install -y imagemagick.*CI=true: missing tools fail instead of skipping/s);
  });
});

describe('on this machine', () => {
  it.each(Object.keys(TOOLS).filter((t) => t !== 'podman'))('%s is the real tool when installed (and must be under CI=true)', (tool) => {
    const problem = toolProblem(tool);
    if (process.env.CI === 'true') expect(problem).toBeUndefined();
    else if (problem) expect(problem).toMatch(/is not installed$/);
  });
});
