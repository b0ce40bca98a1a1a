// LambdaEcsWorker with the user's own resources and tokens. One entry per situation; add new props here.
import { CfnParameter, Duration, RemovalPolicy, Size, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { LambdaEcsWorker, LambdaEcsWorkerProps, SceneTrigger } from 'cdk-compute-patterns';
import { AppKind, ENV, errorNaming, inOneStack, ResourceUse, Situation, SituationOptions, UserApp } from '../harness';
import { userVpc } from './constructs';

const KEY_ARN = `arn:aws:kms:${ENV.region}:${ENV.account}:key/11111111-2222-3333-4444-555555555555`;
const JOBS_ARN = `arn:aws:sqs:${ENV.region}:${ENV.account}:jobs`;
/** The user's resources of `type` are the only ones: `count` of them, each string of `referenced` in the template. */
const uses = (type: string, count: number, ...referenced: string[]): ResourceUse => ({ type, count, referenced });
const BUCKET = 'AWS::S3::Bucket';
const QUEUE = 'AWS::SQS::Queue';
const TABLE = 'AWS::DynamoDB::Table';
/** The launcher function's own dead-letter queue (failed S3 notifications): the library's, whatever the user brings. */
const LAUNCHER_DLQ = 'RenderLauncherDeadLetterQueue';

/** A situation: what the user brings (`props`) to a LambdaEcsWorker in their stack, and what must happen. */
const worker = (name: string, props: (user: UserApp, stack: Stack) => LambdaEcsWorkerProps, options?: SituationOptions): Situation =>
  inOneStack(`LambdaEcsWorker: ${name}`, (user, stack) => new LambdaEcsWorker(stack, 'Render', props(user, stack)), options);

export const LAMBDA_ECS_WORKER_SITUATIONS: Situation[] = [
  worker('bucket from Bucket.fromBucketName', (_u, stack) => ({ bucket: s3.Bucket.fromBucketName(stack, 'Scenes', 'my-scenes') }), { uses: [uses(BUCKET, 0, 'my-scenes')] }),
  worker('bucket from Bucket.fromBucketName, new App(), env-agnostic', (_u, stack) => ({ bucket: s3.Bucket.fromBucketName(stack, 'Scenes', 'my-scenes') }), {
    app: AppKind.PLAIN,
    env: false,
    uses: [uses(BUCKET, 0, 'my-scenes')],
  }),
  worker('bucket from Bucket.fromBucketAttributes', (_u, stack) => ({
    bucket: s3.Bucket.fromBucketAttributes(stack, 'Scenes', { bucketName: 'my-scenes' }),
  }), { uses: [uses(BUCKET, 0, 'my-scenes')] }),
  worker('bucket from Bucket.fromBucketArn', (_u, stack) => ({ bucket: s3.Bucket.fromBucketArn(stack, 'Scenes', 'arn:aws:s3:::my-scenes') }), {
    uses: [uses(BUCKET, 0, 'arn:aws:s3:::my-scenes')],
  }),
  worker('imported KMS-encrypted bucket', (_u, stack) => ({
    bucket: s3.Bucket.fromBucketAttributes(stack, 'Scenes', {
      bucketName: 'my-scenes',
      encryptionKey: kms.Key.fromKeyArn(stack, 'ScenesKey', KEY_ARN),
    }),
  }), { uses: [uses(BUCKET, 0, 'my-scenes', KEY_ARN)] }),
  worker("the user's own KMS-encrypted bucket", (user, stack) => ({
    bucket: user.own(new s3.Bucket(stack, 'Scenes', { encryption: s3.BucketEncryption.KMS, enforceSSL: true })),
  }), { uses: [uses(BUCKET, 1)] }),
  worker("the user's own bucket, new App()", (user, stack) => ({ bucket: user.own(new s3.Bucket(stack, 'Scenes')) }), { app: AppKind.PLAIN, uses: [uses(BUCKET, 1)] }),
  {
    name: 'LambdaEcsWorker: bucket from another stack',
    expect: errorNaming('bucket', /bucket's stack|EVENTBRIDGE/),
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
  worker("the user's VPC", (user, stack) => ({ vpc: userVpc(user, stack) }), { uses: [uses('AWS::EC2::VPC', 1)] }),
  // Every situation fails on context lookups the user did not ask for (harness.ts); here the user chose the
  // zones the CDK way, by overriding Stack.availabilityZones, and the worker's default VPC must use them.
  {
    name: "LambdaEcsWorker: a stack class that pins availabilityZones (the worker's VPC takes them, no lookup)",
    build: (user) => {
      class PinnedZones extends Stack {
        get availabilityZones(): string[] {
          return [`${ENV.region}d`, `${ENV.region}f`];
        }
      }
      new LambdaEcsWorker(new PinnedZones(user.app, 'Stack', { env: ENV }), 'Render');
    },
    uses: [{ type: 'AWS::EC2::Subnet', count: 2, referenced: [`"${ENV.region}d"`, `"${ENV.region}f"`] }],
  },
  worker('VPC from Vpc.fromVpcAttributes (private subnets)', (_u, stack) => ({
    vpc: ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
      vpcId: 'vpc-0123456789abcdef0',
      availabilityZones: ['us-east-1a', 'us-east-1b'],
      privateSubnetIds: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'],
    }),
  })),
  worker("the user's cluster", (user, stack) => ({
    cluster: user.own(new ecs.Cluster(stack, 'Cluster', { vpc: userVpc(user, stack), enableFargateCapacityProviders: true, containerInsightsV2: ecs.ContainerInsights.ENABLED })),
  }), { uses: [uses('AWS::ECS::Cluster', 1), uses('AWS::EC2::VPC', 1)] }),
  worker('cluster from Cluster.fromClusterAttributes', (_u, stack) => ({
    cluster: ecs.Cluster.fromClusterAttributes(stack, 'Cluster', {
      clusterName: 'render',
      vpc: ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
        vpcId: 'vpc-0123456789abcdef0',
        availabilityZones: ['us-east-1a', 'us-east-1b'],
        privateSubnetIds: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'],
      }),
    }),
  }), { uses: [uses('AWS::ECS::Cluster', 0, 'render'), uses('AWS::EC2::VPC', 0, 'subnet-0123456789abcdef0')] }),
  worker('a custom worker image from a registry', () => ({ workerImage: ecs.ContainerImage.fromRegistry('public.ecr.aws/example/my-worker:1.0') })),
  worker('maxWorkers from a CfnParameter', (_u, stack) => ({ maxWorkers: new CfnParameter(stack, 'MaxWorkers', { type: 'Number', default: 5 }).valueAsNumber })),
  worker(
    'visibilityTimeout from a CfnParameter',
    (_u, stack) => ({ visibilityTimeout: Duration.seconds(new CfnParameter(stack, 'Visibility', { type: 'Number', default: 600 }).valueAsNumber) }),
  ),
  worker('workerCpu and workerMemoryMiB from CfnParameters', (_u, stack) => ({
    workerCpu: new CfnParameter(stack, 'Cpu', { type: 'Number', default: 1024 }).valueAsNumber,
    workerMemoryMiB: new CfnParameter(stack, 'Memory', { type: 'Number', default: 2048 }).valueAsNumber,
  })),
  worker('maxWorkers 0 and maxReceiveCount 0: both reported', () => ({ maxWorkers: 0, maxReceiveCount: 0 }), {
    expect: errorNaming('maxWorkers', /`?maxReceiveCount`? must be/),
  }),
  // Bring your own: queue, job table, function settings, removal policies; grants and connections.
  worker("the user's KMS-encrypted queue with its dead-letter queue", (user, stack) => {
    const key = user.own(new kms.Key(stack, 'QueueKey', { enableKeyRotation: true }));
    const dlq = user.own(new sqs.Queue(stack, 'JobsDlq', { encryption: sqs.QueueEncryption.KMS, encryptionMasterKey: key, enforceSSL: true }));
    return { queue: user.own(new sqs.Queue(stack, 'Jobs', { encryptionMasterKey: key, enforceSSL: true, deadLetterQueue: { queue: dlq, maxReceiveCount: 4 } })) };
  }, { uses: [{ ...uses(QUEUE, 2), besides: [LAUNCHER_DLQ] }] }),
  worker('queue from Queue.fromQueueArn with its deadLetterQueue and maxReceiveCount', (_u, stack) => ({
    queue: sqs.Queue.fromQueueArn(stack, 'Jobs', JOBS_ARN),
    deadLetterQueue: sqs.Queue.fromQueueArn(stack, 'JobsDlq', `${JOBS_ARN}-dlq`),
    maxReceiveCount: 3,
  }), { uses: [{ ...uses(QUEUE, 0, JOBS_ARN, `${JOBS_ARN}-dlq`), besides: [LAUNCHER_DLQ] }] }),
  worker('queue from Queue.fromQueueArn without its redrive settings', (_u, stack) => ({ queue: sqs.Queue.fromQueueArn(stack, 'Jobs', `arn:aws:sqs:${ENV.region}:${ENV.account}:jobs`) }), {
    expect: errorNaming('queue', /redrive policy cannot be read: give `deadLetterQueue`/),
  }),
  worker("the user's queue without a dead-letter queue", (user, stack) => ({ queue: user.own(new sqs.Queue(stack, 'Jobs', { enforceSSL: true })) }), {
    expect: errorNaming('queue', /must have a dead-letter queue/),
  }),
  worker('queueProps with a longer retention', () => ({ queueProps: { retentionPeriod: Duration.days(7) } })),
  worker('queueProps turning off encryption', () => ({ queueProps: { encryption: sqs.QueueEncryption.UNENCRYPTED } }), {
    expect: errorNaming('queueProps.encryption', /must not be UNENCRYPTED/),
  }),
  worker("the user's job table (partition key jobId)", (user, stack) => ({
    existingJobTable: user.own(new dynamodb.Table(stack, 'Jobs', {
      partitionKey: { name: 'jobId', type: dynamodb.AttributeType.STRING },
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: 'expiresAt',
    })),
  }), { uses: [uses(TABLE, 1)] }),
  worker('job table from Table.fromTableName', (_u, stack) => ({ existingJobTable: dynamodb.Table.fromTableName(stack, 'Jobs', 'render-jobs') }), {
    uses: [uses(TABLE, 0, 'render-jobs')],
  }),
  worker("the user's job table with another key", (user, stack) => ({
    existingJobTable: user.own(new dynamodb.Table(stack, 'Jobs', { partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING } })),
  }), { expect: errorNaming('existingJobTable', /partition key 'jobId'/) }),
  worker('launcherFunctionProps, removalPolicy and logRemovalPolicy DESTROY', () => ({
    launcherFunctionProps: { memorySize: 512, timeout: Duration.seconds(90), reservedConcurrentExecutions: 5, environment: { POWERTOOLS_LOG_LEVEL: 'DEBUG' } },
    removalPolicy: RemovalPolicy.DESTROY,
    logRemovalPolicy: RemovalPolicy.DESTROY,
  })),
  worker('backlogPerWorker and workerMemory as a Size', () => ({ backlogPerWorker: 2, workerMemory: Size.gibibytes(4) })),
  worker('workerMemory from a CfnParameter', (_u, stack) => ({ workerMemory: Size.mebibytes(new CfnParameter(stack, 'Memory', { type: 'Number', default: 2048 }).valueAsNumber) })),
  worker('workerMemory from a CfnParameter in GiB', (_u, stack) => ({ workerMemory: Size.gibibytes(new CfnParameter(stack, 'Memory', { type: 'Number', default: 2 }).valueAsNumber) }), {
    expect: errorNaming('workerMemory', /only be used in MiB: use Size.mebibytes\(token\)/),
  }),
  worker('jobsPerWorker and backlogPerWorker that differ', () => ({ jobsPerWorker: 1, backlogPerWorker: 2 }), {
    expect: errorNaming('backlogPerWorker', /deprecated name/),
  }),
  inOneStack("LambdaEcsWorker: grants to the user's role and connections to the user's database", (user, stack) => {
    const render = new LambdaEcsWorker(stack, 'Render', { vpc: userVpc(user, stack) });
    const client = user.own(new iam.Role(stack, 'Client', { assumedBy: new iam.AccountRootPrincipal() }));
    render.grantSubmitScenes(client);
    render.grantReadResults(client);
    render.grantReadJobStatus(client);
    const database = user.own(new ec2.SecurityGroup(stack, 'Database', { vpc: render.vpc }));
    render.connections.allowTo(database, ec2.Port.tcp(5432), 'render workers to the database');
  }),
];
