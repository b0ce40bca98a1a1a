/**
 * Scenes try to read files outside their job in every shape POV-Ray accepts a file name: typed and untyped
 * image and height-field files, `pot`, fonts, density files, #include (absolute, relative, built by
 * #declare, macros and string functions), #fopen of /proc and /etc, INI library paths and headers.
 * Judged by outcome, with the real worker in its DEFAULT layout (no WORK_DIR: jobs in the temp directory,
 * side by side), POV-Ray and Landlock on local AWS. The secrets are what a widened confinement would hand
 * out: ANOTHER JOB'S FILES (a folder shaped like a job's, beside this job's in the same WORK_DIR) and the
 * WORKER'S OWN ENVIRONMENT (its AWS_* variables, its queue and table, through /proc/<worker>/environ):
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
import { spawn, spawnSync } from 'child_process';
import { randomBytes } from 'crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { PNG } from 'pngjs';
import { confinementPolicy, jailArguments, probeConfinement, renderEnvironment } from '../../../docker/povray-worker/src/confinement';
import { POVRAY_LIBRARY_DIRS } from '../../../docker/povray-worker/src/library';
import { WORKER_ENV } from '../../../contracts/lambda-ecs-worker/render-job';
import { useLocalAws } from '../../../local/local-aws';
import { describeWithTools } from '../../../local/tools';
import { sceneFiles, zipOf, ZipEntrySpec } from '../../../local/povray-scenes';
import { Scenario, WORKER_JAIL, WorkerTestbed } from '../../../local/povray-worker';
import { assertBundleCurrent } from '../../../local/bundles';

const local = useLocalAws(['sqs', 's3', 'dynamodb']);
const JAIL = WORKER_JAIL;

/** Printed by a scene only if it could tell that an outside file exists. */
const EXISTS_MARKER = 'SECRET-FILE-EXISTS';
const marker = (what: string) => `${what}-${randomBytes(8).toString('hex')}`;

/**
 * A folder shaped like another job's, where the worker's default WORK_DIR puts jobs (os.tmpdir(), prefix
 * povray-job-), holding files a scene must never open: one subfolder per hostile scene (`names`), so each
 * scene's attempt is told apart in the inotify events. `secret` is the marker in every file.
 */
function makeOtherJob(secret: string, names: readonly string[] = ['']): string {
  const root = mkdtempSync(path.join(tmpdir(), 'povray-job-'));
  for (const name of names) writeSecrets(path.join(root, name), secret);
  return root;
}

function writeSecrets(dir: string, secret: string): void {
  mkdirSync(dir, { recursive: true });
  const image = new PNG({ width: 4, height: 4 });
  image.data.fill(0);
  for (let i = 0; i < image.data.length; i += 4) (image.data[i + 1] = 255), (image.data[i + 3] = 255);
  // Decoders stop at IEND; the marker after it is still in the file's bytes.
  writeFileSync(path.join(dir, 'secret.png'), Buffer.concat([PNG.sync.write(image), Buffer.from(secret)]));
  writeFileSync(path.join(dir, 'secret.txt'), `"${secret}"\n`);
  writeFileSync(path.join(dir, 'secret.inc'), `#declare Leak = "${secret}";\n#debug concat(Leak, "\\n")\n`);
  writeFileSync(path.join(dir, 'secret.ttf'), secret);
  writeFileSync(path.join(dir, 'secret.df3'), Buffer.concat([Buffer.from([0, 2, 0, 2, 0, 2]), Buffer.from(secret)]));
}

const HOSTILE_SCENES = [
  'imagePng', 'imageUntyped', 'heightField', 'heightFieldPot', 'font', 'densityFile', 'includeAbsolute', 'includeRelative',
  'includeDeclared', 'includeMacro', 'includeChr', 'includeSubstr', 'fopenSecret', 'fopenProcEnviron', 'fopenPid1Environ',
  'fopenPasswd', 'fopenWorkerEnviron', 'includeSiblingJob', 'fileExists', 'writeOutside', 'diskBound', 'iniHeaderAfterComment', 'iniLibraryPath',
  'iniLibrarySwitch', 'iniIncludeHeader',
] as const;
type HostileScene = (typeof HOSTILE_SCENES)[number];

/**
 * A hostile scene's archive entries: it reaches for its own subfolder of the other job (`otherJob`), or for
 * the worker's environment (process `workerPid`).
 */
function hostileScene(name: HostileScene, otherJob: string, workerPid: number): ZipEntrySpec[] {
  const S = `${otherJob}/${name}`;
  // From this job's scene folder (WORK_DIR/povray-job-X/scene) to the other job, as a neighbour.
  const sibling = `../../${path.basename(otherJob)}/${name}`;
  const up = `${'../'.repeat(16)}${S.slice(1)}`; // relative, from the scene directory up to / and down again
  const codes = [...`${S}/secret.inc`].map((c) => c.charCodeAt(0)).join(', ');
  const half = Math.floor(S.length / 2);
  const pov = (scene: string, povExtra: string, iniExtra = '') => sceneFiles(scene, { povExtra, iniExtra });
  const scenes: Record<HostileScene, () => ZipEntrySpec[]> = {
    imagePng: () => pov('imagePng', `plane { z, 2 pigment { image_map { png "${S}/secret.png" } } }`),
    imageUntyped: () => pov('imageUntyped', `plane { z, 2 pigment { image_map { "${S}/secret.png" } } }`),
    heightField: () => pov('heightField', `height_field { "${S}/secret.png" }`),
    heightFieldPot: () => pov('heightFieldPot', `height_field { pot "${S}/secret.txt" }`),
    font: () => pov('font', `text { ttf "${S}/secret.ttf" "A" 0.1, 0 }`),
    densityFile: () => pov('densityFile', `sphere { 0, 1 hollow pigment { rgbt 1 } interior { media { density { density_file df3 "${S}/secret.df3" } } } }`),
    includeAbsolute: () => pov('includeAbsolute', `#include "${S}/secret.inc"`),
    includeRelative: () => pov('includeRelative', `#include "${up}/secret.inc"`),
    includeDeclared: () => pov('includeDeclared', `#declare Dir = "${S.slice(0, half)}";\n#declare P = concat(Dir, "${S.slice(half)}", "/sec", "ret.inc");\n#include P`),
    includeMacro: () => pov('includeMacro', `#macro Load(D, F)\n#include concat(D, "/", F)\n#end\nLoad("${S}", "secret.inc")`),
    includeChr: () => pov('includeChr', `#declare Codes = array[${S.length + 11}] { ${codes} };\n#declare P = "";\n#for (I, 0, ${S.length + 10})\n#declare P = concat(P, chr(Codes[I]));\n#end\n#include P`),
    includeSubstr: () => pov('includeSubstr', `#include concat(substr("x${S}y", 2, ${S.length}), "/secret", ".inc")`),
    fopenSecret: () => pov('fopenSecret', `#fopen F "${S}/secret.txt" read\n#read (F, Line)\n#debug concat(Line, "\\n")\n`),
    fopenProcEnviron: () => pov('fopenProcEnviron', `#fopen F "/proc/self/environ" read\n#read (F, Line)\n#debug concat(Line, "\\n")\n`),
    fopenPid1Environ: () => pov('fopenPid1Environ', `#fopen F "/proc/1/environ" read\n#read (F, Line)\n#debug concat(Line, "\\n")\n`),
    fopenPasswd: () => pov('fopenPasswd', `#fopen F "/etc/passwd" read\n#read (F, Line)\n#debug concat(Line, "\\n")\n`),
    fopenWorkerEnviron: () => pov('fopenWorkerEnviron', `#fopen F "/proc/${workerPid}/environ" read\n#read (F, Line)\n#debug concat(Line, "\\n")\n`),
    includeSiblingJob: () => pov('includeSiblingJob', `#include "${sibling}/secret.inc"`),
    fileExists: () => pov('fileExists', `#if (file_exists("${S}/secret.txt")) #debug "${EXISTS_MARKER}\\n" #end`),
    writeOutside: () => pov('writeOutside', `#fopen W "${S}/owned.txt" write\n#write (W, "owned")\n#fclose W`),
    // Inside the job's out/ (writable), but past RLIMIT_FSIZE: 100 MB against a bound of ~33 MB.
    diskBound: () => pov('diskBound', `#declare T = "${'0123456789'.repeat(10)}";\n#fopen W "../out/big.txt" write\n#for (I, 0, 100000)\n#write (W, T, T, T, T, T, T, T, T, T, T)\n#end\n#fclose W`),
    iniHeaderAfterComment: () => pov('iniHeaderAfterComment', '', `+W32 +H18 // +HI${S}/secret.inc\n`),
    iniLibraryPath: () => pov('iniLibraryPath', '#include "secret.inc"', `Library_Path=${S}\n`),
    iniLibrarySwitch: () => pov('iniLibrarySwitch', '#include "secret.inc"', `+L${S}\n`),
    iniIncludeHeader: () => pov('iniIncludeHeader', '', `Include_Header=${S}/secret.inc\n`),
  };
  return scenes[name]();
}

interface Watch {
  /** Events so far (`OPEN /path`), the barrier's own left out. */
  events(): string[];
  /**
   * Resolves once every event that happened before the call has been read: creates a sentinel file in the
   * watched folder and waits for its own event (inotify reports a watch's events in order).
   */
  barrier(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts `inotifywait` on `dir` alone; resolves once its watches are set. */
async function watch(dir: string): Promise<Watch> {
  const child = spawn('inotifywait', ['-m', '-r', '-e', 'open,access,modify,create', '--format', '%e %w%f', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const waiters: Array<{ line: string; resolve: () => void }> = [];
  child.stdout!.setEncoding('utf8').on('data', (c: string) => {
    out += c;
    for (const waiter of [...waiters]) {
      if (out.split('\n').includes(waiter.line)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  });
  await new Promise<void>((resolve, reject) => {
    let err = '';
    child.stderr!.setEncoding('utf8').on('data', (c: string) => {
      err += c;
      if (err.includes('Watches established')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`inotifywait exited with ${code}: ${err}`)));
  });
  let barriers = 0;
  const SENTINEL = '.barrier-';
  return {
    events: () => out.split('\n').filter((e) => e && !e.includes(`/${SENTINEL}`)),
    barrier: () => {
      const sentinel = path.join(dir, `${SENTINEL}${++barriers}`);
      const seen = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`inotifywait did not report ${sentinel} within 10 s; events: ${out}`)), 10_000);
        waiters.push({ line: `CREATE ${sentinel}`, resolve: () => (clearTimeout(timer), resolve()) });
      });
      writeFileSync(sentinel, '');
      return seen;
    },
    stop: async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
    },
  };
}

type Variant = 'scanned' | 'unscanned';

interface VariantRun {
  readonly s: Scenario;
  readonly jobs: Record<string, string>;
  /** The other job's folder: this variant's secrets, watched alone. */
  readonly otherJob: string;
  readonly watcher: Watch;
  /** Markers in this variant's secret files and in its worker's environment. */
  readonly fileSecret: string;
  readonly envSecret: string;
  /** Values of the worker's environment that must stay in the worker (credentials, queue, table, endpoints). */
  readonly envValues: string[];
  logs: string;
}

describeWithTools(['povray', 'inotifywait'], 'povray worker: confinement in the default layout — another job\'s files and the worker\'s environment stay out of reach', () => {
  let bed: WorkerTestbed;
  const runs = {} as Record<Variant, VariantRun>;

  /** One variant: its own other-job folder and watch, queue, worker (default WORK_DIR) and markers. */
  async function runVariant(mode: Variant): Promise<void> {
    const fileSecret = marker(`OUTSIDE-${mode}`);
    const envSecret = marker(`WORKERENV-${mode}`);
    const otherJob = makeOtherJob(fileSecret, HOSTILE_SCENES);
    const watcher = await watch(otherJob);
    const s = await bed.scenario(`confine-${mode}`, { maxReceiveCount: 1 });
    rmSync(s.workDir, { recursive: true, force: true }); // not used: the worker takes its default WORK_DIR
    const env: Record<string, string> = {
      [WORKER_ENV.renderWidth]: '16',
      [WORKER_ENV.renderHeight]: '8',
      [WORKER_ENV.workDir]: '', // unset: the default (the temp directory), where the other job lives
      AWS_CONTAINER_AUTHORIZATION_TOKEN: envSecret,
    };
    if (mode === 'unscanned') env.UNSAFE_SKIP_SCENE_SCAN = 'true';
    const envValues = Object.entries(bed.workerEnv(s, env))
      .filter(([name, value]) => /^AWS_|QUEUE|TABLE/.test(name) && value.length >= 8)
      .map(([, value]) => value);
    const run: VariantRun = { s, jobs: {}, otherJob, watcher, fileSecret, envSecret, envValues, logs: '' };
    runs[mode] = run;
    // All but the scene that needs the worker's PID first, so the worker never finds its queue empty.
    const later: HostileScene = 'fopenWorkerEnviron';
    for (const name of HOSTILE_SCENES.filter((n) => n !== later)) run.jobs[name] = await bed.submit(s, `${name}.zip`, await zipOf(hostileScene(name, otherJob, 0)));
    const worker = bed.startWorker(s, env);
    run.jobs[later] = await bed.submit(s, `${later}.zip`, await zipOf(hostileScene(later, otherJob, worker.process.pid!)));
    expect(await worker.exited).toEqual({ code: 0, signal: null });
    run.logs = worker.logs.map((l) => JSON.stringify(l)).join('\n');
    await watcher.barrier();
  }

  beforeAll(async () => {
    expect(existsSync(JAIL)).toBe(true); // built by `npm run build` (docker/povray-worker/bundle.config.mjs)
    bed = new WorkerTestbed(local());
    // Both variants side by side, one worker each, each with its own secrets.
    await Promise.all((['scanned', 'unscanned'] as const).map(runVariant));
  }, 120_000);

  afterAll(async () => {
    for (const run of Object.values(runs)) {
      await run.watcher.stop();
      rmSync(run.otherJob, { recursive: true, force: true });
    }
    await bed?.close();
  });

  it('the scene checker was on in one run and off in the other', () => {
    expect(runs.scanned.logs).not.toContain('scene checker is OFF');
    expect(runs.unscanned.logs).toContain('scene checker is OFF');
    expect(runs.unscanned.logs).toContain('render confinement ready');
  });

  it.each(['scanned', 'unscanned'] as const)('%s: jobs rendered in the default layout, beside the other job', async (mode) => {
    const { s, jobs, otherJob } = runs[mode];
    const outputs: string[] = [];
    for (const jobId of Object.values(jobs)) {
      const record = await bed.record(s, jobId);
      const log = record?.logKey ? (await bed.object(s, record.logKey)).body.toString('latin1') : '';
      outputs.push(...(log.match(/ \+O\S+/g) ?? []));
    }
    // POV-Ray's output file was in each job's own folder, a neighbour of the other job's.
    expect(outputs.length).toBeGreaterThan(0);
    for (const output of outputs) expect(output).toMatch(new RegExp(`^ \\+O"?${path.dirname(otherJob)}/povray-job-\\w+/out/`));
    expect(outputs.filter((o) => o.includes(otherJob))).toEqual([]);
  });

  it.each(['scanned', 'unscanned'] as const)('%s: no file of the other job was opened, read, created or written (inotify, up to a barrier)', (mode) => {
    const { watcher, otherJob } = runs[mode];
    expect(watcher.events()).toEqual([]);
    expect(existsSync(path.join(otherJob, 'writeOutside', 'owned.txt'))).toBe(false);
  });

  for (const mode of ['scanned', 'unscanned'] as const) {
    it.each(HOSTILE_SCENES)(`${mode}: %s — the other job's files never opened, no outside byte in the record, the log or the PNG`, async (name) => {
      const { s, jobs, watcher, otherJob, fileSecret, envSecret, envValues } = runs[mode];
      expect(watcher.events().filter((e) => e.includes(`${otherJob}/${name}/`))).toEqual([]);
      const record = await bed.record(s, jobs[name]);
      expect(['SUCCEEDED', 'FAILED']).toContain(record?.status);
      const outputs = [JSON.stringify(record)];
      if (record?.logKey) outputs.push((await bed.object(s, record.logKey)).body.toString('latin1'));
      if (record?.outputKey) outputs.push((await bed.object(s, record.outputKey)).body.toString('latin1'));
      for (const text of outputs) {
        expect(text).not.toContain(fileSecret);
        expect(text).not.toContain(envSecret);
        expect(envValues.filter((value) => text.includes(value))).toEqual([]);
        expect(text).not.toContain(EXISTS_MARKER);
        expect(text).not.toMatch(/root:x?:0:0/);
        expect(text).not.toContain('AWS_ENDPOINT_URL');
      }
      if (mode === 'unscanned' && name === 'diskBound') {
        expect(record?.errorReason).toMatch(/^scene wrote a file larger than \d+ bytes \(the per-file bound for MAX_PIXELS\)/);
      } else if (mode === 'unscanned' && !name.startsWith('ini') && name !== 'fileExists') {
        // The scene reached POV-Ray (no checker) and the kernel refused the file: POV-Ray reports it.
        expect(record?.status).toBe('FAILED');
        expect(record?.errorReason).toMatch(/^POV-Ray failed \(exit \d+\): /);
        expect(record?.errorReason).toMatch(/cannot open|cannot find|could not open|cannot read/i);
      }
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
    const secret = marker('OUTSIDE-jail');
    const confinement = probeConfinement(JAIL, 'povray', POVRAY_LIBRARY_DIRS);
    if (!confinement.available) throw new Error(`confinement unavailable: ${confinement.reason}`);
    const secrets = makeOtherJob(secret);
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
        expect(run.stdout + run.stderr).not.toContain(secret);
      }
      await watcher.barrier();
      expect(watcher.events()).toEqual([]);
    } finally {
      await watcher.stop();
      rmSync(secrets, { recursive: true, force: true });
      rmSync(jobDir, { recursive: true, force: true });
    }
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
