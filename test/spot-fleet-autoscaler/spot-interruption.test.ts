import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import {
  DEFAULT_INTERVAL_MS,
  parseInstanceAction,
  returnMessages,
  SpotInterruptionWatcher,
} from '../../lambda/spot-fleet-autoscaler/worker/spot-interruption';
import { useLocalAws } from '../../local/local-aws';
import { FakeImds } from './fake-imds';

const until = async (predicate: () => boolean | Promise<boolean>, timeoutMs = 5_000) => {
  const start = Date.now();
  while (!(await predicate())) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('parseInstanceAction', () => {
  it.each([
    [404, '', undefined],
    [200, '{"action":"terminate","time":"2026-11-22T03:00:00Z"}', { action: 'terminate', time: '2026-11-22T03:00:00Z' }],
  ])('HTTP %d', (status, body, expected) => expect(parseInstanceAction(status, body)).toEqual(expected));
  it('never mistakes an error for "no notice"', () => {
    expect(() => parseInstanceAction(500, '')).toThrow(/HTTP 500/);
    expect(() => parseInstanceAction(200, '<html>')).toThrow(/no JSON/);
    expect(() => parseInstanceAction(200, '{"action":1}')).toThrow(/lacks action\/time/);
  });
  it('polls every 5 s by default', () => expect(DEFAULT_INTERVAL_MS).toBe(5_000));
});

describe('SpotInterruptionWatcher against a fake IMDS and local SQS', () => {
  const local = useLocalAws(['sqs']);
  const imds = new FakeImds();
  let endpoint: string;
  let sqs: SQSClient;
  let queueUrl: string;

  beforeAll(async () => {
    endpoint = await imds.start();
    sqs = new SQSClient(local().clientConfig('sqs'));
    queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'spot-jobs', Attributes: { VisibilityTimeout: '600' } }))).QueueUrl!;
  });
  afterAll(async () => {
    sqs?.destroy();
    await imds.stop();
  });

  const depth = async () => {
    const out = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
    );
    return { visible: Number(out.Attributes!.ApproximateNumberOfMessages), inFlight: Number(out.Attributes!.ApproximateNumberOfMessagesNotVisible) };
  };

  it('returns the in-flight messages as soon as the notice appears, once, after telling the worker', async () => {
    await sqs.send(
      new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: [1, 2, 3].map((n) => ({ Id: `m${n}`, MessageBody: `job ${n}` })) }),
    );
    const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 3, WaitTimeSeconds: 1 }));
    const held = received.Messages!.map((m) => m.ReceiptHandle!);
    expect(held).toHaveLength(3);
    expect(await depth()).toEqual({ visible: 0, inFlight: 3 });

    const events: string[] = [];
    const watcher = new SpotInterruptionWatcher({
      sqs,
      queueUrl,
      endpoint,
      intervalMs: 50,
      inFlight: () => held,
      onNotice: (notice) => void events.push(`notice ${notice.action}`),
      onReturned: (result) => events.push(`returned ${result.returned}, failed ${result.failed.length}`),
      onError: (error) => events.push(`error ${error.message}`),
    });
    watcher.start();
    // No notice yet: polling goes on and nothing is returned.
    await until(() => imds.instanceActionReads >= 3);
    expect(events).toEqual([]);
    expect(await depth()).toEqual({ visible: 0, inFlight: 3 });

    imds.notice = { action: 'terminate', time: '2026-11-22T03:00:00Z' };
    await expect(watcher.interrupted).resolves.toEqual(imds.notice);
    expect(events).toEqual(['notice terminate', 'returned 3, failed 0']);
    expect(await depth()).toEqual({ visible: 3, inFlight: 0 });

    // It stops polling after the notice. Barrier: a control watcher on the same interval, against an IMDS of
    // its own, polls four more times meanwhile; the stopped one would have polled as often.
    const reads = imds.instanceActionReads;
    const controlImds = new FakeImds();
    const control = new SpotInterruptionWatcher({ sqs, queueUrl, endpoint: await controlImds.start(), intervalMs: 50, inFlight: () => [] });
    try {
      control.start();
      await until(() => controlImds.instanceActionReads >= 4);
    } finally {
      control.stop();
      await controlImds.stop();
    }
    expect(imds.instanceActionReads).toBe(reads);
    expect(imds.tokensIssued).toBe(1);
    const again = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
    expect(again.Messages!.map((m) => m.Body).sort()).toEqual(['job 1', 'job 2', 'job 3']);
    await returnMessages(sqs, queueUrl, again.Messages!.map((m) => m.ReceiptHandle!));
    imds.notice = undefined;
  });

  it('renews an expired IMDSv2 token and reports failures instead of hiding them', async () => {
    const errors: string[] = [];
    const watcher = new SpotInterruptionWatcher({ sqs, queueUrl, endpoint, inFlight: () => [], onError: (e) => errors.push(e.message) });
    const tokens = imds.tokensIssued;
    await expect(watcher.check()).resolves.toBeUndefined();
    imds.expireNextToken = true;
    await expect(watcher.check()).resolves.toBeUndefined();
    expect(imds.tokensIssued).toBe(tokens + 2);
    expect(errors).toEqual([]);

    const unreachable = new SpotInterruptionWatcher({ sqs, queueUrl, endpoint: 'http://127.0.0.1:9', inFlight: () => [], onError: (e) => errors.push(e.message) });
    await expect(unreachable.check()).resolves.toBeUndefined();
    expect(errors).toHaveLength(1);
  });

  it('returns what it can when a receipt handle is stale', async () => {
    await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: [{ Id: 'a', MessageBody: 'job a' }] }));
    const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 1, WaitTimeSeconds: 1 }));
    const result = await returnMessages(sqs, queueUrl, [received.Messages![0].ReceiptHandle!, 'not-a-receipt-handle']);
    expect(result.returned).toBe(1);
    expect(result.failed).toEqual([{ receiptHandle: 'not-a-receipt-handle', error: expect.any(String) }]);
  });
});
