import { Duration } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as events from 'aws-cdk-lib/aws-events';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { QueueWithDlq, ScaleInMode, ScalingPreset, ScalingTarget, ScalingTargetKind, SpotFleetAutoscaler, WorkerSpotFleet } from '../../lib';
import { expectNoNagFindings, newTestStack, templateOf } from '../helpers/cdk';

/** Every statement of every IAM policy in the template, flattened. */
function statementsOf(template: ReturnType<typeof templateOf>): any[] {
  return Object.values(template.findResources('AWS::IAM::Policy')).flatMap((p: any) => p.Properties.PolicyDocument.Statement);
}
const hasAction = (statement: any, action: string) => [statement.Action].flat().includes(action);

describe('SpotFleetAutoscaler with a fleet it creates', () => {
  const stack = newTestStack('CreatedFleet');
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1, flowLogs: { all: {} } });
  const jobs = new QueueWithDlq(stack, 'Jobs', { visibilityTimeout: Duration.minutes(10) });
  const autoscaler = new SpotFleetAutoscaler(stack, 'Autoscaler', {
    queue: jobs.queue,
    fleet: { vpc, workerCommands: ['/opt/worker/start.sh'] },
    maxWorkers: 20,
    backlogPerWorker: 2,
  });
  autoscaler.addErrorAlarm();
  const template = templateOf(stack);

  it('creates a maintain fleet, capacity-optimized, over several instance types in every private subnet', () => {
    template.hasResourceProperties('AWS::EC2::SpotFleet', {
      SpotFleetRequestConfigData: Match.objectLike({
        Type: 'maintain',
        AllocationStrategy: 'capacityOptimized',
        TargetCapacity: 0,
        IamFleetRole: Match.anyValue(),
      }),
    });
    const fleet = Object.values(template.findResources('AWS::EC2::SpotFleet'))[0] as any;
    const overrides = fleet.Properties.SpotFleetRequestConfigData.LaunchTemplateConfigs[0].Overrides;
    expect(new Set(overrides.map((o: any) => o.InstanceType)).size).toBe(5);
    expect(overrides).toHaveLength(5 * 2);
    expect(autoscaler.workerFleet?.instanceTypes.map(String)).toContain('c7g.large');
  });

  it('launches from a template with IMDSv2 only, an encrypted root volume and the worker hook in user data', () => {
    template.hasResourceProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: Match.objectLike({
        MetadataOptions: Match.objectLike({ HttpTokens: 'required' }),
        BlockDeviceMappings: [Match.objectLike({ Ebs: Match.objectLike({ Encrypted: true, VolumeType: 'gp3' }) })],
        IamInstanceProfile: Match.anyValue(),
      }),
    });
    const userData = JSON.stringify(Object.values(template.findResources('AWS::EC2::LaunchTemplate'))[0]);
    expect(userData).toContain('/opt/worker/start.sh');
    expect(userData).toContain('export QUEUE_URL=');
  });

  it('by default never terminates on a lower target: its workers are told to leave when idle, and how', () => {
    expect(autoscaler.scaleInMode).toBe(ScaleInMode.WORKERS_EXIT_WHEN_IDLE);
    const userData = JSON.stringify(Object.values(template.findResources('AWS::EC2::LaunchTemplate'))[0]);
    // Exported before the worker starts, for assets/spot-fleet-worker/queue-worker.js.
    for (const line of ["export WORKER_SCALE_IN='workers-exit'", "export WORKER_IDLE_SECONDS='180'", "export WORKER_SHUTDOWN_ON_IDLE='true'"]) {
      expect(userData).toContain(line);
      expect(userData.indexOf(line)).toBeLessThan(userData.indexOf('/opt/worker/start.sh'));
    }
    expect(autoscaler.workerEnvironment).toEqual({ WORKER_SCALE_IN: 'workers-exit', WORKER_IDLE_SECONDS: '180' });
    // A fleet made here is known to carry the worker settings: no warning.
    Annotations.fromStack(stack).hasNoWarning('*', Match.stringLikeRegexp('cannot be checked'));
  });

  it('has no inbound rule on the workers', () => {
    const groups = Object.values(template.findResources('AWS::EC2::SecurityGroup')) as any[];
    const workerGroup = groups.find((g) => /Queue workers/.test(g.Properties.GroupDescription));
    expect(workerGroup.Properties.SecurityGroupIngress).toBeUndefined();
  });

  it('gives the fleet role no managed policy and PassRole only to the worker role, for EC2', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'spotfleet.amazonaws.com' } })] },
      ManagedPolicyArns: Match.absent(),
    });
    const passRole = statementsOf(template).find((s) => hasAction(s, 'iam:PassRole'));
    expect(passRole.Resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/InstanceRole/), 'Arn'] });
    expect(passRole.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } });
    const terminate = statementsOf(template).find((s) => hasAction(s, 'ec2:TerminateInstances'));
    expect(terminate.Condition).toEqual({ StringLike: { 'ec2:ResourceTag/aws:ec2spot:fleet-request-id': '*' } });
  });

  it('lets the handler modify and tag only this fleet, and read only this queue', () => {
    const statements = statementsOf(template);
    const modify = statements.find((s) => hasAction(s, 'ec2:ModifySpotFleetRequest'));
    expect(JSON.stringify(modify.Resource)).toMatch(/spot-fleet-request\/",\{"Ref":"AutoscalerFleet/);
    expect(modify.Action).toEqual(expect.arrayContaining(['ec2:CreateTags', 'ec2:DeleteTags']));
    const describe = statements.find((s) => hasAction(s, 'ec2:DescribeSpotFleetRequests'));
    expect(describe.Resource).toBe('*');
    // The handler's only SQS right: GetQueueAttributes on the one queue (the workers' role has its own).
    const handlerPolicy = template.toJSON().Resources[stack.getLogicalId(autoscaler.handler.role.node.findChild('DefaultPolicy').node.defaultChild as any)];
    const sqsStatements = handlerPolicy.Properties.PolicyDocument.Statement.filter((s: any) => [s.Action].flat().some((a: string) => a.startsWith('sqs:')));
    expect(sqsStatements).toEqual([
      expect.objectContaining({ Action: 'sqs:GetQueueAttributes', Resource: { 'Fn::GetAtt': [expect.stringMatching(/^JobsQueue/), 'Arn'] } }),
    ]);
  });

  it('runs every minute, never retries a stale run, and configures the handler', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      Targets: [Match.objectLike({ RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 } })],
    });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', { MaximumRetryAttempts: 0 });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          TARGET_KIND: 'spot-fleet',
          TARGET_ID: { Ref: Match.stringLikeRegexp('AutoscalerFleet') },
          DRY_RUN: 'false',
          SCALE_IN_MODE: 'workers-exit',
          SCALING_PRESET: 'balanced',
          POWERTOOLS_METRICS_NAMESPACE: 'CdkComputePatterns/Autoscaler',
          SCALING_POLICY: Match.anyValue(),
        }),
      },
    });
    expect(autoscaler.policy).toEqual({
      backlogPerWorker: 2,
      minWorkers: 0,
      maxWorkers: 20,
      scaleInCooldownSeconds: 300,
      idleSecondsBeforeScaleIn: 300,
      scaleInHysteresisWorkers: 1,
    });
  });

  it('offers metrics with the dimensions the handler emits', () => {
    const metric = autoscaler.metricBacklog();
    expect(metric.namespace).toBe('CdkComputePatterns/Autoscaler');
    expect(metric.metricName).toBe('Backlog');
    expect(metric.dimensions).toEqual({ service: 'spot-fleet-autoscaler', Autoscaler: autoscaler.autoscalerName });
    expect(autoscaler.metricCapacityChanges().statistic).toBe('Sum');
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'Errors', EvaluationPeriods: 3 });
  });

  it('has no unacknowledged cdk-nag findings', () => expectNoNagFindings(stack));

  it('matches the snapshot', () => expect(template.toJSON()).toMatchSnapshot());
});

describe('SpotFleetAutoscaler on other targets', () => {
  const stack = newTestStack('OtherTargets');
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1, flowLogs: { all: {} } });
  const jobs = new QueueWithDlq(stack, 'Jobs');

  const existing = new SpotFleetAutoscaler(stack, 'ExistingFleet', {
    queue: jobs.queue,
    target: ScalingTarget.spotFleetRequest('sfr-0123456789abcdef0'),
    dryRun: true,
    schedule: events.Schedule.rate(Duration.minutes(2)),
  });

  const group = new autoscaling.AutoScalingGroup(stack, 'Group', {
    vpc,
    instanceType: new ec2.InstanceType('c7g.large'),
    machineImage: ec2.MachineImage.latestAmazonLinux2023({ cpuType: ec2.AmazonLinuxCpuType.ARM_64 }),
    minCapacity: 0,
    maxCapacity: 10,
    requireImdsv2: true,
    blockDevices: [{ deviceName: '/dev/xvda', volume: autoscaling.BlockDeviceVolume.ebs(20, { encrypted: true }) }],
  });
  const asgScaler = new SpotFleetAutoscaler(stack, 'GroupScaler', { queue: jobs.queue, target: ScalingTarget.autoScalingGroup(group) });
  const imported = autoscaling.AutoScalingGroup.fromAutoScalingGroupName(stack, 'Imported', 'legacy-workers');
  const importedScaler = new SpotFleetAutoscaler(stack, 'ImportedScaler', { queue: jobs.queue, target: ScalingTarget.autoScalingGroup(imported) });

  const cluster = new ecs.Cluster(stack, 'Cluster', { vpc, containerInsightsV2: ecs.ContainerInsights.ENABLED });
  const taskDefinition = new ecs.FargateTaskDefinition(stack, 'Task');
  taskDefinition.addContainer('worker', {
    image: ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/busybox:latest'),
    logging: ecs.LogDrivers.awsLogs({ streamPrefix: 'worker' }),
  });
  const service = new ecs.FargateService(stack, 'Service', { cluster, taskDefinition, desiredCount: 0, circuitBreaker: { rollback: true }, minHealthyPercent: 100 });
  const ecsScaler = new SpotFleetAutoscaler(stack, 'ServiceScaler', { queue: jobs.queue, target: ScalingTarget.ecsService(service) });
  const template = templateOf(stack);

  const policyOf = (scaler: SpotFleetAutoscaler) => {
    const id = stack.getLogicalId(scaler.targetPolicy.node.defaultChild as any);
    return template.toJSON().Resources[id].Properties.PolicyDocument.Statement;
  };

  it('drives an existing fleet by id, in dry-run mode, on its own schedule', () => {
    expect(existing.target).toMatchObject({ kind: ScalingTargetKind.SPOT_FLEET, targetId: 'sfr-0123456789abcdef0' });
    const [, modify] = policyOf(existing);
    expect(modify.Resource).toBe('arn:aws:ec2:us-east-1:123456789012:spot-fleet-request/sfr-0123456789abcdef0');
    template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ TARGET_ID: 'sfr-0123456789abcdef0', DRY_RUN: 'true' }) } });
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(2 minutes)' });
    expect(existing.workerFleet).toBeUndefined();
  });

  it('warns at synth time that an existing fleet\'s workers cannot be checked, and what they must do', () => {
    expect(existing.scaleInMode).toBe(ScaleInMode.WORKERS_EXIT_WHEN_IDLE);
    Annotations.fromStack(stack).hasWarning(
      '/OtherTargets/ExistingFleet',
      Match.stringLikeRegexp('sfr-0123456789abcdef0 was not created here, so its workers cannot be checked.*noTermination.*queue-worker.js'),
    );
  });

  it('protects busy instances of an Auto Scaling group: the group role may set protection on this group only', () => {
    expect(asgScaler.scaleInMode).toBe(ScaleInMode.PROTECT_BUSY_WORKERS);
    expect(asgScaler.workerEnvironment).toEqual({ WORKER_SCALE_IN: 'protect-instance', WORKER_IDLE_SECONDS: '180' });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ TARGET_KIND: 'auto-scaling-group', SCALE_IN_MODE: 'protect-busy' }) },
    });
    const protection = statementsOf(template).filter((s) => hasAction(s, 'autoscaling:SetInstanceProtection'));
    expect(protection).toHaveLength(1);
    expect(JSON.stringify(protection[0].Resource)).toMatch(/autoScalingGroup:\*:autoScalingGroupName\/",\{"Ref":"GroupASG/);
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: [Match.objectLike({ Action: 'autoscaling:SetInstanceProtection' })] },
      Roles: [{ Ref: Match.stringLikeRegexp('^GroupInstanceSecurityGroup|^GroupInstanceRole') }],
    });
  });

  it('warns when an imported group\'s role cannot be granted the protection', () => {
    Annotations.fromStack(stack).hasWarning('/OtherTargets/ImportedScaler', Match.stringLikeRegexp('legacy-workers|is imported: grant its instance role autoscaling:SetInstanceProtection'));
    expect(importedScaler.workerEnvironment.WORKER_SCALE_IN).toBe('protect-instance');
  });

  it('protects busy ECS tasks: the task role may set task protection on tasks of this cluster only', () => {
    expect(ecsScaler.scaleInMode).toBe(ScaleInMode.PROTECT_BUSY_WORKERS);
    expect(ecsScaler.workerEnvironment).toEqual({ WORKER_SCALE_IN: 'protect-task', WORKER_IDLE_SECONDS: '180' });
    const statement = statementsOf(template).find((s) => hasAction(s, 'ecs:UpdateTaskProtection'));
    expect([...statement.Action].sort()).toEqual(['ecs:GetTaskProtection', 'ecs:UpdateTaskProtection']);
    expect(JSON.stringify(statement.Resource)).toMatch(/:task\/",\{"Ref":"Cluster[^"]*"\},"\/\*"/);
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: [Match.objectLike({ Action: ['ecs:GetTaskProtection', 'ecs:UpdateTaskProtection'] })] },
      Roles: [{ Ref: Match.stringLikeRegexp('^TaskTaskRole') }],
    });
  });

  it('scopes Auto Scaling writes to the one group by name', () => {
    const [describe, write] = policyOf(asgScaler);
    expect(describe).toMatchObject({ Action: 'autoscaling:DescribeAutoScalingGroups', Resource: '*' });
    expect([...write.Action].sort()).toEqual(['autoscaling:CreateOrUpdateTags', 'autoscaling:DeleteTags', 'autoscaling:SetDesiredCapacity']);
    expect(JSON.stringify(write.Resource)).toMatch(/autoScalingGroup:\*:autoScalingGroupName\/",\{"Ref":"GroupASG/);
  });

  it('scopes ECS calls to the one service, with no wildcard at all', () => {
    const statements = policyOf(ecsScaler);
    expect(statements).toHaveLength(1);
    expect([...statements[0].Action].sort()).toEqual(['ecs:DescribeServices', 'ecs:TagResource', 'ecs:UntagResource', 'ecs:UpdateService']);
    expect(statements[0].Resource).toEqual({ Ref: expect.stringMatching(/^Service/) });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ TARGET_KIND: 'ecs-service', ECS_CLUSTER: { Ref: Match.stringLikeRegexp('^Cluster') } }) },
    });
  });

  it('has no unacknowledged cdk-nag findings from the autoscalers', () => {
    expectNoNagFindings(existing);
    expectNoNagFindings(asgScaler);
    expectNoNagFindings(ecsScaler);
  });

  it('grants nothing to the workers when TERMINATE_INSTANCES is chosen, and tells them so', () => {
    const other = newTestStack('Terminate');
    const otherVpc = new ec2.Vpc(other, 'Vpc', { maxAzs: 1, natGateways: 0 });
    const otherGroup = new autoscaling.AutoScalingGroup(other, 'Group', {
      vpc: otherVpc,
      instanceType: new ec2.InstanceType('c7g.large'),
      machineImage: ec2.MachineImage.latestAmazonLinux2023({ cpuType: ec2.AmazonLinuxCpuType.ARM_64 }),
    });
    const scaler = new SpotFleetAutoscaler(other, 'Scaler', {
      queue: new QueueWithDlq(other, 'Jobs').queue,
      target: ScalingTarget.autoScalingGroup(otherGroup),
      scaleInMode: ScaleInMode.TERMINATE_INSTANCES,
    });
    expect(scaler.workerEnvironment.WORKER_SCALE_IN).toBe('none');
    expect(statementsOf(templateOf(other)).filter((s) => hasAction(s, 'autoscaling:SetInstanceProtection'))).toEqual([]);
  });
});

describe('prop validation', () => {
  const setup = () => {
    const stack = newTestStack('Invalid');
    return { stack, queue: new QueueWithDlq(stack, 'Jobs').queue, vpc: new ec2.Vpc(stack, 'Vpc', { maxAzs: 1, natGateways: 0 }) };
  };
  const target = ScalingTarget.spotFleetRequest('sfr-1');

  it.each([
    [{ maxWorkers: 0 }, /`maxWorkers` must be a whole number ≥ 1 \(got 0\)/],
    [{ minWorkers: 5, maxWorkers: 2 }, /`maxWorkers` must be ≥ `minWorkers` \(got 2 < 5\)/],
    [{ backlogPerWorker: -1 }, /`backlogPerWorker` must be a number > 0/],
    [{ scaleInHysteresisWorkers: 0 }, /`scaleInHysteresisWorkers` must be a whole number ≥ 1/],
  ])('rejects %j', (overrides, message) => {
    const { stack, queue } = setup();
    expect(() => new SpotFleetAutoscaler(stack, 'A', { queue, target, ...overrides })).toThrow(message);
  });

  it('refuses a queue of another region, naming the prop and both regions', () => {
    const { stack } = setup();
    const queue = sqs.Queue.fromQueueArn(stack, 'Far', 'arn:aws:sqs:eu-west-1:123456789012:jobs');
    expect(() => new SpotFleetAutoscaler(stack, 'A', { queue, target })).toThrow(/`queue` \(arn:aws:sqs:eu-west-1:123456789012:jobs\) is in eu-west-1, but stack Invalid deploys to us-east-1/);
  });

  it('names the construct and every problem at once', () => {
    const { stack, queue } = setup();
    expect(() => new SpotFleetAutoscaler(stack, 'A', { queue, maxWorkers: 0 })).toThrow(
      /Invalid SpotFleetAutoscaler props at Invalid\/A:\n- .*maxWorkers.*\n- give exactly one of `target` .* and `fleet`/,
    );
  });

  it('allows each scale-in mode only where it works, and says what to use instead', () => {
    const { stack, queue } = setup();
    const group = autoscaling.AutoScalingGroup.fromAutoScalingGroupName(stack, 'G', 'workers');
    expect(
      () => new SpotFleetAutoscaler(stack, 'A', { queue, target: ScalingTarget.autoScalingGroup(group), scaleInMode: ScaleInMode.WORKERS_EXIT_WHEN_IDLE }),
    ).toThrow(/`scaleInMode` WORKERS_EXIT_WHEN_IDLE does not apply to a auto-scaling-group target \(use PROTECT_BUSY_WORKERS or TERMINATE_INSTANCES\)/);
    expect(() => new SpotFleetAutoscaler(stack, 'B', { queue, target, scaleInMode: ScaleInMode.PROTECT_BUSY_WORKERS })).toThrow(
      /PROTECT_BUSY_WORKERS does not apply to a spot-fleet target \(use WORKERS_EXIT_WHEN_IDLE or TERMINATE_INSTANCES\)/,
    );
  });

  it('takes the policy from a preset, and each prop given overrides it', () => {
    const { stack, queue } = setup();
    const cost = new SpotFleetAutoscaler(stack, 'Cost', { queue, target, preset: ScalingPreset.COST_FIRST, maxWorkers: 30, scaleInCooldown: Duration.minutes(4) });
    const settings = SpotFleetAutoscaler.presetSettings(ScalingPreset.COST_FIRST);
    expect(cost.policy).toEqual({
      backlogPerWorker: settings.backlogPerWorker,
      minWorkers: 0,
      maxWorkers: 30,
      scaleInCooldownSeconds: 240,
      idleSecondsBeforeScaleIn: settings.idleBeforeScaleIn.toSeconds(),
      scaleInHysteresisWorkers: settings.scaleInHysteresisWorkers,
    });
    expect(cost.workerIdleSeconds).toBe(settings.workerIdleTimeout.toSeconds());
    expect(settings.backlogPerWorker).toBeGreaterThan(SpotFleetAutoscaler.presetSettings(ScalingPreset.BALANCED).backlogPerWorker);
    const latency = new SpotFleetAutoscaler(stack, 'Latency', { queue, target, preset: ScalingPreset.LATENCY_FIRST, workerIdleTimeout: Duration.minutes(2) });
    expect(latency.workerEnvironment.WORKER_IDLE_SECONDS).toBe('120');
    expect(latency.preset).toBe(ScalingPreset.LATENCY_FIRST);
    expect(() => new SpotFleetAutoscaler(stack, 'Bad', { queue, target, workerIdleTimeout: Duration.millis(500) })).toThrow(/`workerIdleTimeout` must be a whole number of seconds \(got 500 millis\)/);
    expect(() => new SpotFleetAutoscaler(stack, 'Zero', { queue, target, workerIdleTimeout: Duration.seconds(0) })).toThrow(/`workerIdleTimeout` must be at least 1 second/);
  });

  it('rejects both a target and a fleet', () => {
    const { stack, queue, vpc } = setup();
    expect(() => new SpotFleetAutoscaler(stack, 'A', { queue, target, fleet: { vpc, workerCommands: ['run'] } })).toThrow(/exactly one of `target`/);
  });

  it.each([
    [{ workerCommands: [] }, /`workerCommands` must hold at least one command/],
    [{ workerCommands: ['run'], instanceTypes: [new ec2.InstanceType('c7g.large'), new ec2.InstanceType('c7i.large')] }, /mix architectures/],
    [{ workerCommands: ['run'], instanceTypes: [] }, /at least one instance type/],
    [{ workerCommands: ['run'], rootVolumeSizeGiB: 2 }, /`rootVolumeSizeGiB` must be a whole number from 8/],
  ])('rejects fleet props %#', (fleetProps, message) => {
    const { stack, queue, vpc } = setup();
    expect(() => new WorkerSpotFleet(stack, 'F', { queue, vpc, ...fleetProps })).toThrow(message);
  });
});
