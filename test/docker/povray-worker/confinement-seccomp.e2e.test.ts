/**
 * The worker on a kernel without Landlock, as on Fargate (Amazon Linux 2, 5.10): the whole worker runs under
 * local/sandbox/without-landlock (Landlock's system calls answer ENOSYS, user namespaces refused), so the
 * jail must pick its second backend, seccomp user notification. Judged by outcome, exactly like the
 * Landlock run in confinement.e2e.test.ts, with the scene checker OFF (the confinement alone):
 *   - the secrets beside the jobs are never opened (inotify), none of their bytes nor the worker's
 *     environment reach the PNG, the log or the job record; a plain scene still renders;
 *   - the start-up log and every job record name the backend;
 *   - with seccomp() gone as well, the worker renders nothing and says why.
 */
import { randomBytes } from 'crypto';
import { spawnSync } from 'child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { WORKER_ENV } from '../../../contracts/lambda-ecs-worker/render-job';
import { confinementPolicy, discoverHost, jailArguments, renderEnvironment } from '../../../docker/povray-worker/src/confinement';
import { POVRAY_LIBRARY_DIRS } from '../../../docker/povray-worker/src/library';
import { useLocalAws } from '../../../local/local-aws';
import { describeWithTools } from '../../../local/tools';
import { sceneFiles, zipOf } from '../../../local/povray-scenes';
import { ENV_MARKER, EXISTS_MARKER, HOSTILE_SCENES, hostileScenes, makeSecrets, MARKER, watch } from '../../../local/povray-hostile-scenes';
import { RunningWorker, Scenario, WorkerTestbed } from '../../../local/povray-worker';
import { buildWithoutLandlock } from '../../../local/sandbox/without-landlock';

const local = useLocalAws(['sqs', 's3', 'dynamodb']);
const JAIL = path.join(__dirname, '..', '..', '..', 'docker', 'povray-worker', 'dist', 'povray-jail');

describeWithTools(['povray', 'inotifywait', 'cc'], 'povray worker without Landlock (seccomp user notification): outside files are never opened', () => {
  let bed: WorkerTestbed;
  let secrets: string;
  let wrapper: string;
  let watcher: Awaited<ReturnType<typeof watch>>;
  let s: Scenario;
  let worker: RunningWorker;
  const jobs: Record<string, string> = {};

  beforeAll(async () => {
    expect(existsSync(JAIL)).toBe(true);
    wrapper = buildWithoutLandlock();
    bed = new WorkerTestbed(local());
    secrets = makeSecrets(HOSTILE_SCENES);
    watcher = await watch(secrets);
    s = await bed.scenario('confine-unotify', { maxReceiveCount: 1 });
    jobs.plain = await bed.submit(s, 'plain.zip', await zipOf(sceneFiles('plain')));
    for (const [name, files] of Object.entries(hostileScenes(secrets))) jobs[name] = await bed.submit(s, `${name}.zip`, await zipOf(files));
    worker = bed.startWorker(
      s,
      { [WORKER_ENV.renderWidth]: '16', [WORKER_ENV.renderHeight]: '8', POVRAY_CANARY: ENV_MARKER, UNSAFE_SKIP_SCENE_SCAN: 'true' },
      [wrapper, '--'],
    );
    expect(await worker.exited).toEqual({ code: 0, signal: null });
  }, 180_000);

  afterAll(async () => {
    await watcher?.stop();
    await bed?.close();
    if (secrets) rmSync(secrets, { recursive: true, force: true });
    if (s) rmSync(s.workDir, { recursive: true, force: true });
    if (wrapper) rmSync(path.dirname(wrapper), { recursive: true, force: true });
  });

  it('names its backend at start-up: seccomp-unotify, because Landlock answered ENOSYS', () => {
    const ready = worker.logs.find((l) => l.message === 'render confinement ready');
    expect(ready).toMatchObject({ confinement: 'seccomp-unotify' });
    expect(worker.logs.map((l) => l.message)).toContain('the scene checker is OFF (UNSAFE_SKIP_SCENE_SCAN=true): only the confinement stands between scenes and the host; for tests only');
  });

  it('renders a plain scene, and its job record names the backend', async () => {
    const record = await bed.record(s, jobs.plain);
    expect(record).toMatchObject({ status: 'SUCCEEDED', confinement: 'seccomp-unotify', outputKey: 'renders/plain.png' });
    const png = (await bed.object(s, record!.outputKey!)).body;
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    const log = (await bed.object(s, record!.logKey!)).body.toString('utf8');
    expect(log).toMatch(/confined by seccomp user notification/);
  });

  it('no secret file was opened, read, created or written (inotify)', () => {
    expect(watcher.events()).toEqual([]);
    expect(existsSync(path.join(secrets, 'writeOutside', 'owned.txt'))).toBe(false);
  });

  it.each(HOSTILE_SCENES)('%s: its secret never opened, no outside byte in the record, the log or the PNG', async (name) => {
    expect(watcher.events().filter((e) => e.includes(`${secrets}/${name}/`))).toEqual([]);
    const record = await bed.record(s, jobs[name]);
    expect(['SUCCEEDED', 'FAILED']).toContain(record?.status);
    expect(record?.confinement).toBe('seccomp-unotify');
    const outputs = [JSON.stringify(record)];
    if (record?.logKey) outputs.push((await bed.object(s, record.logKey)).body.toString('latin1'));
    if (record?.outputKey) outputs.push((await bed.object(s, record.outputKey)).body.toString('latin1'));
    for (const text of outputs) {
      expect(text).not.toContain(MARKER);
      expect(text).not.toContain(ENV_MARKER);
      expect(text).not.toContain(EXISTS_MARKER);
      expect(text).not.toMatch(/root:x?:0:0/);
      expect(text).not.toContain('AWS_ENDPOINT_URL');
    }
    if (name === 'diskBound') {
      expect(record?.errorReason).toMatch(/^POV-Ray tried to write a file larger than \d+ bytes/);
    } else if (name === 'fileExists') {
      expect(record?.status).toBe('SUCCEEDED'); // file_exists on a denied file just says no
    } else if (name.startsWith('ini')) {
      expect(record?.errorReason).toMatch(/^ini rejected: /);
    } else {
      // The scene reached POV-Ray (no checker) and the jail refused the file: POV-Ray reports it.
      expect(record?.status).toBe('FAILED');
      expect(record?.errorReason).toMatch(/^POV-Ray failed \(exit \d+\): /);
      expect(record?.errorReason).toMatch(/cannot open|cannot find|could not open/i);
    }
  });

  it('the watch itself works: a read by the test is seen', async () => {
    readFileSync(path.join(secrets, 'fopenSecret', 'secret.txt'));
    const deadline = Date.now() + 5000;
    while (!watcher.events().some((e) => e.includes('secret.txt')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(watcher.events().some((e) => /OPEN/.test(e) && e.endsWith('secret.txt'))).toBe(true);
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
    const host = discoverHost('povray', POVRAY_LIBRARY_DIRS);
    const outside = makeSecrets();
    writeFileSync(path.join(outside, 'secret.ini'), `Input_File_Name=${outside}/secret.inc\n`);
    const jobDir = mkdtempSync(path.join(tmpdir(), 'povray-jail-unotify-'));
    const jailWatch = await watch(outside);
    try {
      const outDir = path.join(jobDir, 'out');
      mkdirSync(outDir);
      writeFileSync(path.join(jobDir, 'scene.pov'), '#version 3.7;\n#include "secret.inc"\nsphere { 0, 1 pigment { rgb 1 } }\n');
      const policy = confinementPolicy(host, { jobDir, outDir });
      for (const povrayArgs of [[`+HI${outside}/secret.inc`, '+Iscene.pov'], [`+L${outside}`, '+Iscene.pov'], [`${outside}/secret.ini`], [`+I${outside}/secret.inc`]]) {
        const args = jailArguments(policy, { env: renderEnvironment(jobDir), program: host.povray, args: [...povrayArgs, '+W8', '+H8', '-D', `+O${outDir}/x.png`] });
        const run = spawnSync(wrapper, ['--', JAIL, ...args], { cwd: jobDir, encoding: 'latin1', env: {} });
        expect(run.status).not.toBe(0);
        expect(run.stdout + run.stderr).not.toContain(MARKER);
        expect(run.stdout + run.stderr).not.toMatch(/^povray-jail: /m); // POV-Ray ran (confined) and failed on its own
      }
      expect(jailWatch.events()).toEqual([]);
    } finally {
      await jailWatch.stop();
      rmSync(outside, { recursive: true, force: true });
      rmSync(jobDir, { recursive: true, force: true });
    }
  });
});
