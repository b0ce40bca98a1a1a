import { ChildProcess, spawn } from 'child_process';
import { randomUUID } from 'crypto';
import { EventEmitter } from 'events';
import * as http from 'http';
import type { AddressInfo } from 'net';
import * as path from 'path';
import { assertBundleCurrent } from './bundles';

/**
 * A local stand-in for the few ECS API calls the LambdaEcsWorker launcher makes (RunTask, ListTasks,
 * DescribeTasks, plus StopTask for tests), on 127.0.0.1. "Starting a task" spawns the real worker
 * entrypoint (`node docker/povray-worker/dist/index.js` by default) with the task definition's
 * environment and the local AWS environment, so the unmodified launcher reaches it through
 * AWS_ENDPOINT_URL_ECS and the unmodified worker talks to the emulators. Protocol: JSON 1.1 with
 * `X-Amz-Target: AmazonEC2ContainerServiceV20141113.<Operation>`.
 */

const ROOT = path.join(__dirname, '..');
export const DEFAULT_WORKER_ENTRY = path.join(ROOT, 'docker', 'povray-worker', 'dist', 'index.js');
const TARGET_PREFIX = 'AmazonEC2ContainerServiceV20141113.';
const ACCOUNT = '000000000000';

/** What a task definition runs locally. */
export interface LocalTaskDefinition {
  /** Environment of the container (the construct's WORKER_ENV values). */
  readonly environment: Record<string, string>;
  /** Command to run. @default node <DEFAULT_WORKER_ENTRY> */
  readonly command?: string[];
}

export interface LocalEcsOptions {
  /** Task definitions by ARN. */
  readonly taskDefinitions: Record<string, LocalTaskDefinition>;
  /** Environment that reaches local AWS (LocalAws.env()), given to every task. */
  readonly awsEnvironment: Record<string, string>;
  /**
   * Tasks FARGATE_SPOT can hold at once; RunTask reports the rest as capacity failures, as ECS does when
   * Spot capacity is short. @default unlimited
   */
  readonly spotCapacity?: number;
  /** Called with every output line of every task. */
  readonly onTaskOutput?: (task: LocalTask, line: string) => void;
  /** Called when a task's process exits. */
  readonly onTaskStopped?: (task: LocalTask) => void;
}

export interface LocalTask {
  readonly taskArn: string;
  readonly clusterArn: string;
  readonly taskDefinitionArn: string;
  readonly startedBy?: string;
  readonly capacityProviderName: string;
  /** WORKER_ID given to the process (so a job record's workerId names its task). */
  readonly workerId: string;
  readonly pid: number;
  lastStatus: 'RUNNING' | 'STOPPED';
  desiredStatus: 'RUNNING' | 'STOPPED';
  exitCode?: number | null;
  signal?: string | null;
  stoppedReason?: string;
  readonly output: string[];
  readonly createdAt: number;
}

export interface LocalEcs {
  /** http://127.0.0.1:<port> */
  readonly endpoint: string;
  /** `{ AWS_ENDPOINT_URL_ECS: endpoint }` */
  env(): Record<string, string>;
  /** Every task ever started, in order. */
  tasks(): LocalTask[];
  /** Tasks whose process is alive. */
  runningTasks(): LocalTask[];
  /** API calls received, by operation. */
  readonly calls: Record<string, number>;
  /** Resolves when no task process is alive (or rejects after timeoutMs). */
  waitForNoRunningTasks(timeoutMs?: number): Promise<void>;
  /** Resolves with the first output line of `task` (past or future) that satisfies `predicate`. */
  waitForTaskOutput(task: LocalTask, predicate: (line: string) => boolean, timeoutMs?: number): Promise<string>;
  /** Resolves when `task`'s process has exited and the task is STOPPED. */
  waitForTaskStopped(task: LocalTask, timeoutMs?: number): Promise<LocalTask>;
  /** Stops every task (SIGTERM, then SIGKILL by PID after graceMs) and closes the server. */
  stop(graceMs?: number): Promise<void>;
}

/** Signals a process by PID; a process that already exited is fine. */
function signal(pid: number | undefined, sig: NodeJS.Signals): void {
  if (!pid) return;
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

class EcsError extends Error {
  constructor(readonly type: string, message: string, readonly status = 400) {
    super(message);
  }
}

export async function startLocalEcs(options: LocalEcsOptions): Promise<LocalEcs> {
  if (Object.values(options.taskDefinitions).some((d) => !d.command)) assertBundleCurrent('povray-worker');
  const tasks: LocalTask[] = [];
  const children = new Map<string, ChildProcess>();
  const calls: Record<string, number> = {};
  /** 'output' (task, line) and 'stopped' (task): what the wait helpers listen for. */
  const events = new EventEmitter().setMaxListeners(0);
  /** Resolves when `done` returns a value, checked now and on every `event`; rejects after timeoutMs. */
  const waitFor = <T>(event: string, done: () => T | undefined, timeoutMs: number, what: string) =>
    new Promise<T>((resolve, reject) => {
      const check = () => {
        const value = done();
        if (value === undefined) return;
        clearTimeout(timer);
        events.off(event, check);
        resolve(value);
      };
      const timer = setTimeout(() => (events.off(event, check), reject(new Error(`${what} within ${timeoutMs} ms`))), timeoutMs);
      events.on(event, check);
      check();
    });
  const baseEnv: Record<string, string> = {};
  for (const name of ['PATH', 'HOME', 'LANG', 'TMPDIR', 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED']) {
    if (process.env[name] !== undefined) baseEnv[name] = process.env[name]!;
  }

  const clusterArnOf = (cluster?: string) => {
    const name = cluster ?? 'default';
    return name.startsWith('arn:') ? name : `arn:aws:ecs:us-east-1:${ACCOUNT}:cluster/${name}`;
  };
  const describe = (t: LocalTask) => ({
    taskArn: t.taskArn,
    clusterArn: t.clusterArn,
    taskDefinitionArn: t.taskDefinitionArn,
    startedBy: t.startedBy,
    capacityProviderName: t.capacityProviderName,
    launchType: 'FARGATE',
    lastStatus: t.lastStatus,
    desiredStatus: t.desiredStatus,
    stoppedReason: t.stoppedReason,
    createdAt: t.createdAt,
    containers: [{ name: 'Worker', lastStatus: t.lastStatus, exitCode: t.exitCode ?? undefined, taskArn: t.taskArn }],
  });

  const startTask = (input: { cluster?: string; taskDefinition: string; startedBy?: string }, provider: string): LocalTask => {
    const definition = options.taskDefinitions[input.taskDefinition]!;
    const clusterArn = clusterArnOf(input.cluster);
    const id = randomUUID().replace(/-/g, '');
    const taskArn = `arn:aws:ecs:us-east-1:${ACCOUNT}:task/${clusterArn.split('/').pop()}/${id}`;
    const [command, ...args] = definition.command ?? [process.execPath, DEFAULT_WORKER_ENTRY];
    const workerId = `local-task-${id.slice(0, 8)}`;
    const child = spawn(command, args, {
      cwd: ROOT,
      env: { ...baseEnv, ...options.awsEnvironment, ...definition.environment, WORKER_ID: workerId },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const task: LocalTask = {
      taskArn,
      clusterArn,
      taskDefinitionArn: input.taskDefinition,
      startedBy: input.startedBy,
      capacityProviderName: provider,
      workerId,
      pid: child.pid ?? -1,
      lastStatus: 'RUNNING',
      desiredStatus: 'RUNNING',
      output: [],
      createdAt: Date.now() / 1000,
    };
    const onData = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim() === '') continue;
        task.output.push(line);
        options.onTaskOutput?.(task, line);
        events.emit('output', task, line);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('error', (error) => {
      task.output.push(`failed to start: ${error.message}`);
    });
    child.once('exit', (code, signal) => {
      children.delete(taskArn);
      task.lastStatus = 'STOPPED';
      task.desiredStatus = 'STOPPED';
      task.exitCode = code;
      task.signal = signal;
      task.stoppedReason ??= 'Essential container in task exited';
      options.onTaskStopped?.(task);
      events.emit('stopped', task);
    });
    children.set(taskArn, child);
    tasks.push(task);
    return task;
  };

  const operations: Record<string, (input: any) => unknown> = {
    RunTask: (input) => {
      if (!input.taskDefinition || !options.taskDefinitions[input.taskDefinition]) {
        throw new EcsError('ClientException', `TaskDefinition not found: ${input.taskDefinition}`);
      }
      const count = input.count ?? 1;
      if (!Number.isInteger(count) || count < 1 || count > 10) throw new EcsError('InvalidParameterException', 'count must be from 1 to 10');
      if (input.launchType && input.capacityProviderStrategy) {
        throw new EcsError('InvalidParameterException', 'Specifying both a launch type and capacity provider strategy is not supported.');
      }
      if (!input.networkConfiguration?.awsvpcConfiguration?.subnets?.length) {
        throw new EcsError('InvalidParameterException', 'Network Configuration must be provided when networkMode awsvpc is specified.');
      }
      const provider: string = input.capacityProviderStrategy?.[0]?.capacityProvider ?? 'FARGATE';
      let placeable = count;
      if (provider === 'FARGATE_SPOT' && options.spotCapacity !== undefined) {
        const spotRunning = tasks.filter((t) => t.lastStatus === 'RUNNING' && t.capacityProviderName === 'FARGATE_SPOT').length;
        placeable = Math.max(0, Math.min(count, options.spotCapacity - spotRunning));
      }
      const started = Array.from({ length: placeable }, () => startTask(input, provider));
      const failures = Array.from({ length: count - placeable }, () => ({ reason: 'Capacity is unavailable at this time. Please try again later or in a different availability zone' }));
      return { tasks: started.map(describe), failures };
    },
    ListTasks: (input) => {
      const clusterArn = clusterArnOf(input.cluster);
      const desired = input.desiredStatus ?? 'RUNNING';
      const family = input.family as string | undefined;
      const taskArns = tasks
        .filter((t) => t.clusterArn === clusterArn && t.desiredStatus === desired)
        .filter((t) => input.startedBy === undefined || t.startedBy === input.startedBy)
        .filter((t) => family === undefined || t.taskDefinitionArn.split('/').pop()!.split(':')[0] === family)
        .map((t) => t.taskArn);
      return { taskArns };
    },
    DescribeTasks: (input) => {
      const wanted: string[] = input.tasks ?? [];
      const found = wanted.map((arn) => tasks.find((t) => t.taskArn === arn || t.taskArn.endsWith(`/${arn}`)));
      return {
        tasks: found.filter((t): t is LocalTask => !!t).map(describe),
        failures: wanted.filter((_, i) => !found[i]).map((arn) => ({ arn, reason: 'MISSING' })),
      };
    },
    StopTask: (input) => {
      const task = tasks.find((t) => t.taskArn === input.task || t.taskArn.endsWith(`/${input.task}`));
      if (!task) throw new EcsError('InvalidParameterException', `The referenced task was not found: ${input.task}`);
      task.desiredStatus = 'STOPPED';
      task.stoppedReason = input.reason ?? 'Task stopped by user';
      signal(children.get(task.taskArn)?.pid, 'SIGTERM');
      return { task: describe(task) };
    },
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      const operation = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : '';
      calls[operation] = (calls[operation] ?? 0) + 1;
      let status = 200;
      let body: unknown;
      try {
        const handler = operations[operation];
        if (!handler) throw new EcsError('UnsupportedOperation', `the local ECS stand-in does not implement '${target}'`);
        body = handler(JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}'));
      } catch (error) {
        const e = error instanceof EcsError ? error : new EcsError('ServerException', (error as Error).message, 500);
        status = e.status;
        body = { __type: e.type, message: e.message };
      }
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID() });
      res.end(JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const killAll = () => {
    for (const child of children.values()) signal(child.pid, 'SIGKILL');
  };
  process.once('exit', killAll);

  return {
    endpoint,
    env: () => ({ AWS_ENDPOINT_URL_ECS: endpoint }),
    tasks: () => [...tasks],
    runningTasks: () => tasks.filter((t) => t.lastStatus === 'RUNNING'),
    calls,
    waitForNoRunningTasks: (timeoutMs = 30_000) =>
      waitFor('stopped', () => (children.size === 0 ? true : undefined), timeoutMs, `local ECS tasks still running: ${children.size} did not stop`).then(() => undefined),
    waitForTaskOutput: (task, predicate, timeoutMs = 10_000) =>
      waitFor('output', () => task.output.find(predicate), timeoutMs, `no matching output from ${task.taskArn}; output so far:\n${task.output.join('\n')}\n`),
    waitForTaskStopped: (task, timeoutMs = 10_000) =>
      waitFor('stopped', () => (task.lastStatus === 'STOPPED' ? task : undefined), timeoutMs, `${task.taskArn} did not stop`),
    stop: async (graceMs = 5_000) => {
      process.removeListener('exit', killAll);
      const alive = [...children.values()];
      const exited = alive.map((child) => new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve()))));
      for (const child of alive) signal(child.pid, 'SIGTERM');
      const timer = setTimeout(() => {
        for (const child of children.values()) signal(child.pid, 'SIGKILL');
      }, graceMs);
      await Promise.all(exited);
      clearTimeout(timer);
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}
