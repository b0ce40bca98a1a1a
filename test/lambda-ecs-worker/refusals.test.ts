import { App, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3n from 'aws-cdk-lib/aws-s3-notifications';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { LambdaEcsWorker, SceneTrigger } from '../../lib';
import { overlaps } from '../../lib/lambda-ecs-worker/notification-overlap';
import { newTestStack } from '../helpers/cdk';

const clusterIn = (stack: Stack, subnetConfiguration: ec2.SubnetConfiguration[]) =>
  new ecs.Cluster(stack, 'Cluster', { vpc: new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0, subnetConfiguration }) });

describe('LambdaEcsWorker refusals name the prop and the fix', () => {
  it("a cluster whose VPC has only public subnets: names `assignPublicIp` and `subnets`, before CDK's own error", () => {
    const stack = newTestStack();
    const cluster = clusterIn(stack, [{ name: 'Public', subnetType: ec2.SubnetType.PUBLIC }]);
    expect(() => new LambdaEcsWorker(stack, 'Render', { cluster })).toThrow(/assignPublicIp: true.*|`assignPublicIp`/s);
    expect(() => new LambdaEcsWorker(newTestStack(), 'Render', { cluster: clusterIn(newTestStack('Other'), [{ name: 'Public', subnetType: ec2.SubnetType.PUBLIC }]) })).toThrow(/has Public subnets/);
  });

  it('a VPC with only isolated subnets: names `subnets` with PRIVATE_ISOLATED and the endpoints it needs', () => {
    const stack = newTestStack();
    const cluster = clusterIn(stack, [{ name: 'Isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }]);
    expect(() => new LambdaEcsWorker(stack, 'Render', { cluster })).toThrow(/`subnets: \{ subnetType: ec2\.SubnetType\.PRIVATE_ISOLATED \}`.*endpoints/s);
    // ...and that choice works.
    expect(() => new LambdaEcsWorker(stack, 'Render2', { cluster, subnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED } })).not.toThrow();
  });

  it("refuses at synth a user's notification that overlaps the scene trigger, naming both prefixes", () => {
    const app = new App();
    const stack = new Stack(app, 'Stack');
    const bucket = new s3.Bucket(stack, 'Scenes');
    new LambdaEcsWorker(stack, 'Render', { bucket });
    bucket.addEventNotification(s3.EventType.OBJECT_CREATED, new s3n.SqsDestination(new sqs.Queue(stack, 'Mine')), { prefix: 'scenes/archive/' });
    expect(() => app.synth()).toThrow(/prefix 'scenes\/', suffix '\.zip'.*prefix 'scenes\/archive\/'.*`inputPrefix`/s);
  });

  it("accepts a user's notification on another prefix, and any with the EventBridge trigger", () => {
    const app = new App();
    const stack = new Stack(app, 'Stack');
    const bucket = new s3.Bucket(stack, 'Scenes');
    new LambdaEcsWorker(stack, 'Render', { bucket });
    bucket.addEventNotification(s3.EventType.OBJECT_CREATED, new s3n.SqsDestination(new sqs.Queue(stack, 'Mine')), { prefix: 'uploads/' });
    const other = new s3.Bucket(stack, 'Other');
    new LambdaEcsWorker(stack, 'Bridge', { bucket: other, trigger: SceneTrigger.EVENTBRIDGE });
    other.addEventNotification(s3.EventType.OBJECT_CREATED, new s3n.SqsDestination(new sqs.Queue(stack, 'Mine2')), { prefix: 'scenes/' });
    expect(() => app.synth()).not.toThrow();
  });

  it.each([
    [{ prefix: 'scenes/', suffix: '.zip' }, { prefix: 'scenes/a/', suffix: '' }, true],
    [{ prefix: 'scenes/', suffix: '.zip' }, { prefix: '', suffix: '.zip' }, true],
    [{ prefix: 'scenes/', suffix: '.zip' }, { prefix: 'renders/', suffix: '' }, false],
    [{ prefix: 'scenes/', suffix: '.zip' }, { prefix: 'scenes/', suffix: '.png' }, false],
  ])("S3's overlap rule: %j and %j → %s", (a, b, expected) => {
    const filter = (f: { prefix: string; suffix: string }) => ({ destination: 'x', events: ['s3:ObjectCreated:*'], ...f });
    expect(overlaps(filter(a), filter(b))).toBe(expected);
  });
});
