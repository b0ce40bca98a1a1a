import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { LambdaEcsWorker, LambdaEcsWorkerProps, WorkerCapacity } from '../../lib';
import { validateKeyLayout } from '../../lib/lambda-ecs-worker/validation';
import { expectNoNagFindings, newTestStack, templateOf } from '../helpers/cdk';
import { containerEnv, envOf } from './template-env';

describe('LambdaEcsWorker with defaults', () => {
  const stack = newTestStack('RenderDefault');
  const render = new LambdaEcsWorker(stack, 'Render');
  const template = templateOf(stack);

  it('creates a secure versioned bucket with one notification per suffix, filtered to the input prefix', () => {
    // The bucket the construct made and exposes is the one notifications are set on.
    expect(render.bucket).toBe(render.secureBucket!.bucket);
    template.hasResourceProperties('Custom::S3BucketNotifications', {
      BucketName: stack.resolve(render.bucket.bucketName),
      NotificationConfiguration: {
        LambdaFunctionConfigurations: [
          {
            Events: ['s3:ObjectCreated:*'],
            Filter: { Key: { FilterRules: [{ Name: 'suffix', Value: '.zip' }, { Name: 'prefix', Value: 'scenes/' }] } },
          },
        ],
      },
    });
  });

  it('queues jobs with a DLQ after 3 deliveries, a heartbeat-sized visibility timeout and alarms', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      VisibilityTimeout: 300,
      RedrivePolicy: { maxReceiveCount: 3, deadLetterTargetArn: stack.resolve(render.deadLetterQueue.queueArn) },
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ApproximateNumberOfMessagesVisible', Threshold: 1 });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ApproximateAgeOfOldestMessage', Threshold: 3600 });
  });

  it('keeps a job table: on-demand, PITR, encrypted, TTL on expiresAt', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'jobId', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
  });

  it('runs the launcher every minute as the reconciler, without EventBridge retries', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('RenderLauncherFunction'), 'Arn'] }, RetryPolicy: { MaximumRetryAttempts: 0 } })],
    });
  });

  it('configures the launcher from the same env names the handler reads', () => {
    const env = envOf(template, /RenderLauncherFunction/);
    expect(env).toMatchObject({
      INPUT_PREFIX: 'scenes/',
      OUTPUT_PREFIX: 'renders/',
      INPUT_SUFFIXES: '.zip',
      MAX_RECEIVE_COUNT: '3',
      CAPACITY_PROVIDERS: 'FARGATE_SPOT,FARGATE',
      ASSIGN_PUBLIC_IP: 'ENABLED',
      MAX_WORKERS: '10',
      JOBS_PER_WORKER: '1',
      STARTED_BY: render.pipelineName,
      JOB_RECORD_TTL_DAYS: '30',
    });
    expect(render.pipelineName.length).toBeLessThanOrEqual(36);
    // The resources the construct exposes are the ones the launcher is pointed at.
    expect(env).toMatchObject({
      QUEUE_URL: stack.resolve(render.queue.queueUrl),
      DEAD_LETTER_QUEUE_URL: stack.resolve(render.deadLetterQueue.queueUrl),
      JOB_TABLE_NAME: stack.resolve(render.jobTable!.tableName),
      CLUSTER_ARN: stack.resolve(render.cluster.clusterArn),
      TASK_DEFINITION_ARN: stack.resolve(render.taskDefinition.taskDefinitionArn),
      SUBNET_IDS: stack.resolve(render.vpc.publicSubnets.map((s) => s.subnetId).join(',')),
      SECURITY_GROUP_IDS: stack.resolve(render.securityGroups.map((sg) => sg.securityGroupId).join(',')),
    });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', { MaximumRetryAttempts: 2 });
    template.hasResourceProperties('AWS::Lambda::Function', { DeadLetterConfig: { TargetArn: Match.anyValue() }, Timeout: 60 });
  });

  it('runs Fargate workers (Spot first) in a new cheap VPC: public subnets, no NAT, gateway endpoints', () => {
    template.hasResourceProperties('AWS::ECS::ClusterCapacityProviderAssociations', {
      CapacityProviders: Match.arrayWith(['FARGATE', 'FARGATE_SPOT']),
    });
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    template.resourceCountIs('AWS::EC2::VPCEndpoint', 2);
    template.hasResourceProperties('AWS::EC2::FlowLog', { TrafficType: 'REJECT', LogGroupName: stack.resolve(render.vpcFlowLogGroup!.logGroupName) });
    template.hasResourceProperties('AWS::ECS::Cluster', { ClusterSettings: [{ Name: 'containerInsights', Value: 'enabled' }] });
    // Workers accept nothing and may only speak HTTPS out.
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: Match.stringLikeRegexp('^Render workers'),
      SecurityGroupEgress: [{ CidrIp: '0.0.0.0/0', IpProtocol: 'tcp', FromPort: 443, ToPort: 443, Description: Match.anyValue() }],
      SecurityGroupIngress: Match.absent(),
    });
  });

  it('runs the worker image as non-root, read-only with a /tmp scratch volume and no capabilities, with logs, a 120 s stop timeout and the WORKER_ENV contract', () => {
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      RequiresCompatibilities: ['FARGATE'],
      Cpu: '1024',
      Memory: '2048',
      RuntimePlatform: { CpuArchitecture: 'X86_64', OperatingSystemFamily: 'LINUX' },
      ContainerDefinitions: [
        Match.objectLike({
          User: '1000:1000',
          StopTimeout: 120,
          ReadonlyRootFilesystem: true,
          LinuxParameters: { Capabilities: { Drop: ['ALL'] } },
          MountPoints: [{ SourceVolume: 'worker-scratch', ContainerPath: '/tmp', ReadOnly: false }],
          LogConfiguration: Match.objectLike({ LogDriver: 'awslogs' }),
          Image: { 'Fn::Sub': Match.stringLikeRegexp('cdk-hnb659fds-container-assets') },
        }),
      ],
      Volumes: [{ Name: 'worker-scratch' }],
    });
    expect(containerEnv(template)).toMatchObject({
      INPUT_PREFIX: 'scenes/',
      OUTPUT_PREFIX: 'renders/',
      VISIBILITY_TIMEOUT_SECONDS: '300',
      MAX_RECEIVE_COUNT: '3',
      IDLE_EXIT_SECONDS: '60',
      RENDER_TIMEOUT_SECONDS: '3600',
      MAX_PIXELS: String(3840 * 2160),
      QUEUE_URL: { Ref: expect.stringMatching(/^RenderJobsQueue/) },
      JOB_TABLE_NAME: { Ref: expect.stringMatching(/^RenderJobTable/) },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  it('gives the worker least privilege: its prefixes, its queue, its table', () => {
    const policies = template.findResources('AWS::IAM::Policy', { Properties: { PolicyName: Match.stringLikeRegexp('RenderWorkerPolicy') } });
    const [policy] = Object.values(policies);
    const statements = policy.Properties.PolicyDocument.Statement;
    expect(statements.map((s: { Sid: string }) => s.Sid)).toEqual(['ReadScenes', 'WriteOutputs', 'ConsumeJobs', 'UpdateJobs']);
    const resourceOf = (sid: string) => JSON.stringify(statements.find((s: { Sid: string }) => s.Sid === sid).Resource);
    expect(resourceOf('ReadScenes')).toMatch(/\/scenes\/\*/);
    expect(resourceOf('WriteOutputs')).toMatch(/\/renders\/\*/);
    expect(statements.find((s: { Sid: string }) => s.Sid === 'UpdateJobs').Action).toBe('dynamodb:UpdateItem');
    // No statement of the worker or the launcher grants a bare "*" other than the acknowledged ListTasks.
    const all = Object.values(template.findResources('AWS::IAM::Policy')) as Array<{ Properties: { PolicyName: string; PolicyDocument: { Statement: Array<{ Resource: unknown; Action: unknown }> } } }>;
    const wildcards = all.flatMap((p) => p.Properties.PolicyDocument.Statement.filter((s) => s.Resource === '*').map((s) => JSON.stringify(s.Action)));
    // X-Ray twice: the launcher's and the deploy canary's tracing.
    const xray = '["xray:PutTelemetryRecords","xray:PutTraceSegments"]';
    expect(wildcards.sort()).toEqual(['"ecr:GetAuthorizationToken"', '"ecs:ListTasks"', xray, xray]);
  });

  it('lets the launcher start only this task definition in this cluster', () => {
    const [policy] = Object.values(template.findResources('AWS::IAM::Policy', { Properties: { PolicyName: Match.stringLikeRegexp('RenderLauncherPolicy') } }));
    const bySid = Object.fromEntries(policy.Properties.PolicyDocument.Statement.map((st: { Sid: string }) => [st.Sid, st]));
    expect(Object.keys(bySid)).toEqual(['QueueJobs', 'ReadDeadLetters', 'StartWorkers', 'PassWorkerRoles', 'RecordJobs']);
    expect(bySid.StartWorkers).toMatchObject({ Action: 'ecs:RunTask', Resource: { Ref: expect.stringMatching(/^RenderTaskDefinition/) }, Condition: { ArnEquals: { 'ecs:cluster': expect.anything() } } });
    expect(bySid.PassWorkerRoles).toMatchObject({ Action: 'iam:PassRole', Condition: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } } });
    expect(bySid.PassWorkerRoles.Resource).toHaveLength(2);
    expect(bySid.RecordJobs.Action).toEqual(['dynamodb:PutItem', 'dynamodb:UpdateItem']);
    expect(bySid.ReadDeadLetters).toMatchObject({ Action: 'sqs:ReceiveMessage', Resource: { 'Fn::GetAtt': [expect.stringMatching(/^RenderJobsDeadLetterQueue/), 'Arn'] } });
    expect(bySid.QueueJobs.Action).toEqual(['sqs:GetQueueAttributes', 'sqs:SendMessage']);
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyName: Match.stringLikeRegexp('RenderLauncherListTasksPolicy'),
      PolicyDocument: { Statement: [Match.objectLike({ Action: 'ecs:ListTasks', Resource: '*', Condition: { ArnEquals: { 'ecs:cluster': Match.anyValue() } } })] },
    });
  });

  it('exposes metric helpers for a dashboard', () => {
    expect(render.metricJobsWaiting().metricName).toBe('ApproximateNumberOfMessagesVisible');
    expect(render.metricJobsInProgress().metricName).toBe('ApproximateNumberOfMessagesNotVisible');
    expect(render.metricOldestJobAge().metricName).toBe('ApproximateAgeOfOldestMessage');
    expect(render.metricDeadLetterJobs().metricName).toBe('ApproximateNumberOfMessagesVisible');
    expect(render.metricWorkersRunning()).toMatchObject({ metricName: 'WorkersRunning', namespace: LambdaEcsWorker.METRICS_NAMESPACE, dimensions: { Pipeline: render.pipelineName, service: 'launcher' } });
    expect(render.metricWorkersStarted().metricName).toBe('WorkersStarted');
    expect(render.metricJobsSubmitted().metricName).toBe('JobsSubmitted');
    expect(render.metricDuplicateDeliveries().metricName).toBe('DuplicateDeliveries');
    expect(render.metricLauncherErrors().metricName).toBe('Errors');
  });

  it('has no unacknowledged cdk-nag findings', () => {
    expectNoNagFindings(stack);
  });

  it('matches the snapshot', () => {
    expect(template.toJSON()).toMatchSnapshot();
  });
});

describe('LambdaEcsWorker customized: existing bucket and cluster, custom image, on-demand, no job table', () => {
  const stack = newTestStack('RenderCustom');
  const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
    vpcId: 'vpc-0123456789abcdef0',
    availabilityZones: ['us-east-1a', 'us-east-1b'],
    privateSubnetIds: ['subnet-0aaaaaaaaaaaaaaa1', 'subnet-0aaaaaaaaaaaaaaa2'],
    privateSubnetRouteTableIds: ['rtb-0aaaaaaaaaaaaaaa1', 'rtb-0aaaaaaaaaaaaaaa2'],
    publicSubnetIds: ['subnet-0bbbbbbbbbbbbbbb1', 'subnet-0bbbbbbbbbbbbbbb2'],
    publicSubnetRouteTableIds: ['rtb-0bbbbbbbbbbbbbbb1', 'rtb-0bbbbbbbbbbbbbbb2'],
  });
  const cluster = ecs.Cluster.fromClusterAttributes(stack, 'Cluster', { clusterName: 'shared', vpc, securityGroups: [] });
  const bucket = s3.Bucket.fromBucketName(stack, 'Existing', 'existing-media-bucket');
  const render = new LambdaEcsWorker(stack, 'Render', {
    bucket,
    cluster,
    inputPrefix: 'in/',
    inputSuffixes: ['.zip', '.tar'],
    outputPrefix: 'out/',
    workerImage: ecs.ContainerImage.fromRegistry('public.ecr.aws/example/renderer:1.2.3'),
    workerUser: 'renderer',
    workerReadonlyRootFilesystem: false,
    capacity: WorkerCapacity.ON_DEMAND_ONLY,
    jobTable: false,
    maxWorkers: 4,
    jobsPerWorker: 2,
    visibilityTimeout: Duration.minutes(10),
    maxReceiveCount: 5,
    workerCpu: 2048,
    workerMemoryMiB: 4096,
    cpuArchitecture: ecs.CpuArchitecture.ARM64,
    workerEnvironment: { EXTRA: 'yes' },
  });
  const template = templateOf(stack);

  it('uses the existing bucket, with one notification per suffix', () => {
    expect(render.bucket).toBe(bucket);
    expect(render.secureBucket).toBeUndefined();
    template.resourceCountIs('AWS::S3::Bucket', 0);
    template.hasResourceProperties('Custom::S3BucketNotifications', {
      BucketName: 'existing-media-bucket',
      NotificationConfiguration: {
        LambdaFunctionConfigurations: [
          Match.objectLike({ Filter: { Key: { FilterRules: [{ Name: 'suffix', Value: '.zip' }, { Name: 'prefix', Value: 'in/' }] } } }),
          Match.objectLike({ Filter: { Key: { FilterRules: [{ Name: 'suffix', Value: '.tar' }, { Name: 'prefix', Value: 'in/' }] } } }),
        ],
      },
    });
  });

  it('uses the existing cluster, private subnets without public IP, on-demand only, and no job table', () => {
    expect(render.cluster).toBe(cluster);
    expect(render.jobTable).toBeUndefined();
    expect(render.vpcFlowLogGroup).toBeUndefined();
    template.resourceCountIs('AWS::ECS::Cluster', 0);
    template.resourceCountIs('AWS::EC2::VPC', 0);
    template.resourceCountIs('AWS::DynamoDB::Table', 0);
    expect(envOf(template, /RenderLauncherFunction/)).toMatchObject({
      SUBNET_IDS: 'subnet-0aaaaaaaaaaaaaaa1,subnet-0aaaaaaaaaaaaaaa2',
      ASSIGN_PUBLIC_IP: 'DISABLED',
      CAPACITY_PROVIDERS: 'FARGATE',
      JOB_TABLE_NAME: '',
      INPUT_SUFFIXES: '.zip,.tar',
      MAX_WORKERS: '4',
      JOBS_PER_WORKER: '2',
      MAX_RECEIVE_COUNT: '5',
    });
  });

  it('runs the custom image on ARM64 with the requested size, user and extra environment', () => {
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      Cpu: '2048',
      Memory: '4096',
      RuntimePlatform: { CpuArchitecture: 'ARM64' },
      ContainerDefinitions: [
        Match.objectLike({
          Image: 'public.ecr.aws/example/renderer:1.2.3',
          User: 'renderer',
          ReadonlyRootFilesystem: false,
          MountPoints: [{ SourceVolume: 'worker-scratch', ContainerPath: '/tmp', ReadOnly: false }],
        }),
      ],
    });
    expect(containerEnv(template)).toMatchObject({ EXTRA: 'yes', JOB_TABLE_NAME: '', VISIBILITY_TIMEOUT_SECONDS: '600', MAX_RECEIVE_COUNT: '5' });
  });

  it('scopes the worker to the custom prefixes of the existing bucket', () => {
    const [policy] = Object.values(template.findResources('AWS::IAM::Policy', { Properties: { PolicyName: Match.stringLikeRegexp('RenderWorkerPolicy') } }));
    const text = JSON.stringify(policy.Properties.PolicyDocument);
    expect(text).toContain(':s3:::existing-media-bucket/in/*');
    expect(text).toContain(':s3:::existing-media-bucket/out/*');
    expect(text).not.toContain('dynamodb');
  });

  it('has no unacknowledged cdk-nag findings', () => {
    expectNoNagFindings(stack);
  });

  it('matches the snapshot', () => {
    expect(template.toJSON()).toMatchSnapshot();
  });
});

describe('LambdaEcsWorker prop validation', () => {
  const make = (props: LambdaEcsWorkerProps) => () => new LambdaEcsWorker(new Stack(), 'R', { workerImage: ecs.ContainerImage.fromRegistry('x'), ...props });

  it.each<[string, LambdaEcsWorkerProps, RegExp]>([
    ['outputs under the input prefix with a matching suffix', { inputPrefix: '', inputSuffixes: ['.png'], outputPrefix: 'renders/' }, /outputs could re-trigger the pipeline.*'\.png'/],
    ['output prefix inside the input prefix, suffix "g"', { inputPrefix: 'data/', inputSuffixes: ['g'], outputPrefix: 'data/out/' }, /outputs could re-trigger/],
    ['an empty output prefix', { outputPrefix: '' }, /outputPrefix must not be empty/],
    ['an empty suffix', { inputSuffixes: [''] }, /must not contain ''/],
    ['no suffix', { inputSuffixes: [] }, /at least one suffix/],
    ['overlapping suffixes', { inputSuffixes: ['.zip', 'scene.zip'] }, /'scene\.zip' and '\.zip' overlap/],
    ['a wildcard prefix', { inputPrefix: 'scenes/*' }, /literal prefix/],
    ['a leading slash', { inputPrefix: '/scenes/' }, /no leading slash/],
    ['maxWorkers 0', { maxWorkers: 0 }, /`maxWorkers` must be a whole number from 1/],
    ['a fractional jobsPerWorker', { jobsPerWorker: 1.5 }, /jobsPerWorker/],
    ['a too short visibility timeout', { visibilityTimeout: Duration.seconds(10) }, /`visibilityTimeout` must be from 30 seconds to 12 hours \(got 10 seconds\)/],
    ['a bad Fargate size', { workerCpu: 1024, workerMemoryMiB: 512 }, /`workerMemoryMiB` for workerCpu 1024 must be from 2048 to 8192/],
    ['an unknown cpu', { workerCpu: 1000 }, /`workerCpu` must be one of/],
    ['root', { workerUser: '0:0' }, /must not be root/],
    ['TTL without table', { jobTable: false, jobRecordRetention: Duration.days(3) }, /no effect with jobTable: false/],
  ])('rejects %s', (_name, props, message) => {
    expect(make(props)).toThrow(message);
  });

  it('rejects cluster and vpc together', () => {
    const stack = new Stack();
    const vpc = new ec2.Vpc(stack, 'V');
    const cluster = new ecs.Cluster(stack, 'C', { vpc });
    expect(() => new LambdaEcsWorker(stack, 'R', { cluster, vpc, workerImage: ecs.ContainerImage.fromRegistry('x') })).toThrow(/either cluster or vpc/);
  });

  it('refuses a bucket of another stack (an S3 notification cycle) and says what to do', () => {
    const app = new App();
    const bucket = new s3.Bucket(new Stack(app, 'Storage'), 'Scenes');
    expect(() => new LambdaEcsWorker(new Stack(app, 'Render'), 'R', { bucket, workerImage: ecs.ContainerImage.fromRegistry('x') })).toThrow(
      /`bucket` \(Storage\/Scenes\) belongs to stack Storage.*dependency cycle.*in the bucket's stack.*fromBucketName/,
    );
  });

  it('lists every problem at once', () => {
    expect(make({ maxWorkers: -1, outputPrefix: '' })).toThrow(/Invalid LambdaEcsWorker props at Default\/R:\n- outputPrefix must not be empty.*\n- `maxWorkers`/);
  });

  it('accepts overlapping prefixes when no output can match the suffixes', () => {
    expect(validateKeyLayout({ inputPrefix: '', inputSuffixes: ['.zip'], outputPrefix: 'renders/' })).toEqual([]);
  });
});
