import { spawn } from 'child_process';

/** Why the worker killed a render: its wall time, the job given back, or a bound the worker watches. */
export type KillReason = 'timeout' | 'released' | 'bound';

export interface RenderRun {
  /** Resolves when POV-Ray exits. */
  readonly done: Promise<RenderResult>;
  /** Kills the whole process group at once (SIGKILL). */
  kill(reason: KillReason): void;
}

export interface RenderResult {
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Set when the worker killed the render. */
  readonly killedFor?: KillReason;
  readonly durationMs: number;
}

export interface RenderOptions {
  /** The confinement launcher (povray-jail); POV-Ray's own command line is inside `args`. */
  readonly command: string;
  readonly args: string[];
  /** The scene directory: POV-Ray's working directory. */
  readonly cwd: string;
  readonly timeoutMs: number;
  /** Receives POV-Ray's output (stdout and stderr) as it arrives. */
  readonly onOutput: (chunk: string) => void;
}

/**
 * Runs POV-Ray in its own process group, so a timeout or shutdown kills it and anything it started. If the
 * worker itself dies, even by SIGKILL, the kernel kills POV-Ray (povray-jail's --parent-pid sets
 * PR_SET_PDEATHSIG; spawn forks from the worker's main thread, whose exit is what fires it).
 */
export function startRender(options: RenderOptions): RenderRun {
  const started = Date.now();
  const child = spawn(options.command, options.args, {
    cwd: options.cwd,
    // Nothing of the worker's environment (credentials, endpoints): the launcher sets POV-Ray's own.
    env: {},
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let killedFor: KillReason | undefined;
  const kill = (reason: KillReason) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    killedFor ??= reason;
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      child.kill('SIGKILL');
    }
  };
  const timer = setTimeout(() => kill('timeout'), options.timeoutMs);
  child.stdout.setEncoding('utf8').on('data', options.onOutput);
  child.stderr.setEncoding('utf8').on('data', options.onOutput);
  const done = new Promise<RenderResult>((resolve, reject) => {
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (exitCode, signal) => {
      clearTimeout(timer);
      resolve({ exitCode, signal, killedFor, durationMs: Date.now() - started });
    });
  });
  return { done, kill };
}
