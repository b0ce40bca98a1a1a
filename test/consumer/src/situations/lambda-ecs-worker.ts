// LambdaEcsWorker with the user's own resources and tokens. One entry per situation; add new props here.
import { CfnParameter, Duration, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { LambdaEcsWorker, LambdaEcsWorkerProps, SceneTrigger } from 'cdk-compute-patterns';
import { AppKind, ENV, errorNaming, inOneStack, Situation, SituationOptions, UserApp } from '../harness';
import { userVpc } from './constructs';

const KEY_ARN = `arn:aws:kms:${ENV.region}:${ENV.account}:key/11111111-2222-3333-4444-555555555555`;

/** A situation: what the user brings (`props`) to a LambdaEcsWorker in their stack, and what must happen. */
const worker = (name: string, props: (user: UserApp, stack: Stack) => LambdaEcsWorkerProps, options?: SituationOptions): Situation =>
  inOneStack(`LambdaEcsWorker: ${name}`, (user, stack) => new LambdaEcsWorker(stack, 'Render', props(user, stack)), options);

export const LAMBDA_ECS_WORKER_SITUATIONS: Situation[] = [
  worker('bucket from Bucket.fromBucketName', (_u, stack) => ({ bucket: s3.Bucket.fromBucketName(stack, 'Scenes', 'my-scenes') })),
  worker('bucket from Bucket.fromBucketName, new App(), env-agnostic', (_u, stack) => ({ bucket: s3.Bucket.fromBucketName(stack, 'Scenes', 'my-scenes') }), {
    app: AppKind.PLAIN,
    env: false,
  }),
  worker('bucket from Bucket.fromBucketAttributes', (_u, stack) => ({
    bucket: s3.Bucket.fromBucketAttributes(stack, 'Scenes', { bucketName: 'my-scenes' }),
  })),
  worker('bucket from Bucket.fromBucketArn', (_u, stack) => ({ bucket: s3.Bucket.fromBucketArn(stack, 'Scenes', 'arn:aws:s3:::my-scenes') })),
  worker('imported KMS-encrypted bucket', (_u, stack) => ({
    bucket: s3.Bucket.fromBucketAttributes(stack, 'Scenes', {
      bucketName: 'my-scenes',
      encryptionKey: kms.Key.fromKeyArn(stack, 'ScenesKey', KEY_ARN),
    }),
  })),
  worker("the user's own KMS-encrypted bucket", (user, stack) => ({
    bucket: user.own(new s3.Bucket(stack, 'Scenes', { encryption: s3.BucketEncryption.KMS, enforceSSL: true })),
  })),
  worker("the user's own bucket, new App()", (user, stack) => ({ bucket: user.own(new s3.Bucket(stack, 'Scenes')) }), { app: AppKind.PLAIN }),
  {
    name: 'LambdaEcsWorker: bucket from another stack',
    expect: errorNaming('bucket', /same stack|EventBridge/),
    build: (user) => {
      const storage = user.stack('Storage', { env: ENV });
      const bucket = user.own(new s3.Bucket(storage, 'Scenes'));
      new LambdaEcsWorker(user.stack('Render', { env: ENV }), 'Render', { bucket });
    },
  },
  {
    name: 'LambdaEcsWorker: bucket from another stack with the EventBridge trigger (no notification, no cycle)',
    build: (user) => {
      const storage = user.stack('Storage', { env: ENV });
      const bucket = user.own(new s3.Bucket(storage, 'Scenes'));
      new LambdaEcsWorker(user.stack('Render', { env: ENV }), 'Render', { bucket, trigger: SceneTrigger.EVENTBRIDGE });
    },
  },
  {
    name: "LambdaEcsWorker: bucket of another stack, imported into the worker's stack by name (the documented way out)",
    build: (user) => {
      const storage = user.stack('Storage', { env: ENV });
      const bucket = user.own(new s3.Bucket(storage, 'Scenes'));
      const render = user.stack('Render', { env: ENV });
      new LambdaEcsWorker(render, 'Render', { bucket: s3.Bucket.fromBucketName(render, 'Scenes', bucket.bucketName) });
    },
  },
  worker("the user's VPC", (user, stack) => ({ vpc: userVpc(user, stack) })),
  worker('VPC from Vpc.fromVpcAttributes (private subnets)', (_u, stack) => ({
    vpc: ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
      vpcId: 'vpc-0123456789abcdef0',
      availabilityZones: ['us-east-1a', 'us-east-1b'],
      privateSubnetIds: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'],
    }),
  })),
  worker("the user's cluster", (user, stack) => ({
    cluster: user.own(new ecs.Cluster(stack, 'Cluster', { vpc: userVpc(user, stack), enableFargateCapacityProviders: true, containerInsightsV2: ecs.ContainerInsights.ENABLED })),
  })),
  worker('cluster from Cluster.fromClusterAttributes', (_u, stack) => ({
    cluster: ecs.Cluster.fromClusterAttributes(stack, 'Cluster', {
      clusterName: 'render',
      vpc: ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
        vpcId: 'vpc-0123456789abcdef0',
        availabilityZones: ['us-east-1a', 'us-east-1b'],
        privateSubnetIds: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'],
      }),
    }),
  })),
  worker('a custom worker image from a registry', () => ({ workerImage: ecs.ContainerImage.fromRegistry('public.ecr.aws/example/my-worker:1.0') })),
  worker('maxWorkers from a CfnParameter', (_u, stack) => ({ maxWorkers: new CfnParameter(stack, 'MaxWorkers', { type: 'Number', default: 5 }).valueAsNumber })),
  worker(
    'visibilityTimeout from a CfnParameter',
    (_u, stack) => ({ visibilityTimeout: Duration.seconds(new CfnParameter(stack, 'Visibility', { type: 'Number', default: 600 }).valueAsNumber) })
  ),
  worker('workerCpu and workerMemoryMiB from CfnParameters', (_u, stack) => ({
    workerCpu: new CfnParameter(stack, 'Cpu', { type: 'Number', default: 1024 }).valueAsNumber,
    workerMemoryMiB: new CfnParameter(stack, 'Memory', { type: 'Number', default: 2048 }).valueAsNumber,
  })),
  worker('maxWorkers 0 and maxReceiveCount 0: both reported', () => ({ maxWorkers: 0, maxReceiveCount: 0 }), {
    expect: errorNaming('maxWorkers', /`?maxReceiveCount`? must be/),
  }),
];
