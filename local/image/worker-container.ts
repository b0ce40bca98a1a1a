/**
 * Starts the worker image as ECS would start the task (settings from the synthesized task definition)
 * against the local AWS emulators, and removes every container it started.
 */
import { spawn } from 'child_process';
import { readFileSync } from 'fs';
import { WORKER_ENV } from '../../contracts/lambda-ecs-worker/render-job';
import { RunningWorker, Scenario, followWorker } from '../povray-worker';
import { LocalAws } from '../local-aws';
import { containerUlimitArgs, PODMAN_GLOBAL_ARGS, podman, removeContainers } from './podman';
import { containerEnvironment, podmanRunFlags } from './task-definition';
import { WorkerImageState } from './worker-image';

export interface RunningContainer extends RunningWorker {
  readonly name: string;
  /** `podman stop -t <seconds>`: SIGTERM, then SIGKILL after the timeout. Resolves when podman returns. */
  stop(timeoutSeconds: number): Promise<void>;
}

/** The state the jest global set-up wrote (see global-setup.ts). */
export function loadWorkerImageState(file = process.env.WORKER_IMAGE_STATE): WorkerImageState {
  if (!file) throw new Error('WORKER_IMAGE_STATE is not set: run the image tests with `npm run test:image`, whose global set-up builds the image');
  return JSON.parse(readFileSync(file, 'utf8'));
}

export class WorkerContainers {
  private readonly names: string[] = [];
  private readonly running: RunningContainer[] = [];

  /** `extraRunFlags` go to every `podman run` (e.g. a seccomp profile, a read-only bind mount). */
  constructor(
    private readonly state: WorkerImageState,
    private readonly local: () => LocalAws,
    private readonly extraRunFlags: readonly string[] = [],
  ) {}

  /**
   * The container's environment: every variable the task definition sets, the queue and table of `s`
   * in place of the CloudFormation references, `taskOverrides` for values the test shortens (e.g. the
   * idle timeout), and `extra` for local endpoints and optional worker settings.
   */
  environment(s: Scenario, taskOverrides: Record<string, string> = {}, extra: Record<string, string> = {}): Record<string, string> {
    return containerEnvironment(
      this.state.settings,
      { [WORKER_ENV.queueUrl]: s.queueUrl, [WORKER_ENV.jobTableName]: s.tableName, ...taskOverrides },
      { ...this.local().env(), AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...extra },
    );
  }

  /** `podman run` arguments for a container named `name` with `env`; `command` replaces the entrypoint. */
  runArgs(name: string, env: Record<string, string>, command?: string[]): string[] {
    return [
      'run', '--rm', '--name', name,
      '--network', 'host',
      '--pull=never',
      ...podmanRunFlags(this.state.settings),
      ...containerUlimitArgs(),
      ...this.extraRunFlags,
      ...Object.entries(env).flatMap(([k, v]) => ['--env', `${k}=${v}`]),
      ...(command ? ['--entrypoint', command[0], this.state.image, ...command.slice(1)] : [this.state.image]),
    ];
  }

  start(env: Record<string, string>): RunningContainer {
    const name = this.nextName();
    const child = spawn('podman', [...PODMAN_GLOBAL_ARGS, ...this.runArgs(name, env)], { stdio: ['ignore', 'pipe', 'pipe'] });
    const worker = followWorker(child);
    const container: RunningContainer = {
      ...worker,
      name,
      stop: (timeoutSeconds) =>
        new Promise((resolve, reject) => {
          const stopper = spawn('podman', [...PODMAN_GLOBAL_ARGS, 'stop', '--time', String(timeoutSeconds), name], { stdio: 'ignore' });
          stopper.once('error', reject);
          stopper.once('exit', () => resolve());
        }),
    };
    this.running.push(container);
    return container;
  }

  /** Runs `command` in a container with the task's settings (entrypoint replaced) and returns its stdout. */
  exec(env: Record<string, string>, command: string[]): string {
    return podman(this.runArgs(this.nextName(), env, command));
  }

  /** Removes every container started here (and its scratch volume), running or not. */
  async removeAll(): Promise<void> {
    removeContainers(this.names);
    await Promise.all(this.running.map((c) => c.exited));
  }

  private nextName(): string {
    const name = `povray-worker-image-test-${process.pid}-${this.names.length + 1}`;
    this.names.push(name);
    return name;
  }
}
