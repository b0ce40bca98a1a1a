/**
 * `node queue-worker.js <command> [args...]`: a ready worker for any target. For each message it runs the
 * command with the message body on stdin (and MESSAGE_ID in its environment); exit 0 deletes the message,
 * anything else leaves it for a retry (then the DLQ). Configured by the environment:
 *
 *   QUEUE_URL                 the queue (required)
 *   WORKER_SCALE_IN           how it cooperates with scale-in (the construct's `scaleInMode` for its target):
 *                             workers-exit (Spot Fleet: leave when idle), protect-instance (Auto Scaling group),
 *                             protect-task (ECS service), none (TERMINATE_INSTANCES)
 *   WORKER_IDLE_SECONDS       idle time before leaving (workers-exit) or releasing protection (default 180)
 *   WORKER_SHUTDOWN_ON_IDLE   'true': `shutdown -h now` when leaving idle (a Spot Fleet instance)
 *   AUTO_SCALING_GROUP_NAME   optional for protect-instance (else the IMDS instance tag)
 *
 * Exit codes: 0 idle or stopped, 3 interrupted by a Spot notice, 4 protection failed, 2 bad configuration.
 */
import { execFile, spawn } from 'child_process';
import { SQSClient } from '@aws-sdk/client-sqs';
import { WORKER_CLI_ENV, WORKER_SCALE_IN_MODES, WorkerScaleIn } from '../../../contracts/spot-fleet-autoscaler/worker-env';
import { QueueWorkerStop, startQueueWorker } from './queue-worker';
import { AutoScalingInstanceProtection, EcsTaskProtection, ScaleInGuard } from './scale-in-protection';

export interface WorkerCliConfig {
  readonly queueUrl: string;
  readonly scaleIn: WorkerScaleIn;
  readonly idleSeconds: number;
  readonly shutdownOnIdle: boolean;
  readonly command: string[];
}

/** Parses the environment and arguments; throws one error naming every problem. */
export function readWorkerCliConfig(env: Record<string, string | undefined>, argv: string[]): WorkerCliConfig {
  const errors: string[] = [];
  const queueUrl = env[WORKER_CLI_ENV.queueUrl] ?? '';
  if (!queueUrl) errors.push(`${WORKER_CLI_ENV.queueUrl} is not set`);
  const scaleIn = (env[WORKER_CLI_ENV.scaleIn] || 'workers-exit') as WorkerScaleIn;
  if (!WORKER_SCALE_IN_MODES.includes(scaleIn)) errors.push(`${WORKER_CLI_ENV.scaleIn} must be one of ${WORKER_SCALE_IN_MODES.join(', ')} (got '${scaleIn}')`);
  const idleRaw = env[WORKER_CLI_ENV.idleSeconds] ?? '180';
  const idleSeconds = Number(idleRaw);
  if (!/^\d+(\.\d+)?$/.test(idleRaw) || !(idleSeconds > 0)) errors.push(`${WORKER_CLI_ENV.idleSeconds} must be a number of seconds > 0 (got '${idleRaw}')`);
  const shutdownRaw = (env[WORKER_CLI_ENV.shutdownOnIdle] ?? 'false').toLowerCase();
  if (shutdownRaw !== 'true' && shutdownRaw !== 'false') errors.push(`${WORKER_CLI_ENV.shutdownOnIdle} must be 'true' or 'false' (got '${shutdownRaw}')`);
  if (argv.length === 0) errors.push('give the command to run per message, e.g. `node queue-worker.js /usr/local/bin/do-job`');
  if (errors.length > 0) throw new Error(`queue-worker: ${errors.join('; ')}`);
  return { queueUrl, scaleIn, idleSeconds, shutdownOnIdle: shutdownRaw === 'true', command: argv };
}

/** Runs `command` with `body` on stdin; resolves on exit 0, rejects otherwise (or on abort). */
function runCommand(command: string[], body: string, messageId: string, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command[0], command.slice(1), { stdio: ['pipe', 'inherit', 'inherit'], env: { ...process.env, MESSAGE_ID: messageId }, signal });
    child.on('error', reject);
    child.on('close', (code, sig) => (code === 0 ? resolve() : reject(new Error(`${command[0]} exited with ${code ?? sig}`))));
    child.stdin.on('error', () => undefined); // a command that does not read its input is fine
    child.stdin.end(body);
  });
}

const EXIT_CODES: Record<QueueWorkerStop, number> = { idle: 0, stopped: 0, interrupted: 3, 'protection-failed': 4 };

export async function main(env = process.env, argv = process.argv.slice(2)): Promise<number> {
  let config: WorkerCliConfig;
  try {
    config = readWorkerCliConfig(env, argv);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return 2;
  }
  const log = (event: string, fields: Record<string, unknown> = {}) =>
    process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), event, ...fields })}\n`);
  const sqs = new SQSClient({});
  const protection =
    config.scaleIn === 'protect-instance' ? new AutoScalingInstanceProtection() : config.scaleIn === 'protect-task' ? new EcsTaskProtection() : undefined;
  const guard = protection
    ? new ScaleInGuard({ protection, releaseAfterIdleSeconds: config.idleSeconds, onError: (e) => log('protection change failed', { error: e.message }) })
    : undefined;
  const worker = startQueueWorker({
    sqs,
    queueUrl: config.queueUrl,
    guard,
    idleExitSeconds: config.scaleIn === 'workers-exit' ? config.idleSeconds : undefined,
    interruptionIntervalMs: env[WORKER_CLI_ENV.interruptionIntervalMs] ? Number(env[WORKER_CLI_ENV.interruptionIntervalMs]) : undefined,
    waitTimeSeconds: env[WORKER_CLI_ENV.waitTimeSeconds] ? Number(env[WORKER_CLI_ENV.waitTimeSeconds]) : undefined,
    handle: (message, signal) => runCommand(config.command, message.Body ?? '', message.MessageId ?? '', signal),
    log,
  });
  const onSignal = () => void worker.stop();
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  const result = await worker.done;
  log('worker stopped', { ...result });
  sqs.destroy();
  if (result.stoppedBecause === 'idle' && config.shutdownOnIdle) {
    // A one-time Spot Instance terminates on OS shutdown; the fleet (noTermination) does not replace it above target.
    await new Promise((resolve) => execFile('shutdown', ['-h', 'now'], () => resolve(undefined)));
  }
  return EXIT_CODES[result.stoppedBecause];
}

if (require.main === module) {
  main().then((code) => process.exit(code));
}
