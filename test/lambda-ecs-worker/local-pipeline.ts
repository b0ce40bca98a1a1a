import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { S3Event } from 'aws-lambda';
import { LAUNCHER_ENV } from '../../lambda/lambda-ecs-worker/config';
import type { LauncherResult } from '../../lambda/lambda-ecs-worker/index';
import { decodeS3EventKey } from '../../lambda/lambda-ecs-worker/s3-records';
import { RenderJobRecord, WORKER_ENV } from '../../contracts/lambda-ecs-worker/render-job';
import { LocalAws, startLocalAws } from '../../local/local-aws';
import { LocalEcs, LocalTask, startLocalEcs } from '../../local/local-ecs';

/**
 * The whole LambdaEcsWorker pipeline on local AWS, wired as the construct wires it on AWS:
 * s3rver's S3 event records (filtered by the notification's prefix and suffixes, as S3 filters them)
 * → the real launcher handler → fauxqs SQS (+DLQ) → the local ECS stand-in → the real worker process
 * rendering with real POV-Ray → s3rver, with the job table in dynalite. Used by the e2e test and `npm run demo`.
 */
export interface LocalPipelineOptions {
  /** Forces the render size (the worker's RENDER_WIDTH/RENDER_HEIGHT). */
  readonly renderWidth?: number;
  readonly renderHeight?: number;
  /** @default 30 */
  readonly visibilityTimeoutSeconds?: number;
  /** @default 3 */
  readonly maxReceiveCount?: number;
  /** @default 2 */
  readonly maxWorkers?: number;
  /** Workers exit after this many idle seconds. @default 3 */
  readonly idleExitSeconds?: number;
  /** Called with each line a worker prints. */
  readonly onWorkerOutput?: (task: LocalTask, line: string) => void;
  /** Called with each launcher invocation's outcome. */
  readonly onLaunch?: (result: LauncherResult) => void;
}

export const INPUT_PREFIX = 'scenes/';
export const OUTPUT_PREFIX = 'renders/';
export const INPUT_SUFFIXES = ['.zip'];
const CLUSTER_ARN = 'arn:aws:ecs:us-east-1:000000000000:cluster/render-local';
const TASK_DEFINITION_ARN = 'arn:aws:ecs:us-east-1:000000000000:task-definition/render-worker:1';

export interface LocalPipeline {
  readonly local: LocalAws;
  readonly ecs: LocalEcs;
  readonly s3: S3Client;
  readonly sqs: SQSClient;
  readonly ddb: DynamoDBDocumentClient;
  readonly bucket: string;
  readonly queueUrl: string;
  readonly deadLetterQueueUrl: string;
  readonly tableName: string;
  /** Outcomes of every launcher invocation so far (S3 events and reconciles). */
  readonly launches: LauncherResult[];
  /** Errors thrown by launcher invocations. */
  readonly launchErrors: Error[];
  /** The launcher handler as the S3 notification invokes it. */
  invokeLauncher(event: unknown): Promise<LauncherResult>;
  /** Uploads an object and waits until the launcher has handled its S3 event. */
  upload(key: string, body: Buffer | string): Promise<S3Event>;
  /** Every job record. */
  jobs(): Promise<RenderJobRecord[]>;
  /** Polls until the job of `key` is SUCCEEDED or FAILED. */
  waitForFinishedJob(key: string, timeoutMs?: number, onProgress?: (job: RenderJobRecord) => void): Promise<RenderJobRecord>;
  /** Queue depth: [visible, in flight]. */
  queueDepth(queueUrl?: string): Promise<[number, number]>;
  getObject(key: string): Promise<Buffer>;
  stop(): Promise<void>;
}

export async function startLocalPipeline(options: LocalPipelineOptions = {}): Promise<LocalPipeline> {
  const local = await startLocalAws(['sqs', 's3', 'dynamodb']);
  let ecs: LocalEcs | undefined;
  const clients: Array<{ destroy(): void }> = [];
  try {
    const s3 = new S3Client(local.clientConfig('s3'));
    const sqs = new SQSClient(local.clientConfig('sqs'));
    const dynamodb = new DynamoDBClient(local.clientConfig('dynamodb'));
    const ddb = DynamoDBDocumentClient.from(dynamodb);
    clients.push(s3, sqs, dynamodb);

    const bucket = 'render-bucket';
    const tableName = 'render-jobs';
    const maxReceiveCount = options.maxReceiveCount ?? 3;
    const visibilityTimeoutSeconds = options.visibilityTimeoutSeconds ?? 30;
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const dlq = await sqs.send(new CreateQueueCommand({ QueueName: 'render-jobs-dlq' }));
    const dlqArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
    const queue = await sqs.send(
      new CreateQueueCommand({
        QueueName: 'render-jobs',
        Attributes: {
          VisibilityTimeout: String(visibilityTimeoutSeconds),
          RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount }),
        },
      }),
    );
    await dynamodb.send(
      new CreateTableCommand({
        TableName: tableName,
        AttributeDefinitions: [{ AttributeName: 'jobId', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'jobId', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );

    // The task definition's environment, as the construct sets it (WORKER_ENV).
    const workerEnvironment: Record<string, string> = {
      [WORKER_ENV.queueUrl]: queue.QueueUrl!,
      [WORKER_ENV.jobTableName]: tableName,
      [WORKER_ENV.inputPrefix]: INPUT_PREFIX,
      [WORKER_ENV.outputPrefix]: OUTPUT_PREFIX,
      [WORKER_ENV.visibilityTimeoutSeconds]: String(visibilityTimeoutSeconds),
      [WORKER_ENV.maxReceiveCount]: String(maxReceiveCount),
      [WORKER_ENV.idleExitSeconds]: String(options.idleExitSeconds ?? 3),
      [WORKER_ENV.renderTimeoutSeconds]: '120',
      [WORKER_ENV.maxPixels]: String(3840 * 2160),
      [WORKER_ENV.pollWaitSeconds]: '1',
      ...(options.renderWidth ? { [WORKER_ENV.renderWidth]: String(options.renderWidth) } : {}),
      ...(options.renderHeight ? { [WORKER_ENV.renderHeight]: String(options.renderHeight) } : {}),
    };
    ecs = await startLocalEcs({
      taskDefinitions: { [TASK_DEFINITION_ARN]: { environment: workerEnvironment } },
      awsEnvironment: local.env(),
      onTaskOutput: options.onWorkerOutput,
    });

    // The launcher's environment, as the construct sets it (LAUNCHER_ENV), plus the emulators' endpoints.
    Object.assign(process.env, local.env(), ecs.env(), {
      POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'SILENT',
      POWERTOOLS_METRICS_DISABLED: 'true',
      [LAUNCHER_ENV.queueUrl]: queue.QueueUrl!,
      [LAUNCHER_ENV.deadLetterQueueUrl]: dlq.QueueUrl!,
      [LAUNCHER_ENV.jobTableName]: tableName,
      [LAUNCHER_ENV.inputPrefix]: INPUT_PREFIX,
      [LAUNCHER_ENV.outputPrefix]: OUTPUT_PREFIX,
      [LAUNCHER_ENV.inputSuffixes]: INPUT_SUFFIXES.join(','),
      [LAUNCHER_ENV.maxReceiveCount]: String(maxReceiveCount),
      [LAUNCHER_ENV.clusterArn]: CLUSTER_ARN,
      [LAUNCHER_ENV.taskDefinitionArn]: TASK_DEFINITION_ARN,
      [LAUNCHER_ENV.startedBy]: 'render-local',
      [LAUNCHER_ENV.capacityProviders]: 'FARGATE_SPOT,FARGATE',
      [LAUNCHER_ENV.subnetIds]: 'subnet-local',
      [LAUNCHER_ENV.securityGroupIds]: 'sg-local',
      [LAUNCHER_ENV.assignPublicIp]: 'DISABLED',
      [LAUNCHER_ENV.maxWorkers]: String(options.maxWorkers ?? 2),
      [LAUNCHER_ENV.jobsPerWorker]: '1',
    });
    // Imported only now: the handler reads its configuration and creates its clients on first use.
    const { handler } = await import('../../lambda/lambda-ecs-worker/index');

    const launches: LauncherResult[] = [];
    const launchErrors: Error[] = [];
    const invokeLauncher = async (event: unknown) => {
      try {
        const result = await handler(event);
        launches.push(result);
        options.onLaunch?.(result);
        return result;
      } catch (error) {
        launchErrors.push(error as Error);
        throw error;
      }
    };

    // S3 delivers only what the bucket's notification filters match (one configuration per suffix).
    const matchesNotification = (event: S3Event) =>
      event.Records.some((r) => {
        const key = decodeS3EventKey(r.s3.object.key);
        return r.eventName.startsWith('ObjectCreated:') && key.startsWith(INPUT_PREFIX) && INPUT_SUFFIXES.some((s) => key.endsWith(s));
      });
    const inFlight = new Set<Promise<unknown>>();
    const unsubscribe = local.onS3Event((event) => {
      if (!matchesNotification(event)) return;
      const p = invokeLauncher(event).catch(() => undefined);
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p));
    });

    const jobs = async () => ((await ddb.send(new ScanCommand({ TableName: tableName }))).Items ?? []) as RenderJobRecord[];
    const pipeline: LocalPipeline = {
      local,
      ecs,
      s3,
      sqs,
      ddb,
      bucket,
      queueUrl: queue.QueueUrl!,
      deadLetterQueueUrl: dlq.QueueUrl!,
      tableName,
      launches,
      launchErrors,
      invokeLauncher,
      upload: async (key, body) => {
        const decoded = (e: S3Event) => e.Records.some((r) => decodeS3EventKey(r.s3.object.key) === key);
        const event = local.nextS3Event(decoded);
        const before = launches.length + launchErrors.length;
        await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
        const received = await event;
        if (matchesNotification(received)) {
          const deadline = Date.now() + 10_000;
          while (launches.length + launchErrors.length === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
        }
        return received;
      },
      jobs,
      waitForFinishedJob: async (key, timeoutMs = 30_000, onProgress) => {
        const deadline = Date.now() + timeoutMs;
        let last = '';
        for (;;) {
          const job = (await jobs()).find((j) => j.key === key);
          if (job) {
            const seen = `${job.status}/${job.progress}/${job.attempts}`;
            if (seen !== last) onProgress?.(job);
            last = seen;
            if (job.status === 'SUCCEEDED' || job.status === 'FAILED') return job;
          }
          if (Date.now() > deadline) throw new Error(`job of ${key} not finished within ${timeoutMs} ms (last: ${last || 'no record'})`);
          await new Promise((r) => setTimeout(r, 200));
        }
      },
      queueDepth: async (queueUrl = queue.QueueUrl!) => {
        const attributes = (
          await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }))
        ).Attributes!;
        return [Number(attributes.ApproximateNumberOfMessages), Number(attributes.ApproximateNumberOfMessagesNotVisible)];
      },
      getObject: async (key) => {
        const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        return Buffer.from(await object.Body!.transformToByteArray());
      },
      stop: async () => {
        unsubscribe();
        await Promise.allSettled([...inFlight]);
        await ecs?.stop();
        for (const client of clients) client.destroy();
        await local.stop();
      },
    };
    return pipeline;
  } catch (error) {
    await ecs?.stop();
    for (const client of clients) client.destroy();
    await local.stop();
    throw error;
  }
}
