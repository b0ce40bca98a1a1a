/**
 * Runs the REAL worker (`node docker/povray-worker/dist/index.js`) against local AWS: a queue with a DLQ,
 * a bucket and a job table per scenario, jobs submitted as the launcher would (record QUEUED + message).
 */
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { ChildProcess, spawn } from 'child_process';
import { createHash } from 'crypto';
import { mkdtempSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { JOB_TABLE_PARTITION_KEY, RenderJobMessage, RenderJobRecord, renderJobId, WORKER_ENV } from '../contracts/lambda-ecs-worker/render-job';
import { assertBundleCurrent } from './bundles';
import { LocalAws } from './local-aws';

export const WORKER_ENTRY = path.join(__dirname, '..', 'docker', 'povray-worker', 'dist', 'index.js');
/** The confinement launcher `npm run build` compiles beside the bundle (where the worker looks for it). */
export const WORKER_JAIL = path.join(path.dirname(WORKER_ENTRY), 'povray-jail');

const sha256Hex = (input: string) => createHash('sha256').update(input).digest('hex');

export interface Scenario {
  readonly name: string;
  readonly bucket: string;
  readonly queueUrl: string;
  readonly dlqUrl: string;
  readonly tableName: string;
  readonly workDir: string;
  readonly visibilityTimeoutSeconds: number;
  readonly maxReceiveCount: number;
}

export interface RunningWorker {
  readonly process: ChildProcess;
  /** Parsed JSON log lines so far. */
  readonly logs: Array<Record<string, any>>;
  /** Resolves with the exit code (or signal) when the process ends. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves with the first log line satisfying `predicate`. */
  waitForLog(predicate: (line: Record<string, any>) => boolean, timeoutMs?: number): Promise<Record<string, any>>;
}

export class WorkerTestbed {
  readonly sqs: SQSClient;
  readonly s3: S3Client;
  readonly dynamodb: DynamoDBClient;
  readonly docs: DynamoDBDocumentClient;
  private readonly workers: RunningWorker[] = [];

  constructor(private readonly local: LocalAws) {
    assertBundleCurrent('povray-worker');
    this.sqs = new SQSClient(local.clientConfig('sqs'));
    this.s3 = new S3Client(local.clientConfig('s3'));
    this.dynamodb = new DynamoDBClient(local.clientConfig('dynamodb'));
    this.docs = DynamoDBDocumentClient.from(this.dynamodb);
  }

  /** A queue (+DLQ), bucket and table of their own, so scenarios can run side by side. */
  async scenario(name: string, options: { visibilityTimeoutSeconds?: number; maxReceiveCount?: number } = {}): Promise<Scenario> {
    const visibilityTimeoutSeconds = options.visibilityTimeoutSeconds ?? 30;
    const maxReceiveCount = options.maxReceiveCount ?? 3;
    const dlq = await this.sqs.send(new CreateQueueCommand({ QueueName: `${name}-dlq` }));
    const dlqArn = (await this.sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
    const queue = await this.sqs.send(
      new CreateQueueCommand({
        QueueName: name,
        Attributes: {
          VisibilityTimeout: String(visibilityTimeoutSeconds),
          RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount }),
        },
      }),
    );
    const bucket = `${name}-bucket`;
    await this.s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const tableName = `${name}-jobs`;
    await this.dynamodb.send(
      new CreateTableCommand({
        TableName: tableName,
        AttributeDefinitions: [{ AttributeName: JOB_TABLE_PARTITION_KEY, AttributeType: 'S' }],
        KeySchema: [{ AttributeName: JOB_TABLE_PARTITION_KEY, KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    const workDir = mkdtempSync(path.join(tmpdir(), `${name}-work-`));
    return { name, bucket, queueUrl: queue.QueueUrl!, dlqUrl: dlq.QueueUrl!, tableName, workDir, visibilityTimeoutSeconds, maxReceiveCount };
  }

  /** Uploads `scenes/<file>` and queues it as the launcher does: record QUEUED, then the message. */
  async submit(s: Scenario, file: string, body: Buffer): Promise<string> {
    const key = `scenes/${file}`;
    const put = await this.s3.send(new PutObjectCommand({ Bucket: s.bucket, Key: key, Body: body }));
    const eTag = put.ETag?.replace(/"/g, '');
    const jobId = renderJobId(sha256Hex, { bucket: s.bucket, key, eTag });
    const now = new Date().toISOString();
    const record: RenderJobRecord = { jobId, status: 'QUEUED', bucket: s.bucket, key, eTag, createdAt: now, updatedAt: now, attempts: 0, progress: 0 };
    await this.docs.send(new PutCommand({ TableName: s.tableName, Item: record }));
    const message: RenderJobMessage = { version: 1, jobId, bucket: s.bucket, key, eTag, submittedAt: now };
    await this.sqs.send(new SendMessageCommand({ QueueUrl: s.queueUrl, MessageBody: JSON.stringify(message) }));
    return jobId;
  }

  /** Environment of a worker for `s`: local endpoints plus WORKER_ENV values (overridable). */
  workerEnv(s: Scenario, overrides: Record<string, string> = {}): Record<string, string> {
    return {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      ...this.local.env(),
      [WORKER_ENV.queueUrl]: s.queueUrl,
      [WORKER_ENV.jobTableName]: s.tableName,
      [WORKER_ENV.inputPrefix]: 'scenes/',
      [WORKER_ENV.outputPrefix]: 'renders/',
      [WORKER_ENV.visibilityTimeoutSeconds]: String(s.visibilityTimeoutSeconds),
      [WORKER_ENV.maxReceiveCount]: String(s.maxReceiveCount),
      [WORKER_ENV.idleExitSeconds]: '3',
      [WORKER_ENV.pollWaitSeconds]: '1',
      [WORKER_ENV.renderTimeoutSeconds]: '60',
      [WORKER_ENV.maxPixels]: String(1920 * 1080),
      [WORKER_ENV.workDir]: s.workDir,
      [WORKER_ENV.progressIntervalSeconds]: '0.5',
      ...overrides,
    };
  }

  /** Starts the worker on `s`; `wrapper` runs it through a command first (e.g. local/sandbox/without-landlock). */
  startWorker(s: Scenario, overrides: Record<string, string> = {}, wrapper: readonly string[] = []): RunningWorker {
    const command = [...wrapper, process.execPath, WORKER_ENTRY];
    const child = spawn(command[0], command.slice(1), { env: this.workerEnv(s, overrides), stdio: ['ignore', 'pipe', 'pipe'] });
    const worker = followWorker(child);
    this.workers.push(worker);
    return worker;
  }

  async record(s: Scenario, jobId: string): Promise<RenderJobRecord | undefined> {
    const result = await this.docs.send(new GetCommand({ TableName: s.tableName, Key: { [JOB_TABLE_PARTITION_KEY]: jobId }, ConsistentRead: true }));
    return result.Item as RenderJobRecord | undefined;
  }

  /** Resolves once `condition` holds (checked every 50 ms), or rejects after `timeoutMs`, naming `what`. */
  async waitFor(condition: () => Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await condition())) {
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async waitForRecord(s: Scenario, jobId: string, predicate: (r: RenderJobRecord) => boolean, timeoutMs = 30_000): Promise<RenderJobRecord> {
    const deadline = Date.now() + timeoutMs;
    let last: RenderJobRecord | undefined;
    while (Date.now() < deadline) {
      last = await this.record(s, jobId);
      if (last && predicate(last)) return last;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`job ${jobId} did not reach the expected state within ${timeoutMs} ms; last record: ${JSON.stringify(last)}`);
  }

  async object(s: Scenario, key: string): Promise<{ body: Buffer; contentType?: string }> {
    const result = await this.s3.send(new GetObjectCommand({ Bucket: s.bucket, Key: key }));
    return { body: Buffer.from(await result.Body!.transformToByteArray()), contentType: result.ContentType };
  }

  async queueCounts(queueUrl: string): Promise<{ visible: number; inFlight: number }> {
    const result = await this.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
    );
    return {
      visible: Number(result.Attributes?.ApproximateNumberOfMessages ?? 0),
      inFlight: Number(result.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0),
    };
  }

  /** Kills every worker still running (by PID) and closes the clients. */
  async close(): Promise<void> {
    for (const worker of this.workers) {
      if (worker.process.exitCode === null && worker.process.signalCode === null) worker.process.kill('SIGKILL');
    }
    await Promise.all(this.workers.map((w) => w.exited));
    this.sqs.destroy();
    this.s3.destroy();
    this.dynamodb.destroy();
  }
}

/**
 * Follows a worker process that prints the worker's JSON log lines on stdout: the host process above, or
 * `podman run` of the worker image (test/image).
 */
export function followWorker(child: ChildProcess): RunningWorker {
  const logs: Array<Record<string, any>> = [];
  const waiters: Array<{ predicate: (l: Record<string, any>) => boolean; resolve: (l: Record<string, any>) => void }> = [];
  let buffer = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    buffer += chunk;
    const lines = buffer.split('\n');
    buffer = lines.pop()!;
    for (const line of lines) {
      if (!line.trim()) continue;
      let parsed: Record<string, any>;
      try {
        parsed = JSON.parse(line);
      } catch {
        parsed = { message: line };
      }
      logs.push(parsed);
      if (process.env.WORKER_TEST_DEBUG) process.stderr.write(`[worker ${child.pid}] ${line}\n`);
      for (const waiter of [...waiters]) {
        if (waiter.predicate(parsed)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(parsed);
        }
      }
    }
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    if (process.env.WORKER_TEST_DEBUG) process.stderr.write(`[worker ${child.pid} stderr] ${chunk}`);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      if (stderr.trim()) logs.push({ stderr });
      resolve({ code, signal });
    }),
  );
  return {
    process: child,
    logs,
    exited,
    waitForLog: (predicate, timeoutMs = 30_000) => {
      const found = logs.find(predicate);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no matching worker log within ${timeoutMs} ms; logs:\n${logs.map((l) => JSON.stringify(l)).join('\n')}`)), timeoutMs);
        waiters.push({ predicate, resolve: (l) => (clearTimeout(timer), resolve(l)) });
      });
    },
  };
}
