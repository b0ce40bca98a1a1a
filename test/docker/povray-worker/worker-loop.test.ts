/**
 * The worker loop with mocked AWS clients: polling, idle exit, malformed messages, duplicate deliveries,
 * stop while idle. (Rendering itself is covered by the e2e tests with the real process.)
 */
import { S3Client } from '@aws-sdk/client-s3';
import { ChangeMessageVisibilityCommand, DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { parseWorkerConfig } from '../../../docker/povray-worker/src/config';
import { JobRecords, noJobRecords } from '../../../docker/povray-worker/src/job-record';
import { Logger } from '../../../docker/povray-worker/src/log';
import { indexLibrary } from '../../../docker/povray-worker/src/sdl-scan';
import { Worker } from '../../../docker/povray-worker/src/worker';

const sqsMock = mockClient(SQSClient);
const s3Mock = mockClient(S3Client);

function makeWorker(env: Record<string, string> = {}, records: JobRecords = noJobRecords) {
  const lines: Array<{ message: string; fields?: Record<string, unknown> }> = [];
  const record = (message: string, fields?: Record<string, unknown>) => lines.push({ message, fields });
  const logger: Logger = { info: record, warn: record, error: record };
  const config = parseWorkerConfig({ QUEUE_URL: 'https://sqs.example/q', POLL_WAIT_SECONDS: '0', ...env }, { workerId: 'w', tmpDir: '/nonexistent' });
  const worker = new Worker({ config, sqs: new SQSClient({}), s3: new S3Client({}), records, logger, library: () => indexLibrary(new Map()) });
  return { worker, lines };
}

beforeEach(() => {
  sqsMock.reset();
  s3Mock.reset();
});

describe('Worker loop', () => {
  it('with IDLE_EXIT_SECONDS=0 polls once, then exits 0', async () => {
    sqsMock.on(ReceiveMessageCommand).resolves({ Messages: [] });
    const { worker, lines } = makeWorker({ IDLE_EXIT_SECONDS: '0', VISIBILITY_TIMEOUT_SECONDS: '45' });
    expect(await worker.run()).toBe(0);
    expect(sqsMock.commandCalls(ReceiveMessageCommand)).toHaveLength(1);
    expect(sqsMock.commandCalls(ReceiveMessageCommand)[0].args[0].input).toMatchObject({
      MaxNumberOfMessages: 1,
      // The heartbeat's visibility, not the queue's default.
      VisibilityTimeout: 45,
      MessageSystemAttributeNames: ['ApproximateReceiveCount'],
    });
    expect(lines.map((l) => l.message)).toContain('idle, exiting');
  });

  it('keeps going after a failed receive, and still exits when idle', async () => {
    sqsMock.on(ReceiveMessageCommand).rejectsOnce(new Error('socket hang up')).resolves({ Messages: [] });
    const { worker, lines } = makeWorker({ IDLE_EXIT_SECONDS: '0' });
    expect(await worker.run()).toBe(0);
    expect(lines.find((l) => l.message === 'receive failed')?.fields).toMatchObject({ errorMessage: 'socket hang up', consecutiveFailures: 1 });
  });

  it('deletes a malformed message and marks the job it names FAILED', async () => {
    sqsMock
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: [{ MessageId: 'm1', ReceiptHandle: 'r1', Body: JSON.stringify({ version: 1, jobId: 'j1', bucket: 'b', key: 'elsewhere/a.zip' }) }] })
      .resolves({ Messages: [] });
    sqsMock.on(DeleteMessageCommand).resolves({});
    const failed = jest.fn(async () => undefined);
    const { worker } = makeWorker({ IDLE_EXIT_SECONDS: '0' }, { ...noJobRecords, failed });
    expect(await worker.run()).toBe(0);
    expect(failed).toHaveBeenCalledWith('j1', 'the scene key "elsewhere/a.zip" is outside the input prefix "scenes/"', undefined, expect.any(Date));
    expect(sqsMock.commandCalls(DeleteMessageCommand)[0].args[0].input).toEqual({ QueueUrl: 'https://sqs.example/q', ReceiptHandle: 'r1' });
    expect(s3Mock.calls()).toHaveLength(0);
  });

  it('drops a duplicate delivery of a SUCCEEDED job without touching S3', async () => {
    const body = JSON.stringify({ version: 1, jobId: 'j2', bucket: 'b', key: 'scenes/a.zip', submittedAt: 'now' });
    sqsMock
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: [{ ReceiptHandle: 'r2', Body: body, Attributes: { ApproximateReceiveCount: '2' } }] })
      .resolves({ Messages: [] });
    sqsMock.on(DeleteMessageCommand).resolves({});
    const start = jest.fn(async () => false);
    const { worker } = makeWorker({ IDLE_EXIT_SECONDS: '0' }, { ...noJobRecords, start });
    expect(await worker.run()).toBe(0);
    expect(start).toHaveBeenCalledWith(expect.objectContaining({ jobId: 'j2' }), 2, 'w', expect.any(Date), 'none'); // the confinement this worker has (none: its render would be refused)
    expect(sqsMock.commandCalls(DeleteMessageCommand)).toHaveLength(1);
    expect(sqsMock.commandCalls(ChangeMessageVisibilityCommand)).toHaveLength(0);
    expect(s3Mock.calls()).toHaveLength(0);
  });

  it('leaves the message for a retry (with back-off) when the job record cannot be written', async () => {
    const body = JSON.stringify({ version: 1, jobId: 'j3', bucket: 'b', key: 'scenes/a.zip', submittedAt: 'now' });
    sqsMock
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: [{ ReceiptHandle: 'r3', Body: body, Attributes: { ApproximateReceiveCount: '1' } }] })
      .resolves({ Messages: [] });
    sqsMock.on(ChangeMessageVisibilityCommand).resolves({});
    s3Mock.onAnyCommand().resolves({});
    const requeued = jest.fn(async () => undefined);
    const start = jest.fn(async () => {
      throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    });
    const { worker } = makeWorker({ IDLE_EXIT_SECONDS: '0' }, { ...noJobRecords, start, requeued });
    expect(await worker.run()).toBe(0);
    expect(requeued).toHaveBeenCalledWith('j3', 'attempt 1 failed: ThrottlingException: Rate exceeded', expect.any(Date));
    expect(sqsMock.commandCalls(DeleteMessageCommand)).toHaveLength(0);
    expect(sqsMock.commandCalls(ChangeMessageVisibilityCommand)[0].args[0].input).toMatchObject({ ReceiptHandle: 'r3', VisibilityTimeout: 5 });
  });

  it('stops polling at once on stop() while idle: the long poll is aborted, not waited out', async () => {
    // A long poll that never ends by itself: it settles only when the worker aborts it, as the SDK's
    // request does. (The per-command helpers of aws-sdk-client-mock drop the send options, so the
    // client's send stub itself receives the abort signal.)
    let polling!: () => void;
    const pollStarted = new Promise<void>((resolve) => (polling = resolve));
    sqsMock.send.callsFake((command: unknown, options?: { abortSignal?: AbortSignal }) => {
      if (!(command instanceof ReceiveMessageCommand)) throw new Error(`unexpected ${(command as object).constructor.name}`);
      polling();
      return new Promise((_resolve, reject) => {
        options?.abortSignal?.addEventListener('abort', () => reject(Object.assign(new Error('Request aborted'), { name: 'AbortError' })));
      });
    });
    const { worker, lines } = makeWorker({ IDLE_EXIT_SECONDS: '600', POLL_WAIT_SECONDS: '20' });
    const running = worker.run();
    await pollStarted;
    worker.stop('SIGTERM');
    // Bounded only so a regression fails here rather than at the test timeout: nothing else ends the poll.
    let bound: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      running.then((code) => ({ code })),
      new Promise<{ code: 'still polling' }>((resolve) => (bound = setTimeout(() => resolve({ code: 'still polling' }), 5_000))),
    ]);
    clearTimeout(bound);
    expect(outcome).toEqual({ code: 0 });
    expect(sqsMock.send.callCount).toBe(1);
    expect(lines.map((l) => l.message)).toEqual(['worker started', 'stopping', 'worker stopped']);
  });
});
