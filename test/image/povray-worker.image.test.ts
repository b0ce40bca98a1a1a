/**
 * The shipped worker image, built by the global set-up from docker/povray-worker/Dockerfile, run the way
 * the synthesized task definition runs it (user, read-only root, /tmp volume, no capabilities, task CPU
 * and memory, WORKER_ENV environment) against local AWS, with real POV-Ray inside the container.
 */
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { createHash } from 'crypto';
import { readFileSync, rmSync } from 'fs';
import { PNG } from 'pngjs';
import { WORKER_ENV } from '../../contracts/lambda-ecs-worker/render-job';
import { sceneFiles, seedSceneZip, slowSceneFiles, zipOf } from '../../local/povray-scenes';
import { Scenario, WorkerTestbed } from '../../local/povray-worker';
import { useLocalAws } from '../../local/local-aws';
import { loadWorkerImageState, WorkerContainers } from '../../local/image/worker-container';
import { inspectImage, SHIPPED_DOCKERFILE } from '../../local/image/worker-image';

const local = useLocalAws(['sqs', 's3', 'dynamodb']);
const state = loadWorkerImageState();
const { settings } = state;
/** The task definition's idle timeout is a minute; the tests shorten it (the one value they change). */
const SHORT_IDLE = { [WORKER_ENV.idleExitSeconds]: '3' };
/** Optional worker settings (WORKER_ENV names the task definition leaves to defaults): short polls. */
const QUICK_POLLS = { [WORKER_ENV.pollWaitSeconds]: '1' };

describe('the povray-worker image, run as the task definition runs it', () => {
  let bed: WorkerTestbed;
  let containers: WorkerContainers;
  const scenarios: Scenario[] = [];
  const scenario = async (name: string) => {
    // The queue as the construct makes it: the task definition's visibility timeout and receive count.
    const s = await bed.scenario(name, {
      visibilityTimeoutSeconds: Number(settings.environment[WORKER_ENV.visibilityTimeoutSeconds]),
      maxReceiveCount: Number(settings.environment[WORKER_ENV.maxReceiveCount]),
    });
    scenarios.push(s);
    return s;
  };

  beforeAll(() => {
    bed = new WorkerTestbed(local());
    containers = new WorkerContainers(state, local);
  });
  afterAll(async () => {
    await containers?.removeAll();
    await bed?.close();
    for (const s of scenarios) rmSync(s.workDir, { recursive: true, force: true });
  });

  it('is built from the shipped Dockerfile, byte for byte', () => {
    const shipped = createHash('sha256').update(readFileSync(SHIPPED_DOCKERFILE)).digest('hex');
    expect(state.builtDockerfileSha256).toBe(shipped);
    expect(state.shippedDockerfileSha256).toBe(shipped);
  });

  it('is run with the hardened settings of the task definition', () => {
    expect(settings).toMatchObject({
      user: '1000:1000',
      readonlyRootFilesystem: true,
      volumePaths: ['/tmp'],
      dropCapabilities: ['ALL'],
      addCapabilities: [],
      cpuUnits: 1024,
      memoryMiB: 2048,
    });
    // Every variable the construct sets is part of the worker's contract.
    const contract = new Set<string>(Object.values(WORKER_ENV));
    expect(Object.keys(settings.environment).filter((name) => !contract.has(name))).toEqual([]);
    // Fargate fills a task volume from the image only for a path the image declares as VOLUME; without
    // it the root-owned mount would leave the non-root worker nowhere to write.
    const image = inspectImage(state.image);
    expect(image.volumes).toEqual(expect.arrayContaining(settings.volumePaths));
    expect(image.entrypoint[0]).toBe('/usr/bin/tini');
  });

  it('gives the worker its user, a read-only root, a writable /tmp, no capabilities and no new privileges', async () => {
    const s = await scenario('image-sandbox');
    const out = containers.exec(containers.environment(s, SHORT_IDLE), [
      'sh',
      '-c',
      // The home directory belongs to node: only the read-only root filesystem keeps it from writing there.
      'id -u; id -g; (touch /home/node/probe 2>/dev/null && echo root-writable) || echo root-read-only; ' +
        'touch /tmp/probe && echo tmp-writable; grep -E "^(CapEff|CapBnd|NoNewPrivs):" /proc/self/status; node --version; povray --version 2>&1 | grep -o "POV-Ray 3\\.7[^ ]*"',
    ]);
    expect(out.split('\n')).toEqual(
      expect.arrayContaining(['1000', '1000', 'root-read-only', 'tmp-writable', 'CapEff:\t0000000000000000', 'CapBnd:\t0000000000000000', 'NoNewPrivs:\t1']),
    );
    expect(out).toMatch(/^v24\./m);
    expect(out).toMatch(/POV-Ray 3\.7/);
  });

  it('renders the seed scene: PNG and log in S3, job SUCCEEDED, then exits by itself when idle', async () => {
    const s = await scenario('image-seed');
    const jobId = await bed.submit(s, 'ECSLogo.zip', seedSceneZip());
    const worker = containers.start(
      containers.environment(s, SHORT_IDLE, { ...QUICK_POLLS, [WORKER_ENV.renderWidth]: '64', [WORKER_ENV.renderHeight]: '36' }),
    );
    const exit = await worker.exited;
    expect({ exit, logs: worker.logs.filter((l) => l.level === 'ERROR') }).toEqual({ exit: { code: 0, signal: null }, logs: [] });
    expect(worker.logs.map((l) => l.message)).toEqual(expect.arrayContaining(['job started', 'render started', 'job succeeded', 'idle, exiting']));

    const record = await bed.record(s, jobId);
    expect(record).toMatchObject({ status: 'SUCCEEDED', progress: 100, attempts: 1, outputKey: 'renders/ECSLogo.png' });
    const png = await bed.object(s, record!.outputKey!);
    expect(png.contentType).toBe('image/png');
    const image = PNG.sync.read(png.body);
    expect([image.width, image.height]).toEqual([64, 36]);
    // Not a blank frame: the logo and its radiosity put many colours in it.
    expect(new Set(Array.from({ length: image.width * image.height }, (_, i) => image.data.readUInt32BE(i * 4))).size).toBeGreaterThan(20);
    const log = (await bed.object(s, record!.logKey!)).body.toString('utf8');
    expect(log).toMatch(/POV-Ray/);
    expect(await bed.queueCounts(s.queueUrl)).toEqual({ visible: 0, inFlight: 0 });
    expect(await bed.queueCounts(s.dlqUrl)).toEqual({ visible: 0, inFlight: 0 });
  });

  it('on `podman stop` mid-render releases the message at once and exits 0 within the stop timeout', async () => {
    const s = await scenario('image-sigterm');
    const jobId = await bed.submit(s, 'slow.zip', await zipOf(slowSceneFiles('slow')));
    const worker = containers.start(containers.environment(s, SHORT_IDLE, QUICK_POLLS));
    await worker.waitForLog((l) => l.message === 'render started', 60_000);
    await bed.waitForRecord(s, jobId, (r) => r.status === 'RUNNING');
    // SIGTERM, then SIGKILL after 10 s: a clean exit code proves the worker finished before that.
    await worker.stop(10);
    expect(await worker.exited).toEqual({ code: 0, signal: null });
    expect(worker.logs.map((l) => l.message)).toEqual(expect.arrayContaining(['stopping', 'job released on shutdown', 'worker stopped']));
    // Visible again right away, although the queue's visibility timeout is minutes long.
    expect(Number(settings.environment[WORKER_ENV.visibilityTimeoutSeconds])).toBeGreaterThanOrEqual(60);
    expect(await bed.queueCounts(s.queueUrl)).toEqual({ visible: 1, inFlight: 0 });
    const released = await bed.record(s, jobId);
    expect(released).toMatchObject({ status: 'QUEUED', attempts: 1 });
    expect(released?.lastError).toMatch(/released/);
  });

  it('refuses hostile scenes inside the container: FAILED with a reason, no output, no file contents leaked', async () => {
    const s = await scenario('image-hostile');
    const jobs = {
      shellout: await bed.submit(s, 'shellout.zip', await zipOf(sceneFiles('shellout', { iniExtra: 'Pre_Scene_Command=sh -c "cat /etc/passwd > leak.txt"\n' }))),
      fopen: await bed.submit(
        s,
        'fopen.zip',
        await zipOf(sceneFiles('fopen', { povExtra: '#fopen Passwd "/etc/passwd" read\n#read (Passwd, Line)\n#debug concat(Line, "\\n")\n#fclose Passwd\n' })),
      ),
    };
    const worker = containers.start(containers.environment(s, SHORT_IDLE, QUICK_POLLS));
    expect(await worker.exited).toEqual({ code: 0, signal: null });

    for (const [name, jobId] of Object.entries(jobs)) {
      const record = await bed.record(s, jobId);
      expect({ name, status: record?.status, outputKey: record?.outputKey }).toEqual({ name, status: 'FAILED', outputKey: undefined });
      expect(record?.errorReason).toMatch(/fopen|file|Pre_Scene_Command|shell|denied|not allowed/i);
    }
    // Judged by outcome: no PNG, and not a byte of /etc/passwd in anything the worker uploaded.
    const listed = await bed.s3.send(new ListObjectsV2Command({ Bucket: s.bucket, Prefix: 'renders/' }));
    const keys = (listed.Contents ?? []).map((o) => o.Key!);
    expect(keys.filter((k) => k.endsWith('.png'))).toEqual([]);
    for (const key of keys) expect((await bed.object(s, key)).body.toString('utf8')).not.toMatch(/root:x:0:0|node:x:1000/);
    expect(await bed.queueCounts(s.queueUrl)).toEqual({ visible: 0, inFlight: 0 });
  });

  it('renders 3840×2160 (MAX_PIXELS) and ends a 4 GB, a 512-thread and a flooding scene FAILED once, by the bounds sized from the task', async () => {
    const s = await scenario('image-bounds');
    const flood = `#declare T = "${'0123456789'.repeat(10)}";\n#fopen W "../out/flood.txt" write\n#for (I, 0, 200000)\n#write (W, T, T, T, T, T, T, T, T, T, T)\n#end\n#fclose W\n`;
    const jobs = {
      fourk: await bed.submit(s, 'fourk.zip', await zipOf(sceneFiles('fourk', { ini: 'Input_File_Name=fourk.pov\n+W3840 +H2160\nQuality=0\nAntialias=off\n' }))),
      memory: await bed.submit(s, 'memory.zip', await zipOf(sceneFiles('memory', { povExtra: '#declare A = array[500000000];\n' }))),
      threads: await bed.submit(s, 'threads.zip', await zipOf(sceneFiles('threads', { iniExtra: 'Work_Threads=512\n' }))),
    };
    // The task's own memory and vCPUs (TASK_MEMORY_MIB, TASK_VCPUS), nothing changed.
    const worker = containers.start(containers.environment(s, SHORT_IDLE, QUICK_POLLS));
    expect(await worker.exited).toEqual({ code: 0, signal: null });
    // Then a 200 MB flood against a disk budget made small (the default leaves room for a 4K render), the
    // checker off so the #write reaches POV-Ray.
    const floodJob = await bed.submit(s, 'flood.zip', await zipOf(sceneFiles('flood', { povExtra: flood })));
    const flooder = containers.start(containers.environment(s, SHORT_IDLE, { ...QUICK_POLLS, [WORKER_ENV.renderDiskBytes]: String(4 * 1024 * 1024), UNSAFE_SKIP_SCENE_SCAN: 'true' }));
    expect(await flooder.exited).toEqual({ code: 0, signal: null });
    const memoryMiB = Number(settings.environment[WORKER_ENV.taskMemoryMiB]) - 512;
    const fourk = await bed.record(s, jobs.fourk);
    expect({ status: fourk?.status, attempts: fourk?.attempts, errorReason: fourk?.errorReason }).toEqual({ status: 'SUCCEEDED', attempts: 1, errorReason: undefined });
    const image = PNG.sync.read((await bed.object(s, 'renders/fourk.png')).body);
    expect([image.width, image.height]).toEqual([3840, 2160]);
    const reasons: Record<string, RegExp> = {
      memory: new RegExp(`^scene needed more than ${memoryMiB} MiB of memory`),
      threads: new RegExp(`Work_Threads=512 is more than the ${settings.environment[WORKER_ENV.taskVcpus]} render threads`),
      flood: /^scene wrote more than 4194304 bytes into its job directory/,
    };
    for (const [name, reason] of Object.entries(reasons)) {
      const record = await bed.record(s, name === 'flood' ? floodJob : jobs[name as keyof typeof jobs]);
      expect({ name, status: record?.status, attempts: record?.attempts }).toEqual({ name, status: 'FAILED', attempts: 1 });
      expect(record?.errorReason).toMatch(reason);
    }
    expect(await bed.queueCounts(s.queueUrl)).toEqual({ visible: 0, inFlight: 0 });
    expect(await bed.queueCounts(s.dlqUrl)).toEqual({ visible: 0, inFlight: 0 });
  }, 180_000);

  it('sets up the Landlock confinement under the task settings, then exits 0 by itself when the queue stays empty', async () => {
    const s = await scenario('image-idle');
    const worker = containers.start(containers.environment(s, SHORT_IDLE, QUICK_POLLS));
    expect(await worker.exited).toEqual({ code: 0, signal: null });
    // No capability, no new privileges, read-only root: the confinement still comes up (or the worker would refuse to render).
    expect(worker.logs.map((l) => l.message)).toEqual(['render confinement ready', 'worker started', 'idle, exiting', 'worker stopped']);
  });
});
