/**
 * POV-Ray runs confined by the operating system, not by the worker's reading of the scene: the `povray-jail`
 * launcher (sandbox/povray-jail.c) restricts it to the paths below before it executes POV-Ray: with Landlock
 * where the kernel has it, else with seccomp user notification (sandbox/unotify.c: the jail opens every file
 * POV-Ray asks for itself, beneath the same rules; Linux >= 5.9, e.g. Fargate's Amazon Linux 2 5.10). A scene language can build file names in more ways than a scanner can follow; the kernel
 * checks every open. See docs/povray-worker.md, "Threat model".
 */
import { spawnSync } from 'child_process';
import { existsSync, lstatSync, readdirSync, realpathSync, statSync } from 'fs';
import * as path from 'path';

/** What the confined POV-Ray may reach; everything else is denied by the kernel. */
export interface ConfinementPolicy {
  /** Read files and list directories beneath these. */
  readonly read: readonly string[];
  /** Read and execute these files (POV-Ray and its ELF interpreter). */
  readonly exec: readonly string[];
  /** Read, create, write, truncate and delete files beneath these. */
  readonly write: readonly string[];
  /** Device files to read and write (/dev/null). */
  readonly devices: readonly string[];
}

/** What this host's POV-Ray needs to start, found once at start-up ({@link discoverHost}). */
export interface HostPaths {
  /** POV-Ray's executable, absolute and resolved. */
  readonly povray: string;
  readonly read: readonly string[];
  readonly exec: readonly string[];
  readonly devices: readonly string[];
}

/** The kernel mechanism that confines POV-Ray: the jail picks the first the kernel offers. */
export type ConfinementMechanism = 'landlock' | 'seccomp-unotify';

/** The confinement the worker renders with, or why it has none (then it renders nothing). */
export type Confinement =
  | { readonly available: true; readonly jail: string; readonly host: HostPaths; readonly mechanism: ConfinementMechanism; /** Landlock's ABI version (landlock only). */ readonly abi?: number }
  | { readonly available: false; readonly reason: string };

/** How a log line names the confinement: "Landlock ABI 4" or "seccomp user notification". */
export function describeConfinement(confinement: { mechanism: ConfinementMechanism; abi?: number }): string {
  return confinement.mechanism === 'landlock' ? `Landlock ABI ${confinement.abi}` : 'seccomp user notification (the jail opens every file POV-Ray asks for)';
}

/** The jail's --probe answer: `landlock abi N` or `seccomp-unotify`. */
export function parseProbe(stdout: string): { mechanism: ConfinementMechanism; abi?: number } | undefined {
  const landlock = /^landlock abi (\d+)$/m.exec(stdout);
  if (landlock) return { mechanism: 'landlock', abi: Number(landlock[1]) };
  if (/^seccomp-unotify$/m.test(stdout)) return { mechanism: 'seccomp-unotify' };
  return undefined;
}

/** Exit codes of povray-jail (see the header of povray-jail.c). */
export const JAIL_EXIT: Readonly<Record<number, string>> = {
  120: 'usage error',
  121: 'no kernel confinement available',
  122: 'a confinement rule or limit could not be set',
  123: 'the confinement self-check failed',
  124: 'POV-Ray could not be executed inside the confinement',
};

/** Debian's POV-Ray configuration and the dynamic loader's cache (the include library comes from library.ts). */
export const POVRAY_READ_PATHS = ['/etc/povray', '/etc/ld.so.cache'];

/**
 * The per-job policy: the host's start-up paths, the job directory (read: scene, fresh INI, empty HOME)
 * and its output directory (write). Nothing of /proc, /tmp, $HOME, /etc or other jobs is in it.
 */
export function confinementPolicy(host: HostPaths, job: { jobDir: string; outDir: string; tempDir?: string }): ConfinementPolicy {
  return { read: [...host.read, job.jobDir], exec: host.exec, write: job.tempDir ? [job.outDir, job.tempDir] : [job.outDir], devices: host.devices };
}

/**
 * RLIMIT_FSIZE for POV-Ray: no file it writes may grow past the image buffer POV-Ray keeps on disk above
 * ~6.7 MP (20 bytes a pixel, five 32-bit floats; measured 165,888,000 bytes at 3840×2160), which is larger
 * than the largest PNG (16-bit RGBA, 8 bytes a pixel), plus 16 MiB.
 */
export function maxRenderFileBytes(maxPixels: number): number {
  return maxPixels * 20 + 16 * 1024 * 1024;
}

/**
 * The only environment POV-Ray gets: a private HOME, a locale, UTC (no /etc/localtime read) and its
 * temporary directory inside the job. POV-Ray 3.7 keeps images above ~6.7 MP in a file
 * `<temp path>/pov<pid>`; the temp path is `/tmp/` unless POV_TEMP_DIR names another (vfe/unix/unixoptions.cpp,
 * confirmed with strace), and TMPDIR is not read. /tmp is outside the confinement, so it must be the job's.
 */
export function renderEnvironment(home: string, tempDir?: string): string[] {
  const temp = tempDir ? [`POV_TEMP_DIR=${tempDir}/`, `TMPDIR=${tempDir}`] : [];
  return [`HOME=${home}`, ...temp, 'LANG=C.UTF-8', 'LC_ALL=C.UTF-8', 'TZ=UTC'];
}

/** Kernel limits the launcher sets before it executes POV-Ray (see povray-jail.c). */
export interface JailLimits {
  /** RLIMIT_FSIZE, bytes. */
  readonly maxFileBytes?: number;
  /** RLIMIT_AS, bytes. */
  readonly maxMemoryBytes?: number;
  /** RLIMIT_CPU, seconds. */
  readonly maxCpuSeconds?: number;
  /** RLIMIT_NPROC: processes and threads of the user, all together. */
  readonly maxProcesses?: number;
  /** The worker's pid: POV-Ray gets SIGKILL when it dies (PR_SET_PDEATHSIG). */
  readonly parentPid?: number;
}

/** The launcher's arguments: the rules, the environment, the limits, then POV-Ray's command line. */
export function jailArguments(policy: ConfinementPolicy, options: JailLimits & { env: readonly string[]; program: string; args: readonly string[] }): string[] {
  return [
    ...policy.read.flatMap((p) => ['--read', p]),
    ...policy.exec.flatMap((p) => ['--exec', p]),
    ...policy.write.flatMap((p) => ['--write', p]),
    ...policy.devices.flatMap((p) => ['--device', p]),
    ...options.env.flatMap((e) => ['--env', e]),
    ...(options.maxFileBytes ? ['--max-file-bytes', String(options.maxFileBytes)] : []),
    ...(options.maxMemoryBytes ? ['--max-memory-bytes', String(options.maxMemoryBytes)] : []),
    ...(options.maxCpuSeconds ? ['--max-cpu-seconds', String(options.maxCpuSeconds)] : []),
    ...(options.maxProcesses ? ['--max-processes', String(options.maxProcesses)] : []),
    ...(options.parentPid ? ['--parent-pid', String(options.parentPid)] : []),
    '--',
    options.program,
    ...options.args,
  ];
}

/** Parses `ldd` output into the shared libraries' resolved paths and the ELF interpreter's. */
export function parseLdd(output: string): { libraries: string[]; interpreter?: string } {
  const libraries: string[] = [];
  let interpreter: string | undefined;
  for (const line of output.split('\n')) {
    const linked = /=>\s+(\/\S+)\s+\(/.exec(line);
    if (linked) libraries.push(linked[1]);
    else if (/^\s*(\/\S+)\s+\(0x/.test(line)) interpreter = /^\s*(\/\S+)/.exec(line)![1];
    if (/=>\s+not found/.test(line)) throw new Error(`POV-Ray is missing a shared library: ${line.trim()}`);
  }
  return { libraries, interpreter };
}

/** The files symbolic links in `dir` point to (Debian links the POV-Ray fonts from /usr/share/fonts). */
function linkTargets(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const found = new Set<string>();
  for (const name of readdirSync(dir)) {
    const entry = path.join(dir, name);
    if (lstatSync(entry).isSymbolicLink() && existsSync(entry)) found.add(realpathSync(entry));
  }
  return [...found];
}

/** Finds `command` on PATH (or takes it as a path), resolved to the real file. */
export function resolveExecutable(command: string, searchPath = process.env.PATH ?? '/usr/bin:/bin'): string {
  const candidates = command.includes('/') ? [command] : searchPath.split(':').filter(Boolean).map((dir) => path.join(dir, command));
  for (const candidate of candidates) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return realpathSync(candidate);
  }
  throw new Error(`POV-Ray is not installed here (${command} not found on PATH); install Debian's povray and povray-includes`);
}

/**
 * What POV-Ray needs to start on this host: its binary, the shared library files it loads (from `ldd`,
 * resolved; the files, not their directories, so nothing else beside them, such as
 * gconv/gconv-modules, is readable), its ELF interpreter, its configuration and include library, the
 * font files those link to, and /dev/null. Landlock checks resolved paths, so every path here is resolved.
 */
export function discoverHost(povrayCommand: string, libraryDirs: readonly string[]): HostPaths {
  const povray = resolveExecutable(povrayCommand);
  const ldd = spawnSync('ldd', [povray], { encoding: 'utf8' });
  if (ldd.status !== 0) throw new Error(`cannot list POV-Ray's shared libraries (ldd ${povray}: ${(ldd.stderr || ldd.error?.message || '').trim()})`);
  const { libraries, interpreter } = parseLdd(ldd.stdout);
  const interpreterPath = interpreter ? realpathSync(interpreter) : undefined;
  const read = new Set<string>(libraries.map((lib) => realpathSync(lib)));
  for (const p of [...POVRAY_READ_PATHS, ...libraryDirs]) if (existsSync(p)) read.add(realpathSync(p));
  for (const dir of libraryDirs) for (const target of linkTargets(dir)) read.add(target);
  return { povray, read: [...read].sort(), exec: [povray, ...(interpreterPath ? [interpreterPath] : [])], devices: ['/dev/null'] };
}

/** Why the launcher failed, from its exit code and its `povray-jail: ...` line. */
export function jailFailure(exitCode: number | null, output: string): string | undefined {
  if (exitCode === null || !(exitCode in JAIL_EXIT)) return undefined;
  const line = output.split('\n').find((l) => l.startsWith('povray-jail: '));
  return `${JAIL_EXIT[exitCode]} (exit ${exitCode})${line ? `: ${line.slice('povray-jail: '.length).trim()}` : ''}`;
}

/**
 * Sets the confinement up once at start-up, exactly as for a job, and checks it holds (the launcher's
 * --probe: "/" must be unreachable afterwards). Never throws: a host without it gets a reason instead.
 */
export function probeConfinement(jail: string, povrayCommand: string, libraryDirs: readonly string[]): Confinement {
  if (!existsSync(jail)) {
    return { available: false, reason: `the confinement launcher ${jail} is missing (build it: cc -O2 -o ${jail} docker/povray-worker/sandbox/povray-jail.c docker/povray-worker/sandbox/unotify.c)` };
  }
  let host: HostPaths;
  try {
    host = discoverHost(povrayCommand, libraryDirs);
  } catch (error) {
    return { available: false, reason: (error as Error).message };
  }
  const policy: ConfinementPolicy = { read: host.read, exec: host.exec, write: [], devices: host.devices };
  const args = jailArguments(policy, { env: [], program: host.povray, args: [] });
  const probe = spawnSync(jail, ['--probe', ...args.slice(0, args.indexOf('--'))], { encoding: 'utf8', env: {} });
  const found = parseProbe(probe.stdout ?? '');
  if (probe.status === 0 && found) return { available: true, jail, host, ...found };
  const why = jailFailure(probe.status, probe.stderr ?? '') ?? `${jail} --probe ended with ${probe.status ?? probe.signal ?? probe.error?.message}: ${(probe.stderr ?? '').trim()}`;
  return { available: false, reason: why };
}
