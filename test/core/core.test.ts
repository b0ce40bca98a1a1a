import { Duration, Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as path from 'path';
import { NagAcknowledgements, PrebundledFunction, QueueWithDlq, SecureBucket } from '../../lib';
import { acknowledgeNag, acknowledgePolicyWildcards } from '../../lib/core';
import { handlerAssetPath } from '../../lib/core/assets';
import { expectNoNagFindings, nagFindings, newTestStack, templateOf } from '../helpers/cdk';

const ECHO_ASSET = path.join(__dirname, '..', 'fixtures', 'echo-handler');

describe('core building blocks', () => {
  // One stack for the whole file: synthesized once, asserted many times.
  const stack = newTestStack('Core');
  const data = new SecureBucket(stack, 'Data');
  const jobs = new QueueWithDlq(stack, 'Jobs', { visibilityTimeout: Duration.minutes(5), maxReceiveCount: 5 });
  jobs.addDeadLetterAlarm();
  const fn = new PrebundledFunction(stack, 'Echo', { assetName: 'echo', assetDirectory: ECHO_ASSET, description: 'echoes its event' });
  jobs.queue.grantConsumeMessages(fn.function);
  const template = templateOf(stack);

  it('makes buckets private, encrypted, SSL-only and versioned, with access logs', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      VersioningConfiguration: { Status: 'Enabled' },
      LoggingConfiguration: { DestinationBucketName: stack.resolve(data.accessLogBucket!.bucketName), LogFilePrefix: 'access-logs/' },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
    template.resourceCountIs('AWS::S3::Bucket', 2);
  });

  it('gives the queue an encrypted DLQ with redrive and the requested visibility timeout', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      VisibilityTimeout: 300,
      SqsManagedSseEnabled: true,
      RedrivePolicy: { maxReceiveCount: 5, deadLetterTargetArn: Match.anyValue() },
    });
    template.hasResourceProperties('AWS::SQS::Queue', { MessageRetentionPeriod: 14 * 24 * 3600, SqsManagedSseEnabled: true });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      MetricName: 'ApproximateNumberOfMessagesVisible',
    });
  });

  it('runs handlers on Node 24 with a retained log group, tracing and a role scoped to that log group', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: lambda.Runtime.NODEJS_24_X.name,
      Architectures: ['arm64'],
      Handler: 'index.handler',
      TracingConfig: { Mode: 'Active' },
      LoggingConfig: { LogFormat: 'JSON', LogGroup: Match.anyValue() },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
    const roles = template.findResources('AWS::IAM::Role');
    for (const role of Object.values(roles)) expect(role.Properties.ManagedPolicyArns).toBeUndefined();
  });

  it('keeps the X-Ray wildcard in a policy of its own, so other wildcards are still flagged', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyName: Match.stringLikeRegexp('TracingPolicy'),
      PolicyDocument: { Statement: [Match.objectLike({ Action: ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'], Resource: '*' })] },
    });
    const probe = newTestStack('Probe');
    const probeFn = new PrebundledFunction(probe, 'Fn', { assetName: 'echo', assetDirectory: ECHO_ASSET, description: 'probe' });
    probeFn.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['*'] }));
    expect(nagFindings(probe).join('\n')).toMatch(/AwsSolutions-IAM5/);
  });

  it('has no unacknowledged cdk-nag findings', () => {
    expectNoNagFindings(stack);
  });

  it('matches the snapshot, with asset hashes masked', () => {
    expect(template.toJSON()).toMatchSnapshot();
  });
});

// These policies are the test's own (no library construct): their findings are the subject here.
const SCAFFOLDING_TOO = { includeScaffolding: true };

describe('acknowledgePolicyWildcards', () => {
  it('acknowledges exactly the wildcards a policy has now, so one added later is still reported', () => {
    const stack = newTestStack('Wildcards');
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com') });
    const policy = new iam.Policy(stack, 'Policy', {
      roles: [role],
      statements: [new iam.PolicyStatement({ actions: ['ec2:Describe*'], resources: ['*'] })],
    });
    expect(acknowledgePolicyWildcards(policy, 'EC2 Describe calls support no resource-level permissions.')).toEqual([
      'AwsSolutions-IAM5[Action::ec2:Describe*]',
      'AwsSolutions-IAM5[Resource::*]',
    ]);
    expect(nagFindings(stack, SCAFFOLDING_TOO)).toEqual([]);
    policy.addStatements(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['arn:aws:s3:::data/*'] }));
    expect(nagFindings(stack, SCAFFOLDING_TOO).join('\n')).toMatch(/AwsSolutions-IAM5/);
  });
});

describe('core validation', () => {
  it('rejects a vague nag acknowledgement', () => {
    expect(() => acknowledgeNag(new Stack(), { id: 'AwsSolutions-S1', reason: 'not needed' })).toThrow(/too vague/);
    expect(() => acknowledgeNag(new Stack(), { id: 'S1', reason: 'a long enough but misplaced reason' })).toThrow(/malformed/);
  });

  it('offers the acknowledgement to users as NagAcknowledgements.acknowledge (jsii languages cannot call a function)', () => {
    const stack = newTestStack('UserAcknowledgement');
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com') });
    const policy = new iam.Policy(stack, 'Policy', {
      roles: [role],
      statements: [new iam.PolicyStatement({ actions: ['ec2:DescribeInstances'], resources: ['*'] })],
    });
    expect(() => NagAcknowledgements.acknowledge(policy, { id: 'AwsSolutions-IAM5[Resource::*]', reason: 'fine' })).toThrow(/too vague/);
    expect(nagFindings(stack, SCAFFOLDING_TOO).join('\n')).toMatch(/AwsSolutions-IAM5/);
    NagAcknowledgements.acknowledge(policy, { id: 'AwsSolutions-IAM5[Resource::*]', reason: 'ec2:DescribeInstances supports no resource-level permissions.' });
    expect(nagFindings(stack, SCAFFOLDING_TOO)).toEqual([]);
  });

  it('rejects an impossible maxReceiveCount', () => {
    expect(() => new QueueWithDlq(newTestStack(), 'Q', { maxReceiveCount: 0 })).toThrow('`maxReceiveCount` must be a whole number from 1 to 1000 (got 0)');
  });

  it('tells the user to build when a handler asset is missing', () => {
    expect(() => handlerAssetPath('no-such-handler')).toThrow(/Run 'npm run build'/);
  });
});
