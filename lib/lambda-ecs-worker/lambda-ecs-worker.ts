import { Duration, Names } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3n from 'aws-cdk-lib/aws-s3-notifications';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { JOB_TABLE_PARTITION_KEY } from '../../contracts/lambda-ecs-worker/render-job';
import { acknowledgeCompliancePackFindings, acknowledgeNag, AlarmTuning, applyAlarmActions, countAlarm, deadLetterAlarm, functionThrottleAlarm, PrebundledFunction, QueueWithDlq, SecureBucket, wantsDashboard } from '../core';
import { newOnFailureQueue, withFunctionOptions } from '../core/builders';
import { HOUSE_DEFAULTS } from '../core/defaults';
import { LAUNCHER_ENV } from '../../contracts/lambda-ecs-worker/launcher-env';
import {
  acknowledgeBucketNotificationsHandler,
  bucketNotificationsHandlers,
  grantLauncherAccess,
  grantReadJobStatus,
  grantReadResults,
  grantSubmitScenes,
  grantWorkerAccess,
} from './permissions';
import { DeployCanary } from './canary';
import { LambdaEcsWorkerProps, SceneTrigger, WorkerCapacity } from './props';
import { newLambdaEcsWorkerDashboard } from './dashboard';
import { validateProps } from './validation';
import { notificationOverlapProblems } from './notification-overlap';
import { newWorkerTask } from './worker-task';
import { capacityProvidersOf, newWorkerVpc, selectWorkerSubnets } from './workers';
import { fitDescriptionsToAwsLimits } from '../core/limits';
import { newPatternLogGroup } from '../core/log-groups';

const METRICS_NAMESPACE = 'CdkComputePatterns/LambdaEcsWorker';
/**
 * S3 → launcher Lambda → SQS (+DLQ) → ECS Fargate workers. Uploading `scenes/<name>.zip` queues one job
 * per object version and wakes only the workers the backlog needs; the default worker renders the
 * POV-Ray scene to `renders/<name>.png`. Workers exist only while there is work.
 */
export class LambdaEcsWorker extends Construct implements ec2.IConnectable {
  /** The CloudWatch namespace of the launcher's own metrics (dimensions `Pipeline`, `service`). */
  public static readonly METRICS_NAMESPACE = METRICS_NAMESPACE;

  /** The bucket scenes are uploaded to and renders written to. */
  public readonly bucket: s3.IBucket;
  /** The secure bucket wrapper, when this construct created the bucket. */
  public readonly secureBucket?: SecureBucket;
  /** The job queue (created, or yours). */
  public readonly queue: sqs.IQueue;
  /** Where job messages go after `maxReceiveCount` deliveries. */
  public readonly deadLetterQueue: sqs.IQueue;
  /** The job table (created, or yours), unless turned off. */
  public readonly jobTable?: dynamodb.ITable;
  /** The deploy-time canary (`deployCanary`), when on. */
  public readonly deployCanary?: DeployCanary;
  /** The launcher (and reconciler) function. */
  public readonly launcherFunction: lambda.Function;
  /** The launcher function's role. */
  public readonly launcherRole: iam.IRole;
  /** The launcher function's log group. */
  public readonly launcherLogGroup: logs.ILogGroup;
  /**
   * The launcher's prebundled-function wrapper.
   * @deprecated the same function as `launcherFunction`; use `launcherFunction`, `launcherRole`, `launcherLogGroup`
   */
  public readonly launcher: PrebundledFunction;
  /** The worker tasks' security groups, as connections (allow them to reach your resources). */
  public readonly connections: ec2.Connections;
  /** Where events that failed every launcher retry go (S3 uploads, reconcile runs), so no upload is lost silently. */
  public readonly launcherDeadLetterQueue: sqs.Queue;
  /** The scheduled rule running the reconciler. */
  public readonly reconcileRule: events.Rule;
  /** The rule sending the bucket's `Object Created` events to the launcher, with `SceneTrigger.EVENTBRIDGE`. */
  public readonly sceneUploadRule?: events.Rule;
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
  /** Fires when the launcher fails three 5-minute periods in a row (reconcile runs are not retried). */
  public readonly launcherErrorAlarm: cloudwatch.Alarm;
  /** Fires when the launcher is throttled (uploads wait in Lambda's retry queue). */
  public readonly launcherThrottleAlarm: cloudwatch.Alarm;
  /** Every alarm this construct created; all get `alarmActions`. */
  public readonly alarms: cloudwatch.IAlarm[];
  /** The pattern's dashboard, unless `dashboard` is false. */
  public readonly dashboard?: cloudwatch.Dashboard;
  /** Backlog (waiting + in-progress jobs) one worker owns. */
  public readonly backlogPerWorker: number;
  /** The effective key prefix of scenes: uploads under it start jobs. */
  public readonly inputPrefix: string;
  /** The effective key suffixes of scenes (e.g. `.zip`): other uploads are ignored. */
  public readonly inputSuffixes: string[];
  /** The effective key prefix the workers write PNGs and logs under. */
  public readonly outputPrefix: string;
  /** Value of the `Pipeline` dimension of the launcher's metrics, and the workers' ECS `startedBy`. */
  public readonly pipelineName: string;

  constructor(scope: Construct, id: string, props: LambdaEcsWorkerProps = {}) {
    super(scope, id);
    this.inputPrefix = props.inputPrefix ?? 'scenes/';
    this.inputSuffixes = [...(props.inputSuffixes ?? ['.zip'])];
    this.outputPrefix = props.outputPrefix ?? 'renders/';
    const resolved = validateProps(this, props, this.inputPrefix, this.inputSuffixes, this.outputPrefix);
    this.backlogPerWorker = resolved.backlogPerWorker;

    const tuning = new AlarmTuning(`LambdaEcsWorker '${this.node.path}'`, props.alarmOverrides);
    const visibilityTimeout = resolved.userQueueRedrive?.visibilityTimeout ?? props.visibilityTimeout ?? Duration.minutes(5);
    const logRetention = props.logRetention ?? HOUSE_DEFAULTS.logRetention;
    const cpuArchitecture = props.cpuArchitecture ?? ecs.CpuArchitecture.X86_64;
    this.pipelineName = Names.uniqueResourceName(this, { maxLength: 36, separator: '-' });

    // --- storage and queues --------------------------------------------------------------------
    if (props.bucket) {
      this.bucket = props.bucket;
    } else {
      this.secureBucket = new SecureBucket(this, 'Bucket', props.removalPolicy ? { bucketProps: { removalPolicy: props.removalPolicy } } : {});
      this.bucket = this.secureBucket.bucket;
    }
    let maxReceiveCount: number;
    if (props.queue && resolved.userQueueRedrive) {
      this.queue = props.queue;
      this.deadLetterQueue = resolved.userQueueRedrive.deadLetterQueue;
      maxReceiveCount = resolved.userQueueRedrive.maxReceiveCount;
      this.deadLetterAlarm = deadLetterAlarm(this, 'DeadLetterAlarm', this.deadLetterQueue, {
        alarmDescription: `Render jobs of ${this.node.path} failed ${maxReceiveCount} deliveries; their messages are in the dead-letter queue and the jobs are FAILED.`,
        ...tuning.for('DeadLetterAlarm'),
      });
    } else {
      const jobs = new QueueWithDlq(this, 'Jobs', { visibilityTimeout, maxReceiveCount: props.maxReceiveCount, queueProps: props.queueProps });
      this.queue = jobs.queue;
      this.deadLetterQueue = jobs.deadLetterQueue;
      maxReceiveCount = jobs.maxReceiveCount;
      this.deadLetterAlarm = jobs.addDeadLetterAlarm('DeadLetterAlarm', {
        alarmDescription: `Render jobs of ${this.node.path} failed ${jobs.maxReceiveCount} deliveries; their messages are in the dead-letter queue and the jobs are FAILED.`,
        ...tuning.for('DeadLetterAlarm'),
      });
    }
    const maxJobAge = props.maxJobAge ?? Duration.hours(1);
    this.oldestJobAlarm = this.metricOldestJobAge().createAlarm(this, 'OldestJobAlarm', {
      alarmDescription: `A render job of ${this.node.path} has waited more than ${maxJobAge.toHumanString()}: workers are not starting or not keeping up.`,
      threshold: maxJobAge.toSeconds(),
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      ...tuning.for('OldestJobAlarm'),
    });

    if (props.existingJobTable) {
      this.jobTable = props.existingJobTable;
    } else if (props.jobTable !== false) {
      this.jobTable = new dynamodb.Table(this, 'JobTable', {
        removalPolicy: props.removalPolicy,
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
      if (!props.vpc) {
        this.vpcFlowLogGroup = newPatternLogGroup(this, 'VpcFlowLogs', { retention: logRetention, removalPolicy: props.logRemovalPolicy, encryptionKey: props.logEncryptionKey });
      }
      this.vpc = props.vpc ?? newWorkerVpc(this, this.vpcFlowLogGroup!);
      const cluster = new ecs.Cluster(this, 'Cluster', {
        vpc: this.vpc,
        enableFargateCapacityProviders: true,
        containerInsightsV2: ecs.ContainerInsights.ENABLED,
      });
      this.cluster = cluster;
    }
    const assignPublicIp = props.assignPublicIp ?? createsVpc;
    const subnets = selectWorkerSubnets(this, this.vpc, props.subnets, assignPublicIp);
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
    this.connections = new ec2.Connections({ securityGroups: this.securityGroups });

    // --- worker task ---------------------------------------------------------------------------
    const task = newWorkerTask(this, props, { memoryMiB: resolved.workerMemoryMiB, cpuArchitecture, logRetention, visibilityTimeout, maxReceiveCount });
    this.taskDefinition = task.taskDefinition;
    this.container = task.container;
    this.workerLogGroup = task.logGroup;
    grantWorkerAccess(this, this.taskDefinition.taskRole);
    if (this.taskDefinition.executionRole) {
      acknowledgeNag(this.taskDefinition.executionRole, {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'ecr:GetAuthorizationToken, which pulls the worker image, supports no resource-level permissions (AWS requires "*").',
      });
    }

    // --- launcher and reconciler ---------------------------------------------------------------
    this.launcherDeadLetterQueue = newOnFailureQueue(
      this,
      'LauncherDeadLetterQueue',
      "This queue is the launcher function's dead-letter queue (S3 events that failed every attempt); it needs no DLQ of its own.",
    );
    this.launcherDeadLetterAlarm = deadLetterAlarm(this, 'LauncherDeadLetterAlarm', this.launcherDeadLetterQueue, {
      alarmDescription:
        `Events ${this.node.path}'s launcher failed on every retry: S3 uploads it could not queue (re-drive them to the launcher), ` +
        'or reconcile runs that failed (see the launcher logs).',
      ...tuning.for('LauncherDeadLetterAlarm'),
    });

    const capacityProviders = capacityProvidersOf(props.capacity ?? WorkerCapacity.SPOT_WITH_ON_DEMAND_FALLBACK);
    const taskDefinitionArn = this.taskDefinition.taskDefinitionArn;
    this.launcher = new PrebundledFunction(this, 'Launcher', withFunctionOptions({
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
        [LAUNCHER_ENV.maxReceiveCount]: String(maxReceiveCount),
        [LAUNCHER_ENV.clusterArn]: this.cluster.clusterArn,
        [LAUNCHER_ENV.taskDefinitionArn]: taskDefinitionArn,
        [LAUNCHER_ENV.startedBy]: this.pipelineName,
        [LAUNCHER_ENV.capacityProviders]: capacityProviders.join(','),
        [LAUNCHER_ENV.subnetIds]: subnets.subnetIds.join(','),
        [LAUNCHER_ENV.securityGroupIds]: this.securityGroups.map((sg) => sg.securityGroupId).join(','),
        [LAUNCHER_ENV.assignPublicIp]: assignPublicIp ? 'ENABLED' : 'DISABLED',
        [LAUNCHER_ENV.maxWorkers]: String(props.maxWorkers ?? 10),
        [LAUNCHER_ENV.jobsPerWorker]: String(this.backlogPerWorker),
        [LAUNCHER_ENV.pipelineName]: this.pipelineName,
      },
      logRemovalPolicy: props.logRemovalPolicy,
      logEncryptionKey: props.logEncryptionKey,
      functionProps: { deadLetterQueue: this.launcherDeadLetterQueue, retryAttempts: 2 },
    }, props.launcherFunctionProps));
    this.launcherFunction = this.launcher.function;
    this.launcherRole = this.launcher.role;
    this.launcherLogGroup = this.launcher.logGroup;
    grantLauncherAccess(this, this.launcher.role, taskDefinitionArn);

    if (props.deployCanary ?? !props.workerImage) {
      this.deployCanary = new DeployCanary(this, 'DeployCanary', this, {
        subnetIds: subnets.subnetIds,
        assignPublicIp,
        logRetention,
        logRemovalPolicy: props.logRemovalPolicy,
        logEncryptionKey: props.logEncryptionKey,
      });
    }

    const handlersBefore = new Set(bucketNotificationsHandlers(this.bucket));
    this.sceneUploadRule = this.addSceneTrigger(props.trigger ?? SceneTrigger.BUCKET_NOTIFICATION);
    acknowledgeBucketNotificationsHandler(this.bucket, handlersBefore);

    this.reconcileRule = new events.Rule(this, 'ReconcileSchedule', {
      description: `Every minute: restarts ${this.node.path}'s workers when jobs wait, fails dead-lettered jobs`,
      schedule: events.Schedule.rate(props.reconcileInterval ?? Duration.minutes(1)),
      // The next run is a minute away: a retry would only overlap it.
      targets: [new targets.LambdaFunction(this.launcherFunction, { retryAttempts: 0 })],
    });
    this.launcherErrorAlarm = countAlarm(this, 'LauncherErrorAlarm', this.metricLauncherErrors({ period: Duration.minutes(5) }),
      `The launcher of ${this.node.path} fails: uploads are not queued or workers not started (see its logs).`, { evaluationPeriods: 3 }, tuning.for('LauncherErrorAlarm'));
    this.launcherThrottleAlarm = functionThrottleAlarm(this, 'LauncherThrottleAlarm', this.launcherFunction, tuning.for('LauncherThrottleAlarm'));
    tuning.assertAllKnown();
    this.alarms = [this.deadLetterAlarm, this.launcherDeadLetterAlarm, this.oldestJobAlarm, this.launcherErrorAlarm, this.launcherThrottleAlarm];
    applyAlarmActions(this, props.alarmActions);
    if (wantsDashboard(props)) this.dashboard = newLambdaEcsWorkerDashboard(this);
    // HIPAA, NIST 800-53 r5, PCI DSS 3.2.1 and Serverless findings on what this construct created (docs/compliance.md).
    acknowledgeCompliancePackFindings(this);
    fitDescriptionsToAwsLimits(this);
  }

  /**
   * Lets `grantee` upload scenes: s3:PutObject on the input prefix only (and the bucket key's use, for SSE-KMS).
   * Each upload with an input suffix starts a job.
   */
  public grantSubmitScenes(grantee: iam.IGrantable): iam.Grant {
    return grantSubmitScenes(this, grantee);
  }

  /** Lets `grantee` read renders and logs: s3:GetObject on the output prefix only (and the bucket key's decrypt). */
  public grantReadResults(grantee: iam.IGrantable): iam.Grant {
    return grantReadResults(this, grantee);
  }

  /**
   * Lets `grantee` read job records (status, progress, output key, reason): dynamodb:GetItem and Query on the
   * job table. Throws when the job table is turned off.
   */
  public grantReadJobStatus(grantee: iam.IGrantable): iam.Grant {
    return grantReadJobStatus(this, grantee);
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

  /**
   * Sends uploads under the input prefix with an input suffix to the launcher. Returns the EventBridge
   * rule when that is the trigger.
   */
  private addSceneTrigger(trigger: SceneTrigger): events.Rule | undefined {
    if (trigger === SceneTrigger.BUCKET_NOTIFICATION) {
      for (const suffix of this.inputSuffixes) {
        this.bucket.addEventNotification(s3.EventType.OBJECT_CREATED, new s3n.LambdaDestination(this.launcherFunction), {
          prefix: this.inputPrefix || undefined,
          suffix,
        });
      }
      // The user may add their own notifications to the bucket after this: compare when the app synthesizes.
      this.node.addValidation({ validate: () => notificationOverlapProblems(this, this.bucket, this.launcherFunction) });
      return undefined;
    }
    this.bucket.enableEventBridgeNotification();
    // The S3 guide does not document how events encode keys (notifications form-encode them), so the pattern
    // uses only the part of the prefix and of each suffix that reads the same either way; the launcher
    // applies the exact filters to the key. With plain prefixes and suffixes (`scenes/`, `.zip`) that is all of them.
    const leadingPlain = (text: string) => /^[A-Za-z0-9._\/-]*/.exec(text)![0];
    const trailingPlain = (text: string) => /[A-Za-z0-9._\/-]*$/.exec(text)![0];
    const patterns = [...new Set(this.inputSuffixes.map((suffix) => `${leadingPlain(this.inputPrefix)}*${trailingPlain(suffix)}`))];
    return new events.Rule(this, 'SceneUploadRule', {
      description: `Sends scene uploads of ${this.node.path}'s bucket to its launcher`,
      eventPattern: {
        source: ['aws.s3'],
        detailType: ['Object Created'],
        detail: { bucket: { name: [this.bucket.bucketName] }, object: { key: patterns.flatMap((pattern) => events.Match.wildcard(pattern)) } },
      },
      // Lambda's own retries (2) and the launcher's dead-letter queue cover failed invocations; this queue
      // catches events EventBridge itself could not deliver.
      targets: [new targets.LambdaFunction(this.launcherFunction, { deadLetterQueue: this.launcherDeadLetterQueue })],
    });
  }
}
