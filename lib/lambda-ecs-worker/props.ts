import { Duration, RemovalPolicy, Size } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { FunctionOptions, MonitoringProps } from '../core';

/** Where worker tasks run. */
export enum WorkerCapacity {
  /** FARGATE_SPOT first; what Spot cannot place right now is started on on-demand FARGATE. */
  SPOT_WITH_ON_DEMAND_FALLBACK = 'SPOT_WITH_ON_DEMAND_FALLBACK',
  /** FARGATE_SPOT only (cheapest; tasks wait for Spot capacity, the reconciler retries every minute). */
  SPOT_ONLY = 'SPOT_ONLY',
  /** On-demand FARGATE only. */
  ON_DEMAND_ONLY = 'ON_DEMAND_ONLY',
}

/** How scene uploads reach the launcher. */
export enum SceneTrigger {
  /**
   * An S3 event notification on the bucket, one per input suffix. A bucket has one notification
   * configuration, and S3 refuses two notifications whose filters overlap.
   */
  BUCKET_NOTIFICATION = 'BUCKET_NOTIFICATION',
  /**
   * An EventBridge rule on the bucket's `Object Created` events, filtered to the input prefix and suffixes.
   * Turns on the bucket's EventBridge delivery (`enableEventBridgeNotification()`; on an imported bucket it
   * is added to the bucket's existing configuration), so any number of consumers can share the bucket.
   */
  EVENTBRIDGE = 'EVENTBRIDGE',
}

/** Props for {@link LambdaEcsWorker}. Every prop is optional. */
export interface LambdaEcsWorkerProps extends MonitoringProps {
  /**
   * The bucket scenes are uploaded to and renders are written to.
   * @default - a new bucket with secure defaults (SecureBucket)
   */
  readonly bucket?: s3.IBucket;
  /**
   * Key prefix of scene uploads that start jobs. `''` watches the whole bucket.
   * @default 'scenes/'
   */
  readonly inputPrefix?: string;
  /**
   * Key endings that start jobs (case-sensitive); one S3 notification per suffix.
   * @default ['.zip']
   */
  readonly inputSuffixes?: string[];
  /**
   * How uploads reach the launcher: an S3 bucket notification, or an EventBridge rule (lets several
   * consumers share the bucket, costs one EventBridge event per object created).
   * @default SceneTrigger.BUCKET_NOTIFICATION
   */
  readonly trigger?: SceneTrigger;
  /**
   * Key prefix the worker writes `<name>.png` and `<name>.log` under. Must not let outputs match the
   * input filters.
   * @default 'renders/'
   */
  readonly outputPrefix?: string;
  /**
   * Your job queue. It must be a standard (not FIFO) queue with a redrive policy to a dead-letter queue: the
   * reconciler fails jobs whose message reached it. For a queue created in your app (`sqs.Queue` with
   * `deadLetterQueue`) the dead-letter queue and `maxReceiveCount` are read from it; for an imported queue give
   * `deadLetterQueue` and `maxReceiveCount` as its redrive policy has them. Give workers of no other pipeline
   * access to it. With a KMS key (`encryptionMasterKey`), the launcher and the workers are granted its use.
   * @default - a new queue (SQS-managed encryption, SSL only) with a dead-letter queue (14 days), see `queueProps`
   */
  readonly queue?: sqs.IQueue;
  /**
   * The dead-letter queue of your imported `queue` (its redrive policy's target). Only with `queue`.
   * @default - read from `queue` when it is an `sqs.Queue` of your app; required for an imported queue
   */
  readonly deadLetterQueue?: sqs.IQueue;
  /**
   * Props merged over the new job queue's defaults (e.g. `retentionPeriod`, a KMS `encryption`). Refused: turning
   * off encryption or `enforceSSL`, `fifo`, `deadLetterQueue` (the construct makes it; see `maxReceiveCount`) and
   * `visibilityTimeout` (use `visibilityTimeout`, which the workers also read). Not with `queue`.
   * @default - SQS-managed encryption, SSL only, 4 days retention, a dead-letter queue
   */
  readonly queueProps?: sqs.QueueProps;
  /**
   * Visibility timeout of the job queue. The worker extends it (heartbeat) while it renders, so it
   * only bounds how soon the job of a dead worker is retried. With your own `queue` created in your app, the
   * queue's own is used; for an imported queue, give it (the default worker also sets it when it receives a job).
   * @default Duration.minutes(5)
   */
  readonly visibilityTimeout?: Duration;
  /**
   * Deliveries of a job before its message moves to the dead-letter queue and the job is FAILED.
   * @default 3
   */
  readonly maxReceiveCount?: number;
  /**
   * Alarm when the oldest job message has been on the queue longer than this.
   * @default Duration.hours(1)
   */
  readonly maxJobAge?: Duration;
  /**
   * Keep a job table (status, progress, output key, error reason per job). Without it duplicate S3
   * deliveries cannot be recognised and may render twice.
   * @default true
   */
  readonly jobTable?: boolean;
  /**
   * Your job table, instead of a new one. Its partition key must be `jobId` (String) with no sort key; give it
   * TTL on `expiresAt` if records should expire (`jobRecordRetention`). Created in your app, its key schema is
   * checked at synth; with a KMS key, the launcher and the workers are granted its use.
   * @default - a new table (on demand, point-in-time recovery, TTL on `expiresAt`), unless `jobTable` is false
   */
  readonly existingJobTable?: dynamodb.ITable;
  /**
   * What happens to the bucket and the job table this construct creates when they leave the stack (CloudFormation
   * deletes a bucket only when it is empty). Your own resources are never touched.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * What happens to the log groups this construct creates (launcher, worker, VPC flow logs).
   * @default RemovalPolicy.RETAIN
   */
  readonly logRemovalPolicy?: RemovalPolicy;
  /**
   * Settings of the launcher (and reconciler) function, merged over its defaults (256 MiB, 60 s, Graviton).
   * @default - the defaults
   */
  readonly launcherFunctionProps?: FunctionOptions;
  /**
   * How long job records are kept (DynamoDB TTL on `expiresAt`).
   * @default Duration.days(30)
   */
  readonly jobRecordRetention?: Duration;
  /**
   * ECS cluster to run workers in. It must have the FARGATE and FARGATE_SPOT capacity providers that
   * `capacity` uses.
   * @default - a new Fargate cluster with Container Insights, in `vpc`
   */
  readonly cluster?: ecs.ICluster;
  /**
   * VPC for a new cluster (not allowed with `cluster`, whose VPC is used). The default VPC takes the region's first
   * two availability zones from `Fn::GetAZs` at deploy time, in env-specific stacks too, so creating a worker needs
   * no context lookup; pass a VPC (or override the stack's `availabilityZones`) to choose the zones.
   * @default - a new VPC: 2 AZs, public subnets only, no NAT gateways, S3 and DynamoDB gateway endpoints, flow logs
   */
  readonly vpc?: ec2.IVpc;
  /**
   * Subnets worker tasks run in.
   * @default - public subnets when `assignPublicIp`, else private subnets with egress
   */
  readonly subnets?: ec2.SubnetSelection;
  /**
   * Give worker tasks a public IP (needed in public subnets without NAT to reach ECR, SQS and logs).
   * Tasks accept no inbound traffic either way.
   * @default - true when the construct creates the VPC, false otherwise
   */
  readonly assignPublicIp?: boolean;
  /**
   * Security groups of worker tasks.
   * @default - a new group with no inbound rules
   */
  readonly securityGroups?: ec2.ISecurityGroup[];
  /**
   * Spot or on-demand Fargate capacity.
   * @default WorkerCapacity.SPOT_WITH_ON_DEMAND_FALLBACK
   */
  readonly capacity?: WorkerCapacity;
  /**
   * The worker image. It receives its configuration in the environment variables of `WORKER_ENV`.
   * @default - the POV-Ray worker built from this package's docker/povray-worker
   */
  readonly workerImage?: ecs.ContainerImage;
  /**
   * Linux user (name or uid[:gid]) the worker container runs as; never root.
   * @default '1000:1000'
   */
  readonly workerUser?: string;
  /**
   * After each `cdk deploy` that creates or changes the worker task definition, run one worker task with
   * `--canary` (it renders a tiny embedded scene confined exactly like a job) and fail the deployment with
   * the worker's reason when it cannot render confined — e.g. compute whose kernel has neither Landlock nor
   * seccomp user notification. Uses aws-cdk-lib/triggers; the task runs for well under a minute. A custom
   * `workerImage` must exit 0 on `--canary` when it can render, so the default is off for one.
   * @default true (false when `workerImage` is given)
   */
  readonly deployCanary?: boolean;
  /**
   * Run the worker with a read-only root filesystem. The task always gets a writable scratch volume at
   * `/tmp` (the default image keeps all job files there); turn this off only for a custom image that
   * must write elsewhere.
   * @default true
   */
  readonly workerReadonlyRootFilesystem?: boolean;
  /**
   * vCPU units of one worker task (256, 512, 1024, 2048, 4096, 8192 or 16384).
   * @default 1024
   */
  readonly workerCpu?: number;
  /**
   * Memory of one worker task, a whole number of MiB that suits `workerCpu` (see Fargate task sizes).
   * @default Size.mebibytes(2048)
   */
  readonly workerMemory?: Size;
  /**
   * Memory of one worker task in MiB.
   * @deprecated use `workerMemory` (a `Size`); giving both with different values is an error
   * @default 2048
   */
  readonly workerMemoryMiB?: number;
  /**
   * CPU architecture of worker tasks (the default image is built for it).
   * @default ecs.CpuArchitecture.X86_64
   */
  readonly cpuArchitecture?: ecs.CpuArchitecture;
  /**
   * Most worker tasks running at once.
   * @default 10
   */
  readonly maxWorkers?: number;
  /**
   * Backlog (waiting + in-progress jobs) one worker should own: workers = ceil(backlog ÷ this). The same
   * name and meaning as on SpotFleetAutoscaler.
   * @default 1
   */
  readonly backlogPerWorker?: number;
  /**
   * Backlog one worker is expected to own.
   * @deprecated use `backlogPerWorker`; giving both with different values is an error
   * @default 1
   */
  readonly jobsPerWorker?: number;
  /**
   * A worker exits after polling an empty queue this long, so idle cost is zero.
   * @default Duration.minutes(1)
   */
  readonly workerIdleTimeout?: Duration;
  /**
   * Hard limit on one render.
   * @default Duration.hours(1)
   */
  readonly renderTimeout?: Duration;
  /**
   * Largest width × height a scene may render.
   * @default 3840 × 2160
   */
  readonly maxPixels?: number;
  /**
   * Further environment variables for the worker container (non-secret configuration).
   * @default - none
   */
  readonly workerEnvironment?: { [key: string]: string };
  /**
   * Retention of every log group this construct creates: the worker's, the launcher's, the deploy canary's and
   * the new VPC's flow logs.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * A customer-managed KMS key that CloudWatch Logs encrypts every log group this construct creates (launcher, worker, deploy canary, VPC flow logs) with (Control Tower's
   * CT.CLOUDWATCH.PR.3). It must be a symmetric key in the stack's region. A `kms.Key` of your app gets the
   * key-policy statement CloudWatch Logs needs (`logs.<region>.amazonaws.com`, for log groups of the key's
   * account); an imported key's policy must already have it (docs/compliance.md, "Encrypting the log groups").
   * @default - CloudWatch Logs' own encryption (service-owned keys)
   */
  readonly logEncryptionKey?: kms.IKey;
  /**
   * How often the reconciler runs (restarts workers, fails dead-lettered jobs).
   * @default Duration.minutes(1)
   */
  readonly reconcileInterval?: Duration;
}
