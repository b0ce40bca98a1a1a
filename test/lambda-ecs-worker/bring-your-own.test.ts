// LambdaEcsWorker with the user's own queue, job table and function settings; its grants and connections; the
// renamed props and their deprecated aliases.
import { Duration, RemovalPolicy, Size, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { LambdaEcsWorker, LambdaEcsWorkerProps } from '../../lib';
import { expectNoNagFindings, newTestStack, templateOf } from '../helpers/cdk';
import { containerEnv, envOf } from './template-env';

const launcherEnv = (template: Template) => envOf(template, /Launcher/);
/** Every statement of the policies attached to `role` (by its logical id). */
const statementsOf = (template: Template, stack: Stack, role: iam.IRole) => {
  const roleId = stack.getLogicalId(role.node.defaultChild as iam.CfnRole);
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((policy) => JSON.stringify(policy.Properties.Roles).includes(roleId))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: unknown }>);
};
const actionsOf = (statements: Array<{ Action: string | string[] }>) => statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
const ref = (stack: Stack, construct: { node: { defaultChild?: unknown } }) => stack.getLogicalId(construct.node.defaultChild as never);

describe('LambdaEcsWorker with your queue, job table, function settings and removal policies', () => {
  const stack = newTestStack('RenderYours');
  const queueKey = new kms.Key(stack, 'QueueKey', { enableKeyRotation: true });
  const userDlq = new sqs.Queue(stack, 'UserDlq', { encryption: sqs.QueueEncryption.KMS, encryptionMasterKey: queueKey, enforceSSL: true });
  const userQueue = new sqs.Queue(stack, 'UserQueue', {
    encryption: sqs.QueueEncryption.KMS,
    encryptionMasterKey: queueKey,
    enforceSSL: true,
    deadLetterQueue: { queue: userDlq, maxReceiveCount: 5 },
  });
  const tableKey = new kms.Key(stack, 'TableKey', { enableKeyRotation: true });
  const userTable = new dynamodb.Table(stack, 'UserJobs', {
    partitionKey: { name: 'jobId', type: dynamodb.AttributeType.STRING },
    encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
    encryptionKey: tableKey,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
  });
  const render = new LambdaEcsWorker(stack, 'Render', {
    queue: userQueue,
    existingJobTable: userTable,
    launcherFunctionProps: {
      memorySize: 512,
      timeout: Duration.seconds(90),
      reservedConcurrentExecutions: 5,
      environment: { POWERTOOLS_LOG_LEVEL: 'DEBUG' },
    },
    removalPolicy: RemovalPolicy.DESTROY,
    logRemovalPolicy: RemovalPolicy.DESTROY,
    backlogPerWorker: 3,
    workerMemory: Size.gibibytes(4),
  });
  const uploader = new iam.Role(stack, 'Uploader', { assumedBy: new iam.AccountRootPrincipal() });
  render.grantSubmitScenes(uploader);
  render.grantReadResults(uploader);
  render.grantReadJobStatus(uploader);
  const database = new ec2.SecurityGroup(stack, 'Database', { vpc: render.vpc });
  render.connections.allowTo(database, ec2.Port.tcp(5432), 'workers to the database');
  const template = templateOf(stack);

  it('uses your queue, its dead-letter queue and its maxReceiveCount, and creates no job queue of its own', () => {
    expect(render.queue).toBe(userQueue);
    expect(render.deadLetterQueue).toBe(userDlq);
    // Your two queues and the launcher's own dead-letter queue.
    template.resourceCountIs('AWS::SQS::Queue', 3);
    const env = launcherEnv(template);
    expect(env.QUEUE_URL).toEqual({ Ref: ref(stack, userQueue) });
    expect(env.DEAD_LETTER_QUEUE_URL).toEqual({ Ref: ref(stack, userDlq) });
    expect(env.MAX_RECEIVE_COUNT).toBe('5');
    expect(containerEnv(template).MAX_RECEIVE_COUNT).toBe('5');
    // The workers heartbeat by your queue's visibility timeout (SQS's 30 s default here), not the construct's default.
    expect(containerEnv(template).VISIBILITY_TIMEOUT_SECONDS).toBe('30');
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [ref(stack, userDlq), 'QueueName'] } }],
    });
  });

  it("grants the launcher and the workers your queue's and table's KMS keys, with the actions they need only", () => {
    const keyArn = (key: kms.Key) => ({ 'Fn::GetAtt': [ref(stack, key), 'Arn'] });
    const onKey = (role: iam.IRole, key: kms.Key) =>
      [...new Set(actionsOf(statementsOf(template, stack, role).filter((s) => JSON.stringify(s.Resource) === JSON.stringify(keyArn(key)))))];
    expect(onKey(render.launcherRole, queueKey).sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
    expect(onKey(render.taskDefinition.taskRole, queueKey)).toEqual(['kms:Decrypt']);
    expect(onKey(render.launcherRole, tableKey).sort()).toEqual(['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey']);
    expect(onKey(render.taskDefinition.taskRole, tableKey).sort()).toEqual(['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey']);
  });

  it('uses your job table and creates none', () => {
    expect(render.jobTable).toBe(userTable);
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    expect(launcherEnv(template).JOB_TABLE_NAME).toEqual({ Ref: ref(stack, userTable) });
    expect(containerEnv(template).JOB_TABLE_NAME).toEqual({ Ref: ref(stack, userTable) });
  });

  it('merges launcherFunctionProps over the launcher defaults and keeps its own environment', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      MemorySize: 512,
      Timeout: 90,
      ReservedConcurrentExecutions: 5,
      Environment: { Variables: Match.objectLike({ POWERTOOLS_LOG_LEVEL: 'DEBUG', POWERTOOLS_SERVICE_NAME: 'lambda-ecs-worker-launcher' }) },
    });
  });

  it('applies removalPolicy to the bucket it creates and logRemovalPolicy to its log groups', () => {
    for (const bucket of Object.values(template.findResources('AWS::S3::Bucket'))) expect(bucket.DeletionPolicy).toBe('Delete');
    const logGroups = Object.values(template.findResources('AWS::Logs::LogGroup'));
    expect(logGroups.length).toBeGreaterThanOrEqual(3);
    for (const logGroup of logGroups) expect(logGroup.DeletionPolicy).toBe('Delete');
    // Your table is yours: never touched.
    expect(Object.values(template.findResources('AWS::DynamoDB::Table'))[0].DeletionPolicy).toBe('Retain');
  });

  it('grants uploads under the input prefix, reads under the output prefix and job status reads, nothing more', () => {
    const statements = statementsOf(template, stack, uploader);
    const bucketArn = { 'Fn::GetAtt': [ref(stack, render.bucket), 'Arn'] };
    expect(statements).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Action: 's3:PutObject', Resource: { 'Fn::Join': ['', [bucketArn, '/scenes/*']] } }),
        expect.objectContaining({ Action: ['s3:GetObject', 's3:GetObjectVersion'], Resource: { 'Fn::Join': ['', [bucketArn, '/renders/*']] } }),
        expect.objectContaining({ Action: ['dynamodb:GetItem', 'dynamodb:Query'], Resource: { 'Fn::GetAtt': [ref(stack, userTable), 'Arn'] } }),
        expect.objectContaining({ Action: ['kms:Decrypt', 'kms:DescribeKey'] }),
      ]),
    );
    expect(actionsOf(statements)).not.toContain('s3:DeleteObject');
  });

  it('exposes the worker security groups as connections', () => {
    expect(render.connections.securityGroups).toEqual(render.securityGroups);
    template.hasResourceProperties('AWS::EC2::SecurityGroupEgress', {
      GroupId: { 'Fn::GetAtt': [ref(stack, render.securityGroups[0] as ec2.SecurityGroup), 'GroupId'] },
      FromPort: 5432,
      ToPort: 5432,
    });
  });

  it('sizes workers with backlogPerWorker and workerMemory (a Size)', () => {
    expect(launcherEnv(template).JOBS_PER_WORKER).toBe('3');
    expect(render.backlogPerWorker).toBe(3);
    template.hasResourceProperties('AWS::ECS::TaskDefinition', { Memory: '4096' });
  });

  it('lists its alarms and exposes the launcher once under its role name', () => {
    expect(render.alarms).toEqual([render.deadLetterAlarm, render.launcherDeadLetterAlarm, render.oldestJobAlarm, render.launcherErrorAlarm, render.launcherThrottleAlarm]);
    expect(render.launcherFunction).toBe(render.launcher.function);
    expect(render.launcherLogGroup).toBe(render.launcher.logGroup);
  });

  it('has no unacknowledged cdk-nag findings on what it created', () => {
    expectNoNagFindings(render);
  });
});

describe('LambdaEcsWorker with an imported queue and table', () => {
  const stack = newTestStack('RenderImported');
  const queue = sqs.Queue.fromQueueArn(stack, 'Jobs', 'arn:aws:sqs:us-east-1:123456789012:jobs');
  const deadLetterQueue = sqs.Queue.fromQueueArn(stack, 'JobsDlq', 'arn:aws:sqs:us-east-1:123456789012:jobs-dlq');
  const render = new LambdaEcsWorker(stack, 'Render', {
    queue,
    deadLetterQueue,
    maxReceiveCount: 4,
    existingJobTable: dynamodb.Table.fromTableName(stack, 'Table', 'render-jobs'),
  });
  const template = templateOf(stack);

  it('takes the redrive settings you state, and creates no queue or table of its own', () => {
    const env = launcherEnv(template);
    const url = (name: string) => ({ 'Fn::Join': ['', ['https://sqs.us-east-1.', { Ref: 'AWS::URLSuffix' }, `/123456789012/${name}`]] });
    expect(env.QUEUE_URL).toEqual(url('jobs'));
    expect(env.DEAD_LETTER_QUEUE_URL).toEqual(url('jobs-dlq'));
    expect(env.MAX_RECEIVE_COUNT).toBe('4');
    expect(env.JOB_TABLE_NAME).toBe('render-jobs');
    template.resourceCountIs('AWS::SQS::Queue', 1);
    template.resourceCountIs('AWS::DynamoDB::Table', 0);
  });

  it('has no unacknowledged cdk-nag findings', () => {
    expectNoNagFindings(render);
  });
});

describe('LambdaEcsWorker bring-your-own validation', () => {
  const build = (props: (stack: Stack) => LambdaEcsWorkerProps) => () => {
    const stack = newTestStack();
    return new LambdaEcsWorker(stack, 'Render', props(stack));
  };
  const importedQueue = (stack: Stack) => sqs.Queue.fromQueueArn(stack, 'Jobs', 'arn:aws:sqs:us-east-1:123456789012:jobs');

  it.each<[string, (stack: Stack) => LambdaEcsWorkerProps, RegExp]>([
    ['a queue without a dead-letter queue', (s) => ({ queue: new sqs.Queue(s, 'Q') }), /`queue` \(.*\) must have a dead-letter queue.*deadLetterQueue: \{ queue: dlq, maxReceiveCount: 3 \}/],
    ['an imported queue without its redrive settings', (s) => ({ queue: importedQueue(s) }), /`queue` .* is imported, so its redrive policy cannot be read: give `deadLetterQueue`.*`maxReceiveCount`/],
    ['a FIFO queue', (s) => ({ queue: sqs.Queue.fromQueueArn(s, 'Q', 'arn:aws:sqs:us-east-1:123456789012:jobs.fifo'), deadLetterQueue: importedQueue(s), maxReceiveCount: 3 }), /must be a standard queue, not FIFO/],
    ['a queue of another region', (s) => ({ queue: sqs.Queue.fromQueueArn(s, 'Q', 'arn:aws:sqs:eu-west-1:123456789012:jobs'), deadLetterQueue: importedQueue(s), maxReceiveCount: 3 }), /`queue` \(arn:aws:sqs:eu-west-1.*\) is in eu-west-1/],
    ['a deadLetterQueue that is not the queue\'s', (s) => {
      const dlq = new sqs.Queue(s, 'Dlq');
      return { queue: new sqs.Queue(s, 'Q', { deadLetterQueue: { queue: dlq, maxReceiveCount: 3 } }), deadLetterQueue: importedQueue(s) };
    }, /`deadLetterQueue` .* is not the dead-letter queue of `queue`/],
    ['a maxReceiveCount that differs from the redrive policy', (s) => {
      const dlq = new sqs.Queue(s, 'Dlq');
      return { queue: new sqs.Queue(s, 'Q', { deadLetterQueue: { queue: dlq, maxReceiveCount: 3 } }), maxReceiveCount: 7 };
    }, /`maxReceiveCount` \(7\) differs from the redrive policy of `queue` \(3\)/],
    ['a visibilityTimeout that differs from the queue\'s', (s) => {
      const dlq = new sqs.Queue(s, 'Dlq');
      return { queue: new sqs.Queue(s, 'Q', { visibilityTimeout: Duration.minutes(10), deadLetterQueue: { queue: dlq, maxReceiveCount: 3 } }), visibilityTimeout: Duration.minutes(5) };
    }, /`visibilityTimeout` \(5 minutes\) differs from the visibility timeout of `queue` \(10 minutes\)/],
    ['a deadLetterQueue without queue', (s) => ({ deadLetterQueue: importedQueue(s) }), /`deadLetterQueue` describes your own `queue`/],
    ['queueProps with queue', (s) => ({ queue: importedQueue(s), queueProps: {} }), /`queueProps` applies to a new queue only/],
    ['a table keyed otherwise', (s) => ({ existingJobTable: new dynamodb.Table(s, 'T', { partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING } }) }),
      /`existingJobTable` \(.*\) must have the partition key 'jobId' of type String and no sort key \(got id \(HASH, S\)\)/],
    ['a table with a sort key', (s) => ({
      existingJobTable: new dynamodb.Table(s, 'T', { partitionKey: { name: 'jobId', type: dynamodb.AttributeType.STRING }, sortKey: { name: 'at', type: dynamodb.AttributeType.NUMBER } }),
    }), /got jobId \(HASH, S\), at \(RANGE, N\)/],
    ['a numeric jobId', (s) => ({ existingJobTable: new dynamodb.Table(s, 'T', { partitionKey: { name: 'jobId', type: dynamodb.AttributeType.NUMBER } }) }), /of type String/],
    ['existingJobTable with jobTable: false', (s) => ({ existingJobTable: dynamodb.Table.fromTableName(s, 'T', 'jobs'), jobTable: false }), /`existingJobTable` with `jobTable: false`/],
    ['a launcher environment variable of the pattern', () => ({ launcherFunctionProps: { environment: { QUEUE_URL: 'x' } } }), /`launcherFunctionProps.environment` must not set QUEUE_URL/],
    ['a reserved Lambda variable', () => ({ launcherFunctionProps: { environment: { AWS_REGION: 'x' } } }), /name 'AWS_REGION' is not allowed by Lambda/],
    ['launcher memory out of range', () => ({ launcherFunctionProps: { memorySize: 64 } }), /`launcherFunctionProps.memorySize` must be a whole number from 128 to 10240 \(got 64\)/],
    ['a fractional launcher timeout', () => ({ launcherFunctionProps: { timeout: Duration.millis(1500) } }), /`launcherFunctionProps.timeout` must be a whole number of seconds/],
  ])('refuses %s, saying what to change', (_name, props, message) => {
    expect(build(props)).toThrow(message);
  });

  it('refuses queueProps that turn off encryption, SSL, the dead-letter queue or set FIFO or the visibility timeout, all at once', () => {
    const attempt = build((s) => ({
      queueProps: {
        encryption: sqs.QueueEncryption.UNENCRYPTED,
        enforceSSL: false,
        deadLetterQueue: { queue: new sqs.Queue(s, 'Dlq'), maxReceiveCount: 2 },
        fifo: true,
        visibilityTimeout: Duration.minutes(2),
      },
    }));
    expect(attempt).toThrow(/`queueProps.encryption` must not be UNENCRYPTED/);
    expect(attempt).toThrow(/`queueProps.enforceSSL` must not be false/);
    expect(attempt).toThrow(/`queueProps.deadLetterQueue` must not be set/);
    expect(attempt).toThrow(/`queueProps.fifo` must not be true/);
    expect(attempt).toThrow(/`queueProps.visibilityTimeout` must not be set: use `visibilityTimeout`/);
  });

  it('merges queueProps over the new queue defaults (secure settings kept)', () => {
    const stack = newTestStack();
    new LambdaEcsWorker(stack, 'Render', { queueProps: { retentionPeriod: Duration.days(2) } });
    Template.fromStack(stack).hasResourceProperties('AWS::SQS::Queue', {
      MessageRetentionPeriod: 172800,
      SqsManagedSseEnabled: true,
      RedrivePolicy: Match.objectLike({ maxReceiveCount: 3 }),
    });
  });

  it('refuses grantReadJobStatus without a job table', () => {
    const stack = newTestStack();
    const render = new LambdaEcsWorker(stack, 'Render', { jobTable: false });
    expect(() => render.grantReadJobStatus(new iam.Role(stack, 'R', { assumedBy: new iam.AccountRootPrincipal() }))).toThrow(/has no job table \(jobTable: false\)/);
  });

  it('grants SSE-KMS uploads the bucket key', () => {
    const stack = newTestStack();
    const bucket = new s3.Bucket(stack, 'Scenes', { encryption: s3.BucketEncryption.KMS, enforceSSL: true });
    const render = new LambdaEcsWorker(stack, 'Render', { bucket });
    const fn = new lambda.Function(stack, 'Client', { runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler=()=>{}') });
    render.grantSubmitScenes(fn);
    const statements = statementsOf(Template.fromStack(stack), stack, fn.role!);
    expect(actionsOf(statements)).toEqual(expect.arrayContaining(['s3:PutObject', 'kms:GenerateDataKey', 'kms:Decrypt']));
  });
});

describe('LambdaEcsWorker renamed props and their deprecated aliases', () => {
  const envFor = (props: LambdaEcsWorkerProps) => {
    const stack = newTestStack();
    new LambdaEcsWorker(stack, 'Render', props);
    const template = Template.fromStack(stack);
    return { launcher: launcherEnv(template), memory: Object.values(template.findResources('AWS::ECS::TaskDefinition'))[0].Properties.Memory };
  };

  it('still accepts jobsPerWorker and workerMemoryMiB, and both names when they agree', () => {
    const old = envFor({ jobsPerWorker: 2, workerMemoryMiB: 3072 });
    expect([old.launcher.JOBS_PER_WORKER, old.memory]).toEqual(['2', '3072']);
    const both = envFor({ jobsPerWorker: 2, backlogPerWorker: 2, workerMemoryMiB: 3072, workerMemory: Size.mebibytes(3072) });
    expect([both.launcher.JOBS_PER_WORKER, both.memory]).toEqual(['2', '3072']);
  });

  it('refuses both names with different values, and a workerMemory that is not whole MiB', () => {
    const attempt = () => new LambdaEcsWorker(newTestStack(), 'Render', { jobsPerWorker: 2, backlogPerWorker: 3, workerMemoryMiB: 2048, workerMemory: Size.gibibytes(4) });
    expect(attempt).toThrow(/`jobsPerWorker` is the deprecated name of `backlogPerWorker`, and both are given with different values: give only `backlogPerWorker`/);
    expect(attempt).toThrow(/`workerMemoryMiB` is the deprecated name of `workerMemory`/);
    expect(() => new LambdaEcsWorker(newTestStack(), 'Render', { workerMemory: Size.kibibytes(2_500_000) })).toThrow(
      /`workerMemory` must be a whole number of MiB \(got .*\): use e.g. Size.mebibytes\(2441\)/,
    );
    expect(() => new LambdaEcsWorker(newTestStack(), 'Render', { workerMemory: Size.mebibytes(512) })).toThrow(/`workerMemory` for workerCpu 1024 must be from 2048 to 8192/);
  });
});
