import { App, Aspects, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as nag2 from 'cdk-nag-v2';
import { EXAMPLE_STACKS } from '../../bin/example-app';
import { acknowledgeNag, NagAcknowledgements } from '../../lib/core';
import { newTestApp } from '../helpers/cdk';
import { NAG2_PACKS, NAG3_PACKS, nag2Findings, nag3Findings } from '../helpers/nag-packs';

/** The example app without a nag plugin of its own: each test applies the pack it is about. */
function exampleApp(): App {
  const app = newTestApp();
  for (const addStack of EXAMPLE_STACKS) addStack(app);
  return app;
}

/** A role with two wildcard resources, as a pattern's policy might have. */
function roleWithWildcards(stack: Stack): iam.Role {
  const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  role.addToPolicy(new iam.PolicyStatement({ actions: ['ec2:DescribeInstances'], resources: ['*'] }));
  role.addToPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['arn:aws:s3:::bucket/*'] }));
  return role;
}

/** Every pack: docs/compliance.md lists what is acknowledged on the library's resources and why. */
const CLEAN_PACKS = new Set(NAG3_PACKS.map((p) => p.name));

/**
 * The Spot Fleet and strict examples stand in for a user's app: their VPCs, Auto Scaling group, ECS task
 * definitions and (strict) the buckets they pass in are the example's own (as a user's would be), not the
 * library's, and keep their findings under the regulated packs.
 */
const EXAMPLE_OWN = /^(SpotFleetAutoscalerExample\/(Vpc|Group|GroupRole|WorkerTask|Cluster|Service)|StrictExample\/(Vpc|Scenes|Site|WorkerTask))\//;
const onLibrary = (findings: string[]) => findings.filter((f) => !EXAMPLE_OWN.test(f.split(' at ')[1] ?? ''));

describe('cdk-nag 2 and 3 alike', () => {
  // Two syntheses of the example app in all, not one per pack: cdk-nag 3 checks an app synthesized once;
  // cdk-nag 2's packs run together as Aspects, each finding named by its pack's rule-id prefix.
  let nag3App: App;
  let nag2All: string[];
  beforeAll(() => {
    nag3App = exampleApp();
    nag3App.synth();
    nag2All = nag2Findings(exampleApp(), NAG2_PACKS.filter((p) => CLEAN_PACKS.has(p.name)).map((p) => p.create));
  });

  it.each(NAG3_PACKS.filter((p) => CLEAN_PACKS.has(p.name)).map((p) => [p.name, p]))('cdk-nag 3 %s finds nothing on the example app', (_name, pack) => {
    expect(onLibrary(nag3Findings(nag3App, pack.create()))).toEqual([]);
  });

  it.each(NAG2_PACKS.filter((p) => CLEAN_PACKS.has(p.name)).map((p) => [p.name, p]))('cdk-nag 2 %s, applied as an Aspect, finds nothing on the example app', (name) => {
    expect(onLibrary(nag2All.filter((f) => f.startsWith(`${name}-`)))).toEqual([]);
  });

  it('cdk-nag 2 packs applied together report each finding under its own pack (so the shared run judges each)', () => {
    const app = new App();
    roleWithWildcards(new Stack(app, 'Stack'));
    const findings = nag2Findings(app, NAG2_PACKS.map((p) => p.create));
    for (const prefix of ['AwsSolutions-IAM5', 'HIPAA.Security-IAMNoInlinePolicy', 'NIST.800.53.R5-IAMNoInlinePolicy']) {
      expect(findings.some((f) => f.startsWith(prefix))).toBe(true);
    }
  });
});

describe('acknowledgements reach cdk-nag 2', () => {
  it('reach resources created under the scope after the acknowledgement, and only the named finding', () => {
    const app = new App();
    const stack = new Stack(app, 'Stack');
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    acknowledgeNag(role, { id: 'AwsSolutions-IAM5[Resource::*]', reason: 'ec2:DescribeInstances has no resource-level permissions.' });
    // The default policy is created by this call, after the acknowledgement.
    role.addToPolicy(new iam.PolicyStatement({ actions: ['ec2:DescribeInstances'], resources: ['*'] }));
    role.addToPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['arn:aws:s3:::bucket/*'] }));
    expect(nag2Findings(app, (props) => new nag2.AwsSolutionsChecks(props))).toEqual([
      'AwsSolutions-IAM5[Resource::arn:aws:s3:::bucket/*] at Stack/Role/DefaultPolicy/Resource',
    ]);
  });

  it('writes nothing into the template unless a cdk-nag 2 pack applies to the resource', () => {
    const app = new App();
    const stack = new Stack(app, 'Stack');
    acknowledgeNag(roleWithWildcards(stack), { id: 'AwsSolutions-IAM5', reason: 'both wildcards are needed by the test fixture.' });
    const resources = Template.fromStack(stack).toJSON().Resources as Record<string, { Metadata?: object }>;
    expect(Object.values(resources).filter((r) => r.Metadata && 'cdk_nag' in r.Metadata)).toEqual([]);
  });

  it("writes cdk-nag 2's own format, with the finding in applies_to and a non-Latin-1 reason encoded", () => {
    const app = new App();
    const stack = new Stack(app, 'Stack');
    Aspects.of(app).add(new nag2.AwsSolutionsChecks({ reports: false }));
    const role = roleWithWildcards(stack);
    acknowledgeNag(role, { id: 'AwsSolutions-IAM5[Resource::*]', reason: 'ec2:Describe* kennt keine Ressourcen-ARNs → *' });
    app.synth();
    const policy = Template.fromStack(stack).findResources('AWS::IAM::Policy');
    expect(Object.values(policy)[0].Metadata.cdk_nag.rules_to_suppress).toEqual([
      { id: 'AwsSolutions-IAM5', applies_to: ['Resource::*'], is_reason_encoded: true, reason: Buffer.from('ec2:Describe* kennt keine Ressourcen-ARNs → *').toString('base64') },
    ]);
  });
});

describe('NagAcknowledgements', () => {
  it.each(['HIPAA.Security-LambdaInsideVPC', 'NIST.800.53.R5-IAMNoInlinePolicy', 'PCI.DSS.321-S3BucketReplicationEnabled', 'Serverless-LambdaDLQ', 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/x]'])(
    "accepts every pack's rule ids: %s",
    (id) => {
      expect(() => NagAcknowledgements.acknowledge(new Stack(), { id, reason: 'a reason long enough to be specific' })).not.toThrow();
    },
  );

  it.each(['S1', 'HIPAA.Security', '.Security-X', 'AwsSolutions-IAM5[]'])('rejects a malformed id: %s', (id) => {
    expect(() => NagAcknowledgements.acknowledge(new Stack(), { id, reason: 'a reason long enough to be specific' })).toThrow(/malformed/);
  });
});
