import { CreateQueueCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { execFile } from 'child_process';
import * as path from 'path';
import { promisify } from 'util';
import { STATE_TAGS } from '../../lambda/spot-fleet-autoscaler/state';
import { assertBundleCurrent } from '../../local/bundles';
import { useLocalAws } from '../../local/local-aws';
import { FakeEc2 } from './fake-ec2';

const run = promisify(execFile);
const ASSET = path.join(__dirname, '..', '..', 'assets', 'spot-fleet-autoscaler', 'index.js');

/**
 * The bundled handler, unmodified, in its own process: SQS is fauxqs, EC2 a local stand-in, both reached
 * through the SDK's standard AWS_ENDPOINT_URL_<SERVICE> variables.
 */
describe('bundled autoscaler against local SQS and a local EC2 stand-in', () => {
  const local = useLocalAws(['sqs']);
  beforeAll(() => assertBundleCurrent('spot-fleet-autoscaler'));
  const ec2 = new FakeEc2();
  let ec2Endpoint: string;
  let sqs: SQSClient;
  let queueUrl: string;

  beforeAll(async () => {
    ec2Endpoint = await ec2.start();
    sqs = new SQSClient(local().clientConfig('sqs'));
    queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'e2e-jobs' }))).QueueUrl!;
  });
  afterAll(async () => {
    sqs?.destroy();
    await ec2.stop();
  });

  const invoke = async () => {
    const { stdout } = await run(process.execPath, ['-e', `require(${JSON.stringify(ASSET)}).handler({}, {}).catch((e) => { console.error(e); process.exit(1); })`], {
      env: {
        PATH: process.env.PATH,
        ...local().env(),
        AWS_ENDPOINT_URL_EC2: ec2Endpoint,
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        TARGET_KIND: 'spot-fleet',
        TARGET_ID: ec2.fleet.id,
        QUEUE_URL: queueUrl,
        SCALING_POLICY: JSON.stringify({ backlogPerWorker: 2, minWorkers: 0, maxWorkers: 5, scaleInCooldownSeconds: 300, idleSecondsBeforeScaleIn: 300, scaleInHysteresisWorkers: 1 }),
        SCALE_IN_MODE: 'workers-exit',
        POWERTOOLS_METRICS_NAMESPACE: 'E2E/Autoscaler',
      },
    });
    const lines = stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line));
    return { decision: lines.find((l) => l.message === 'scaling decision'), emf: lines.find((l) => l._aws) };
  };

  it('wakes the fleet from zero with the real SDKs on the wire, records its state in fleet tags, then holds', async () => {
    await sqs.send(
      new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: Array.from({ length: 7 }, (_, i) => ({ Id: `m${i}`, MessageBody: `job ${i}` })) }),
    );
    const first = await invoke();
    expect(first.decision).toMatchObject({ backlog: 7, current: 0, desired: 4, action: 'scale-out', applied: true });
    expect(first.emf).toMatchObject({ Backlog: 7, DesiredCapacity: 4, CapacityChanges: 1 });
    expect(ec2.fleet.targetCapacity).toBe(4);
    const modify = ec2.calls.find((c) => c.Action === 'ModifySpotFleetRequest');
    expect(modify).toMatchObject({ SpotFleetRequestId: ec2.fleet.id, TargetCapacity: '4', ExcessCapacityTerminationPolicy: 'noTermination' });
    expect(ec2.fleet.tags.get(STATE_TAGS.lastDesired)).toBe('4');
    expect(Number(ec2.fleet.tags.get(STATE_TAGS.lastChange))).toBeGreaterThan(1_700_000_000);

    const writes = ec2.calls.length;
    const second = await invoke();
    expect(second.decision).toMatchObject({ backlog: 7, current: 4, desired: 4, action: 'hold', applied: false });
    // A quiet minute: one Describe, no modify, no tag write.
    expect(ec2.calls.slice(writes).map((c) => c.Action)).toEqual(['DescribeSpotFleetRequests']);
  });

  it('skips a modifying fleet without touching it', async () => {
    ec2.fleet.state = 'modifying';
    await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: Array.from({ length: 8 }, (_, i) => ({ Id: `n${i}`, MessageBody: `more ${i}` })) }));
    const before = ec2.calls.length;
    const { decision } = await invoke();
    expect(decision).toMatchObject({ desired: 5, applied: false, reason: expect.stringMatching(/not applied: the fleet is modifying/) });
    expect(ec2.calls.slice(before).map((c) => c.Action)).toEqual(['DescribeSpotFleetRequests']);
    expect(ec2.fleet.targetCapacity).toBe(4);
    ec2.fleet.state = 'active';
  });
});
