import { CloudWatchLogsClient, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeTasksCommand, ECSClient, RunTaskCommand, Task } from '@aws-sdk/client-ecs';
import { CANARY_COMMAND, CANARY_ENV, CANARY_EXIT_REASONS, CANARY_FAILED_PREFIX, CANARY_STARTED_BY } from '../../contracts/lambda-ecs-worker/canary-env';

// The deploy-time canary of the LambdaEcsWorker pattern (aws-cdk-lib/triggers runs it after `cdk deploy`
// created or changed the worker task definition): runs one worker task with `--canary`, which renders a tiny
// embedded scene confined exactly like a job, waits for it to stop, and fails the deployment with the
// worker's own reason when it could not render confined. Users then learn it from `cdk deploy`, not from
// their first job ending FAILED.

export interface CanaryConfig {
  readonly clusterArn: string;
  readonly taskDefinitionArn: string;
  readonly containerName: string;
  readonly subnetIds: string[];
  readonly securityGroupIds: string[];
  readonly assignPublicIp: 'ENABLED' | 'DISABLED';
  readonly logGroupName: string;
  readonly logStreamPrefix: string;
}

/** Reads the trigger's configuration; throws one error naming every missing variable. */
export function readCanaryConfig(env: Record<string, string | undefined>): CanaryConfig {
  const missing = Object.values(CANARY_ENV).filter((name) => !env[name] && name !== CANARY_ENV.securityGroupIds);
  if (missing.length > 0) throw new Error(`canary configuration incomplete: ${missing.join(', ')} not set`);
  const list = (name: string) => (env[name] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  return {
    clusterArn: env[CANARY_ENV.clusterArn]!,
    taskDefinitionArn: env[CANARY_ENV.taskDefinitionArn]!,
    containerName: env[CANARY_ENV.containerName]!,
    subnetIds: list(CANARY_ENV.subnetIds),
    securityGroupIds: list(CANARY_ENV.securityGroupIds),
    assignPublicIp: env[CANARY_ENV.assignPublicIp] === 'ENABLED' ? 'ENABLED' : 'DISABLED',
    logGroupName: env[CANARY_ENV.logGroupName]!,
    logStreamPrefix: env[CANARY_ENV.logStreamPrefix]!,
  };
}

/** The awslogs stream of `containerName` in task `taskArn`: `<prefix>/<container>/<task id>`. */
export function canaryLogStream(config: Pick<CanaryConfig, 'logStreamPrefix' | 'containerName'>, taskArn: string): string {
  return `${config.logStreamPrefix}/${config.containerName}/${taskArn.split('/').pop()}`;
}

/** The worker's reason in its log lines (JSON lines; the `CANARY FAILED: ...` message), if it wrote one. */
export function reasonInLog(messages: readonly string[]): string | undefined {
  for (const message of messages) {
    let text = message;
    try {
      text = String((JSON.parse(message) as { message?: unknown }).message ?? message);
    } catch {
      // not a JSON line: look at it as it is
    }
    const at = text.indexOf(CANARY_FAILED_PREFIX);
    if (at >= 0) return text.slice(at + CANARY_FAILED_PREFIX.length).trim();
  }
  return undefined;
}

/** What a stopped canary task says when its log says nothing: the exit code in words, ECS's reasons. */
export function reasonFromTask(task: Task, containerName: string): string {
  const container = task.containers?.find((c) => c.name === containerName);
  const parts: string[] = [];
  if (container?.exitCode !== undefined) parts.push(`the worker exited with ${container.exitCode}${CANARY_EXIT_REASONS[container.exitCode] ? ` (${CANARY_EXIT_REASONS[container.exitCode]})` : ''}`);
  else parts.push('the worker container never ran');
  if (container?.reason) parts.push(container.reason);
  if (task.stoppedReason) parts.push(`ECS: ${task.stoppedReason}`);
  return parts.join('; ');
}

export interface CanaryClients {
  readonly ecs: Pick<ECSClient, 'send'>;
  readonly logs: Pick<CloudWatchLogsClient, 'send'>;
}

export interface CanaryTiming {
  readonly pollMs: number;
  /** Give up (and fail the deployment) after this long: the Lambda function's own limit is 15 minutes. */
  readonly deadlineMs: number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly now: () => number;
}

const DEFAULT_TIMING: CanaryTiming = {
  pollMs: 10_000,
  deadlineMs: 13 * 60_000,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  now: () => Date.now(),
};

export interface CanaryResult {
  readonly taskArn: string;
  readonly logStream: string;
}

/** Runs the canary task and waits for it; resolves when it rendered confined, else throws with the reason. */
export async function runCanary(config: CanaryConfig, clients: CanaryClients, timing: CanaryTiming = DEFAULT_TIMING): Promise<CanaryResult> {
  const started = timing.now();
  const run = await clients.ecs.send(
    new RunTaskCommand({
      cluster: config.clusterArn,
      taskDefinition: config.taskDefinitionArn,
      count: 1,
      launchType: 'FARGATE',
      startedBy: CANARY_STARTED_BY,
      networkConfiguration: { awsvpcConfiguration: { subnets: config.subnetIds, securityGroups: config.securityGroupIds, assignPublicIp: config.assignPublicIp } },
      overrides: { containerOverrides: [{ name: config.containerName, command: CANARY_COMMAND }] },
    }),
  );
  const taskArn = run.tasks?.[0]?.taskArn;
  if (!taskArn) {
    const failure = run.failures?.map((f) => `${f.reason}${f.detail ? ` (${f.detail})` : ''}`).join('; ') || 'no task and no failure returned';
    throw new Error(`The deploy canary could not start a worker task: ${failure}`);
  }
  const logStream = canaryLogStream(config, taskArn);
  let task: Task | undefined;
  for (;;) {
    const described = await clients.ecs.send(new DescribeTasksCommand({ cluster: config.clusterArn, tasks: [taskArn] }));
    task = described.tasks?.[0];
    if (task?.lastStatus === 'STOPPED') break;
    if (timing.now() - started > timing.deadlineMs) {
      throw new Error(`The deploy canary task ${taskArn} did not stop within ${Math.round(timing.deadlineMs / 60_000)} minutes (last status ${task?.lastStatus ?? 'unknown'}); see ${config.logGroupName}/${logStream}`);
    }
    await timing.sleep(timing.pollMs);
  }
  const container = task.containers?.find((c) => c.name === config.containerName);
  if (container?.exitCode === 0) return { taskArn, logStream };
  let reason: string | undefined;
  try {
    const events = await clients.logs.send(new GetLogEventsCommand({ logGroupName: config.logGroupName, logStreamName: logStream, startFromHead: true, limit: 200 }));
    reason = reasonInLog((events.events ?? []).map((e) => e.message ?? ''));
  } catch {
    // no log stream (the container never started): the task's own reasons below
  }
  throw new Error(
    `The deployed POV-Ray worker cannot render confined, so every job would end FAILED: ${reason ?? reasonFromTask(task, config.containerName)}. ` +
      `Canary task ${taskArn}, log ${config.logGroupName}/${logStream}. See docs/povray-worker.md ("Where it runs"); deployCanary: false skips this check.`,
  );
}

let clients: CanaryClients | undefined;

export async function handler(): Promise<CanaryResult> {
  clients ??= { ecs: new ECSClient({}), logs: new CloudWatchLogsClient({}) };
  return runCanary(readCanaryConfig(process.env), clients);
}
