/**
 * The real worker process under stop, crash and slow-render conditions, on local AWS with real POV-Ray.
 * Each scenario has its own queue, bucket and table, so they run side by side. No job may be lost.
 *
 * Long renders are long by construction, not by CPU: the worker's POVRAY_COMMAND is a stand-in that runs
 * the real POV-Ray on a tiny scene but takes at least a given time, reporting progress meanwhile
 * (povray-stand-ins.ts). So the tests hold on a fast or a loaded machine, and cost little CPU.
 */
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { rmSync } from 'fs';
import { PNG } from 'pngjs';
import { WORKER_ENV } from '../../../contracts/lambda-ecs-worker/render-job';
import { useLocalAws } from '../../../local/local-aws';
import { describeWithTools } from '../../../local/tools';
import { sceneFiles, zipOf } from '../../../local/povray-scenes';
import { Scenario, WorkerTestbed } from '../../../local/povray-worker';
import { PovrayStandIns } from './povray-stand-ins';

const local = useLocalAws(['sqs', 's3', 'dynamodb']);
/** A second worker renders with the real POV-Ray, small, so completing a job takes a moment. */
const FAST = { [WORKER_ENV.renderWidth]: '16', [WORKER_ENV.renderHeight]: '9' };
const standIns = new PovrayStandIns();
/** Worker environment whose renders take at least `seconds` (real POV-Ray, paced). */
const renderTaking = (seconds: number) => standIns.paced(seconds);
/** Long enough never to end by itself within a test: the worker is stopped or killed first. */
const ENDLESS = 600;

describeWithTools(['povray'], 'povray worker: shutdown, crashes and long renders', () => {
  // Concurrent tests start right after the file's root beforeAll (local AWS), before any nested hook: the
  // testbed is therefore created on first use.
  let testbed: WorkerTestbed | undefined;
  const scenarios: Scenario[] = [];
  const scenario = async (name: string, options?: { visibilityTimeoutSeconds?: number; maxReceiveCount?: number }) => {
    bed = testbed ??= new WorkerTestbed(local());
    const s = await bed.scenario(name, options);
    scenarios.push(s);
    return s;
  };
  let bed: WorkerTestbed;

  afterAll(async () => {
    await bed?.close();
    for (const s of scenarios) rmSync(s.workDir, { recursive: true, force: true });
    standIns.remove();
  });

  it.concurrent('on SIGTERM mid-render releases the message at once, exits 0, and another worker completes the job', async () => {
    const s = await scenario('sigterm', { visibilityTimeoutSeconds: 60 });
    const jobId = await bed.submit(s, 'slow.zip', await zipOf(sceneFiles('slow')));
    const first = bed.startWorker(s, renderTaking(ENDLESS));
    await first.waitForLog((l) => l.message === 'render started');
    await bed.waitForRecord(s, jobId, (r) => r.status === 'RUNNING');
    const stoppedAt = Date.now();
    first.process.kill('SIGTERM');
    expect((await first.exited).code).toBe(0);
    // Visible again at once: far sooner than the 60 s visibility timeout.
    expect(await bed.queueCounts(s.queueUrl)).toEqual({ visible: 1, inFlight: 0 });
    expect(Date.now() - stoppedAt).toBeLessThan(5_000);
    const released = await bed.record(s, jobId);
    expect(released).toMatchObject({ status: 'QUEUED', attempts: 1 });
    expect(released?.lastError).toMatch(/released: worker .* was stopped/);
    expect(first.logs.some((l) => l.message === 'job released on shutdown')).toBe(true);

    const second = bed.startWorker(s, FAST);
    const done = await bed.waitForRecord(s, jobId, (r) => r.status !== 'QUEUED' && r.status !== 'RUNNING');
    expect(done).toMatchObject({ status: 'SUCCEEDED', attempts: 2, outputKey: 'renders/slow.png' });
    expect((await second.exited).code).toBe(0);
    expect(await bed.queueCounts(s.queueUrl)).toEqual({ visible: 0, inFlight: 0 });
  });

  it.concurrent('after SIGKILL, the job is redelivered after the visibility timeout and completed by another worker', async () => {
    const s = await scenario('sigkill', { visibilityTimeoutSeconds: 3 });
    const jobId = await bed.submit(s, 'slow.zip', await zipOf(sceneFiles('slow')));
    const doomed = bed.startWorker(s, { ...renderTaking(ENDLESS), [WORKER_ENV.workerId]: 'doomed' });
    await doomed.waitForLog((l) => l.message === 'render started');
    const killedAt = Date.now();
    doomed.process.kill('SIGKILL');
    expect((await doomed.exited).signal).toBe('SIGKILL');
    expect(await bed.record(s, jobId)).toMatchObject({ status: 'RUNNING', workerId: 'doomed', attempts: 1 });

    const rescuer = bed.startWorker(s, { ...FAST, [WORKER_ENV.workerId]: 'rescuer', [WORKER_ENV.idleExitSeconds]: '8' });
    const started = await rescuer.waitForLog((l) => l.message === 'job started', 15_000);
    // Not before the message's visibility timeout (3 s after the last heartbeat) ran out.
    expect(Date.parse(started.time) - killedAt).toBeGreaterThanOrEqual(1_500);
    const done = await bed.waitForRecord(s, jobId, (r) => r.status === 'SUCCEEDED');
    expect(done).toMatchObject({ workerId: 'rescuer', attempts: 2, outputKey: 'renders/slow.png' });
    const png = PNG.sync.read((await bed.object(s, 'renders/slow.png')).body);
    expect([png.width, png.height]).toEqual([16, 9]);
    expect((await rescuer.exited).code).toBe(0);
    expect(await bed.queueCounts(s.queueUrl)).toEqual({ visible: 0, inFlight: 0 });
    expect(await bed.queueCounts(s.dlqUrl)).toEqual({ visible: 0, inFlight: 0 });
  });

  it.concurrent('a render longer than the visibility timeout completes exactly once (heartbeat), reporting progress', async () => {
    const s = await scenario('heartbeat', { visibilityTimeoutSeconds: 3 });
    const jobId = await bed.submit(s, 'slow.zip', await zipOf(sceneFiles('slow')));
    // Two workers poll the same queue: without the heartbeat the second would get the message after 3 s.
    // The render takes at least 6 s: two visibility timeouts.
    const idle = { ...renderTaking(2 * s.visibilityTimeoutSeconds), [WORKER_ENV.idleExitSeconds]: '10' };
    const workers = [bed.startWorker(s, idle), bed.startWorker(s, idle)];
    // Watch the job record while it renders: progress must move between 0 and 100.
    const seen = new Set<number>();
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        const r = await bed.record(s, jobId);
        if (r?.status === 'RUNNING') seen.add(r.progress);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    const exits = await Promise.all(workers.map((w) => w.exited));
    watching = false;
    await watcher;
    expect([...seen].filter((p) => p > 0 && p < 100).length).toBeGreaterThanOrEqual(2);
    expect(exits.map((e) => e.code)).toEqual([0, 0]);
    const starts = workers.flatMap((w) => w.logs.filter((l) => l.message === 'job started'));
    expect(starts).toHaveLength(1);
    expect(workers.flatMap((w) => w.logs.filter((l) => l.message === 'job succeeded'))).toHaveLength(1);
    expect(workers.flatMap((w) => w.logs.filter((l) => /heartbeat failed|message lost/.test(l.message)))).toEqual([]);
    const done = await bed.record(s, jobId);
    expect(done).toMatchObject({ status: 'SUCCEEDED', attempts: 1 });
    const renderMs = Date.parse(done!.finishedAt!) - Date.parse(done!.startedAt!);
    expect(renderMs).toBeGreaterThan(s.visibilityTimeoutSeconds * 1000);
    expect(await bed.queueCounts(s.queueUrl)).toEqual({ visible: 0, inFlight: 0 });
    expect(await bed.queueCounts(s.dlqUrl)).toEqual({ visible: 0, inFlight: 0 });
  });

  it.concurrent('a transient failure is retried, and on the last delivery marks the job FAILED and leaves the message to the DLQ', async () => {
    const s = await scenario('transient', { visibilityTimeoutSeconds: 5, maxReceiveCount: 2 });
    const jobId = await bed.submit(s, 'flaky.zip', await zipOf(sceneFiles('flaky')));
    // S3 unreachable: every download fails with a connection error.
    const worker = bed.startWorker(s, { AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:9', [WORKER_ENV.idleExitSeconds]: '8', AWS_MAX_ATTEMPTS: '1' });
    const queued = await bed.waitForRecord(s, jobId, (r) => r.status === 'QUEUED' && r.attempts === 1);
    expect(queued.lastError).toMatch(/attempt 1 failed: .*ECONNREFUSED|attempt 1 failed/);
    const failed = await bed.waitForRecord(s, jobId, (r) => r.status === 'FAILED', 20_000);
    expect(failed.attempts).toBe(2);
    expect(failed.errorReason).toMatch(/^gave up after 2 attempts: /);
    expect((await worker.exited).code).toBe(0);
    expect(await bed.queueCounts(s.dlqUrl)).toEqual({ visible: 1, inFlight: 0 });
    expect(await bed.queueCounts(s.queueUrl)).toEqual({ visible: 0, inFlight: 0 });
  });

  it.concurrent('a renderer that crashes (SIGSEGV) is retried, then the job is FAILED with the reason and the message goes to the DLQ', async () => {
    const s = await scenario('crash', { visibilityTimeoutSeconds: 30, maxReceiveCount: 2 });
    const jobId = await bed.submit(s, 'crash.zip', await zipOf(sceneFiles('crash')));
    // Idle long enough to outwait the retry back-off (5 s after the first failure).
    const worker = bed.startWorker(s, { ...standIns.crashing(), [WORKER_ENV.idleExitSeconds]: '8' });
    const requeued = await bed.waitForRecord(s, jobId, (r) => r.attempts === 1 && r.status === 'QUEUED');
    expect(requeued.lastError).toBe('attempt 1 failed: POV-Ray was killed by SIGSEGV');
    const failed = await bed.waitForRecord(s, jobId, (r) => r.status === 'FAILED', 20_000);
    expect(failed).toMatchObject({ attempts: 2, errorReason: 'gave up after 2 attempts: POV-Ray was killed by SIGSEGV', logKey: 'renders/crash.log' });
    expect((await worker.exited).code).toBe(0);
    // A crash is not the scene's fault: each delivery rendered, and only the last one gave up.
    expect(worker.logs.filter((l) => l.message === 'render started')).toHaveLength(2);
    expect(worker.logs.filter((l) => l.message === 'job failed').map((l) => [l.kind, l.status])).toEqual([
      ['transient', 'QUEUED'],
      ['transient', 'FAILED'],
    ]);
    const log = (await bed.object(s, 'renders/crash.log')).body.toString();
    expect(log).toContain('stand-in about to crash');
    expect(log).toContain('POV-Ray exited with SIGSEGV');
    await expect(bed.object(s, 'renders/crash.png')).rejects.toThrow(/NoSuchKey|does not exist/);
    expect(await bed.queueCounts(s.dlqUrl)).toEqual({ visible: 1, inFlight: 0 });
    expect(await bed.queueCounts(s.queueUrl)).toEqual({ visible: 0, inFlight: 0 });
  });

  it.concurrent('drops a duplicate delivery of a job that already SUCCEEDED without rendering again', async () => {
    const s = await scenario('duplicate');
    const jobId = await bed.submit(s, 'dup.zip', await zipOf(sceneFiles('dup')));
    const first = bed.startWorker(s, FAST);
    expect((await first.exited).code).toBe(0);
    const done = await bed.record(s, jobId);
    expect(done?.status).toBe('SUCCEEDED');
    // S3 delivers the same event twice: the launcher's deterministic job id makes it the same job.
    const message = { version: 1, jobId, bucket: s.bucket, key: 'scenes/dup.zip', submittedAt: new Date().toISOString() };
    await bed.sqs.send(new SendMessageCommand({ QueueUrl: s.queueUrl, MessageBody: JSON.stringify(message) }));
    const second = bed.startWorker(s, FAST);
    expect((await second.exited).code).toBe(0);
    expect(second.logs.some((l) => l.message === 'job already succeeded, dropping duplicate delivery')).toBe(true);
    expect(second.logs.some((l) => l.message === 'render started')).toBe(false);
    expect(await bed.record(s, jobId)).toEqual(done);
    expect(await bed.queueCounts(s.queueUrl)).toEqual({ visible: 0, inFlight: 0 });
  });

  it.concurrent('with SHUTDOWN_GRACE_SECONDS, finishes the current render after SIGTERM, then exits 0', async () => {
    const s = await scenario('grace');
    const jobId = await bed.submit(s, 'graceful.zip', await zipOf(sceneFiles('graceful')));
    const worker = bed.startWorker(s, { ...renderTaking(2), [WORKER_ENV.shutdownGraceSeconds]: '50', [WORKER_ENV.idleExitSeconds]: '30' });
    await worker.waitForLog((l) => l.message === 'render started');
    worker.process.kill('SIGTERM');
    expect((await worker.exited).code).toBe(0);
    const done = await bed.record(s, jobId);
    expect(done).toMatchObject({ status: 'SUCCEEDED', attempts: 1, outputKey: 'renders/graceful.png' });
    // It ran to its end after the signal, rather than being released.
    expect(Date.parse(done!.finishedAt!) - Date.parse(done!.startedAt!)).toBeGreaterThanOrEqual(2_000);
    expect(worker.logs.filter((l) => l.message === 'job started')).toHaveLength(1);
    expect(await bed.queueCounts(s.queueUrl)).toEqual({ visible: 0, inFlight: 0 });
  });

  it.concurrent('on SIGTERM while idle, stops polling and exits 0 at once', async () => {
    const s = await scenario('idle-sigterm');
    const worker = bed.startWorker(s, { [WORKER_ENV.idleExitSeconds]: '60', [WORKER_ENV.pollWaitSeconds]: '20' });
    // Stop it while its 20 s long poll is open, not before.
    await bed.waitFor(async () => ((await local().requestCounts('sqs', s.queueUrl)).ReceiveMessage ?? 0) >= 1, 'the worker polling its queue');
    const stoppedAt = Date.now();
    worker.process.kill('SIGTERM');
    expect((await worker.exited).code).toBe(0);
    expect(Date.now() - stoppedAt).toBeLessThan(3_000);
  });

  it.concurrent('exits by itself, with code 0, after the idle period on an empty queue', async () => {
    const s = await scenario('idle');
    const started = Date.now();
    const worker = bed.startWorker(s, { [WORKER_ENV.idleExitSeconds]: '2' });
    expect((await worker.exited).code).toBe(0);
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(2_000);
    expect(elapsed).toBeLessThan(8_000);
    expect(worker.logs.some((l) => l.message === 'idle, exiting')).toBe(true);
  });
});
