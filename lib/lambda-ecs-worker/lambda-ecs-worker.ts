import { Duration, Names, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3n from 'aws-cdk-lib/aws-s3-notifications';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import * as fs from 'fs';
import * as path from 'path';
import { JOB_TABLE_PARTITION_KEY, WORKER_ENV } from '../../lambda/shared/render-job';
import { packageRoot } from '../core/assets';
import { HOUSE_DEFAULTS } from '../core/defaults';
import { acknowledgeNag, acknowledgePolicyWildcards } from '../core/nag';
import { otherStackProblem } from '../core/placement';
import { PrebundledFunction } from '../core/prebundled-function';
import { deadLetterAlarm, QueueWithDlq } from '../core/queue-with-dlq';
import { SecureBucket } from '../core/secure-bucket';
import { LAUNCHER_ENV } from './launcher-env';
import { validateKeyLayout } from './validation';

/** Where worker tasks run. */
export enum WorkerCapacity {
  /** FARGATE_SPOT first; what Spot cannot place right now is started on on-demand FARGATE. */
  SPOT_WITH_ON_DEMAND_FALLBACK = 'SPOT_WITH_ON_DEMAND_FALLBACK',
  /** FARGATE_SPOT only (cheapest; tasks wait for Spot capacity, the reconciler retries every minute). */
  SPOT_ONLY = 'SPOT_ONLY',
  /** On-demand FARGATE only. */
  ON_DEMAND_ONLY = 'ON_DEMAND_ONLY',
}

/** Props for {@link LambdaEcsWorker}. Every prop is optional. */
export interface LambdaEcsWorkerProps {
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
   * Key prefix the worker writes `<name>.png` and `<name>.log` under. Must not let outputs match the
   * input filters.
   * @default 'renders/'
   */
  readonly outputPrefix?: string;
  /**
   * Visibility timeout of the job queue. The worker extends it (heartbeat) while it renders, so it
   * only bounds how soon the job of a dead worker is retried.
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
   * VPC for a new cluster (not allowed with `cluster`, whose VPC is used).
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
   * vCPU units of one worker task (256, 512, 1024, 2048, 4096, 8192 or 16384).
   * @default 1024
   */
  readonly workerCpu?: number;
  /**
   * Memory of one worker task in MiB (must suit `workerCpu`, see Fargate task sizes).
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
   * Backlog (waiting + in-progress jobs) one worker is expected to own.
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
   * Retention of the worker's and the launcher's logs.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * How often the reconciler runs (restarts workers, fails dead-lettered jobs).
   * @default Duration.minutes(1)
   */
  readonly reconcileInterval?: Duration;
}

const METRICS_NAMESPACE = 'CdkComputePatterns/LambdaEcsWorker';

const DEFAULT_WORKER_IMAGE_DIR = (): string => path.join(packageRoot(), 'docker', 'povray-worker');
const FARGATE_SIZES: Record<number, [number, number]> = {
  256: [512, 2048],
  512: [1024, 4096],
  1024: [2048, 8192],
  2048: [4096, 16384],
  4096: [8192, 30720],
  8192: [16384, 61440],
  16384: [32768, 122880],
};

/**
 * S3 → launcher Lambda → SQS (+DLQ) → ECS Fargate workers. Uploading `scenes/<name>.zip` queues one job
 * per object version and wakes only the workers the backlog needs; the default worker renders the
 * POV-Ray scene to `renders/<name>.png`. Workers exist only while there is work.
 */
export class LambdaEcsWorker extends Construct {
  /** The CloudWatch namespace of the launcher's own metrics (dimensions `Pipeline`, `service`). */
  public static readonly METRICS_NAMESPACE = METRICS_NAMESPACE;

  /** The bucket scenes are uploaded to and renders written to. */
  public readonly bucket: s3.IBucket;
  /** The secure bucket wrapper, when this construct created the bucket. */
  public readonly secureBucket?: SecureBucket;
  /** The job queue. */
  public readonly queue: sqs.Queue;
  /** Where job messages go after `maxReceiveCount` deliveries. */
  public readonly deadLetterQueue: sqs.Queue;
  /** The job table, unless turned off. */
  public readonly jobTable?: dynamodb.Table;
  /** The launcher (and reconciler) function. */
  public readonly launcherFunction: lambda.Function;
  /** The launcher's prebundled-function wrapper (role, log group). */
  public readonly launcher: PrebundledFunction;
  /** Where events that failed every launcher retry go (S3 uploads, reconcile runs), so no upload is lost silently. */
  public readonly launcherDeadLetterQueue: sqs.Queue;
  /** The scheduled rule running the reconciler. */
  public readonly reconcileRule: events.Rule;
  /** The cluster worker tasks run in. */
  public readonly cluster: ecs.ICluster;
  /** The VPC worker tasks run in. */
  public readonly vpc: ec2.IVpc;
  /** The log group of the new VPC's flow logs (rejected traffic), when this construct created the VPC. */
  public readonly vpcFlowLogGroup?: logs.LogGroup;
  /** The worker task definition. */
  public readonly taskDefinition: ecs.FargateTaskDefinition;
  /** The worker container. */
  public readonly container: ecs.ContainerDefinition;
  /** Security groups of worker tasks. */
  public readonly securityGroups: ec2.ISecurityGroup[];
  /** The worker's log group. */
  public readonly workerLogGroup: logs.LogGroup;
  /** Fires when a job message is in the dead-letter queue. */
  public readonly deadLetterAlarm: cloudwatch.Alarm;
  /** Fires when an S3 event failed every launcher attempt. */
  public readonly launcherDeadLetterAlarm: cloudwatch.Alarm;
  /** Fires when the oldest job has waited longer than `maxJobAge`. */
  public readonly oldestJobAlarm: cloudwatch.Alarm;
  /** The effective key prefixes and suffixes. */
  public readonly inputPrefix: string;
  public readonly inputSuffixes: string[];
  public readonly outputPrefix: string;
  /** Value of the `Pipeline` dimension of the launcher's metrics, and the workers' ECS `startedBy`. */
  public readonly pipelineName: string;

  constructor(scope: Construct, id: string, props: LambdaEcsWorkerProps = {}) {
    super(scope, id);
    this.inputPrefix = props.inputPrefix ?? 'scenes/';
    this.inputSuffixes = [...(props.inputSuffixes ?? ['.zip'])];
    this.outputPrefix = props.outputPrefix ?? 'renders/';
    validateProps(this, props, this.inputPrefix, this.inputSuffixes, this.outputPrefix);

    const visibilityTimeout = props.visibilityTimeout ?? Duration.minutes(5);
    const logRetention = props.logRetention ?? HOUSE_DEFAULTS.logRetention;
    const cpuArchitecture = props.cpuArchitecture ?? ecs.CpuArchitecture.X86_64;
    this.pipelineName = Names.uniqueResourceName(this, { maxLength: 36, separator: '-' });

    // --- storage and queues --------------------------------------------------------------------
    if (props.bucket) {
      this.bucket = props.bucket;
    } else {
      this.secureBucket = new SecureBucket(this, 'Bucket');
      this.bucket = this.secureBucket.bucket;
    }
    const jobs = new QueueWithDlq(this, 'Jobs', { visibilityTimeout, maxReceiveCount: props.maxReceiveCount });
    this.queue = jobs.queue;
    this.deadLetterQueue = jobs.deadLetterQueue;
    this.deadLetterAlarm = jobs.addDeadLetterAlarm('DeadLetterAlarm', {
      alarmDescription: `Render jobs of ${this.node.path} failed ${jobs.maxReceiveCount} deliveries; their messages are in the dead-letter queue and the jobs are FAILED.`,
    });
    const maxJobAge = props.maxJobAge ?? Duration.hours(1);
    this.oldestJobAlarm = this.metricOldestJobAge().createAlarm(this, 'OldestJobAlarm', {
      alarmDescription: `A render job of ${this.node.path} has waited more than ${maxJobAge.toHumanString()}: workers are not starting or not keeping up.`,
      threshold: maxJobAge.toSeconds(),
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    if (props.jobTable !== false) {
      this.jobTable = new dynamodb.Table(this, 'JobTable', {
        partitionKey: { name: JOB_TABLE_PARTITION_KEY, type: dynamodb.AttributeType.STRING },
        billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        encryption: dynamodb.TableEncryption.AWS_MANAGED,
        timeToLiveAttribute: 'expiresAt',
      });
    }

    // --- network and cluster -------------------------------------------------------------------
    const createsVpc = !props.cluster && !props.vpc;
    if (props.cluster) {
      this.cluster = props.cluster;
      this.vpc = props.cluster.vpc;
    } else {
      if (!props.vpc) this.vpcFlowLogGroup = new logs.LogGroup(this, 'VpcFlowLogs', { retention: HOUSE_DEFAULTS.logRetention });
      this.vpc = props.vpc ?? this.newVpc(this.vpcFlowLogGroup!);
      const cluster = new ecs.Cluster(this, 'Cluster', {
        vpc: this.vpc,
        enableFargateCapacityProviders: true,
        containerInsightsV2: ecs.ContainerInsights.ENABLED,
      });
      this.cluster = cluster;
    }
    const assignPublicIp = props.assignPublicIp ?? createsVpc;
    const subnets = this.vpc.selectSubnets(
      props.subnets ?? { subnetType: assignPublicIp ? ec2.SubnetType.PUBLIC : ec2.SubnetType.PRIVATE_WITH_EGRESS },
    );
    if (props.securityGroups) {
      this.securityGroups = props.securityGroups;
    } else {
      const securityGroup = new ec2.SecurityGroup(this, 'WorkerSecurityGroup', {
        vpc: this.vpc,
        description: 'Render workers: no inbound traffic; outbound HTTPS only (S3, SQS, DynamoDB, ECR, CloudWatch Logs)',
        allowAllOutbound: false,
      });
      securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to AWS service endpoints');
      this.securityGroups = [securityGroup];
    }

    // --- worker task ---------------------------------------------------------------------------
    this.taskDefinition = new ecs.FargateTaskDefinition(this, 'TaskDefinition', {
      cpu: props.workerCpu ?? 1024,
      memoryLimitMiB: props.workerMemoryMiB ?? 2048,
      runtimePlatform: { cpuArchitecture, operatingSystemFamily: ecs.OperatingSystemFamily.LINUX },
    });
    this.workerLogGroup = new logs.LogGroup(this, 'WorkerLogs', { retention: logRetention });
    this.container = this.taskDefinition.addContainer('Worker', {
      image: props.workerImage ?? defaultWorkerImage(cpuArchitecture),
      user: props.workerUser ?? '1000:1000',
      logging: ecs.LogDrivers.awsLogs({ logGroup: this.workerLogGroup, streamPrefix: 'worker' }),
      // Fargate's longest stop timeout: on SIGTERM (scale-in, Spot interruption) the worker releases its
      // job at once or finishes it within this time.
      stopTimeout: Duration.seconds(120),
      environment: {
        ...props.workerEnvironment,
        [WORKER_ENV.queueUrl]: this.queue.queueUrl,
        [WORKER_ENV.jobTableName]: this.jobTable?.tableName ?? '',
        [WORKER_ENV.inputPrefix]: this.inputPrefix,
        [WORKER_ENV.outputPrefix]: this.outputPrefix,
        [WORKER_ENV.visibilityTimeoutSeconds]: String(visibilityTimeout.toSeconds()),
        [WORKER_ENV.maxReceiveCount]: String(jobs.maxReceiveCount),
        [WORKER_ENV.idleExitSeconds]: String((props.workerIdleTimeout ?? Duration.minutes(1)).toSeconds()),
        [WORKER_ENV.renderTimeoutSeconds]: String((props.renderTimeout ?? Duration.hours(1)).toSeconds()),
        [WORKER_ENV.maxPixels]: String(props.maxPixels ?? 3840 * 2160),
      },
    });
    acknowledgeNag(this.taskDefinition, {
      id: 'AwsSolutions-ECS2',
      reason: 'The worker environment holds only non-secret configuration (queue URL, table name, key prefixes, limits); it needs no secrets.',
    });
    this.grantWorkerAccess(this.taskDefinition.taskRole);
    if (this.taskDefinition.executionRole) {
      acknowledgeNag(this.taskDefinition.executionRole, {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'ecr:GetAuthorizationToken, which pulls the worker image, supports no resource-level permissions (AWS requires "*").',
      });
    }

    // --- launcher and reconciler ---------------------------------------------------------------
    this.launcherDeadLetterQueue = new sqs.Queue(this, 'LauncherDeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: HOUSE_DEFAULTS.deadLetterRetention,
    });
    acknowledgeNag(this.launcherDeadLetterQueue, {
      id: 'AwsSolutions-SQS3',
      reason: "This queue is the launcher function's dead-letter queue (S3 events that failed every attempt); it needs no DLQ of its own.",
    });
    this.launcherDeadLetterAlarm = deadLetterAlarm(this, 'LauncherDeadLetterAlarm', this.launcherDeadLetterQueue, {
      alarmDescription:
        `Events ${this.node.path}'s launcher failed on every retry: S3 uploads it could not queue (re-drive them to the launcher), ` +
        'or reconcile runs that failed (see the launcher logs).',
    });

    const capacityProviders = capacityProvidersOf(props.capacity ?? WorkerCapacity.SPOT_WITH_ON_DEMAND_FALLBACK);
    const taskDefinitionArn = this.taskDefinition.taskDefinitionArn;
    this.launcher = new PrebundledFunction(this, 'Launcher', {
      assetName: 'lambda-ecs-worker',
      description: `Queues render jobs for ${this.node.path} and starts the ECS workers they need`,
      timeout: Duration.seconds(60),
      logRetention,
      environment: {
        POWERTOOLS_SERVICE_NAME: 'lambda-ecs-worker-launcher',
        [LAUNCHER_ENV.queueUrl]: this.queue.queueUrl,
        [LAUNCHER_ENV.deadLetterQueueUrl]: this.deadLetterQueue.queueUrl,
        [LAUNCHER_ENV.jobTableName]: this.jobTable?.tableName ?? '',
        [LAUNCHER_ENV.jobRecordTtlDays]: String((props.jobRecordRetention ?? Duration.days(30)).toDays()),
        [LAUNCHER_ENV.inputPrefix]: this.inputPrefix,
        [LAUNCHER_ENV.outputPrefix]: this.outputPrefix,
        [LAUNCHER_ENV.inputSuffixes]: this.inputSuffixes.join(','),
        [LAUNCHER_ENV.maxReceiveCount]: String(jobs.maxReceiveCount),
        [LAUNCHER_ENV.clusterArn]: this.cluster.clusterArn,
        [LAUNCHER_ENV.taskDefinitionArn]: taskDefinitionArn,
        [LAUNCHER_ENV.startedBy]: this.pipelineName,
        [LAUNCHER_ENV.capacityProviders]: capacityProviders.join(','),
        [LAUNCHER_ENV.subnetIds]: subnets.subnetIds.join(','),
        [LAUNCHER_ENV.securityGroupIds]: this.securityGroups.map((sg) => sg.securityGroupId).join(','),
        [LAUNCHER_ENV.assignPublicIp]: assignPublicIp ? 'ENABLED' : 'DISABLED',
        [LAUNCHER_ENV.maxWorkers]: String(props.maxWorkers ?? 10),
        [LAUNCHER_ENV.jobsPerWorker]: String(props.jobsPerWorker ?? 1),
        [LAUNCHER_ENV.pipelineName]: this.pipelineName,
      },
      functionProps: { deadLetterQueue: this.launcherDeadLetterQueue, retryAttempts: 2 },
    });
    this.launcherFunction = this.launcher.function;
    this.grantLauncherAccess(this.launcher.role, taskDefinitionArn);

    for (const suffix of this.inputSuffixes) {
      this.bucket.addEventNotification(s3.EventType.OBJECT_CREATED, new s3n.LambdaDestination(this.launcherFunction), {
        prefix: this.inputPrefix || undefined,
        suffix,
      });
    }
    acknowledgeBucketNotificationsHandler(this);

    this.reconcileRule = new events.Rule(this, 'ReconcileSchedule', {
      description: `Every minute: restarts ${this.node.path}'s workers when jobs wait, fails dead-lettered jobs`,
      schedule: events.Schedule.rate(props.reconcileInterval ?? Duration.minutes(1)),
      // The next run is a minute away: a retry would only overlap it.
      targets: [new targets.LambdaFunction(this.launcherFunction, { retryAttempts: 0 })],
    });
  }

  /** Jobs waiting for a worker. */
  public metricJobsWaiting(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.queue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: Duration.minutes(1), ...props });
  }

  /** Jobs a worker is rendering now. */
  public metricJobsInProgress(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.queue.metricApproximateNumberOfMessagesNotVisible({ statistic: 'Maximum', period: Duration.minutes(1), ...props });
  }

  /** Age of the oldest job message, in seconds. */
  public metricOldestJobAge(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.queue.metricApproximateAgeOfOldestMessage({ statistic: 'Maximum', period: Duration.minutes(1), ...props });
  }

  /** Job messages in the dead-letter queue (jobs FAILED after every delivery). */
  public metricDeadLetterJobs(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: Duration.minutes(1), ...props });
  }

  /** Jobs the launcher queued (its own metric). */
  public metricJobsSubmitted(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.launcherMetric('JobsSubmitted', 'Sum', props);
  }

  /** Worker tasks the launcher and reconciler started. */
  public metricWorkersStarted(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.launcherMetric('WorkersStarted', 'Sum', props);
  }

  /** Worker tasks running or starting, as the launcher last counted them. */
  public metricWorkersRunning(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.launcherMetric('WorkersRunning', 'Maximum', props);
  }

  /** Duplicate S3 deliveries recognised (no second job was created). */
  public metricDuplicateDeliveries(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.launcherMetric('DuplicateDeliveries', 'Sum', props);
  }

  /** Launcher errors (an S3 event or a reconcile run that failed). */
  public metricLauncherErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.launcherFunction.metricErrors({ period: Duration.minutes(1), ...props });
  }

  private launcherMetric(metricName: string, statistic: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: METRICS_NAMESPACE,
      metricName,
      dimensionsMap: { Pipeline: this.pipelineName, service: 'launcher' },
      statistic,
      period: Duration.minutes(1),
      ...props,
    });
  }

  /** A VPC that costs nothing while idle: public subnets (tasks get public IPs, no inbound), no NAT. */
  private newVpc(flowLogs: logs.LogGroup): ec2.Vpc {
    return new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'Public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 }],
      // Free gateway endpoints keep scene and table traffic off the internet.
      gatewayEndpoints: {
        S3: { service: ec2.GatewayVpcEndpointAwsService.S3 },
        DynamoDB: { service: ec2.GatewayVpcEndpointAwsService.DYNAMODB },
      },
      flowLogs: {
        Rejected: { destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogs), trafficType: ec2.FlowLogTrafficType.REJECT },
      },
    });
  }

  /** Least privilege for the worker: read scenes, write outputs, consume this queue, update this table. */
  private grantWorkerAccess(role: iam.IRole): void {
    const policy = new iam.Policy(this, 'WorkerPolicy', {
      roles: [role],
      statements: [
        new iam.PolicyStatement({
          sid: 'ReadScenes',
          actions: ['s3:GetObject', 's3:GetObjectVersion'],
          resources: [this.bucket.arnForObjects(`${this.inputPrefix}*`)],
        }),
        new iam.PolicyStatement({
          sid: 'WriteOutputs',
          actions: ['s3:PutObject'],
          resources: [this.bucket.arnForObjects(`${this.outputPrefix}*`)],
        }),
        new iam.PolicyStatement({
          sid: 'ConsumeJobs',
          actions: ['sqs:ReceiveMessage', 'sqs:ChangeMessageVisibility', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'],
          resources: [this.queue.queueArn],
        }),
        ...(this.jobTable
          ? [new iam.PolicyStatement({ sid: 'UpdateJobs', actions: ['dynamodb:UpdateItem'], resources: [this.jobTable.tableArn] })]
          : []),
      ],
    });
    // Exactly what reading and writing SSE-KMS objects needs (grantEncrypt/grantDecrypt add kms:ReEncrypt* and
    // kms:GenerateDataKey* wildcards).
    this.bucket.encryptionKey?.grant(role, 'kms:Decrypt', 'kms:GenerateDataKey');
    // Finding ids are built from the resolved policy, so imported buckets (token ARNs) work too.
    acknowledgePolicyWildcards(
      policy,
      `The worker reads only scene objects under the input prefix '${this.inputPrefix}' and writes only outputs under ` +
        `the output prefix '${this.outputPrefix}' of this bucket; object keys are chosen by uploaders, hence the trailing '*'.`,
    );
  }

  /** Least privilege for the launcher: queue jobs, record them, read the DLQ, start this task definition. */
  private grantLauncherAccess(role: iam.IRole, taskDefinitionArn: string): void {
    const statements = [
      new iam.PolicyStatement({ sid: 'QueueJobs', actions: ['sqs:SendMessage', 'sqs:GetQueueAttributes'], resources: [this.queue.queueArn] }),
      // Received with visibility 0 and never deleted: dead letters stay as evidence.
      new iam.PolicyStatement({ sid: 'ReadDeadLetters', actions: ['sqs:ReceiveMessage'], resources: [this.deadLetterQueue.queueArn] }),
      new iam.PolicyStatement({
        sid: 'StartWorkers',
        actions: ['ecs:RunTask'],
        resources: [taskDefinitionArn],
        conditions: { ArnEquals: { 'ecs:cluster': this.cluster.clusterArn } },
      }),
      new iam.PolicyStatement({
        sid: 'PassWorkerRoles',
        actions: ['iam:PassRole'],
        resources: [this.taskDefinition.taskRole.roleArn, ...(this.taskDefinition.executionRole ? [this.taskDefinition.executionRole.roleArn] : [])],
        conditions: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
      }),
    ];
    if (this.jobTable) {
      statements.push(new iam.PolicyStatement({ sid: 'RecordJobs', actions: ['dynamodb:PutItem', 'dynamodb:UpdateItem'], resources: [this.jobTable.tableArn] }));
    }
    new iam.Policy(this, 'LauncherPolicy', { roles: [role], statements });
    // ListTasks takes no resource ARN; it lives in a policy of its own so its "*" is acknowledged alone.
    const listTasks = new iam.Policy(this, 'LauncherListTasksPolicy', {
      roles: [role],
      statements: [
        new iam.PolicyStatement({
          sid: 'CountWorkers',
          actions: ['ecs:ListTasks'],
          resources: ['*'],
          conditions: { ArnEquals: { 'ecs:cluster': this.cluster.clusterArn } },
        }),
      ],
    });
    acknowledgeNag(listTasks, {
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'ecs:ListTasks supports no resource ARN; the grant is limited to this cluster by the ecs:cluster condition.',
    });
  }
}

function validateProps(scope: Construct, props: LambdaEcsWorkerProps, inputPrefix: string, inputSuffixes: string[], outputPrefix: string): void {
  const errors = validateKeyLayout({ inputPrefix, inputSuffixes, outputPrefix });
  const crossStackBucket =
    props.bucket &&
    otherStackProblem(
      scope,
      'bucket',
      props.bucket,
      "CDK configures S3 notifications in the bucket's stack, and a launcher in another stack makes a dependency cycle between the two stacks",
      "Create the LambdaEcsWorker in the bucket's stack, or import the bucket into this stack by name " +
        "(s3.Bucket.fromBucketName(this, 'Scenes', name)), or trigger the launcher from EventBridge instead of S3 notifications",
    );
  if (crossStackBucket) errors.push(crossStackBucket);
  const whole = (name: string, value: number | undefined, min: number, max: number) => {
    if (value !== undefined && (!Number.isInteger(value) || value < min || value > max)) {
      errors.push(`${name} must be a whole number from ${min} to ${max} (got ${value})`);
    }
  };
  whole('maxWorkers', props.maxWorkers, 1, 1000);
  whole('jobsPerWorker', props.jobsPerWorker, 1, 10_000);
  whole('maxReceiveCount', props.maxReceiveCount, 1, 1000);
  whole('maxPixels', props.maxPixels, 1, 2 ** 40);
  const seconds = (name: string, value: Duration | undefined, min: number, max: number, unit = 's') => {
    if (value === undefined) return;
    const s = value.toSeconds();
    if (s < min || s > max) errors.push(`${name} must be from ${min}${unit} to ${max}${unit} (got ${value.toHumanString()})`);
  };
  seconds('visibilityTimeout', props.visibilityTimeout, 30, 43_200);
  seconds('maxJobAge', props.maxJobAge, 60, 14 * 86_400);
  seconds('workerIdleTimeout', props.workerIdleTimeout, 0, 86_400);
  seconds('renderTimeout', props.renderTimeout, 1, 7 * 86_400);
  seconds('reconcileInterval', props.reconcileInterval, 60, 3600);
  if (props.jobRecordRetention !== undefined && props.jobRecordRetention.toSeconds() < 86_400) {
    errors.push(`jobRecordRetention must be at least 1 day (got ${props.jobRecordRetention.toHumanString()})`);
  }
  if (props.jobRecordRetention !== undefined && props.jobTable === false) {
    errors.push('jobRecordRetention has no effect with jobTable: false: remove one of them');
  }
  if (props.cluster && props.vpc) errors.push("give either cluster or vpc, not both: workers run in the cluster's own VPC");
  const cpu = props.workerCpu ?? 1024;
  const memory = props.workerMemoryMiB ?? 2048;
  const range = FARGATE_SIZES[cpu];
  if (!range) errors.push(`workerCpu must be one of ${Object.keys(FARGATE_SIZES).join(', ')} (got ${cpu})`);
  else if (memory < range[0] || memory > range[1]) errors.push(`workerMemoryMiB for workerCpu ${cpu} must be from ${range[0]} to ${range[1]} (got ${memory})`);
  if (props.workerUser !== undefined && /^(root|0)(:|$)/.test(props.workerUser)) errors.push(`workerUser must not be root (got '${props.workerUser}')`);
  if (props.securityGroups && props.securityGroups.length === 0) errors.push('securityGroups must not be empty: leave it out for a new group without inbound rules');
  if (errors.length > 0) throw new Error(`Invalid LambdaEcsWorker props: ${errors.join('; ')}`);
}

function capacityProvidersOf(capacity: WorkerCapacity): string[] {
  switch (capacity) {
    case WorkerCapacity.SPOT_ONLY:
      return ['FARGATE_SPOT'];
    case WorkerCapacity.ON_DEMAND_ONLY:
      return ['FARGATE'];
    default:
      return ['FARGATE_SPOT', 'FARGATE'];
  }
}

/** The POV-Ray worker image, built at deploy time from this package's docker/povray-worker. */
function defaultWorkerImage(cpuArchitecture: ecs.CpuArchitecture): ecs.ContainerImage {
  const dir = DEFAULT_WORKER_IMAGE_DIR();
  if (!fs.existsSync(path.join(dir, 'Dockerfile'))) {
    throw new Error(`The default POV-Ray worker image needs ${dir}/Dockerfile, which is missing: reinstall the package or pass workerImage`);
  }
  if (!fs.existsSync(path.join(dir, 'dist', 'index.js'))) {
    throw new Error(`The POV-Ray worker is not built (${dir}/dist/index.js is missing): run 'npm run build' (npm ci runs it) or pass workerImage`);
  }
  return ecs.ContainerImage.fromAsset(dir, {
    platform: cpuArchitecture === ecs.CpuArchitecture.ARM64 ? Platform.LINUX_ARM64 : Platform.LINUX_AMD64,
  });
}

/**
 * S3 notifications are configured by CDK's stack-wide BucketNotificationsHandler custom resource; its
 * findings are CDK's, not this pattern's, and are acknowledged on it with the reason.
 */
function acknowledgeBucketNotificationsHandler(scope: Construct): void {
  const stack = Stack.of(scope);
  for (const handler of stack.node.children.filter((c) => c.node.id.startsWith('BucketNotificationsHandler'))) {
    acknowledgeNag(
      handler,
      {
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason: "CDK's BucketNotificationsHandler custom resource uses the basic execution role to write its own deployment logs.",
      },
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: "CDK's BucketNotificationsHandler sets s3:PutBucketNotification at deploy time; CDK's own policy uses '*' for it.",
      },
    );
  }
}
