/**
 * Hostile scenes for the confinement tests, on the host (Landlock, and seccomp user notification under
 * local/sandbox/without-landlock) and in the container: each tries to read files outside its job in one
 * shape POV-Ray accepts a file name (typed and untyped image and height-field files, `pot`, fonts, density
 * files, #include absolute, relative, built by #declare, macros and string functions, from a neighbouring
 * job, #fopen of /proc and /etc and of the worker's own environment, INI library paths and headers), or to
 * write outside, or past the per-file bound.
 *
 * The secrets are what a widened confinement would hand out: ANOTHER JOB'S FILES, in a folder shaped like
 * a job's where the worker's default WORK_DIR puts jobs (`<WORK_DIR>/povray-worker-<pid>/job-XXXXXX`, a
 * live worker's, so no worker sweeps it), and THE WORKER'S ENVIRONMENT. Judged by outcome: the other job's
 * files are never opened (an inotify watch on that folder alone, read up to a barrier), and no marker
 * reaches the PNG, the log or the job record. Each run makes its own folder and markers, so a file opened
 * is pinned on one run and one scene.
 */
import { ChildProcess, spawn, SpawnSyncReturns } from 'child_process';
import { randomBytes } from 'crypto';
import { mkdirSync, mkdtempSync, rmdirSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { PNG } from 'pngjs';
import { RenderJobRecord } from '../contracts/lambda-ecs-worker/render-job';
import { workerJobsDir } from '../docker/povray-worker/src/bounds';
import { confinementPolicy, HostPaths, jailArguments, maxRenderFileBytes, renderEnvironment } from '../docker/povray-worker/src/confinement';
import { sceneFiles, zipOf, ZipEntrySpec } from './povray-scenes';
import { RunningWorker, Scenario, WorkerTestbed } from './povray-worker';

/** Printed by a scene only if it could tell that an outside file exists. */
export const EXISTS_MARKER = 'SECRET-FILE-EXISTS';
/** A variable of the worker's environment that carries the run's environment marker (a credential's name on ECS). */
export const ENV_SECRET_VARIABLE = 'AWS_CONTAINER_AUTHORIZATION_TOKEN';

/** A marker unique to one run: `what-<16 hex>`. */
export const marker = (what: string): string => `${what}-${randomBytes(8).toString('hex')}`;

/**
 * Makes another job's folder in the default layout: `<workDir>/povray-worker-<workerPid>/job-XXXXXX`, one
 * subfolder per hostile scene (`names`) holding files marked with `secret`, so each scene's attempt is told
 * apart in the inotify events. `workerPid` defaults to this process: alive, so a worker's start-up sweep
 * of dead workers' folders leaves it alone. Remove it with {@link removeOtherJob}.
 */
export function makeOtherJob(secret: string, options: { names?: readonly string[]; workDir?: string; workerPid?: number } = {}): string {
  const jobsDir = workerJobsDir(options.workDir ?? tmpdir(), options.workerPid ?? process.pid);
  mkdirSync(jobsDir, { recursive: true, mode: 0o700 });
  const root = mkdtempSync(path.join(jobsDir, 'job-'));
  for (const name of options.names ?? ['']) writeSecrets(path.join(root, name), secret);
  return root;
}

/** Removes a folder made by {@link makeOtherJob}, and its worker folder once no other job is left in it. */
export function removeOtherJob(otherJob: string): void {
  rmSync(otherJob, { recursive: true, force: true });
  try {
    rmdirSync(path.dirname(otherJob));
  } catch {
    // another run's job is still there
  }
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

export const HOSTILE_SCENES = [
  'imagePng', 'imageUntyped', 'heightField', 'heightFieldPot', 'font', 'densityFile', 'includeAbsolute', 'includeRelative',
  'includeDeclared', 'includeMacro', 'includeChr', 'includeSubstr', 'fopenSecret', 'fopenProcEnviron', 'fopenPid1Environ',
  'fopenPasswd', 'fopenWorkerEnviron', 'includeSiblingJob', 'fileExists', 'writeOutside', 'diskBound', 'iniHeaderAfterComment', 'iniLibraryPath',
  'iniLibrarySwitch', 'iniIncludeHeader',
] as const;
export type HostileScene = (typeof HOSTILE_SCENES)[number];
/** Scenes that need the worker's pid: submitted once the worker has said who it is. */
export const WORKER_PID_SCENES: readonly HostileScene[] = ['fopenWorkerEnviron'];

/** What the scenes aim at, as the worker sees it (inside a container, the container's paths). */
export interface HostileTarget {
  /** The other job's folder ({@link makeOtherJob}). */
  readonly otherJob: string;
  /** The worker's WORK_DIR, where its own jobs are: `<workDir>/povray-worker-<pid>/job-XXXXXX/scene`. */
  readonly workDir: string;
  /** The worker's pid (its `/proc/<pid>/environ`). */
  readonly workerPid: number;
  /**
   * The worker's MAX_PIXELS, which sets the per-file bound the `diskBound` scene must pass.
   * @default 1920 * 1080 (the testbed's, local/povray-worker.ts)
   */
  readonly maxPixels?: number;
}

/**
 * A POV-Ray loop that writes `lines` lines of 1000 bytes into `file` (relative to the scene folder): an
 * output flood for the per-file and per-job disk bounds.
 */
export function outputFlood(file: string, lines: number): string {
  return `#declare T = "${'0123456789'.repeat(10)}";\n#fopen W "${file}" write\n#for (I, 0, ${lines})\n#write (W, T, T, T, T, T, T, T, T, T, T)\n#end\n#fclose W\n`;
}

/** A hostile scene's archive entries: it reaches for its own subfolder of the other job, or for the worker's environment. */
export function hostileScene(name: HostileScene, target: HostileTarget): ZipEntrySpec[] {
  const S = `${target.otherJob}/${name}`;
  // From this job's scene folder to the other job, as a neighbour in WORK_DIR.
  const sibling = path.relative(path.join(workerJobsDir(target.workDir, 0), 'job-0', 'scene'), S);
  const up = `${'../'.repeat(16)}${S.slice(1)}`; // relative, from the scene directory up to / and down again
  const codes = [...`${S}/secret.inc`].map((c) => c.charCodeAt(0)).join(', ');
  const half = Math.floor(S.length / 2);
  const pov = (scene: string, povExtra: string, iniExtra = '') => sceneFiles(scene, { povExtra, iniExtra });
  const fopen = (file: string) => `#fopen F "${file}" read\n#read (F, Line)\n#debug concat(Line, "\\n")\n`;
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
    fopenSecret: () => pov('fopenSecret', fopen(`${S}/secret.txt`)),
    fopenProcEnviron: () => pov('fopenProcEnviron', fopen('/proc/self/environ')),
    fopenPid1Environ: () => pov('fopenPid1Environ', fopen('/proc/1/environ')),
    fopenPasswd: () => pov('fopenPasswd', fopen('/etc/passwd')),
    fopenWorkerEnviron: () => pov('fopenWorkerEnviron', fopen(`/proc/${target.workerPid}/environ`)),
    includeSiblingJob: () => pov('includeSiblingJob', `#include "${sibling}/secret.inc"`),
    fileExists: () => pov('fileExists', `#if (file_exists("${S}/secret.txt")) #debug "${EXISTS_MARKER}\\n" #end`),
    writeOutside: () => pov('writeOutside', `#fopen W "${S}/owned.txt" write\n#write (W, "owned")\n#fclose W`),
    // Inside the job's out/ (writable), but 10 MB past RLIMIT_FSIZE (~58 MB at MAX_PIXELS 1920×1080).
    diskBound: () => pov('diskBound', outputFlood('../out/big.txt', Math.ceil(maxRenderFileBytes(target.maxPixels ?? 1920 * 1080) / 1000) + 10_000)),
    iniHeaderAfterComment: () => pov('iniHeaderAfterComment', '', `+W32 +H18 // +HI${S}/secret.inc\n`),
    iniLibraryPath: () => pov('iniLibraryPath', '#include "secret.inc"', `Library_Path=${S}\n`),
    iniLibrarySwitch: () => pov('iniLibrarySwitch', '#include "secret.inc"', `+L${S}\n`),
    iniIncludeHeader: () => pov('iniIncludeHeader', '', `Include_Header=${S}/secret.inc\n`),
  };
  return scenes[name]();
}

/**
 * povray-jail run alone (no worker, no parser) with POV-Ray switches that name another job's file: +HI,
 * +L, an outside INI (Include_Ini), an outside input file. `runJail` runs the launcher with these
 * arguments in the job folder and returns its output; each run must fail, no marker in its output, and
 * the other job's folder sees no event (read after a barrier).
 */
export async function expectHostileSwitchesRefused(host: HostPaths, runJail: (jailArgs: string[], jobDir: string) => SpawnSyncReturns<string>): Promise<void> {
  const secret = marker('OUTSIDE-jail');
  const outside = makeOtherJob(secret);
  writeFileSync(path.join(outside, 'secret.ini'), `Input_File_Name=${outside}/secret.inc\n`);
  const jobDir = mkdtempSync(path.join(tmpdir(), 'povray-jail-job-'));
  const watcher = await watch(outside);
  try {
    const outDir = path.join(jobDir, 'out');
    mkdirSync(outDir);
    writeFileSync(path.join(jobDir, 'scene.pov'), '#version 3.7;\n#include "secret.inc"\nsphere { 0, 1 pigment { rgb 1 } }\n');
    const policy = confinementPolicy(host, { jobDir, outDir });
    const attempts = [[`+HI${outside}/secret.inc`, '+Iscene.pov'], [`+L${outside}`, '+Iscene.pov'], [`${outside}/secret.ini`], [`+I${outside}/secret.inc`]];
    for (const povrayArgs of attempts) {
      const args = jailArguments(policy, { env: renderEnvironment(jobDir), program: host.povray, args: [...povrayArgs, '+W8', '+H8', '-D', `+O${outDir}/x.png`] });
      const run = runJail(args, jobDir);
      expect(run.status).not.toBe(0);
      expect(run.stdout + run.stderr).not.toContain(secret);
    }
    await watcher.barrier();
    expect(watcher.events()).toEqual([]);
  } finally {
    await watcher.stop();
    removeOtherJob(outside);
    rmSync(jobDir, { recursive: true, force: true });
  }
}

/**
 * Submits every hostile scene to `s`, starts the worker (`start`), and once it has logged its pid
 * (`workerId` is `<host>-<pid>`, inside a container too) submits the scenes that need it. The others go
 * first, so the worker never finds its queue empty before the last ones arrive.
 */
export async function submitHostileScenes(
  bed: WorkerTestbed,
  s: Scenario,
  target: Omit<HostileTarget, 'workerPid'>,
  start: () => RunningWorker,
): Promise<{ jobs: Record<HostileScene, string>; worker: RunningWorker; workerPid: number }> {
  const jobs = {} as Record<HostileScene, string>;
  const submit = async (name: HostileScene, workerPid: number) => (jobs[name] = await bed.submit(s, `${name}.zip`, await zipOf(hostileScene(name, { ...target, workerPid }))));
  for (const name of HOSTILE_SCENES.filter((n) => !WORKER_PID_SCENES.includes(n))) await submit(name, 0);
  const worker = start();
  const started = await worker.waitForLog((l) => typeof l.workerId === 'string');
  const workerPid = Number(/-(\d+)$/.exec(started.workerId)?.[1]);
  if (!Number.isInteger(workerPid) || workerPid <= 0) throw new Error(`no pid in the worker's workerId: ${JSON.stringify(started)}`);
  for (const name of WORKER_PID_SCENES) await submit(name, workerPid);
  return { jobs, worker, workerPid };
}

/** What must never leave the confinement, for one run. */
export interface RunSecrets {
  /** The marker in the other job's files. */
  readonly fileSecret: string;
  /** The marker in the worker's environment ({@link ENV_SECRET_VARIABLE}). */
  readonly envSecret: string;
  /** Other values of the worker's environment (credentials, queue, table, endpoints). */
  readonly envValues: readonly string[];
}

/** One run's secrets: another job's folder with its own markers, watched alone. */
export interface OtherJobRun {
  readonly otherJob: string;
  readonly watcher: Watch;
  /** The marker in the other job's files. */
  readonly fileSecret: string;
  /** The marker to put in the worker's environment as {@link ENV_SECRET_VARIABLE}. */
  readonly envSecret: string;
  /** What must not leave the confinement, given the worker's environment. */
  secretsFor(workerEnv: Record<string, string>): RunSecrets;
  /** Stops the watch and removes the folder. */
  remove(): Promise<void>;
}

/**
 * Makes the other job's folder for one run (`label` names its markers), with every hostile scene's
 * subfolder, lets `prepare` adjust it (e.g. permissions), and starts its watch.
 */
export async function prepareOtherJob(label: string, options: { workDir?: string; prepare?: (otherJob: string) => void } = {}): Promise<OtherJobRun> {
  const fileSecret = marker(`OUTSIDE-${label}`);
  const envSecret = marker(`WORKERENV-${label}`);
  const otherJob = makeOtherJob(fileSecret, { names: HOSTILE_SCENES, workDir: options.workDir });
  let watcher: Watch;
  try {
    options.prepare?.(otherJob);
    watcher = await watch(otherJob);
  } catch (error) {
    removeOtherJob(otherJob);
    throw error;
  }
  return {
    otherJob,
    watcher,
    fileSecret,
    envSecret,
    secretsFor: (workerEnv) => ({ fileSecret, envSecret, envValues: workerSecretValues(workerEnv) }),
    remove: async () => {
      await watcher.stop();
      removeOtherJob(otherJob);
    },
  };
}

/** The values of `env` that must stay in the worker: AWS_*, queue and table, long enough to be telling. */
export function workerSecretValues(env: Record<string, string>): string[] {
  return Object.entries(env)
    .filter(([name, value]) => /^AWS_|QUEUE|TABLE/.test(name) && value.length >= 8)
    .map(([, value]) => value);
}

/** A job's record and every text that leaves it: the record, the uploaded log and the PNG (as latin1). */
export async function jobOutputs(bed: WorkerTestbed, s: Scenario, jobId: string): Promise<{ record?: RenderJobRecord; texts: string[] }> {
  const record = await bed.record(s, jobId);
  const texts = [JSON.stringify(record)];
  if (record?.logKey) texts.push((await bed.object(s, record.logKey)).body.toString('latin1'));
  if (record?.outputKey) texts.push((await bed.object(s, record.outputKey)).body.toString('latin1'));
  return { record, texts };
}

/** No byte of the other job nor of the worker's environment, nothing an outside file told, in `texts`. */
export function expectNothingLeaked(texts: readonly string[], secrets: RunSecrets, also: readonly RegExp[] = []): void {
  for (const text of texts) {
    expect(text).not.toContain(secrets.fileSecret);
    expect(text).not.toContain(secrets.envSecret);
    expect(secrets.envValues.filter((value) => text.includes(value))).toEqual([]);
    expect(text).not.toContain(EXISTS_MARKER);
    expect(text).not.toMatch(/root:x?:0:0/);
    expect(text).not.toContain('AWS_ENDPOINT_URL');
    for (const pattern of also) expect(text).not.toMatch(pattern);
  }
}

/**
 * How a hostile scene ends with the scene checker OFF, the confinement alone (Landlock or seccomp user
 * notification): the file refused by the kernel or the supervisor and POV-Ray saying so; the flood stopped
 * by the per-file bound; `file_exists` on a denied file just says no; the INI switches refused by the
 * allow-list (which stays on).
 */
export function expectRefusedByConfinement(name: HostileScene, record: RenderJobRecord | undefined): void {
  if (name === 'diskBound') {
    expect(record?.status).toBe('FAILED');
    expect(record?.errorReason).toMatch(/^scene wrote a file larger than \d+ bytes \(the per-file bound for MAX_PIXELS\)/);
  } else if (name === 'fileExists') {
    expect(record?.status).toBe('SUCCEEDED');
  } else if (name.startsWith('ini')) {
    expect(record?.errorReason).toMatch(/^ini rejected: /);
  } else {
    expect(record?.status).toBe('FAILED');
    expect(record?.errorReason).toMatch(/^POV-Ray failed \(exit \d+\): /);
    expect(record?.errorReason).toMatch(/cannot open|cannot find|could not open|cannot read/i);
  }
}

export interface Watch {
  /** Events so far (`OPEN /path`), the barrier's own left out. */
  events(): string[];
  /**
   * Resolves once every event that happened before the call has been read: creates a sentinel file in the
   * watched folder and waits for its own event (inotify reports a watch's events in order). Read
   * `events()` only after a barrier: without it, an open that happened just before may not have arrived.
   */
  barrier(): Promise<void>;
  readonly process: ChildProcess;
  stop(): Promise<void>;
}

/** Starts `inotifywait` on `dir` alone (recursively); resolves once its watches are set. */
export async function watch(dir: string): Promise<Watch> {
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
    process: child,
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
