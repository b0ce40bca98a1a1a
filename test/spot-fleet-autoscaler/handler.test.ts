import {
  AutoScalingClient,
  CreateOrUpdateTagsCommand,
  DescribeAutoScalingGroupsCommand,
  SetDesiredCapacityCommand,
} from '@aws-sdk/client-auto-scaling';
import { CreateTagsCommand, DeleteTagsCommand, DescribeSpotFleetRequestsCommand, EC2Client, ModifySpotFleetRequestCommand } from '@aws-sdk/client-ec2';
import { DescribeServicesCommand, ECSClient, TagResourceCommand, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import './handler-env';
import { ENV } from '../../contracts/spot-fleet-autoscaler/config';
import { handler } from '../../lambda/spot-fleet-autoscaler/index';
import { STATE_TAGS } from '../../lambda/spot-fleet-autoscaler/state';

const sqs = mockClient(SQSClient);
const ec2 = mockClient(EC2Client);
const autoscaling = mockClient(AutoScalingClient);
const ecs = mockClient(ECSClient);

const QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/jobs';
const NOW_SECONDS = 1_800_000_000;
const now = () => NOW_SECONDS * 1000;
const POLICY = { backlogPerWorker: 2, minWorkers: 0, maxWorkers: 10, scaleInCooldownSeconds: 300, idleSecondsBeforeScaleIn: 600, scaleInHysteresisWorkers: 1 };
const ENV_KEYS = Object.values(ENV);

function configure(overrides: Record<string, string>) {
  for (const key of ENV_KEYS) delete process.env[key];
  Object.assign(process.env, {
    [ENV.queueUrl]: QUEUE_URL,
    [ENV.policy]: JSON.stringify(POLICY),
    [ENV.autoscalerName]: 'test-autoscaler',
    POWERTOOLS_METRICS_NAMESPACE: 'Test/Autoscaler',
    ...overrides,
  });
}

function queue(visible: number, inFlight: number) {
  sqs.on(GetQueueAttributesCommand).resolves({
    Attributes: { ApproximateNumberOfMessages: String(visible), ApproximateNumberOfMessagesNotVisible: String(inFlight) },
  });
}

function fleet(targetCapacity: number, state = 'active', tags: Record<string, string> = {}, type = 'maintain') {
  ec2.on(DescribeSpotFleetRequestsCommand).resolves({
    SpotFleetRequestConfigs: [
      {
        SpotFleetRequestId: 'sfr-1',
        SpotFleetRequestState: state as never,
        SpotFleetRequestConfig: { TargetCapacity: targetCapacity, Type: type as never, IamFleetRole: 'arn:aws:iam::123456789012:role/fleet' },
        Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
      },
    ],
  });
  ec2.on(ModifySpotFleetRequestCommand).resolves({ Return: true });
  ec2.on(CreateTagsCommand).resolves({});
  ec2.on(DeleteTagsCommand).resolves({});
}

/** Every line the handler printed (Powertools writes JSON lines to stdout). */
let stdout: string[];
let writeSpy: jest.SpyInstance;
beforeEach(() => {
  sqs.reset();
  ec2.reset();
  autoscaling.reset();
  ecs.reset();
  stdout = [];
  writeSpy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: any) => {
    stdout.push(...String(chunk).split('\n').filter((line) => line.trim() !== ''));
    return true;
  });
});
let stderrSpy: jest.SpyInstance;
let stderr: string[];
beforeEach(() => {
  stderr = [];
  stderrSpy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: any) => {
    stderr.push(...String(chunk).split('\n').filter((line) => line.trim() !== ''));
    return true;
  });
});
afterEach(() => {
  writeSpy.mockRestore();
  stderrSpy.mockRestore();
});

const decisionLines = () => stdout.map((line) => JSON.parse(line)).filter((entry) => entry.message === 'scaling decision');
const emfRecords = () => stdout.map((line) => JSON.parse(line)).filter((entry) => entry._aws);

describe('spot fleet target', () => {
  beforeEach(() => configure({ [ENV.targetKind]: 'spot-fleet', [ENV.targetId]: 'sfr-1' }));

  it('reads visible + in-flight from SQS and scales out at once, recording the change in tags', async () => {
    queue(9, 3);
    fleet(2);
    const plan = await handler({}, {}, now);
    expect(plan).toMatchObject({ apply: true, desiredCapacity: 6 });
    expect(sqs).toHaveReceivedCommandWith(GetQueueAttributesCommand, {
      QueueUrl: QUEUE_URL,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    });
    // No mode configured: a Spot Fleet's default never terminates anybody on a change of target.
    expect(ec2).toHaveReceivedCommandWith(ModifySpotFleetRequestCommand, { SpotFleetRequestId: 'sfr-1', TargetCapacity: 6, ExcessCapacityTerminationPolicy: 'noTermination' });
    expect(ec2).toHaveReceivedCommandWith(CreateTagsCommand, {
      Resources: ['sfr-1'],
      Tags: expect.arrayContaining([
        { Key: STATE_TAGS.lastChange, Value: String(NOW_SECONDS) },
        { Key: STATE_TAGS.lastDesired, Value: '6' },
      ]),
    });
  });

  it('logs exactly one structured decision line and emits EMF metrics', async () => {
    queue(9, 3);
    fleet(2);
    await handler({}, {}, now);
    const lines = decisionLines();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'INFO', backlog: 12, current: 2, desired: 6, action: 'scale-out', applied: true, dryRun: false });
    expect(lines[0].reason).toMatch(/backlog 12 needs 6/);
    const [emf] = emfRecords();
    expect(emf._aws.CloudWatchMetrics[0].Namespace).toBe('Test/Autoscaler');
    expect(emf._aws.CloudWatchMetrics[0].Dimensions[0]).toEqual(expect.arrayContaining(['service', 'Autoscaler']));
    expect(emf).toMatchObject({ Autoscaler: 'test-autoscaler', Backlog: 12, CurrentCapacity: 2, DesiredCapacity: 6, CapacityChanges: 1 });
  });

  it('skips while the fleet is modifying, and says so', async () => {
    queue(20, 0);
    fleet(2, 'modifying');
    const plan = await handler({}, {}, now);
    expect(plan).toMatchObject({ apply: false, skippedBecause: 'the fleet is modifying' });
    expect(ec2).not.toHaveReceivedCommand(ModifySpotFleetRequestCommand);
    expect(decisionLines()[0].reason).toMatch(/not applied: the fleet is modifying/);
  });

  it('holds scale-in during the cooldown kept in the fleet tags, without rewriting them', async () => {
    queue(2, 0);
    fleet(5, 'active', { [STATE_TAGS.lastChange]: String(NOW_SECONDS - 60), [STATE_TAGS.lastDesired]: '5' });
    const plan = await handler({}, {}, now);
    expect(plan.decision.reason).toMatch(/cooldown: 60s of 300s/);
    expect(ec2).not.toHaveReceivedCommand(ModifySpotFleetRequestCommand);
    expect(ec2).not.toHaveReceivedCommand(CreateTagsCommand);
    expect(ec2).not.toHaveReceivedCommand(DeleteTagsCommand);
  });

  it('starts the idle timer in a tag, then scales to zero once the idle period has passed', async () => {
    queue(0, 0);
    fleet(3, 'active', { [STATE_TAGS.lastChange]: String(NOW_SECONDS - 3600), [STATE_TAGS.lastDesired]: '3' });
    const first = await handler({}, {}, now);
    expect(first).toMatchObject({ apply: false });
    expect(ec2).toHaveReceivedCommandWith(CreateTagsCommand, { Tags: expect.arrayContaining([{ Key: STATE_TAGS.emptySince, Value: String(NOW_SECONDS) }]) });

    ec2.reset();
    fleet(3, 'active', {
      [STATE_TAGS.lastChange]: String(NOW_SECONDS - 3600),
      [STATE_TAGS.lastDesired]: '3',
      [STATE_TAGS.emptySince]: String(NOW_SECONDS - 601),
    });
    const second = await handler({}, {}, now);
    expect(second).toMatchObject({ apply: true, desiredCapacity: 0 });
    expect(ec2).toHaveReceivedCommandWith(ModifySpotFleetRequestCommand, { TargetCapacity: 0 });
  });

  it("in workers-exit mode lowers the target with 'noTermination', so no busy worker is killed", async () => {
    configure({ [ENV.targetKind]: 'spot-fleet', [ENV.targetId]: 'sfr-1', [ENV.scaleInMode]: 'workers-exit' });
    queue(2, 2);
    fleet(8, 'active', { [STATE_TAGS.lastChange]: String(NOW_SECONDS - 3600), [STATE_TAGS.lastDesired]: '8' });
    const plan = await handler({}, {}, now);
    expect(plan).toMatchObject({ apply: true, desiredCapacity: 2 });
    expect(ec2).toHaveReceivedCommandWith(ModifySpotFleetRequestCommand, { TargetCapacity: 2, ExcessCapacityTerminationPolicy: 'noTermination' });
    expect(decisionLines()[0]).toMatchObject({ scaleInMode: 'workers-exit' });
  });

  it("only the explicit opt-in 'terminate' lets the fleet terminate instances of its choice", async () => {
    configure({ [ENV.targetKind]: 'spot-fleet', [ENV.targetId]: 'sfr-1', [ENV.scaleInMode]: 'terminate', [ENV.preset]: 'cost-first' });
    queue(2, 2);
    fleet(8, 'active', { [STATE_TAGS.lastChange]: String(NOW_SECONDS - 3600), [STATE_TAGS.lastDesired]: '8' });
    await handler({}, {}, now);
    expect(ec2).toHaveReceivedCommandWith(ModifySpotFleetRequestCommand, { TargetCapacity: 2, ExcessCapacityTerminationPolicy: 'default' });
    expect(decisionLines()[0]).toMatchObject({ scaleInMode: 'terminate', preset: 'cost-first' });
  });

  it.each([
    ['ecs-service', 'workers-exit', /'workers-exit' does not apply to a ecs-service target \(use 'protect-busy' or 'terminate'\)/],
    ['spot-fleet', 'protect-busy', /'protect-busy' does not apply to a spot-fleet target \(use 'workers-exit' or 'terminate'\)/],
  ])('refuses a mode the target cannot do (%s, %s)', async (kind, mode, message) => {
    configure({ [ENV.targetKind]: kind, [ENV.targetId]: 'x', [ENV.cluster]: 'c', [ENV.scaleInMode]: mode });
    await expect(handler({}, {}, now)).rejects.toThrow(message);
  });

  it('logs the decision and the error when the state write fails after a capacity change', async () => {
    queue(4, 0);
    fleet(0);
    ec2.on(CreateTagsCommand).rejects(new Error('RequestLimitExceeded'));
    await expect(handler({}, {}, now)).rejects.toThrow('RequestLimitExceeded');
    expect(ec2).toHaveReceivedCommandWith(ModifySpotFleetRequestCommand, { TargetCapacity: 2 });
    expect(decisionLines()).toEqual([expect.objectContaining({ desired: 2, applied: true })]);
    // Powertools writes ERROR lines to stderr.
    const failure = stderr.map((line) => JSON.parse(line)).find((entry) => entry.message === 'autoscaler run failed');
    expect(failure).toMatchObject({ level: 'ERROR', target: 'spot-fleet sfr-1', error: expect.objectContaining({ message: 'RequestLimitExceeded' }) });
  });

  it('removes the idle tag when work arrives', async () => {
    queue(1, 0);
    fleet(1, 'active', { [STATE_TAGS.emptySince]: String(NOW_SECONDS - 100), [STATE_TAGS.lastDesired]: '1' });
    await handler({}, {}, now);
    expect(ec2).toHaveReceivedCommandWith(DeleteTagsCommand, { Resources: ['sfr-1'], Tags: [{ Key: STATE_TAGS.emptySince }] });
  });

  it('in dry-run mode only logs: no capacity change and no tag writes', async () => {
    configure({ [ENV.targetKind]: 'spot-fleet', [ENV.targetId]: 'sfr-1', [ENV.dryRun]: 'true' });
    queue(30, 0);
    fleet(0);
    const plan = await handler({}, {}, now);
    expect(plan).toMatchObject({ apply: false, skippedBecause: 'dry run', desiredCapacity: 10 });
    expect(ec2).not.toHaveReceivedCommand(ModifySpotFleetRequestCommand);
    expect(ec2).not.toHaveReceivedCommand(CreateTagsCommand);
    expect(decisionLines()[0]).toMatchObject({ dryRun: true, desired: 10, applied: false });
  });

  it.each([
    ['cancelled_running', /is cancelled_running/],
    ['failed', /is failed/],
  ])('fails loudly on a %s fleet', async (state, message) => {
    queue(1, 0);
    fleet(1, state);
    await expect(handler({}, {}, now)).rejects.toThrow(message);
  });

  it('fails loudly on a one-time (request) fleet', async () => {
    queue(1, 0);
    fleet(1, 'active', {}, 'request');
    await expect(handler({}, {}, now)).rejects.toThrow(/only 'maintain' fleets/);
  });

  it('fails loudly when SQS returns no depth', async () => {
    sqs.on(GetQueueAttributesCommand).resolves({ Attributes: {} });
    fleet(1);
    await expect(handler({}, {}, now)).rejects.toThrow(/no numeric ApproximateNumberOfMessages/);
  });

  it('rejects a broken configuration with every problem named', async () => {
    configure({ [ENV.targetKind]: 'kubernetes', [ENV.policy]: JSON.stringify({ ...POLICY, maxWorkers: 0 }) });
    await expect(handler({}, {}, now)).rejects.toThrow(/TARGET_KIND must be one of .*TARGET_ID is not set.*`maxWorkers` must be a whole number ≥ 1/);
  });
});

describe('auto scaling group target', () => {
  beforeEach(() => configure({ [ENV.targetKind]: 'auto-scaling-group', [ENV.targetId]: 'workers' }));

  const group = (desired: number, min = 0, max = 20) =>
    autoscaling.on(DescribeAutoScalingGroupsCommand).resolves({
      AutoScalingGroups: [
        { AutoScalingGroupName: 'workers', DesiredCapacity: desired, MinSize: min, MaxSize: max, Tags: [] } as never,
      ],
    });

  it('sets desired capacity without honouring the group cooldown and tags the group without propagation', async () => {
    queue(5, 0);
    group(1);
    await handler({}, {}, now);
    expect(autoscaling).toHaveReceivedCommandWith(SetDesiredCapacityCommand, { AutoScalingGroupName: 'workers', DesiredCapacity: 3, HonorCooldown: false });
    expect(autoscaling).toHaveReceivedCommandWith(CreateOrUpdateTagsCommand, {
      Tags: expect.arrayContaining([
        { ResourceId: 'workers', ResourceType: 'auto-scaling-group', Key: STATE_TAGS.lastDesired, Value: '3', PropagateAtLaunch: false },
      ]),
    });
  });

  it("clamps into the group's own MaxSize", async () => {
    queue(100, 0);
    group(1, 0, 4);
    const plan = await handler({}, {}, now);
    expect(plan).toMatchObject({ desiredCapacity: 4 });
    expect(autoscaling).toHaveReceivedCommandWith(SetDesiredCapacityCommand, { DesiredCapacity: 4 });
  });

  it('fails loudly on a missing group', async () => {
    queue(1, 0);
    autoscaling.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [] });
    await expect(handler({}, {}, now)).rejects.toThrow(/Auto Scaling group workers was not found/);
  });
});

describe('ecs service target', () => {
  const SERVICE_ARN = 'arn:aws:ecs:us-east-1:123456789012:service/jobs/workers';
  beforeEach(() => configure({ [ENV.targetKind]: 'ecs-service', [ENV.targetId]: 'workers', [ENV.cluster]: 'jobs' }));

  it('updates desiredCount and tags the service by ARN', async () => {
    queue(3, 1);
    ecs.on(DescribeServicesCommand).resolves({ services: [{ serviceArn: SERVICE_ARN, status: 'ACTIVE', desiredCount: 0, tags: [] }] });
    await handler({}, {}, now);
    expect(ecs).toHaveReceivedCommandWith(DescribeServicesCommand, { cluster: 'jobs', services: ['workers'], include: ['TAGS'] });
    expect(ecs).toHaveReceivedCommandWith(UpdateServiceCommand, { cluster: 'jobs', service: 'workers', desiredCount: 2 });
    expect(ecs).toHaveReceivedCommandWith(TagResourceCommand, { resourceArn: SERVICE_ARN, tags: expect.arrayContaining([{ key: STATE_TAGS.lastDesired, value: '2' }]) });
    expect(decisionLines()[0]).toMatchObject({ reason: expect.stringMatching(/wake from zero/), desired: 2 });
  });

  it('refuses a draining service', async () => {
    queue(3, 1);
    ecs.on(DescribeServicesCommand).resolves({ services: [{ serviceArn: SERVICE_ARN, status: 'DRAINING', desiredCount: 1 }] });
    await expect(handler({}, {}, now)).rejects.toThrow(/is DRAINING/);
    expect(ecs).not.toHaveReceivedCommand(UpdateServiceCommand);
  });

  it('names the failure of a missing service', async () => {
    queue(0, 0);
    ecs.on(DescribeServicesCommand).resolves({ services: [], failures: [{ reason: 'MISSING' }] });
    await expect(handler({}, {}, now)).rejects.toThrow(/not found \(MISSING\)/);
  });
});
