/**
 * The shipped image as Fargate would run it. Fargate's kernels (Amazon Linux 2: 4.14, 5.10) have no
 * Landlock and its tasks get no user namespaces (see docs/povray-worker.md, "Where it runs"), so the same
 * container runs here three times, under the task definition's settings and a seccomp profile each:
 *   1. podman's default profile: the jail uses Landlock;
 *   2. `fargate`: Landlock's system calls answer ENOSYS and user namespaces are refused, so the jail must
 *      use its second backend (seccomp user notification);
 *   3. `neither`: seccomp() is gone too, and the worker must render nothing and say why.
 * In 1 and 2 the seed scene renders and every hostile scene (local/povray-hostile-scenes.ts, the same as the
 * host's confinement e2e tests), with the scene checker off, is judged by outcome: another job's folder,
 * bind-mounted read-only into the container's WORK_DIR in the default layout (`/tmp/povray-worker-1/…`,
 * a live process's, so no sweep removes it) where the container's user could read it, is never opened
 * (inotify on the host, read after a barrier), and no marker of its files nor of the worker's environment
 * reaches the PNG, the log or the record.
 */
import { chmodSync, readdirSync, rmSync } from 'fs';
import * as path from 'path';
import { PNG } from 'pngjs';
import { WORKER_ENV } from '../../contracts/lambda-ecs-worker/render-job';
import {
  ENV_SECRET_VARIABLE, expectNothingLeaked, expectRefusedByConfinement, HOSTILE_SCENES, HostileScene, jobOutputs, OtherJobRun, prepareOtherJob, RunSecrets,
  submitHostileScenes, Watch,
} from '../../local/povray-hostile-scenes';
import { sceneFiles, seedSceneZip, zipOf } from '../../local/povray-scenes';
import { RunningWorker, Scenario, WorkerTestbed } from '../../local/povray-worker';
import { useLocalAws } from '../../local/local-aws';
import { loadWorkerImageState, WorkerContainers } from '../../local/image/worker-container';
import { SimulatedCompute, writeSimulatedProfile } from '../../local/image/seccomp-profiles';

const local = useLocalAws(['sqs', 's3', 'dynamodb']);
const state = loadWorkerImageState();
const { settings } = state;
const SHORT_IDLE = { [WORKER_ENV.idleExitSeconds]: '3' };
/** The container's WORK_DIR (the default: its temporary directory, the task's scratch volume). */
const WORK_DIR_IN_CONTAINER = '/tmp';
/**
 * Where the container sees the other job: a job folder of the worker whose pid is 1 (tini, alive for the
 * container's life, so the worker's sweep of dead workers' folders leaves it alone).
 */
const OTHER_JOB_IN_CONTAINER = `${WORK_DIR_IN_CONTAINER}/povray-worker-1/job-other`;
/** The image's entrypoint with the canary's argument (what the deploy-time trigger runs). */
const CANARY_IN_CONTAINER = '/usr/bin/tini -- node --enable-source-maps dist/index.js --canary';

/** Readable by the container's user (uid 1000): only the confinement may keep POV-Ray from them. */
function openToEveryone(dir: string): void {
  chmodSync(dir, 0o755);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) openToEveryone(full);
    else chmodSync(full, 0o644);
  }
}

const RUNS: ReadonlyArray<{ label: string; compute?: SimulatedCompute; expected: 'landlock' | 'seccomp-unotify' }> = [
  { label: "podman's default seccomp profile: Landlock", expected: 'landlock' },
  { label: 'as on Fargate (Landlock ENOSYS, no user namespaces): seccomp user notification', compute: 'fargate', expected: 'seccomp-unotify' },
];

describe.each(RUNS)('the povray-worker image, $label', ({ compute, expected }) => {
  let bed: WorkerTestbed;
  let containers: WorkerContainers;
  let other: OtherJobRun;
  let otherJob: string;
  let watcher: Watch;
  let s: Scenario;
  let worker: RunningWorker;
  let seedJob: string;
  let plainJob: string;
  let jobs: Record<HostileScene, string>;
  let secrets: RunSecrets;

  beforeAll(async () => {
    bed = new WorkerTestbed(local());
    other = await prepareOtherJob(`image-${expected}`, { prepare: openToEveryone });
    ({ otherJob, watcher } = other);
    const profile = compute ? ['--security-opt', `seccomp=${writeSimulatedProfile(compute)}`] : [];
    containers = new WorkerContainers(state, local, [...profile, '--volume', `${otherJob}:${OTHER_JOB_IN_CONTAINER}:ro`]);
    s = await bed.scenario(`image-${expected}`, {
      visibilityTimeoutSeconds: Number(settings.environment[WORKER_ENV.visibilityTimeoutSeconds]),
      maxReceiveCount: 1,
    });
    seedJob = await bed.submit(s, 'ECSLogo.zip', seedSceneZip());
    plainJob = await bed.submit(s, 'plain.zip', await zipOf(sceneFiles('plain')));
    const env = containers.environment(s, SHORT_IDLE, {
      [WORKER_ENV.pollWaitSeconds]: '1',
      [WORKER_ENV.renderWidth]: '32',
      [WORKER_ENV.renderHeight]: '18',
      UNSAFE_SKIP_SCENE_SCAN: 'true',
      [ENV_SECRET_VARIABLE]: other.envSecret,
    });
    secrets = other.secretsFor(env);
    const target = { otherJob: OTHER_JOB_IN_CONTAINER, workDir: WORK_DIR_IN_CONTAINER, maxPixels: Number(env[WORKER_ENV.maxPixels]) };
    ({ jobs, worker } = await submitHostileScenes(bed, s, target, () => containers.start(env)));
    expect(await worker.exited).toEqual({ code: 0, signal: null });
    await watcher.barrier();
  }, 600_000);

  afterAll(async () => {
    await containers?.removeAll();
    await other?.remove();
    await bed?.close();
    if (s) rmSync(s.workDir, { recursive: true, force: true });
  });

  it(`names its backend at start-up: ${expected}`, () => {
    expect(worker.logs.find((l) => l.message === 'render confinement ready')).toMatchObject({ confinement: expected });
    expect(worker.logs.filter((l) => /RENDERS REFUSED/.test(l.message ?? ''))).toEqual([]);
  });

  it('the container really is what it claims: user namespaces refused; Landlock only in the default profile', () => {
    const env = containers.environment(s, SHORT_IDLE);
    const out = containers.exec(env, [
      'sh',
      '-c',
      '(unshare -U true 2>/dev/null && echo userns-allowed) || echo userns-refused; ' +
        '/app/dist/povray-jail --probe --read /usr/share/povray-3.7 --exec /usr/bin/povray -- /usr/bin/povray 2>&1 || true',
    ]);
    if (compute) expect(out).toMatch(/^userns-refused$/m);
    expect(out).toMatch(expected === 'landlock' ? /^landlock abi \d+$/m : /^seccomp-unotify$/m);
  });

  it('renders the seed scene confined: SUCCEEDED, a real PNG, the record names the backend', async () => {
    const record = await bed.record(s, seedJob);
    expect(record).toMatchObject({ status: 'SUCCEEDED', confinement: expected, outputKey: 'renders/ECSLogo.png' });
    const image = PNG.sync.read((await bed.object(s, record!.outputKey!)).body);
    expect([image.width, image.height]).toEqual([32, 18]);
    expect(new Set(Array.from({ length: image.width * image.height }, (_, i) => image.data.readUInt32BE(i * 4))).size).toBeGreaterThan(10);
    expect(await bed.record(s, plainJob)).toMatchObject({ status: 'SUCCEEDED', confinement: expected });
  });

  it('the deploy canary (`--canary`) renders confined under these settings and exits 0', () => {
    const out = containers.exec(containers.environment(s, SHORT_IDLE), ['sh', '-c', `${CANARY_IN_CONTAINER}; echo "exit=$?"`]);
    expect(out).toMatch(new RegExp(`"message":"canary rendered confined by [^"]+","workerId":"[^"]+","canary":"rendered","confinement":"${expected}"`));
    expect(out).toMatch(/^exit=0$/m);
  });

  it('no file of the other job was opened, read, created or written (inotify on the host, up to a barrier)', () => {
    expect(watcher.events()).toEqual([]);
  });

  it.each(HOSTILE_SCENES)("%s: the other job's files never opened, no outside byte in the record, the log or the PNG", async (name) => {
    expect(watcher.events().filter((e) => e.includes(`${otherJob}/${name}/`))).toEqual([]);
    const { record, texts } = await jobOutputs(bed, s, jobs[name]);
    expect({ status: record?.status, confinement: record?.confinement }).toEqual({ status: name === 'fileExists' ? 'SUCCEEDED' : 'FAILED', confinement: expected });
    expectNothingLeaked(texts, secrets, [/node:x:1000/]);
    expectRefusedByConfinement(name, record);
  });

  it('the watch and the mount work: the container user can read a file of the other job outside the jail', async () => {
    const out = containers.exec(containers.environment(s, SHORT_IDLE), ['cat', `${OTHER_JOB_IN_CONTAINER}/fopenSecret/secret.txt`]);
    expect(out).toContain(other.fileSecret);
    await watcher.barrier();
    expect(watcher.events()).toContain(`OPEN ${otherJob}/fopenSecret/secret.txt`);
  });
});

describe('the povray-worker image with neither backend (Landlock ENOSYS and no seccomp())', () => {
  let bed: WorkerTestbed;
  let containers: WorkerContainers;
  let s: Scenario;

  beforeAll(() => {
    bed = new WorkerTestbed(local());
    containers = new WorkerContainers(state, local, ['--security-opt', `seccomp=${writeSimulatedProfile('neither')}`]);
  });
  afterAll(async () => {
    await containers?.removeAll();
    await bed?.close();
    if (s) rmSync(s.workDir, { recursive: true, force: true });
  });

  it('renders nothing: says why at start-up, the job FAILED with the reason, no PNG', async () => {
    s = await bed.scenario('image-neither', { maxReceiveCount: 1 });
    const jobId = await bed.submit(s, 'ECSLogo.zip', seedSceneZip());
    // One delivery: a host without confinement is a transient failure, retried up to maxReceiveCount times.
    const worker = containers.start(containers.environment(s, { ...SHORT_IDLE, [WORKER_ENV.maxReceiveCount]: '1' }, { [WORKER_ENV.pollWaitSeconds]: '1' }));
    expect(await worker.exited).toEqual({ code: 0, signal: null });
    const refused = worker.logs.find((l) => /RENDERS REFUSED/.test(l.message ?? ''));
    expect(refused?.message).toMatch(/neither Landlock nor seccomp user notification is available, refusing to run unconfined: Landlock: .*; seccomp user notification: no seccomp\(\) system call/);
    const record = await bed.record(s, jobId);
    expect(record).toMatchObject({ status: 'FAILED', confinement: 'none' });
    expect(record?.errorReason).toMatch(/render refused: POV-Ray cannot be confined on this host .*neither Landlock nor seccomp user notification/);
    await expect(bed.object(s, 'renders/ECSLogo.png')).rejects.toThrow();
  });

  it('the deploy canary fails with exit 3 and the reason, which the trigger would quote', () => {
    const out = containers.exec(containers.environment(s, SHORT_IDLE), ['sh', '-c', `${CANARY_IN_CONTAINER}; echo "exit=$?"`]);
    expect(out).toMatch(/"message":"CANARY FAILED: POV-Ray cannot be confined on this host: no kernel confinement available \(exit 121\): neither Landlock nor seccomp user notification/);
    expect(out).toMatch(/^exit=3$/m);
  });
});
