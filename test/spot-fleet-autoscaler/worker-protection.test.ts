import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { startQueueWorker } from '../../lambda/spot-fleet-autoscaler/worker/queue-worker';
import {
  AutoScalingInstanceProtection,
  checkTaskProtectionResponse,
  EcsTaskProtection,
  ScaleInGuard,
  ScaleInProtection,
} from '../../lambda/spot-fleet-autoscaler/worker/scale-in-protection';
import { LOCAL_CREDENTIALS, LOCAL_REGION, useLocalAws } from '../../local/local-aws';
import { FakeImds } from './fake-imds';
import { FakeAutoScaling, FakeEcsAgent } from './fake-protection-endpoints';

/** A protection that records calls and can be told to fail. */
class RecordingProtection implements ScaleInProtection {
  readonly description = 'recording';
  readonly calls: boolean[] = [];
  fail = false;
  constructor(public readonly renewEveryMs?: number) {}
  async setProtected(protect: boolean): Promise<void> {
    if (this.fail) throw new Error('AccessDenied');
    this.calls.push(protect);
  }
}

const flush = async () => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

describe('ScaleInGuard', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('protects once for back-to-back jobs and releases only after the idle time', async () => {
    const protection = new RecordingProtection();
    const guard = new ScaleInGuard({ protection, releaseAfterIdleSeconds: 60 });
    await guard.busy();
    guard.done();
    jest.advanceTimersByTime(30_000);
    await guard.busy(); // the next message within the idle time: no API call either way
    guard.done();
    expect(protection.calls).toEqual([true]);
    jest.advanceTimersByTime(59_000);
    await flush();
    expect(protection.calls).toEqual([true]);
    jest.advanceTimersByTime(1_000);
    await flush();
    expect(protection.calls).toEqual([true, false]);
    expect(guard.protected).toBe(false);
  });

  it('keeps protection while any of several jobs runs', async () => {
    const protection = new RecordingProtection();
    const guard = new ScaleInGuard({ protection });
    await guard.busy();
    await guard.busy();
    guard.done();
    await flush();
    expect(protection.calls).toEqual([true]);
    guard.done();
    await flush();
    expect(protection.calls).toEqual([true, false]);
  });

  it('renews an expiring protection while busy, and stops renewing once released', async () => {
    const protection = new RecordingProtection(30 * 60_000);
    const guard = new ScaleInGuard({ protection });
    await guard.busy();
    jest.advanceTimersByTime(61 * 60_000); // a two-hour job would outlive one protection
    await flush();
    expect(protection.calls).toEqual([true, true, true]);
    guard.done();
    await flush();
    jest.advanceTimersByTime(120 * 60_000);
    await flush();
    expect(protection.calls).toEqual([true, true, true, false]);
  });

  it('rejects busy() when protection cannot be set, so the worker gives the message back', async () => {
    const protection = new RecordingProtection();
    protection.fail = true;
    const guard = new ScaleInGuard({ protection });
    await expect(guard.busy()).rejects.toThrow('AccessDenied');
    expect(guard.protected).toBe(false);
    protection.fail = false;
    await guard.busy(); // the failed attempt left no stale job count behind
    guard.done();
    await flush();
    expect(protection.calls).toEqual([true, false]);
  });

  it('stop() releases at once, reports a failed release, and refuses more work', async () => {
    const protection = new RecordingProtection();
    const errors: string[] = [];
    const guard = new ScaleInGuard({ protection, releaseAfterIdleSeconds: 600, onError: (e) => errors.push(e.message) });
    await guard.busy();
    await guard.stop();
    expect(protection.calls).toEqual([true, false]);
    await expect(guard.busy()).rejects.toThrow(/stopped/);
    const failing = new RecordingProtection();
    const other = new ScaleInGuard({ protection: failing, onError: (e) => errors.push(e.message) });
    await other.busy();
    failing.fail = true;
    await expect(other.stop()).resolves.toBeUndefined();
    expect(errors).toEqual(['AccessDenied']);
  });

  it('rejects a negative idle time', () => {
    expect(() => new ScaleInGuard({ protection: new RecordingProtection(), releaseAfterIdleSeconds: -1 })).toThrow(/releaseAfterIdleSeconds must be a number ≥ 0/);
  });
});

describe('checkTaskProtectionResponse (the ECS agent answers)', () => {
  it.each([
    ['protected', 200, '{"protection":{"ProtectionEnabled":true,"TaskArn":"t"}}', true, undefined],
    ['released', 200, '{"protection":{"ProtectionEnabled":false,"TaskArn":"t"}}', false, undefined],
    ['a failure', 200, '{"failure":{"Arn":"t","Reason":"TASK_NOT_VALID"}}', true, /failure: TASK_NOT_VALID/],
    ['an error', 400, '{"error":{"Code":"AccessDeniedException","Message":"not allowed"}}', true, /error AccessDeniedException: not allowed/],
    ['not JSON', 502, '<html>', true, /HTTP 502 without JSON/],
    ['the wrong state', 200, '{"protection":{"ProtectionEnabled":false}}', true, /did not confirm ProtectionEnabled=true/],
  ])('%s', (_name, status, body, wanted, error) => {
    if (error) expect(() => checkTaskProtectionResponse(status, body, wanted)).toThrow(error);
    else expect(() => checkTaskProtectionResponse(status, body, wanted)).not.toThrow();
  });
});

describe('protection against local stand-ins (IMDS, Auto Scaling Query API, ECS agent)', () => {
  const imds = new FakeImds();
  const asg = new FakeAutoScaling();
  const agent = new FakeEcsAgent();
  let imdsUrl: string;
  let asgUrl: string;
  let agentUrl: string;
  const saved = { ...process.env };

  beforeAll(async () => {
    [imdsUrl, asgUrl, agentUrl] = await Promise.all([imds.start(), asg.start(), agent.start()]);
    // The SDK's own variables, as on an instance: no endpoint is passed in code.
    Object.assign(process.env, {
      AWS_ENDPOINT_URL_AUTO_SCALING: asgUrl,
      AWS_REGION: LOCAL_REGION,
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
      AWS_EC2_METADATA_SERVICE_ENDPOINT: imdsUrl,
      ECS_AGENT_URI: agentUrl,
    });
  });
  afterAll(async () => {
    process.env = saved;
    await Promise.all([imds.stop(), asg.stop(), agent.stop()]);
  });

  it('sets instance protection on this instance in its group, both read from IMDS', async () => {
    const protection = new AutoScalingInstanceProtection();
    await protection.setProtected(true);
    expect(asg.protection.get('workers/i-0123456789abcdef0')).toBe(true);
    await protection.setProtected(false);
    expect(asg.protection.get('workers/i-0123456789abcdef0')).toBe(false);
    expect(asg.calls.at(-1)).toMatchObject({ Action: 'SetInstanceProtection', AutoScalingGroupName: 'workers', 'InstanceIds.member.1': 'i-0123456789abcdef0' });
  });

  it('says what to change when the group name is nowhere to be found, and reports refusals', async () => {
    imds.tags = undefined;
    await expect(new AutoScalingInstanceProtection().setProtected(true)).rejects.toThrow(/instanceMetadataTags: true\) or set AUTO_SCALING_GROUP_NAME/);
    imds.tags = { 'aws:autoscaling:groupName': 'workers' };
    await new AutoScalingInstanceProtection({ autoScalingGroupName: 'named', instanceId: 'i-1' }).setProtected(true);
    expect(asg.protection.get('named/i-1')).toBe(true);
    asg.failWith = 'AccessDenied';
    await expect(new AutoScalingInstanceProtection().setProtected(true)).rejects.toThrow(/not allowed/);
    asg.failWith = undefined;
  });

  it('sets ECS task protection through the agent, with an expiry, and reports its failures', async () => {
    const protection = new EcsTaskProtection({ expiresInMinutes: 30 });
    expect(protection.renewEveryMs).toBe(15 * 60_000);
    await protection.setProtected(true);
    expect(agent.protectedNow).toBe(true);
    expect(agent.requests.at(-1)).toEqual({ ProtectionEnabled: true, ExpiresInMinutes: 30 });
    await protection.setProtected(false);
    expect(agent.requests.at(-1)).toEqual({ ProtectionEnabled: false });
    agent.failWith = 'TASK_NOT_VALID';
    await expect(protection.setProtected(true)).rejects.toThrow(/TASK_NOT_VALID/);
    agent.failWith = undefined;
    expect(() => new EcsTaskProtection({ agentUri: '', expiresInMinutes: 5 })).toThrow(/ECS_AGENT_URI is not set/);
    expect(() => new EcsTaskProtection({ expiresInMinutes: 3000 })).toThrow(/from 1 to 2880/);
  });
});

describe('startQueueWorker on every target, against fauxqs and the stand-ins', () => {
  const local = useLocalAws(['sqs']);
  const imds = new FakeImds();
  const asg = new FakeAutoScaling();
  const agent = new FakeEcsAgent();
  let imdsUrl: string;
  let sqs: SQSClient;
  let autoscaling: AutoScalingClient;

  beforeAll(async () => {
    let asgUrl: string;
    let agentUrl: string;
    [imdsUrl, asgUrl, agentUrl] = await Promise.all([imds.start(), asg.start(), agent.start()]);
    process.env.ECS_AGENT_URI = agentUrl;
    sqs = new SQSClient(local().clientConfig('sqs'));
    autoscaling = new AutoScalingClient({ endpoint: asgUrl, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  });
  afterAll(async () => {
    delete process.env.ECS_AGENT_URI;
    sqs?.destroy();
    autoscaling?.destroy();
    await Promise.all([imds.stop(), asg.stop(), agent.stop()]);
  });

  let queueCount = 0;
  const newQueue = async () =>
    (await sqs.send(new CreateQueueCommand({ QueueName: `worker-${++queueCount}`, Attributes: { VisibilityTimeout: '600' } }))).QueueUrl!;
  const depth = async (queueUrl: string) => {
    const out = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
    );
    return { visible: Number(out.Attributes!.ApproximateNumberOfMessages), inFlight: Number(out.Attributes!.ApproximateNumberOfMessagesNotVisible) };
  };
  const common = (queueUrl: string) => ({ sqs, queueUrl, imds: { endpoint: imdsUrl }, interruptionIntervalMs: 50, waitTimeSeconds: 1 });

  const targets = [
    ['an Auto Scaling group', () => new AutoScalingInstanceProtection({ autoscaling, imds: { endpoint: imdsUrl } }), () => asg.history()],
    ['an ECS service', () => new EcsTaskProtection(), () => agent.history()],
  ] as const;

  it.each(targets)('on %s: protected while the job runs, released when idle, the message deleted', async (_name, protection, history) => {
    const queueUrl = await newQueue();
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'render 1' }));
    const before = history().length;
    const seenWhileWorking: boolean[] = [];
    const guard = new ScaleInGuard({ protection: protection() });
    let jobDone!: () => void;
    const finished = new Promise<void>((resolve) => (jobDone = resolve));
    const worker = startQueueWorker({
      ...common(queueUrl),
      guard,
      handle: async () => {
        seenWhileWorking.push(guard.protected);
      },
      log: (event) => event === 'job done' && jobDone(),
    });
    await finished;
    await worker.stop();
    const result = await worker.done;
    expect(result).toMatchObject({ processed: 1, failed: 0, stoppedBecause: 'stopped' });
    expect(seenWhileWorking).toEqual([true]);
    // Protected before the job, released after it (and not protected again on stop).
    expect(history().slice(before)).toEqual([true, false]);
    expect(await depth(queueUrl)).toEqual({ visible: 0, inFlight: 0 });
  });

  it.each(targets)(
    'on %s: a Spot notice while protected stops the worker, releases the protection and returns the message at once',
    async (_name, protection, history) => {
      const queueUrl = await newQueue();
      await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'long render' }));
      const before = history().length;
      let started!: () => void;
      const jobStarted = new Promise<void>((resolve) => (started = resolve));
      const events: string[] = [];
      const worker = startQueueWorker({
        ...common(queueUrl),
        guard: new ScaleInGuard({ protection: protection() }),
        // A long job that only ends when the worker aborts it.
        handle: (_message, signal) =>
          new Promise((_resolve, reject) => {
            started();
            signal.addEventListener('abort', () => reject(new Error('aborted')));
          }),
        log: (event) => events.push(event),
      });
      await jobStarted;
      expect(history().slice(before)).toEqual([true]);
      expect(await depth(queueUrl)).toEqual({ visible: 0, inFlight: 1 });

      imds.notice = { action: 'terminate', time: '2026-12-01T15:00:00Z' };
      try {
        const result = await worker.done;
        expect(result).toEqual({ stoppedBecause: 'interrupted', processed: 0, failed: 0, returned: 1 });
      } finally {
        imds.notice = undefined;
      }
      expect(history().slice(before)).toEqual([true, false]);
      // Back in the queue now, not after the 600 s visibility timeout, and not deleted by the abandoned job.
      expect(await depth(queueUrl)).toEqual({ visible: 1, inFlight: 0 });
      const again = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 1 }));
      expect(again.Messages?.[0]?.Body).toBe('long render');
      expect(events).toEqual(expect.arrayContaining(['spot interruption notice', 'messages returned', 'job abandoned (message returned)']));
      expect(events).not.toContain('job done');
    },
  );

  it('does not delete a returned message when a job that ignores the abort finishes after the notice', async () => {
    const queueUrl = await newQueue();
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'stubborn' }));
    let started!: () => void;
    const jobStarted = new Promise<void>((resolve) => (started = resolve));
    let jobEnded = false;
    const worker = startQueueWorker({
      ...common(queueUrl),
      // Finishes 300 ms after the abort, as if it had not noticed.
      handle: (_message, signal) =>
        new Promise<void>((resolve) => {
          started();
          signal.addEventListener('abort', () => setTimeout(() => ((jobEnded = true), resolve()), 300));
        }),
    });
    await jobStarted;
    imds.notice = { action: 'terminate', time: '2026-12-01T15:00:00Z' };
    try {
      expect(await worker.done).toMatchObject({ stoppedBecause: 'interrupted', processed: 0, returned: 1 });
    } finally {
      imds.notice = undefined;
    }
    // The barrier: the loop awaits the job, so once it is done the job's late end and what followed it are past.
    expect(jobEnded).toBe(true);
    expect((await local().requestCounts('sqs', queueUrl)).DeleteMessage ?? 0).toBe(0);
    // Another worker owns it now: still in the queue.
    expect(await depth(queueUrl)).toEqual({ visible: 1, inFlight: 0 });
  });

  it('gives the message back and stops, without working on it, when protection cannot be set', async () => {
    const queueUrl = await newQueue();
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'unsafe' }));
    agent.failWith = 'TASK_NOT_VALID';
    const handle = jest.fn();
    try {
      const worker = startQueueWorker({ ...common(queueUrl), guard: new ScaleInGuard({ protection: new EcsTaskProtection() }), handle });
      expect(await worker.done).toMatchObject({ stoppedBecause: 'protection-failed', processed: 0, returned: 1 });
    } finally {
      agent.failWith = undefined;
    }
    expect(handle).not.toHaveBeenCalled();
    expect(await depth(queueUrl)).toEqual({ visible: 1, inFlight: 0 });
  });

  it('on a Spot Fleet (workers-exit): leaves by itself once idle, after its work is done', async () => {
    const queueUrl = await newQueue();
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'job' }));
    const handled: string[] = [];
    const worker = startQueueWorker({ ...common(queueUrl), idleExitSeconds: 1.5, handle: async (m) => void handled.push(m.Body!) });
    expect(await worker.done).toEqual({ stoppedBecause: 'idle', processed: 1, failed: 0, returned: 0 });
    expect(handled).toEqual(['job']);
  });

  it('leaves a failed job for a retry (visibility timeout, then the DLQ) instead of deleting it', async () => {
    const queueUrl = await newQueue();
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'bad' }));
    const worker = startQueueWorker({ ...common(queueUrl), idleExitSeconds: 1.5, handle: async () => Promise.reject(new Error('render failed')) });
    expect(await worker.done).toMatchObject({ stoppedBecause: 'idle', processed: 0, failed: 1 });
    expect(await depth(queueUrl)).toEqual({ visible: 0, inFlight: 1 });
  });
});
