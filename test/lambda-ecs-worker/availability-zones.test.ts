import { App, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import { LambdaEcsWorker } from '../../lib';

// A user's stack with a concrete account and region, in an app with no context (no cdk.context.json, no
// credentials): creating a worker must need no lookup, or `cdk synth` fails there.
const ENV = { account: '123456789012', region: 'eu-west-1' };
const AZ_CONTEXT_KEY = `availability-zones:account=${ENV.account}:region=${ENV.region}`;

function subnetZones(app: App, stackName: string, logicalIdPrefix: string): unknown[] {
  const template = app.synth().getStackByName(stackName).template as { Resources: Record<string, { Type: string; Properties: { AvailabilityZone: unknown } }> };
  return Object.entries(template.Resources)
    .filter(([id, r]) => r.Type === 'AWS::EC2::Subnet' && id.startsWith(logicalIdPrefix))
    .map(([, r]) => r.Properties.AvailabilityZone);
}

describe('LambdaEcsWorker in an env-specific stack', () => {
  it('synthesizes with no context lookup: its VPC takes the first two zones of Fn::GetAZs', () => {
    const app = new App();
    const stack = new Stack(app, 'S', { env: ENV });
    new LambdaEcsWorker(stack, 'Render');
    const assembly = app.synth();
    expect(assembly.manifest.missing ?? []).toEqual([]);
    expect(subnetZones(app, 'S', 'RenderVpc')).toEqual([
      { 'Fn::Select': [0, { 'Fn::GetAZs': '' }] },
      { 'Fn::Select': [1, { 'Fn::GetAZs': '' }] },
    ]);
  });

  it("leaves the user's own VPC alone: it still looks its zones up, as the user asked", () => {
    const app = new App();
    const stack = new Stack(app, 'S', { env: ENV });
    new LambdaEcsWorker(stack, 'Render');
    new ec2.Vpc(stack, 'UserVpc', { maxAzs: 2 });
    expect((app.synth().manifest.missing ?? []).map((m) => m.key)).toEqual([AZ_CONTEXT_KEY]);
    expect(subnetZones(app, 'S', 'UserVpcPublic')).toEqual(['dummy1a', 'dummy1b']);
    expect(subnetZones(app, 'S', 'RenderVpc')).toEqual([
      { 'Fn::Select': [0, { 'Fn::GetAZs': '' }] },
      { 'Fn::Select': [1, { 'Fn::GetAZs': '' }] },
    ]);
  });

  it('keeps the zones a stack class chooses by overriding availabilityZones (CDK’s documented way)', () => {
    class PinnedZones extends Stack {
      constructor(scope: Construct, id: string) {
        super(scope, id, { env: ENV });
      }
      get availabilityZones(): string[] {
        return ['eu-west-1b', 'eu-west-1c'];
      }
    }
    const app = new App();
    new LambdaEcsWorker(new PinnedZones(app, 'S'), 'Render');
    expect(app.synth().manifest.missing ?? []).toEqual([]);
    expect(subnetZones(app, 'S', 'RenderVpc')).toEqual(['eu-west-1b', 'eu-west-1c']);
  });

  it('takes the zones of the aws:cdk:availability-zones:fallback context, as an env-agnostic stack would', () => {
    const app = new App({ context: { 'aws:cdk:availability-zones:fallback': ['eu-west-1a', 'eu-west-1c', 'eu-west-1b'] } });
    new LambdaEcsWorker(new Stack(app, 'S', { env: ENV }), 'Render');
    expect(app.synth().manifest.missing ?? []).toEqual([]);
    expect(subnetZones(app, 'S', 'RenderVpc')).toEqual(['eu-west-1a', 'eu-west-1c']);
  });
});
