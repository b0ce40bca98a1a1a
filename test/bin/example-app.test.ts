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

  it('has no unacknowledged cdk-nag findings, each reported by rule id and construct path', () => {
    // Every resource counts here: the example stacks' own resources (VPCs, queues) are what users deploy and
    // copy, and `cdk synth` checks them too. Unit tests leave their scaffolding out (nagFindings' default).
    expect(nagFindings(app, { includeScaffolding: true })).toEqual([]);
  });
});
