/**
 * The worker on a kernel without Landlock, as on Fargate (Amazon Linux 2, 5.10): the whole worker runs under
 * local/sandbox/without-landlock (Landlock's system calls answer ENOSYS, user namespaces refused), so the
 * jail must pick its second backend, seccomp user notification. Judged by outcome, exactly like the
 * Landlock run in confinement.e2e.test.ts (the same scenes, secrets and watch: local/povray-hostile-scenes.ts),
 * in the worker's DEFAULT layout with the scene checker OFF (the confinement alone):
 *   - ANOTHER JOB'S FILES (a live worker's job folder in the same WORK_DIR) are never opened: an inotify
 *     watch on that folder alone sees no event, read after a barrier; a read by the test shows it works;
 *   - none of their bytes nor of the worker's environment (its marker, its AWS_* values, queue and table,
 *     through /proc/self, /proc/1 and /proc/<worker>/environ) reach the PNG, the log or the job record;
 *     a plain scene still renders;
 *   - the start-up log and every job record name the backend;
 *   - with seccomp() gone as well, the worker renders nothing and says why.
 */
import { randomBytes } from 'crypto';
import { spawnSync } from 'child_process';
import { existsSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { WORKER_ENV } from '../../../contracts/lambda-ecs-worker/render-job';
import { discoverHost } from '../../../docker/povray-worker/src/confinement';
import { POVRAY_LIBRARY_DIRS } from '../../../docker/povray-worker/src/library';
import { useLocalAws } from '../../../local/local-aws';
import { describeWithTools } from '../../../local/tools';
import { sceneFiles, zipOf } from '../../../local/povray-scenes';
import {
  ENV_SECRET_VARIABLE, expectHostileSwitchesRefused, expectNothingLeaked, expectRefusedByConfinement, HOSTILE_SCENES, HostileScene, jobOutputs, OtherJobRun,
  prepareOtherJob, RunSecrets, submitHostileScenes, Watch,
} from '../../../local/povray-hostile-scenes';
import { RunningWorker, Scenario, WORKER_JAIL, WorkerTestbed } from '../../../local/povray-worker';
import { buildWithoutLandlock } from '../../../local/sandbox/without-landlock';

const local = useLocalAws(['sqs', 's3', 'dynamodb']);
const JAIL = WORKER_JAIL;

describeWithTools(['povray', 'inotifywait', 'cc'], 'povray worker without Landlock (seccomp user notification): another job\'s files and the worker\'s environment stay out of reach', () => {
  let bed: WorkerTestbed;
  let other: OtherJobRun;
  let otherJob: string;
  let wrapper: string;
  let watcher: Watch;
  let s: Scenario;
  let worker: RunningWorker;
  let workerPid: number;
  let plainJob: string;
  let jobs: Record<HostileScene, string>;
  let secrets: RunSecrets;

  beforeAll(async () => {
    expect(existsSync(JAIL)).toBe(true);
    wrapper = buildWithoutLandlock();
    bed = new WorkerTestbed(local());
    other = await prepareOtherJob('unotify');
    ({ otherJob, watcher } = other);
    s = await bed.scenario('confine-unotify', { maxReceiveCount: 1 });
    const env = {
      [WORKER_ENV.renderWidth]: '16',
      [WORKER_ENV.renderHeight]: '8',
      [WORKER_ENV.workDir]: '', // unset: the default (the temp directory), where the other job lives
      [ENV_SECRET_VARIABLE]: other.envSecret,
      UNSAFE_SKIP_SCENE_SCAN: 'true',
    };
    secrets = other.secretsFor(bed.workerEnv(s, env));
    plainJob = await bed.submit(s, 'plain.zip', await zipOf(sceneFiles('plain')));
    ({ jobs, worker, workerPid } = await submitHostileScenes(bed, s, { otherJob, workDir: tmpdir() }, () => bed.startWorker(s, env, [wrapper, '--'])));
    expect(await worker.exited).toEqual({ code: 0, signal: null });
    await watcher.barrier();
  }, 180_000);

  afterAll(async () => {
    await other?.remove();
    await bed?.close();
    if (s) rmSync(s.workDir, { recursive: true, force: true });
    if (wrapper) rmSync(path.dirname(wrapper), { recursive: true, force: true });
  });

  it('names its backend at start-up: seccomp-unotify, because Landlock answered ENOSYS', () => {
    const ready = worker.logs.find((l) => l.message === 'render confinement ready');
    expect(ready).toMatchObject({ confinement: 'seccomp-unotify' });
    expect(worker.logs.map((l) => l.message)).toContain('the scene checker is OFF (UNSAFE_SKIP_SCENE_SCAN=true): only the confinement stands between scenes and the host; for tests only');
  });

  it('renders a plain scene in the default layout, beside the other job, and its job record names the backend', async () => {
    const record = await bed.record(s, plainJob);
    expect(record).toMatchObject({ status: 'SUCCEEDED', confinement: 'seccomp-unotify', outputKey: 'renders/plain.png' });
    const png = (await bed.object(s, record!.outputKey!)).body;
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    const log = (await bed.object(s, record!.logKey!)).body.toString('utf8');
    expect(log).toMatch(/confined by seccomp user notification/);
    expect(path.dirname(path.dirname(otherJob))).toBe(tmpdir());
    expect(log).toMatch(new RegExp(` \\+O"?${tmpdir()}/povray-worker-${workerPid}/job-\\w+/out/`));
  });

  it('no file of the other job was opened, read, created or written (inotify, up to a barrier)', () => {
    expect(watcher.events()).toEqual([]);
    expect(existsSync(path.join(otherJob, 'writeOutside', 'owned.txt'))).toBe(false);
  });

  it.each(HOSTILE_SCENES)("%s: the other job's files never opened, no outside byte in the record, the log or the PNG", async (name) => {
    expect(watcher.events().filter((e) => e.includes(`${otherJob}/${name}/`))).toEqual([]);
    const { record, texts } = await jobOutputs(bed, s, jobs[name]);
    expect(['SUCCEEDED', 'FAILED']).toContain(record?.status);
    expect(record?.confinement).toBe('seccomp-unotify');
    expectNothingLeaked(texts, secrets);
    // The scene reached POV-Ray (no checker) and the supervisor refused the file: POV-Ray reports it.
    expectRefusedByConfinement(name, record);
  });

  it('the watch itself works: a read by the test is seen', async () => {
    const file = path.join(otherJob, 'fopenSecret', 'secret.txt');
    readFileSync(file);
    await watcher.barrier();
    expect(watcher.events()).toContain(`OPEN ${file}`);
  });

  it('with seccomp() gone too, renders nothing: says why at start-up, the job FAILED with the reason', async () => {
    const bare = await bed.scenario(`unconfined-${randomBytes(3).toString('hex')}`, { maxReceiveCount: 1 });
    try {
      const jobId = await bed.submit(bare, 'plain.zip', await zipOf(sceneFiles('plain')));
      const refusing = bed.startWorker(bare, {}, [wrapper, '--no-unotify', '--']);
      const refused = await refusing.waitForLog((l) => /RENDERS REFUSED/.test(l.message ?? ''));
      expect(refused.message).toMatch(/neither Landlock nor seccomp user notification is available, refusing to run unconfined: Landlock: the kernel has no Landlock .*; seccomp user notification: no seccomp\(\) system call/);
      expect(await refusing.exited).toEqual({ code: 0, signal: null });
      const record = await bed.record(bare, jobId);
      expect(record).toMatchObject({ status: 'FAILED', confinement: 'none' });
      expect(record?.errorReason).toMatch(/render refused: POV-Ray cannot be confined on this host .*neither Landlock nor seccomp user notification/);
      await expect(bed.object(bare, 'renders/plain.png')).rejects.toThrow();
    } finally {
      rmSync(bare.workDir, { recursive: true, force: true });
    }
  });

  it('the jail alone: +HI, +L, Include_Ini and an outside input file are refused by the supervisor, not by a parser', async () => {
    await expectHostileSwitchesRefused(discoverHost('povray', POVRAY_LIBRARY_DIRS), (args, jobDir) => {
      const run = spawnSync(wrapper, ['--', JAIL, ...args], { cwd: jobDir, encoding: 'latin1', env: {} });
      expect(run.stdout + run.stderr).not.toMatch(/^povray-jail: /m); // POV-Ray ran (confined) and failed on its own
      return run;
    });
  });
});
