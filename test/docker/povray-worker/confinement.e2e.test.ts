/**
 * Scenes try to read files outside their job in every shape POV-Ray accepts a file name: typed and untyped
 * image and height-field files, `pot`, fonts, density files, #include (absolute, relative, built by
 * #declare, macros and string functions), #fopen of /proc and /etc, INI library paths and headers.
 * Judged by outcome, with the real worker, POV-Ray and Landlock on local AWS:
 *   - the secret files, in a directory beside the job, are NEVER OPENED (an inotify watch sees no event;
 *     a read by the test itself shows the watch works),
 *   - none of their bytes (a unique marker) nor the worker's environment reach the PNG, the log or the
 *     job record,
 *   - and all of it holds with the scene checker turned off (UNSAFE_SKIP_SCENE_SCAN): the confinement alone.
 * Then: without its confinement the worker renders nothing and says why.
 */
import { spawnSync } from 'child_process';
import { randomBytes } from 'crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { confinementPolicy, jailArguments, probeConfinement, renderEnvironment } from '../../../docker/povray-worker/src/confinement';
import { POVRAY_LIBRARY_DIRS } from '../../../docker/povray-worker/src/library';
import { WORKER_ENV } from '../../../contracts/lambda-ecs-worker/render-job';
import { useLocalAws } from '../../../local/local-aws';
import { describeWithTools } from '../../../local/tools';
import { sceneFiles, zipOf } from '../../../local/povray-scenes';
import { ENV_MARKER, EXISTS_MARKER, HOSTILE_SCENES, hostileScenes, makeSecrets, MARKER, watch } from '../../../local/povray-hostile-scenes';
import { Scenario, WorkerTestbed } from '../../../local/povray-worker';

const local = useLocalAws(['sqs', 's3', 'dynamodb']);
const JAIL = path.join(__dirname, '..', '..', '..', 'docker', 'povray-worker', 'dist', 'povray-jail');

describeWithTools(['povray', 'inotifywait'], 'povray worker: confinement — outside files are never opened', () => {
  let bed: WorkerTestbed;
  let secrets: string;
  let watcher: Awaited<ReturnType<typeof watch>>;
  const runs: Record<'scanned' | 'unscanned', { s: Scenario; jobs: Record<string, string>; logs: string }> = {} as never;

  beforeAll(async () => {
    expect(existsSync(JAIL)).toBe(true); // built by `npm run build` (docker/povray-worker/bundle.config.mjs)
    bed = new WorkerTestbed(local());
    secrets = makeSecrets(HOSTILE_SCENES);
    watcher = await watch(secrets);
    const scenes = hostileScenes(secrets);
    for (const mode of ['scanned', 'unscanned'] as const) {
      const s = await bed.scenario(`confine-${mode}`, { maxReceiveCount: 1 });
      const jobs: Record<string, string> = {};
      for (const [name, files] of Object.entries(scenes)) jobs[name] = await bed.submit(s, `${name}.zip`, await zipOf(files));
      runs[mode] = { s, jobs, logs: '' };
    }
    // Both modes side by side, one worker each; the environment carries a marker that must stay in the worker.
    const workers = (['scanned', 'unscanned'] as const).map((mode) => {
      const env: Record<string, string> = { [WORKER_ENV.renderWidth]: '16', [WORKER_ENV.renderHeight]: '8', POVRAY_CANARY: ENV_MARKER };
      if (mode === 'unscanned') env.UNSAFE_SKIP_SCENE_SCAN = 'true';
      return { mode, worker: bed.startWorker(runs[mode].s, env) };
    });
    for (const { mode, worker } of workers) {
      expect(await worker.exited).toEqual({ code: 0, signal: null });
      runs[mode].logs = worker.logs.map((l) => JSON.stringify(l)).join('\n');
    }
  }, 120_000);

  afterAll(async () => {
    await watcher?.stop();
    await bed?.close();
    if (secrets) rmSync(secrets, { recursive: true, force: true });
    for (const run of Object.values(runs)) rmSync(run.s.workDir, { recursive: true, force: true });
  });

  it('the scene checker was on in one run and off in the other', () => {
    expect(runs.scanned.logs).not.toContain('scene checker is OFF');
    expect(runs.unscanned.logs).toContain('scene checker is OFF');
    expect(runs.unscanned.logs).toContain('render confinement ready');
  });

  it('no secret file was opened, read, created or written (inotify), in either run', () => {
    expect(watcher.events()).toEqual([]);
    expect(existsSync(path.join(secrets, 'writeOutside', 'owned.txt'))).toBe(false);
  });

  for (const mode of ['scanned', 'unscanned'] as const) {
    it.each(HOSTILE_SCENES)(`${mode}: %s — its secret never opened, no outside byte in the record, the log or the PNG`, async (name) => {
      expect(watcher.events().filter((e) => e.includes(`${secrets}/${name}/`))).toEqual([]);
      const { s, jobs } = runs[mode];
      const record = await bed.record(s, jobs[name]);
      expect(['SUCCEEDED', 'FAILED']).toContain(record?.status);
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
      if (mode === 'unscanned' && name === 'diskBound') {
        expect(record?.errorReason).toMatch(/^POV-Ray tried to write a file larger than \d+ bytes \(the disk bound for MAX_PIXELS\)/);
      } else if (mode === 'unscanned' && !name.startsWith('ini') && name !== 'fileExists') {
        // The scene reached POV-Ray (no checker) and the kernel refused the file: POV-Ray reports it.
        expect(record?.status).toBe('FAILED');
        expect(record?.errorReason).toMatch(/^POV-Ray failed \(exit \d+\): /);
        expect(record?.errorReason).toMatch(/cannot open|cannot find|could not open/i);
      }
      if (name.startsWith('ini')) expect(record?.errorReason).toMatch(/^ini rejected: /);
    });
  }

  it('unscanned: what a scene may do inside the job still works (file_exists on a denied file just says no)', async () => {
    const { s, jobs } = runs.unscanned;
    expect(await bed.record(s, jobs.fileExists)).toMatchObject({ status: 'SUCCEEDED' });
  });

  it('the watch itself works: a read by the test is seen', async () => {
    readFileSync(path.join(secrets, 'fopenSecret', 'secret.txt'));
    const deadline = Date.now() + 5000;
    while (!watcher.events().some((e) => e.includes('secret.txt')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(watcher.events().some((e) => /OPEN/.test(e) && e.endsWith('secret.txt'))).toBe(true);
  });
});

describeWithTools(['povray', 'inotifywait'], 'povray-jail alone: hostile POV-Ray switches cannot reach outside', () => {
  it('+HI, +L, Include_Ini and an outside input file are refused by the kernel, not by a parser', async () => {
    const confinement = probeConfinement(JAIL, 'povray', POVRAY_LIBRARY_DIRS);
    if (!confinement.available) throw new Error(`confinement unavailable: ${confinement.reason}`);
    const secrets = makeSecrets();
    writeFileSync(path.join(secrets, 'secret.ini'), `Input_File_Name=${secrets}/secret.inc\n`);
    const jobDir = mkdtempSync(path.join(tmpdir(), 'povray-jail-job-'));
    const watcher = await watch(secrets);
    try {
      const outDir = path.join(jobDir, 'out');
      mkdirSync(outDir);
      writeFileSync(path.join(jobDir, 'scene.pov'), '#version 3.7;\n#include "secret.inc"\nsphere { 0, 1 pigment { rgb 1 } }\n');
      const policy = confinementPolicy(confinement.host, { jobDir, outDir });
      const attempts = [
        [`+HI${secrets}/secret.inc`, '+Iscene.pov'],
        [`+L${secrets}`, '+Iscene.pov'],
        [`${secrets}/secret.ini`],
        [`+I${secrets}/secret.inc`],
      ];
      for (const povrayArgs of attempts) {
        const args = jailArguments(policy, { env: renderEnvironment(jobDir), program: confinement.host.povray, args: [...povrayArgs, '+W8', '+H8', '-D', `+O${outDir}/x.png`] });
        const run = spawnSync(JAIL, args, { cwd: jobDir, encoding: 'latin1', env: {} });
        expect(run.status).not.toBe(0);
        expect(run.stdout + run.stderr).not.toContain(MARKER);
      }
      expect(watcher.events()).toEqual([]);
    } finally {
      await watcher.stop();
      rmSync(secrets, { recursive: true, force: true });
      rmSync(jobDir, { recursive: true, force: true });
    }
  });
});

describeWithTools(['povray'], 'povray-jail: environment, inherited files and its own failures', () => {
  const jail = (args: string[], env: NodeJS.ProcessEnv = {}) => spawnSync(JAIL, args, { encoding: 'utf8', env });

  it('gives the program only the --env variables, none of its own environment', () => {
    const confinement = probeConfinement(JAIL, 'povray', POVRAY_LIBRARY_DIRS);
    if (!confinement.available) throw new Error(`confinement unavailable: ${confinement.reason}`);
    const rules = confinement.host.read.flatMap((p) => ['--read', p]).concat(confinement.host.exec.flatMap((p) => ['--exec', p]));
    const run = jail([...rules, '--exec', '/usr/bin/env', '--env', 'HOME=/nowhere', '--', '/usr/bin/env'], { AWS_SECRET_ACCESS_KEY: ENV_MARKER, PATH: '/usr/bin' });
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
