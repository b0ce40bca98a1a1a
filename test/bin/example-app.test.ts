import { App } from 'aws-cdk-lib';
import { buildExampleApp } from '../../bin/example-app';
import { nagFindings, newTestApp } from '../helpers/cdk';

describe('example app (bin/app.ts)', () => {
  // The one place the whole app is synthesized with aws-cdk-lib's CloudFormation validator ON, as
  // `cdk synth` runs it; other tests synthesize single stacks.
  let app: App;
  beforeAll(() => {
    expect(process.env.CDK_VALIDATION).not.toBe('false');
    app = buildExampleApp(newTestApp());
  });

  it('synthesizes every stack with the validator and cdk-nag as plugins, and no violations', () => {
    const assembly = app.synth();
    expect(assembly.stacks.length).toBeGreaterThan(0);
    for (const stack of assembly.stacks) expect(Object.keys(stack.template.Resources ?? {}).length).toBeGreaterThan(0);
  });

  it('has no unacknowledged cdk-nag findings', () => {
    expect(nagFindings(app)).toEqual([]);
  });
});
