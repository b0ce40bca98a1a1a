/**
 * Scenes try to read files outside their job in every shape POV-Ray accepts a file name: typed and untyped
 * image and height-field files, `pot`, fonts, density files, #include (absolute, relative, built by
 * #declare, macros and string functions), #fopen of /proc and /etc, INI library paths and headers.
 * Judged by outcome, with the real worker in its DEFAULT layout (no WORK_DIR: jobs in the temp directory,
 * `povray-worker-<pid>/job-X`), POV-Ray and Landlock on local AWS. The scenes, secrets and the watch are
 * local/povray-hostile-scenes.ts, shared with the seccomp run (confinement-seccomp.e2e.test.ts) and the
 * image test. The secrets are what a widened confinement would hand out: ANOTHER JOB'S FILES (a live
 * worker's job folder in the same WORK_DIR) and the WORKER'S OWN ENVIRONMENT (its AWS_* variables, its
 * queue and table, through /proc/<worker>/environ):
 *   - the other job's files are NEVER OPENED (an inotify watch on that folder alone sees no event, up to a
 *     barrier: a sentinel file whose own event proves every earlier event has arrived; a read by the test
 *     itself shows the watch works),
 *   - none of their bytes (a unique marker) nor of the worker's environment reach the PNG, the log or the
 *     job record,
 *   - and all of it holds with the scene checker turned off (UNSAFE_SKIP_SCENE_SCAN): the confinement alone.
 *     Each variant has its own secrets folder, its own watch and its own markers, so a file opened is
 *     pinned on one variant and one scene, and no other process on the machine shows up in the watch.
 * Then: without its confinement the worker renders nothing and says why.
 */
import { spawnSync } from 'child_process';
import { randomBytes } from 'crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { probeConfinement } from '../../../docker/povray-worker/src/confinement';
import { POVRAY_LIBRARY_DIRS } from '../../../docker/povray-worker/src/library';
import { WORKER_ENV } from '../../../contracts/lambda-ecs-worker/render-job';
import { useLocalAws } from '../../../local/local-aws';
import { describeWithTools } from '../../../local/tools';
import { sceneFiles, zipOf } from '../../../local/povray-scenes';
import {
  ENV_SECRET_VARIABLE, expectHostileSwitchesRefused, expectNothingLeaked, expectRefusedByConfinement, HOSTILE_SCENES, HostileScene, jobOutputs, marker,
  prepareOtherJob, RunSecrets, submitHostileScenes, Watch,
} from '../../../local/povray-hostile-scenes';
import { Scenario, WORKER_JAIL, WorkerTestbed } from '../../../local/povray-worker';
import { assertBundleCurrent } from '../../../local/bundles';

const local = useLocalAws(['sqs', 's3', 'dynamodb']);
const JAIL = WORKER_JAIL;

type Variant = 'scanned' | 'unscanned';

interface VariantRun {
  readonly s: Scenario;
  readonly jobs: Record<HostileScene, string>;
  /** The other job's folder: this variant's secrets, watched alone. */
  readonly otherJob: string;
  readonly watcher: Watch;
  /** Markers in this variant's secret files and in its worker's environment, and the worker's other values. */
  readonly secrets: RunSecrets;
  readonly workerPid: number;
  readonly logs: string;
}

describeWithTools(['povray', 'inotifywait'], 'povray worker: confinement in the default layout — another job\'s files and the worker\'s environment stay out of reach', () => {
  let bed: WorkerTestbed;
  const runs = {} as Record<Variant, VariantRun>;
  const cleanup: Array<() => Promise<void>> = [];

  /** One variant: its own other-job folder and watch, queue, worker (default WORK_DIR) and markers. */
  async function runVariant(mode: Variant): Promise<void> {
    const other = await prepareOtherJob(mode);
    cleanup.push(other.remove);
    const { otherJob, watcher } = other;
    const s = await bed.scenario(`confine-${mode}`, { maxReceiveCount: 1 });
    rmSync(s.workDir, { recursive: true, force: true }); // not used: the worker takes its default WORK_DIR
    const env: Record<string, string> = {
      [WORKER_ENV.renderWidth]: '16',
      [WORKER_ENV.renderHeight]: '8',
      [WORKER_ENV.workDir]: '', // unset: the default (the temp directory), where the other job lives
      [ENV_SECRET_VARIABLE]: other.envSecret,
    };
    if (mode === 'unscanned') env.UNSAFE_SKIP_SCENE_SCAN = 'true';
    const secrets = other.secretsFor(bed.workerEnv(s, env));
    const { jobs, worker, workerPid } = await submitHostileScenes(bed, s, { otherJob, workDir: tmpdir() }, () => bed.startWorker(s, env));
    expect(await worker.exited).toEqual({ code: 0, signal: null });
    await watcher.barrier();
    runs[mode] = { s, jobs, otherJob, watcher, secrets, workerPid, logs: worker.logs.map((l) => JSON.stringify(l)).join('\n') };
  }

  beforeAll(async () => {
    expect(existsSync(JAIL)).toBe(true); // built by `npm run build` (docker/povray-worker/bundle.config.mjs)
    bed = new WorkerTestbed(local());
    // Both variants side by side, one worker each, each with its own secrets.
    await Promise.all((['scanned', 'unscanned'] as const).map(runVariant));
  }, 120_000);

  afterAll(async () => {
    for (const clean of cleanup) await clean();
    await bed?.close();
  });

  it('the scene checker was on in one run and off in the other', () => {
    expect(runs.scanned.logs).not.toContain('scene checker is OFF');
    expect(runs.unscanned.logs).toContain('scene checker is OFF');
    expect(runs.unscanned.logs).toContain('render confinement ready');
  });

  it.each(['scanned', 'unscanned'] as const)('%s: jobs rendered in the default layout, beside the other job', async (mode) => {
    const { s, jobs, otherJob, workerPid } = runs[mode];
    const outputs: string[] = [];
    for (const jobId of Object.values(jobs)) {
      const record = await bed.record(s, jobId);
      const log = record?.logKey ? (await bed.object(s, record.logKey)).body.toString('latin1') : '';
      outputs.push(...(log.match(/ \+O\S+/g) ?? []));
    }
    // POV-Ray's output file was in each job's own folder (WORK_DIR/povray-worker-<pid>/job-X), in the same
    // WORK_DIR as the other job's.
    expect(path.dirname(path.dirname(otherJob))).toBe(tmpdir());
    expect(outputs.length).toBeGreaterThan(0);
    for (const output of outputs) expect(output).toMatch(new RegExp(`^ \\+O"?${tmpdir()}/povray-worker-${workerPid}/job-\\w+/out/`));
    expect(outputs.filter((o) => o.includes(otherJob))).toEqual([]);
  });

  it.each(['scanned', 'unscanned'] as const)('%s: no file of the other job was opened, read, created or written (inotify, up to a barrier)', (mode) => {
    const { watcher, otherJob } = runs[mode];
    expect(watcher.events()).toEqual([]);
    expect(existsSync(path.join(otherJob, 'writeOutside', 'owned.txt'))).toBe(false);
  });

  for (const mode of ['scanned', 'unscanned'] as const) {
    it.each(HOSTILE_SCENES)(`${mode}: %s — the other job's files never opened, no outside byte in the record, the log or the PNG`, async (name) => {
      const { s, jobs, watcher, otherJob, secrets } = runs[mode];
      expect(watcher.events().filter((e) => e.includes(`${otherJob}/${name}/`))).toEqual([]);
      const { record, texts } = await jobOutputs(bed, s, jobs[name]);
      expect(['SUCCEEDED', 'FAILED']).toContain(record?.status);
      expectNothingLeaked(texts, secrets);
      // With the checker off the scene reached POV-Ray and the kernel refused the file: POV-Ray reports it.
      if (mode === 'unscanned') expectRefusedByConfinement(name, record);
      if (name.startsWith('ini')) expect(record?.errorReason).toMatch(/^ini rejected: /);
    });
  }

  it('unscanned: what a scene may do inside the job still works (file_exists on a denied file just says no)', async () => {
    const { s, jobs } = runs.unscanned;
    expect(await bed.record(s, jobs.fileExists)).toMatchObject({ status: 'SUCCEEDED' });
  });

  it.each(['scanned', 'unscanned'] as const)('%s: the watch itself works: a read by the test is seen', async (mode) => {
    const { watcher, otherJob } = runs[mode];
    const file = path.join(otherJob, 'fopenSecret', 'secret.txt');
    readFileSync(file);
    await watcher.barrier();
    expect(watcher.events()).toContain(`OPEN ${file}`);
  });
});

describeWithTools(['povray', 'inotifywait'], 'povray-jail alone: hostile POV-Ray switches cannot reach outside', () => {
  beforeAll(() => assertBundleCurrent('povray-worker'));

  it('+HI, +L, Include_Ini and an outside input file are refused by the kernel, not by a parser', async () => {
    const confinement = probeConfinement(JAIL, 'povray', POVRAY_LIBRARY_DIRS);
    if (!confinement.available) throw new Error(`confinement unavailable: ${confinement.reason}`);
    await expectHostileSwitchesRefused(confinement.host, (args, jobDir) => spawnSync(JAIL, args, { cwd: jobDir, encoding: 'latin1', env: {} }));
  });
});

describeWithTools(['povray'], 'povray-jail: environment, inherited files and its own failures', () => {
  beforeAll(() => assertBundleCurrent('povray-worker'));
  const jail = (args: string[], env: NodeJS.ProcessEnv = {}) => spawnSync(JAIL, args, { encoding: 'utf8', env });

  it('gives the program only the --env variables, none of its own environment', () => {
    const confinement = probeConfinement(JAIL, 'povray', POVRAY_LIBRARY_DIRS);
    if (!confinement.available) throw new Error(`confinement unavailable: ${confinement.reason}`);
    const rules = confinement.host.read.flatMap((p) => ['--read', p]).concat(confinement.host.exec.flatMap((p) => ['--exec', p]));
    const run = jail([...rules, '--exec', '/usr/bin/env', '--env', 'HOME=/nowhere', '--', '/usr/bin/env'], { AWS_SECRET_ACCESS_KEY: marker('WORKERENV'), PATH: '/usr/bin' });
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe('HOME=/nowhere\n');
  });

  it('passes on no open file of its parent but stdin, stdout and stderr', () => {
    const confinement = probeConfinement(JAIL, 'povray', POVRAY_LIBRARY_DIRS);
    if (!confinement.available) throw new Error(`confinement unavailable: ${confinement.reason}`);
    const rules = confinement.host.read.flatMap((p) => ['--read', p]).concat(confinement.host.exec.flatMap((p) => ['--exec', p]));
    const shell = realpathSync('/bin/sh');
    const script = 'echo through-fd-3 >&3 && echo leaked || echo closed';
    // The same script outside the jail writes to the inherited pipe: the check can fail.
    const outside = spawnSync(shell, ['-c', script], { encoding: 'utf8', env: {}, stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
    expect([outside.stdout, String(outside.output[3])]).toEqual(['leaked\n', 'through-fd-3\n']);
    const inside = spawnSync(JAIL, [...rules, '--exec', shell, '--', shell, '-c', script], { encoding: 'utf8', env: {}, stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
    expect(inside.stdout).toBe('closed\n');
    expect(String(inside.output[3])).toBe('');
  });

  it.each([
    [['--bogus', 'x', '--', '/bin/true'], 120, /unknown option: --bogus/],
    [['--read', '/x'], 120, /nothing to run/],
    [['--read', '/nonexistent-dir', '--', '/bin/true'], 122, /\/nonexistent-dir: No such file or directory/],
    [['--max-file-bytes', '-5', '--', '/bin/true'], 120, /--max-file-bytes wants a positive integer/],
    // Everything is denied but what is listed: not even the program's own binary may run.
    [['--', '/bin/true'], 124, /\/bin\/true: Permission denied/],
  ])('refuses %j with exit %i and a message, running nothing', (args, code, message) => {
    const run = jail(args);
    expect(run.status).toBe(code);
    expect(run.stderr).toMatch(/^povray-jail: /);
    expect(run.stderr).toMatch(message);
  });
});

describeWithTools(['povray'], 'povray worker: fails closed without its confinement', () => {
  let bed: WorkerTestbed;
  let fakeDir: string;

  beforeAll(() => {
    bed = new WorkerTestbed(local());
    fakeDir = mkdtempSync(path.join(tmpdir(), 'povray-fake-jail-'));
    // What the real launcher prints and returns on a kernel without Landlock.
    const fake = path.join(fakeDir, 'povray-jail');
    writeFileSync(fake, '#!/bin/sh\necho "povray-jail: neither Landlock nor seccomp user notification is available, refusing to run unconfined: Landlock: the kernel has no Landlock; seccomp user notification: no seccomp() system call" >&2\nexit 121\n');
    chmodSync(fake, 0o755);
  });

  afterAll(async () => {
    await bed?.close();
    rmSync(fakeDir, { recursive: true, force: true });
  });

  it.each([
    ['a kernel with neither backend', () => path.join(fakeDir, 'povray-jail'), /no kernel confinement available \(exit 121\): neither Landlock nor seccomp user notification/],
    ['a missing launcher', () => path.join(fakeDir, 'nowhere'), /the confinement launcher .*nowhere is missing/],
  ])('%s: says so at start-up, renders nothing, the job FAILED with the reason', async (_what, jail, reason) => {
    const s = await bed.scenario(`unconfined-${randomBytes(3).toString('hex')}`, { maxReceiveCount: 1 });
    const jobId = await bed.submit(s, 'plain.zip', await zipOf(sceneFiles('plain')));
    const worker = bed.startWorker(s, { POVRAY_JAIL: jail() });
    const refused = await worker.waitForLog((l) => /RENDERS REFUSED/.test(l.message ?? ''));
    expect(refused.message).toMatch(reason);
    expect(await worker.exited).toEqual({ code: 0, signal: null });
    const record = await bed.record(s, jobId);
    expect(record?.status).toBe('FAILED');
    expect(record?.errorReason).toMatch(/render refused: POV-Ray cannot be confined on this host and the worker never renders unconfined/);
    expect(record?.errorReason).toMatch(reason);
    await expect(bed.object(s, 'renders/plain.png')).rejects.toThrow();
    rmSync(s.workDir, { recursive: true, force: true });
  });
});
