/**
 * podman as these machines need it: runc instead of crun (crun refuses the hybrid cgroups here), explicit
 * ulimits (podman's defaults exceed the hard limits a container may be given here), never a registry pull.
 */
import { spawnSync, SpawnSyncOptions } from 'child_process';
import { readFileSync } from 'fs';
import { whichTool } from '../tools';

/** Global podman flags for every command. */
export const PODMAN_GLOBAL_ARGS = ['--runtime', 'runc'];

/** What `npm run test:image` needs on the machine, with how to get it. */
export const IMAGE_TEST_TOOLS: ReadonlyArray<{ command: string; package: string }> = [
  { command: 'podman', package: 'podman' },
  { command: 'runc', package: 'runc' },
  { command: 'debootstrap', package: 'debootstrap' },
];

/**
 * Why this machine cannot run the image tests, or undefined when it can. The message says what to
 * install: the image tests never skip.
 */
export function imageTestBlocker(isRoot = process.getuid?.() === 0, which: (command: string) => string | undefined = whichTool): string | undefined {
  const missing = IMAGE_TEST_TOOLS.filter((tool) => !which(tool.command));
  const problems: string[] = [];
  if (missing.length > 0) {
    problems.push(`${missing.map((t) => t.command).join(', ')} not installed: run \`apt-get install -y ${missing.map((t) => t.package).join(' ')}\``);
  }
  if (!isRoot) problems.push('the base image is built with debootstrap and chroot, which need root: run as root (e.g. in CI or a VM)');
  return problems.length > 0 ? `npm run test:image cannot run: ${problems.join('; ')}` : undefined;
}

/** The hard limits of this process (from /proc/self/limits), by the names `--ulimit` uses. */
export function parseHardLimits(procLimits: string): { nofile?: number; nproc?: number } {
  const hard = (label: string): number | undefined => {
    const line = procLimits.split('\n').find((l) => l.startsWith(label));
    const value = line?.slice(label.length).trim().split(/\s+/)[1];
    return value === undefined || value === 'unlimited' ? undefined : Number(value);
  };
  return { nofile: hard('Max open files'), nproc: hard('Max processes') };
}

/**
 * `--ulimit` flags a container here can actually be given: runc cannot raise a limit above the hard limit
 * of its caller (no CAP_SYS_RESOURCE), nor nproc above the kernel's pid_max. Fargate's own default is
 * 65535 open files; the worker needs far fewer.
 */
export function containerUlimitArgs(procLimits = readFileSync('/proc/self/limits', 'utf8'), pidMax = Number(readFileSync('/proc/sys/kernel/pid_max', 'utf8'))): string[] {
  const hard = parseHardLimits(procLimits);
  const nofile = Math.min(hard.nofile ?? 65535, 65535);
  const nproc = Math.min(hard.nproc ?? pidMax, pidMax);
  return ['--ulimit', `nofile=${nofile}:${nofile}`, '--ulimit', `nproc=${nproc}:${nproc}`];
}

/** Runs `podman <args>` and returns its stdout; throws with stderr when it fails. */
export function podman(args: string[], options: SpawnSyncOptions & { allowFailure?: boolean } = {}): string {
  const result = spawnSync('podman', [...PODMAN_GLOBAL_ARGS, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...options });
  if (result.error) throw result.error;
  if (result.status !== 0 && !options.allowFailure) {
    throw new Error(`podman ${args.join(' ')} failed (exit ${result.status}):\n${String(result.stderr ?? '').slice(-4000)}`);
  }
  return String(result.stdout ?? '');
}

/** An image's labels, or undefined when the image does not exist locally. */
export function imageLabels(image: string): Record<string, string> | undefined {
  const result = spawnSync('podman', [...PODMAN_GLOBAL_ARGS, 'image', 'inspect', '--format', '{{json .Labels}}', image], { encoding: 'utf8' });
  if (result.status !== 0) return undefined;
  return JSON.parse(result.stdout.trim() || 'null') ?? {};
}

/** Removes containers by name, with their anonymous volumes; absent ones are fine. */
export function removeContainers(names: readonly string[]): void {
  if (names.length > 0) podman(['rm', '--force', '--volumes', '--ignore', ...names], { allowFailure: true });
}
