/**
 * Every pattern has every part docs/adding-a-pattern.md lists. A pattern is a folder of lib/ (core is
 * shared code, not a pattern); a new folder there fails this test until the pattern is complete.
 */
import * as fs from 'fs';
import * as path from 'path';

const ROOT = path.join(__dirname, '..', '..');

/** What the check may look at: does a path exist, the files of a folder, a file's text. */
export interface Tree {
  exists(rel: string): boolean;
  list(rel: string): string[];
  read(rel: string): string;
}

const diskTree: Tree = {
  exists: (rel) => fs.existsSync(path.join(ROOT, rel)),
  list: (rel) => (fs.existsSync(path.join(ROOT, rel)) ? fs.readdirSync(path.join(ROOT, rel)) : []),
  read: (rel) => (fs.existsSync(path.join(ROOT, rel)) ? fs.readFileSync(path.join(ROOT, rel), 'utf8') : ''),
};

/** The patterns: the folders of lib/ other than core. */
export function patternsOf(tree: Tree): string[] {
  return tree
    .list('lib')
    .filter((name) => name !== 'core' && !name.includes('.'))
    .sort();
}

/** The parts `pattern` lacks, each as the step of docs/adding-a-pattern.md that adds it. */
export function missingParts(pattern: string, tree: Tree): string[] {
  const missing: string[] = [];
  const need = (ok: boolean, step: string) => {
    if (!ok) missing.push(step);
  };
  need(tree.list(`contracts/${pattern}`).some((f) => f.endsWith('.ts')), `1. contract: contracts/${pattern}/*.ts`);
  // One layout for every pattern: a reader who knows one construct folder knows them all.
  const constructFiles: Array<[string, string]> = [
    ['index.ts', 'public exports'],
    [`${pattern}.ts`, 'the construct class'],
    ['props.ts', 'the props interfaces, JSDoc with @default'],
    ['validation.ts', 'validateProps with PropsValidator'],
    ['permissions.ts', 'IAM statements and cdk-nag acknowledgements'],
    ['dashboard.ts', 'the pattern\'s dashboard, built with newPatternDashboard'],
  ];
  for (const [file, what] of constructFiles) need(tree.exists(`lib/${pattern}/${file}`), `2. construct folder: lib/${pattern}/${file} (${what})`);
  need(
    !tree.exists(`lib/${pattern}/validation.ts`) || tree.read(`lib/${pattern}/validation.ts`).includes('PropsValidator'),
    `2. construct folder: lib/${pattern}/validation.ts checks props with PropsValidator (lib/core/props-validator.ts)`,
  );
  // Running it in production: the same props and the same last lines in every construct.
  const props = tree.exists(`lib/${pattern}/props.ts`) ? tree.read(`lib/${pattern}/props.ts`) : '';
  const construct = tree.exists(`lib/${pattern}/${pattern}.ts`) ? tree.read(`lib/${pattern}/${pattern}.ts`) : '';
  need(!props || /Props extends [^{]*\bMonitoringProps\b/.test(props), `2. production: the props in lib/${pattern}/props.ts extend MonitoringProps (alarmActions, dashboard, alarmOverrides)`);
  for (const [call, why] of [
    ['applyAlarmActions(this, props.alarmActions)', 'every alarm reaches someone'],
    ['acknowledgeCompliancePackFindings(this)', 'the compliance packs\' findings, with their reasons'],
    ['fitDescriptionsToAwsLimits(this)', 'descriptions cut to AWS limits'],
  ]) {
    need(!construct || construct.includes(call), `2. production: lib/${pattern}/${pattern}.ts calls ${call} (${why})`);
  }
  need(tree.read('lib/index.ts').includes(`'./${pattern}'`), `2. construct folder: export * from './${pattern}' in lib/index.ts`);
  need(tree.exists(`lambda/${pattern}/index.ts`), `3. handler folder: lambda/${pattern}/index.ts (bundled by scripts/build-assets.mjs into assets/${pattern}/)`);
  need(tree.exists(`bin/stacks/${pattern}.ts`), `4. example stack: bin/stacks/${pattern}.ts`);
  need(tree.read('bin/example-app.ts').includes(`'./stacks/${pattern}'`), `4. example stack: listed in EXAMPLE_STACKS of bin/example-app.ts`);
  need(
    !tree.exists(`bin/stacks/${pattern}.ts`) || tree.read(`bin/stacks/${pattern}.ts`).includes('exampleAlarmActions('),
    `4. example stack: bin/stacks/${pattern}.ts gives its alarms the example topic (exampleAlarmActions)`,
  );
  const tests = tree.list(`test/${pattern}`);
  for (const kind of ['construct.test.ts', 'asset.test.ts', 'handler.test.ts']) need(tests.includes(kind), `5. tests: test/${pattern}/${kind}`);
  need(
    tests.some((f) => f.endsWith('.e2e.test.ts')),
    `5. tests: test/${pattern}/<what>.e2e.test.ts`,
  );
  need(tree.exists(`test/consumer/src/situations/${pattern}.ts`), `5. tests: test/consumer/src/situations/${pattern}.ts (the packed tarball in a user's app)`);
  need(tree.exists(`docs/${pattern}.md`), `6. docs page: docs/${pattern}.md`);
  need(
    tree.read('README.md').split('\n').some((line) => line.startsWith('| `') && line.includes(`(docs/${pattern}.md)`)),
    `7. README row: a line of the patterns table linking docs/${pattern}.md`,
  );
  return missing;
}

describe('every pattern is complete (docs/adding-a-pattern.md)', () => {
  const patterns = patternsOf(diskTree);

  it('finds the patterns', () => {
    expect(patterns).toEqual(expect.arrayContaining(['image-processing-api', 'lambda-ecs-worker', 'spot-fleet-autoscaler', 'table-trigger']));
  });

  it('documents the recipe', () => {
    const recipe = diskTree.read('docs/adding-a-pattern.md');
    for (const step of ['contracts/', 'lib/<pattern>/', 'lambda/<pattern>/', 'bin/stacks/', 'construct.test.ts', 'docs/<pattern>.md', 'README']) {
      expect(recipe).toContain(step);
    }
  });

  it.each(patternsOf(diskTree))('%s has every part', (pattern) => {
    expect(missingParts(pattern, diskTree)).toEqual([]);
  });

  it('names a construct that skips a production step', () => {
    const tree: Tree = {
      ...diskTree,
      read: (rel) => (rel === 'lib/table-trigger/table-trigger.ts' ? diskTree.read(rel).replace('applyAlarmActions(this, props.alarmActions)', '') : diskTree.read(rel)),
    };
    expect(missingParts('table-trigger', tree)).toEqual(['2. production: lib/table-trigger/table-trigger.ts calls applyAlarmActions(this, props.alarmActions) (every alarm reaches someone)']);
  });

  it('names a validation.ts that does not use PropsValidator', () => {
    const tree: Tree = { ...diskTree, read: (rel) => (rel === 'lib/table-trigger/validation.ts' ? 'export function validateProps() { if (x) throw new Error(); }' : diskTree.read(rel)) };
    expect(missingParts('table-trigger', tree)).toEqual(['2. construct folder: lib/table-trigger/validation.ts checks props with PropsValidator (lib/core/props-validator.ts)']);
  });

  it('names every missing part of an incomplete pattern', () => {
    const files = new Set(['lib/index.ts', 'lib/new-thing/index.ts', 'test/new-thing/construct.test.ts']);
    const tree: Tree = {
      exists: (rel) => files.has(rel),
      list: (rel) => [...files].filter((f) => path.posix.dirname(f) === rel).map((f) => path.posix.basename(f)),
      read: (rel) => (rel === 'lib/index.ts' ? "export * from './core';" : ''),
    };
    expect(missingParts('new-thing', tree)).toEqual([
      '1. contract: contracts/new-thing/*.ts',
      '2. construct folder: lib/new-thing/new-thing.ts (the construct class)',
      '2. construct folder: lib/new-thing/props.ts (the props interfaces, JSDoc with @default)',
      '2. construct folder: lib/new-thing/validation.ts (validateProps with PropsValidator)',
      '2. construct folder: lib/new-thing/permissions.ts (IAM statements and cdk-nag acknowledgements)',
      "2. construct folder: lib/new-thing/dashboard.ts (the pattern's dashboard, built with newPatternDashboard)",
      "2. construct folder: export * from './new-thing' in lib/index.ts",
      '3. handler folder: lambda/new-thing/index.ts (bundled by scripts/build-assets.mjs into assets/new-thing/)',
      '4. example stack: bin/stacks/new-thing.ts',
      '4. example stack: listed in EXAMPLE_STACKS of bin/example-app.ts',
      '5. tests: test/new-thing/asset.test.ts',
      '5. tests: test/new-thing/handler.test.ts',
      '5. tests: test/new-thing/<what>.e2e.test.ts',
      "5. tests: test/consumer/src/situations/new-thing.ts (the packed tarball in a user's app)",
      '6. docs page: docs/new-thing.md',
      '7. README row: a line of the patterns table linking docs/new-thing.md',
    ]);
  });
});
