/**
 * The bounds of one render beyond the file system (docs/povray-worker.md, "Bounds"): what the kernel
 * enforces through povray-jail's rlimits, the job directory's byte and file budget the worker watches, and
 * how an exceeded bound is told apart from any other failure, so the job ends FAILED at once (a bound
 * exceeded again on a retry would fail the same way) with a reason that names the bound and its value.
 */
import { readdirSync, readFileSync, rmSync, statSync } from 'fs';
import * as path from 'path';
import { RenderBounds } from './config';
import { PermanentJobError } from './failures';

const MiB = 1024 * 1024;

/** A render ended by one of its bounds; permanent: the same scene would exceed it again. */
export class BoundExceeded extends PermanentJobError {
  constructor(message: string) {
    super(message, 'bound-exceeded');
  }
}

/**
 * What POV-Ray 3.7 prints when an allocation fails under RLIMIT_AS, measured with a 4 GB array: on its
 * console "Attempt to free NULL pointer" and "Fatal error in parser: Uncategorized error" (256 MiB limit),
 * or as the error that ends the parse "Parse Error: std::bad_alloc" (1536 MiB limit, in the container);
 * the renderer says "Out of memory".
 */
const OUT_OF_MEMORY = /out of memory|bad_alloc|cannot allocate memory|Attempt to free NULL pointer|Fatal error in parser: Uncategorized error/i;

/** How a render ended, as far as the bounds are concerned. */
export interface RenderEnd {
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  /** POV-Ray's console (which a scene cannot write to) and the error that ended its parse. */
  readonly output: string;
  /** The disk budget's verdict, when the worker killed the render for it. */
  readonly diskExceeded?: string;
}

/** The bound a failed render ran into, or undefined when it failed for another reason. */
export function exceededBound(end: RenderEnd, bounds: RenderBounds): BoundExceeded | undefined {
  if (end.diskExceeded) return new BoundExceeded(end.diskExceeded);
  if (end.signal === 'SIGXCPU') {
    return new BoundExceeded(`scene needed more than ${bounds.cpuSeconds} CPU-seconds (RENDER_CPU_SECONDS, default RENDER_TIMEOUT_SECONDS × TASK_VCPUS)`);
  }
  if (end.signal === 'SIGXFSZ') {
    return new BoundExceeded(`scene wrote a file larger than ${bounds.fileBytes} bytes (the per-file bound for MAX_PIXELS)`);
  }
  if ((end.exitCode !== 0 || end.signal) && OUT_OF_MEMORY.test(end.output)) {
    return new BoundExceeded(`scene needed more than ${bounds.memoryMiB} MiB of memory (RENDER_MEMORY_MIB, default TASK_MEMORY_MIB less the worker's reserve)`);
  }
  return undefined;
}

/** RLIMIT_AS in bytes. */
export function memoryBytes(bounds: RenderBounds): number {
  return bounds.memoryMiB * MiB;
}

/**
 * RLIMIT_NPROC for POV-Ray. The kernel counts processes and threads per real user id, not per process
 * tree, so the limit is what the user already runs (the worker's own threads, and anything else of the
 * same uid) plus POV-Ray's allowance: its render threads and its fixed few (main, frontend, parser,
 * backend). Not enforced for root or with CAP_SYS_RESOURCE; the task runs as 1000 without capabilities.
 */
export function processLimit(bounds: RenderBounds, uid = process.getuid?.() ?? 0): number {
  return userThreadCount(uid) + bounds.threads + 16;
}

/** Threads (tasks) of processes whose real uid is `uid`, from /proc. */
export function userThreadCount(uid: number, proc = '/proc'): number {
  let count = 0;
  for (const entry of readdirSync(proc)) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const status = readFileSync(path.join(proc, entry, 'status'), 'latin1');
      const realUid = /^Uid:\s+(\d+)/m.exec(status);
      const threads = /^Threads:\s+(\d+)/m.exec(status);
      if (realUid && Number(realUid[1]) === uid) count += threads ? Number(threads[1]) : 1;
    } catch {
      // gone meanwhile
    }
  }
  return count;
}

/** Bytes and files in the directories a render may write to (flat: the confinement grants no mkdir). */
export function diskUsage(dirs: readonly string[]): { bytes: number; files: number } {
  let bytes = 0;
  let files = 0;
  for (const dir of dirs) {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names) {
      files++;
      try {
        bytes += statSync(path.join(dir, name)).size;
      } catch {
        // removed meanwhile
      }
    }
  }
  return { bytes, files };
}

/** Why `usage` is over the budget, or undefined. */
export function diskVerdict(usage: { bytes: number; files: number }, bounds: RenderBounds): string | undefined {
  if (usage.bytes > bounds.diskBytes) return `scene wrote more than ${bounds.diskBytes} bytes into its job directory (RENDER_DISK_BYTES)`;
  if (usage.files > bounds.maxFiles) return `scene created more than ${bounds.maxFiles} files in its job directory (RENDER_MAX_FILES)`;
  return undefined;
}

/**
 * Watches the job's writable directories while POV-Ray runs and calls `exceeded` once, as soon as the
 * budget is over. A watched budget: between two looks (every `intervalMs`) a scene can overshoot by what
 * it writes in that time; RLIMIT_FSIZE bounds each single file meanwhile.
 */
export function watchDiskBudget(dirs: readonly string[], bounds: RenderBounds, exceeded: (reason: string) => void, intervalMs = 100): () => void {
  const timer = setInterval(() => {
    const verdict = diskVerdict(diskUsage(dirs), bounds);
    if (verdict) {
      clearInterval(timer);
      exceeded(verdict);
    }
  }, intervalMs);
  return () => clearInterval(timer);
}

/** The directory a worker keeps its job directories in: one per worker process, named by its pid. */
export function workerJobsDir(workDir: string, pid = process.pid): string {
  return path.join(workDir, `povray-worker-${pid}`);
}

/**
 * Removes the job directories of workers that are gone (killed with SIGKILL, or the host lost power while
 * they rendered): every `povray-worker-<pid>` in `workDir` whose process no longer exists. Their POV-Ray
 * died with them (PR_SET_PDEATHSIG), so nothing writes there any more. Returns what it removed.
 */
export function sweepStaleJobDirs(workDir: string, alive: (pid: number) => boolean = isAlive): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(workDir);
  } catch {
    return removed;
  }
  for (const name of names) {
    const match = /^povray-worker-(\d+)$/.exec(name);
    if (!match || Number(match[1]) === process.pid || alive(Number(match[1]))) continue;
    rmSync(path.join(workDir, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
