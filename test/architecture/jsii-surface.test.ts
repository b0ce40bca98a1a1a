/**
 * The public API (lib/index.ts) as jsii compiles it, checked for the mistakes `jsii --fail-on-warnings` lets
 * through silently (test/architecture/jsii-surface.ts says which and why). The scan reads the sources with the
 * TypeScript compiler API (about 2 s, no jsii run); the comparison with `.jsii` uses the assembly that
 * `npm run build:jsii` wrote, when it is at least as new as lib/ and contracts/ (CI builds it before
 * `npm test`; locally a stale one skips that comparison loudly, and fails under CI=true).
 */
import * as fs from 'fs';
import * as path from 'path';
import { compareWithJsii, scanPublicApi } from './jsii-surface';

const ROOT = path.join(__dirname, '..', '..');
const FIXTURES = path.join(__dirname, 'fixtures', 'jsii-surface');
const TSCONFIG = path.join(ROOT, 'tsconfig.json');
const scanFixture = (name: string) => scanPublicApi(path.join(FIXTURES, name, 'lib', 'index.ts'), TSCONFIG);

function newestSource(): number {
  const walk = (dir: string): number =>
    fs.readdirSync(dir, { withFileTypes: true }).reduce((newest, entry) => {
      const file = path.join(dir, entry.name);
      return Math.max(newest, entry.isDirectory() ? walk(file) : entry.name.endsWith('.ts') ? fs.statSync(file).mtimeMs : 0);
    }, 0);
  return Math.max(walk(path.join(ROOT, 'lib')), walk(path.join(ROOT, 'contracts')), fs.statSync(path.join(ROOT, 'package.json')).mtimeMs);
}

describe('the jsii surface of lib/index.ts', () => {
  const scan = scanPublicApi(path.join(ROOT, 'lib', 'index.ts'), TSCONFIG);

  it('finds the public API', () => {
    expect(scan.exports).toEqual(expect.arrayContaining([{ name: 'TableTrigger', kind: 'class', file: 'lib/table-trigger/table-trigger.ts' }]));
    expect(scan.exports.length).toBeGreaterThan(30);
  });

  it('has none of the mistakes jsii lets through', () => {
    expect(scan.problems).toEqual([]);
  });

  it('matches the jsii API built from the same sources (.jsii)', () => {
    const jsiiFile = path.join(ROOT, '.jsii');
    const current = fs.existsSync(jsiiFile) && fs.statSync(jsiiFile).mtimeMs >= newestSource();
    if (!current) {
      const why = `${fs.existsSync(jsiiFile) ? '.jsii is older than lib/ or contracts/' : 'there is no .jsii'}: run npm run build:jsii`;
      if (process.env.CI === 'true') throw new Error(`cannot compare the public API with jsii's: ${why} (.ci/run does it before npm test)`);
      console.warn(`SKIPPED the comparison with the jsii assembly: ${why}`);
      return;
    }
    expect(compareWithJsii(scan.exports, JSON.parse(fs.readFileSync(jsiiFile, 'utf8')))).toEqual([]);
  });
});

describe('each silent jsii mistake fails with a message that names it (fixtures)', () => {
  it('passes a clean API: a class with static members, a props struct with @default, an enum', () => {
    expect(scanFixture('clean')).toEqual({
      exports: [
        { name: 'ReportMode', kind: 'enum', file: 'lib/index.ts' },
        { name: 'ReporterProps', kind: 'struct', file: 'lib/index.ts' },
        { name: 'Reporter', kind: 'class', file: 'lib/index.ts' },
      ],
      problems: [],
    });
  });

  it('a literal union in a public type', () => {
    expect(scanFixture('literal-union').problems).toEqual([
      'ReporterProps.mode (lib/index.ts): the literal union "full" | "summary" is widened to string by jsii (no check in Python, Java, .NET or Go): use an enum (in contracts/ when the handler reads it)',
    ]);
  });

  it('an exported free function', () => {
    expect(scanFixture('free-function').problems).toEqual([
      'formatReport (lib/index.ts): an exported function is dropped from the jsii API (Python, Java, .NET and Go users never see it): use a static member of a class (or keep it internal: not exported from lib/index.ts)',
    ]);
  });

  it('an exported const', () => {
    expect(scanFixture('export-const').problems).toEqual([
      'REPORT_DEFAULTS (lib/index.ts): an exported const is dropped from the jsii API (Python, Java, .NET and Go users never see it): use a static member of a class (or keep it internal: not exported from lib/index.ts)',
    ]);
  });

  it('an exported type alias', () => {
    expect(scanFixture('type-alias').problems).toEqual([
      'ReportLines (lib/index.ts): an exported type alias is dropped from the jsii API (Python, Java, .NET and Go users never see it): use an interface or an enum',
    ]);
  });

  it('an optional prop with no @default', () => {
    expect(scanFixture('missing-default').problems).toEqual([
      'ReporterProps.maxItems (lib/index.ts): an optional prop with no @default in its JSDoc: say what happens when it is left out (`@default 30`, or `@default - none: ...`)',
    ]);
  });

  it('a public export missing from the jsii API, or of another kind there', () => {
    const { exports } = scanFixture('clean');
    const assembly = {
      name: 'fixture',
      types: {
        'fixture.ReportMode': { kind: 'enum' },
        // ReporterProps is missing; Reporter is an interface in the assembly.
        'fixture.Reporter': { kind: 'interface', datatype: true },
      },
    };
    expect(compareWithJsii(exports, assembly)).toEqual([
      "ReporterProps (lib/index.ts) is exported by lib/index.ts as a struct but is missing from the jsii API (.jsii): re-export it with `export { X } from '...'` (jsii does not follow import + export)",
      'Reporter (lib/index.ts) is a class in TypeScript but an interface (struct) in the jsii API: a struct has only readonly properties and no I prefix; a behavioural interface starts with I',
    ]);
  });
});
