// Refusals that name the construct, the prop and the fix, checked before CDK's own (prop-less) error can
// fire; and what used to fail without a word (a deep construct path, a user's notification on the same prefix).
import { Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import * as s3n from 'aws-cdk-lib/aws-s3-notifications';
import * as sns from 'aws-cdk-lib/aws-sns';
import { ImageProcessingApi, LambdaEcsWorker, TableTrigger } from 'cdk-compute-patterns';
import { Construct } from 'constructs';
import { ENV, errorNaming, inOneStack, Situation, UserApp } from '../harness';
import { NAG3, nag3Findings } from '../nag';

/** The user's cluster in a VPC of theirs with only the given subnet type. */
function userClusterWith(user: UserApp, stack: Stack, subnetType: ec2.SubnetType): ecs.ICluster {
  const vpc = user.own(new ec2.Vpc(stack, 'UserVpc', { maxAzs: 2, natGateways: 0, subnetConfiguration: [{ name: 'Only', subnetType }] }));
  return user.own(new ecs.Cluster(stack, 'UserCluster', { vpc }));
}

export const REFUSAL_SITUATIONS: Situation[] = [
  {
    name: 'refusal: ImageProcessingApi with a siteBucket from another stack',
    build: (user) => {
      const bucket = user.own(new s3.Bucket(user.stack('Storage', { env: ENV }), 'Site', { enforceSSL: true }));
      new ImageProcessingApi(user.stack('Images', { env: ENV }), 'Images', { siteBucket: bucket });
    },
    expect: errorNaming('siteBucket', /bucket's stack.*fromBucketName/),
  },
  inOneStack('refusal: LambdaEcsWorker on a cluster whose VPC has only public subnets', (user, stack) => {
    new LambdaEcsWorker(stack, 'Render', { cluster: userClusterWith(user, stack, ec2.SubnetType.PUBLIC) });
  }, { expect: errorNaming('assignPublicIp', /`subnets`|has Public subnets/) }),
  inOneStack('refusal: LambdaEcsWorker on a cluster whose VPC has only isolated subnets', (user, stack) => {
    new LambdaEcsWorker(stack, 'Render', { cluster: userClusterWith(user, stack, ec2.SubnetType.PRIVATE_ISOLATED) });
  }, { expect: errorNaming('subnets', /PRIVATE_ISOLATED.*endpoints/) }),
  inOneStack('LambdaEcsWorker on public subnets with assignPublicIp: true', (user, stack) => {
    new LambdaEcsWorker(stack, 'Render', { cluster: userClusterWith(user, stack, ec2.SubnetType.PUBLIC), assignPublicIp: true });
  }),
  inOneStack("refusal: the user's own notification overlapping the worker's scene trigger", (user, stack) => {
    const bucket = user.own(new s3.Bucket(stack, 'Scenes', { enforceSSL: true }));
    new LambdaEcsWorker(stack, 'Render', { bucket });
    const topic = user.own(new sns.Topic(stack, 'Uploads', { enforceSSL: true }));
    bucket.addEventNotification(s3.EventType.OBJECT_CREATED, new s3n.SnsDestination(topic), { prefix: 'scenes/archive/' });
  }, { expect: errorNaming('inputPrefix', /prefix 'scenes\/'.*prefix 'scenes\/archive\/'/) }),
  inOneStack('TableTrigger under a deep construct path: descriptions cut to AWS limits', (_user, stack) => {
    let scope: Construct = stack;
    for (let i = 0; i < 8; i++) scope = new Construct(scope, `AVeryLongConstructIdThatUsersReallyWrite${i}`);
    new TableTrigger(scope, 'People', {
      partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING },
      rules: [{ attribute: 'ssn', formats: [{ name: '9', pattern: '\\d{9}' }], computedAttribute: 'ssnFormat' }],
    });
  }),
  {
    name: "ImageProcessingApi beside the user's own 256 MiB BucketDeployment, the user's first: its provider's findings stay the user's",
    build: (user) => {
      const stack = user.stack('Stack', { env: ENV });
      const bucket = user.own(new s3.Bucket(stack, 'Mine', { enforceSSL: true }));
      user.own(new s3deploy.BucketDeployment(stack, 'MyDeployment', { destinationBucket: bucket, sources: [s3deploy.Source.data('a.txt', 'a')], memoryLimit: 256 }));
      new ImageProcessingApi(stack, 'Images');
      // The provider is a stack-level singleton: it was the user's before the library came.
      const provider = stack.node.children.find((c) => c.node.id.startsWith('Custom::CDKBucketDeployment'));
      if (!provider) throw new Error('no BucketDeployment provider in the stack');
      user.own(provider);
      // The library must not have silenced the user's findings on it (AwsSolutions-L1: CDK's pinned Python runtime).
      if (NAG3) {
        user.app.synth();
        const onProvider = nag3Findings(user.app, 'AwsSolutionsChecks').filter((f) => f.path.startsWith(provider.node.path));
        if (onProvider.length === 0) throw new Error(`the library acknowledged findings on the user's own BucketDeployment provider ${provider.node.path}`);
      }
    },
  },
  inOneStack("ImageProcessingApi beside the user's own 256 MiB BucketDeployment, the library's first: no LogRetention function comes in", (user, stack) => {
    new ImageProcessingApi(stack, 'Images');
    const bucket = user.own(new s3.Bucket(stack, 'Mine', { enforceSSL: true }));
    user.own(new s3deploy.BucketDeployment(stack, 'MyDeployment', { destinationBucket: bucket, sources: [s3deploy.Source.data('a.txt', 'a')], memoryLimit: 256 }));
    const logRetention = stack.node.children.filter((c) => c.node.id.startsWith('LogRetention'));
    if (logRetention.length > 0) throw new Error(`a LogRetention function is in the stack: ${logRetention.map((c) => c.node.path).join(', ')}`);
  }),
];
