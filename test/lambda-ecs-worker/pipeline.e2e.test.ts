import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import * as fs from 'fs';
import { PNG } from 'pngjs';
import * as yazl from 'yazl';
import { seedSceneZipPath } from '../../local/seed-scene';
import { describeWithTools } from '../../local/tools';
import { LocalPipeline, startLocalPipeline } from './local-pipeline';

const WIDTH = 128;
const HEIGHT = 72;

function zipOf(files: Record<string, string>): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const [name, content] of Object.entries(files)) zip.addBuffer(Buffer.from(content), name);
  zip.end();
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    zip.outputStream.on('data', (c: Buffer) => chunks.push(c));
    zip.outputStream.on('end', () => resolve(Buffer.concat(chunks)));
    zip.outputStream.on('error', reject);
  });
}

/** Polls `probe` until it returns `expected` (the worker deletes a message just after recording the job's end). */
async function eventually<T>(probe: () => Promise<T>, expected: T, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let value = await probe();
  while (JSON.stringify(value) !== JSON.stringify(expected) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    value = await probe();
  }
  expect(value).toEqual(expected);
}

describeWithTools(['povray'], 'LambdaEcsWorker pipeline on local AWS (s3rver → launcher → SQS → local ECS → worker → POV-Ray)', () => {
  let pipeline: LocalPipeline;
  const workerOutput: string[] = [];

  beforeAll(async () => {
    pipeline = await startLocalPipeline({
      renderWidth: WIDTH,
      renderHeight: HEIGHT,
      maxWorkers: 2,
      idleExitSeconds: 2,
      // Short, so a killed worker's job comes back quickly; the worker heartbeats well within it.
      visibilityTimeoutSeconds: 6,
      onWorkerOutput: (task, line) => workerOutput.push(`${task.taskArn.slice(-8)} ${line}`),
    });
  }, 30_000);

  afterAll(async () => {
    await pipeline?.stop();
  });

  let seedEvent: Awaited<ReturnType<LocalPipeline['upload']>>;

  it('renders the seed scene uploaded to scenes/ into renders/ at the requested size, job SUCCEEDED', async () => {
    seedEvent = await pipeline.upload('scenes/ECSLogo.zip', fs.readFileSync(seedSceneZipPath()));
    const job = await pipeline.waitForFinishedJob('scenes/ECSLogo.zip', 30_000);
    if (job.status !== 'SUCCEEDED') throw new Error(`job ${job.status}: ${job.errorReason}\n${workerOutput.join('\n')}`);
    expect(job).toMatchObject({ status: 'SUCCEEDED', outputKey: 'renders/ECSLogo.png', progress: 100, attempts: 1 });
    const png = PNG.sync.read(await pipeline.getObject('renders/ECSLogo.png'));
    expect([png.width, png.height]).toEqual([WIDTH, HEIGHT]);
    // The launcher, not the test, started the worker: one RunTask on FARGATE_SPOT, tagged with startedBy.
    const [task] = pipeline.ecs.tasks();
    expect(task).toMatchObject({ startedBy: 'render-local', capacityProviderName: 'FARGATE_SPOT' });
    expect(pipeline.launchErrors).toEqual([]);
    await eventually(() => pipeline.queueDepth(), [0, 0]);
  }, 40_000);

  it('creates one job for a duplicate delivery of the same S3 event', async () => {
    const [{ jobId }] = (await pipeline.jobs()).filter((j) => j.key === 'scenes/ECSLogo.zip');
    const again = await pipeline.invokeLauncher(seedEvent);
    expect(again.submitted).toEqual([]);
    expect(again.duplicates).toEqual([jobId]);
    expect((await pipeline.jobs()).filter((j) => j.key === 'scenes/ECSLogo.zip')).toHaveLength(1);
    expect(await pipeline.queueDepth()).toEqual([0, 0]);
    const job = (await pipeline.ddb.send(new GetCommand({ TableName: pipeline.tableName, Key: { jobId } }))).Item;
    expect(job?.status).toBe('SUCCEEDED');
  });

  it('fails a broken scene with its reason and render log, and its message is gone', async () => {
    const key = 'scenes/broken-ü.zip';
    const zip = await zipOf({
      'broken-ü.ini': 'Input_File_Name=broken.pov\n',
      'broken.pov': '#version 3.7;\ncamera { location <0,0,-5> look_at <0,0,0> }\nsphere { <0,0,0>, 1 pigment { color rgb <1,0,0> \n',
    });
    const event = await pipeline.upload(key, zip);
    expect(event.Records[0].s3.object.key).toBe('scenes/broken-%C3%BC.zip');
    const job = await pipeline.waitForFinishedJob(key, 30_000);
    expect(job.status).toBe('FAILED');
    expect(job.errorReason).toMatch(/Parse Error/);
    expect(job.logKey).toBe('renders/broken-ü.log');
    expect((await pipeline.getObject(job.logKey!)).toString()).toMatch(/Parse Error/);
    await eventually(() => pipeline.queueDepth(), [0, 0]);
    expect(await pipeline.queueDepth(pipeline.deadLetterQueueUrl)).toEqual([0, 0]);
    expect(pipeline.launchErrors).toEqual([]);
  }, 40_000);

  const spacedKey = 'scenes/my scene+1 ü.zip';

  it('queues a scene whose key needs form-style decoding (spaces, +, unicode) under its decoded key', async () => {
    const zip = await zipOf({
      'my scene+1 ü.ini': 'Input_File_Name=tiny.pov\n',
      'tiny.pov': '#version 3.7;\ncamera { location <0,0,-3> look_at <0,0,0> }\nlight_source { <2,4,-3> color rgb 1 }\nsphere { 0, 1 pigment { color rgb <1,0.5,0> } }\n',
    });
    const event = await pipeline.upload(spacedKey, zip);
    expect(event.Records[0].s3.object.key).toBe('scenes/my+scene%2B1+%C3%BC.zip');
    const job = await pipeline.waitForFinishedJob(spacedKey, 30_000);
    expect(job.key).toBe(spacedKey);
    expect(pipeline.launches.at(-1)?.submitted).toEqual([job.jobId]);
  }, 40_000);

  it('renders that scene to renders/my scene+1 ü.png', async () => {
    const job = (await pipeline.jobs()).find((j) => j.key === spacedKey);
    expect(job).toMatchObject({ status: 'SUCCEEDED', outputKey: 'renders/my scene+1 ü.png' });
    const png = PNG.sync.read(await pipeline.getObject(job!.outputKey!));
    expect([png.width, png.height]).toEqual([WIDTH, HEIGHT]);
  });

  it('reconciler: marks FAILED a job whose message is in the DLQ, never overwriting SUCCEEDED, and keeps the evidence', async () => {
    const [succeeded] = (await pipeline.jobs()).filter((j) => j.key === 'scenes/ECSLogo.zip');
    const now = new Date().toISOString();
    await pipeline.ddb.send(
      new PutCommand({
        TableName: pipeline.tableName,
        Item: { jobId: 'lost-job', status: 'RUNNING', bucket: pipeline.bucket, key: 'scenes/lost.zip', createdAt: now, updatedAt: now, attempts: 3, progress: 40 },
      }),
    );
    for (const jobId of ['lost-job', succeeded.jobId]) {
      await pipeline.sqs.send(
        new SendMessageCommand({ QueueUrl: pipeline.deadLetterQueueUrl, MessageBody: JSON.stringify({ version: 1, jobId, bucket: pipeline.bucket, key: 'scenes/x.zip', submittedAt: now }) }),
      );
    }
    const result = await pipeline.invokeLauncher({ source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} });
    expect(result.deadLettered).toEqual(['lost-job']);
    const lost = (await pipeline.ddb.send(new GetCommand({ TableName: pipeline.tableName, Key: { jobId: 'lost-job' } }))).Item!;
    expect(lost).toMatchObject({ status: 'FAILED', errorReason: expect.stringMatching(/dead-letter queue/) });
    const kept = (await pipeline.ddb.send(new GetCommand({ TableName: pipeline.tableName, Key: { jobId: succeeded.jobId } }))).Item!;
    expect(kept.status).toBe('SUCCEEDED');
    expect((await pipeline.queueDepth(pipeline.deadLetterQueueUrl))[0] + (await pipeline.queueDepth(pipeline.deadLetterQueueUrl))[1]).toBe(2);
    // Nothing waits on the job queue, so the reconciler started no worker.
    expect(result.workersStarted).toBe(0);
  });

  it('reconciler: restarts workers when a job waits and its worker died (SIGKILL, as a Spot interruption can)', async () => {
    const key = 'scenes/retry/ECSLogo.zip';
    // Start from zero workers, so the upload wakes exactly one and killing it leaves none.
    await pipeline.ecs.waitForNoRunningTasks(15_000);
    await pipeline.upload(key, fs.readFileSync(seedSceneZipPath()));
    // Wait until a worker is rendering it, then kill that worker's process outright.
    let running;
    for (let i = 0; i < 150 && !running; i++) {
      running = (await pipeline.jobs()).find((j) => j.key === key && j.status === 'RUNNING');
      if (!running) await new Promise((r) => setTimeout(r, 100));
    }
    expect(running).toMatchObject({ status: 'RUNNING', workerId: expect.stringMatching(/^local-task-/) });
    const task = pipeline.ecs.tasks().find((t) => t.workerId === running!.workerId)!;
    process.kill(task.pid, 'SIGKILL');
    await eventually(async () => task.lastStatus, 'STOPPED');
    // The job's message is still in flight with no worker left: the scheduled reconciler starts one.
    const schedule = { source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} };
    const reconcile = await pipeline.invokeLauncher(schedule);
    expect(reconcile).toMatchObject({ workersStarted: 1, runningWorkers: 1 });
    // The reconciler keeps running on its schedule (every minute on AWS, every second here): a worker that
    // went idle before the dead worker's message became visible again is replaced until the job is done.
    const timer = setInterval(() => void pipeline.invokeLauncher(schedule).catch(() => undefined), 1_000);
    let job;
    try {
      job = await pipeline.waitForFinishedJob(key, 30_000);
    } finally {
      clearInterval(timer);
    }
    expect(job).toMatchObject({ status: 'SUCCEEDED', outputKey: 'renders/retry/ECSLogo.png', attempts: 2 });
    expect(job.workerId).not.toBe(running!.workerId);
  }, 40_000);

  it('workers exit by themselves when the queue stays empty', async () => {
    await pipeline.ecs.waitForNoRunningTasks(15_000);
    const exits = pipeline.ecs.tasks().map((t) => t.signal ?? t.exitCode);
    expect(exits.filter((e) => e !== 0)).toEqual(['SIGKILL']); // only the worker the test killed
  }, 20_000);
});
