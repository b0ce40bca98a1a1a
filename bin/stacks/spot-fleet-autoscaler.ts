import * as path from 'path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Asset } from 'aws-cdk-lib/aws-s3-assets';
import { Construct } from 'constructs';
import { NagAcknowledgements, QueueWithDlq, ScalingPreset, ScalingTarget, SpotFleetAutoscaler, SpotFleetAutoscalerProps } from '../../lib';
import { exampleAlarmActions } from './alarm-topic';

/** The shipped worker helpers: queue-worker.js (the helpers and the SDK, no dependencies) and its Dockerfile. */
const WORKER_ASSETS = path.join(__dirname, '..', '..', 'assets', 'spot-fleet-worker');
const QUEUE_WORKER = path.join(WORKER_ASSETS, 'queue-worker.js');

/** Read access to the one worker file (GetObject on its key: no wildcard, unlike Asset.grantRead). */
function grantWorkerDownload(asset: Asset, role: iam.IRole): void {
  role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [asset.bucket.arnForObjects(asset.s3ObjectKey)] }));
}

/**
 * User data that installs Node.js and the shipped queue worker and runs it under systemd. The job itself
 * is an example: it logs the message body to the journal (real workers replace /usr/local/bin/do-job).
 * `worker` is the autoscaler's `workerEnvironment` (WORKER_SCALE_IN, WORKER_IDLE_SECONDS): the worker
 * exits when idle on the Spot Fleet, protects its instance while busy in the Auto Scaling group.
 */
function installQueueWorker(userData: ec2.UserData, asset: Asset, env: Record<string, string>): void {
  userData.addCommands('dnf install -y nodejs20', 'mkdir -p /opt/queue-worker');
  userData.addS3DownloadCommand({ bucket: asset.bucket, bucketKey: asset.s3ObjectKey, localFile: '/opt/queue-worker/queue-worker.js' });
  userData.addCommands(
    "printf '#!/bin/sh\\nlogger -t do-job \"$(cat)\"\\n' > /usr/local/bin/do-job",
    'chmod +x /usr/local/bin/do-job',
    // One line per variable; values are fixed strings or the queue URL, none holds a quote.
    `cat > /etc/queue-worker.env <<EOF\n${Object.entries(env)
      .map(([name, value]) => `${name}=${value}`)
      .join('\n')}\nEOF`,
    'printf "[Service]\\nEnvironmentFile=/etc/queue-worker.env\\nExecStart=/usr/bin/node-20 /opt/queue-worker/queue-worker.js /usr/local/bin/do-job\\nRestart=on-failure\\nRestartSec=10\\nRestartPreventExitStatus=3\\n[Install]\\nWantedBy=multi-user.target\\n" > /etc/systemd/system/queue-worker.service',
    'systemctl enable --now queue-worker',
  );
}

/** An Auto Scaling group of queue workers sized by the same autoscaler, protecting busy instances. */
function addWorkerGroup(scope: Construct, vpc: ec2.IVpc, jobs: QueueWithDlq, asset: Asset): SpotFleetAutoscaler {
  const userData = ec2.UserData.forLinux();
  const launchTemplate = new ec2.LaunchTemplate(scope, 'GroupTemplate', {
    machineImage: ec2.MachineImage.latestAmazonLinux2023({ cpuType: ec2.AmazonLinuxCpuType.ARM_64 }),
    instanceType: new ec2.InstanceType('c7g.large'),
    userData,
    role: new iam.Role(scope, 'GroupRole', { assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'), description: 'Queue workers of the example group' }),
    requireImdsv2: true,
    httpPutResponseHopLimit: 1,
    // The worker reads its group's name from the instance tag aws:autoscaling:groupName.
    instanceMetadataTags: true,
    blockDevices: [{ deviceName: '/dev/xvda', volume: ec2.BlockDeviceVolume.ebs(20, { encrypted: true, volumeType: ec2.EbsDeviceVolumeType.GP3 }) }],
  });
  const group = new autoscaling.AutoScalingGroup(scope, 'Group', {
    vpc,
    vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
    mixedInstancesPolicy: {
      launchTemplate,
      instancesDistribution: { onDemandPercentageAboveBaseCapacity: 0, spotAllocationStrategy: autoscaling.SpotAllocationStrategy.PRICE_CAPACITY_OPTIMIZED },
      launchTemplateOverrides: ['c7g.large', 'c6g.large', 'm7g.large'].map((type) => ({ instanceType: new ec2.InstanceType(type) })),
    },
    minCapacity: 0,
    maxCapacity: 10,
  });
  NagAcknowledgements.acknowledge(
    group,
    {
      id: 'AwsSolutions-AS3',
      reason: 'Scaling activity is driven and logged by the autoscaler (one structured line and EMF metrics per run); no SNS notification is needed for this example.',
    },
    {
      id: 'AwsSolutions-EC26',
      reason: 'The group launches from GroupTemplate, whose only volume is an encrypted gp3 root volume; the rule cannot follow the launch template reference.',
    },
  );
  jobs.queue.grantConsumeMessages(launchTemplate.role!);
  grantWorkerDownload(asset, launchTemplate.role!);
  const autoscaler = new SpotFleetAutoscaler(scope, 'GroupAutoscaler', {
    queue: jobs.queue,
    target: ScalingTarget.autoScalingGroup(group),
    preset: ScalingPreset.COST_FIRST,
    maxWorkers: 10,
    alarmActions: exampleAlarmActions(Stack.of(scope)),
    // One dashboard per stack is enough for an example whose three pools only show the three targets.
    dashboard: false,
  });
  // The worker environment comes from the autoscaler (protect-instance here): user data is read at synth.
  installQueueWorker(userData, asset, { QUEUE_URL: jobs.queue.queueUrl, AWS_REGION: Stack.of(scope).region, ...autoscaler.workerEnvironment });
  return autoscaler;
}

/** Where the example's worker service runs and logs, and what its autoscaler adds beyond the defaults. */
export interface WorkerServiceOptions {
  /** The cluster (with the Fargate capacity providers). */
  readonly cluster: ecs.ICluster;
  /** Subnets of the tasks, and whether they get a public IP (public subnets without NAT need one). */
  readonly vpcSubnets: ec2.SubnetSelection;
  readonly assignPublicIp: boolean;
  /** The tasks' log group. @default - one CDK's awsLogs driver creates (never expires) */
  readonly logGroup?: logs.ILogGroup;
  /** Further autoscaler props (log retention and key, for the strict example). */
  readonly autoscaler?: Partial<SpotFleetAutoscalerProps>;
}

/** An ECS service (Fargate Spot) of queue workers: the shipped worker image; busy tasks protect themselves. */
export function addWorkerService(scope: Construct, jobs: QueueWithDlq, options: WorkerServiceOptions): SpotFleetAutoscaler {
  const taskDefinition = new ecs.FargateTaskDefinition(scope, 'WorkerTask', { cpu: 256, memoryLimitMiB: 512 });
  const container = taskDefinition.addContainer('worker', {
    image: ecs.ContainerImage.fromAsset(WORKER_ASSETS),
    // The job: print the message body (real workers put their own command here).
    command: ['sh', '-c', 'cat; echo'],
    // The image's user (node, uid 1000), a read-only image and a memory hard limit (Control Tower's
    // CT.ECS.PR.3, .6, .7): the worker writes nothing but its log lines.
    user: '1000',
    readonlyRootFilesystem: true,
    memoryLimitMiB: 512,
    logging: ecs.LogDrivers.awsLogs({ streamPrefix: 'queue-worker', logGroup: options.logGroup }),
    environment: { QUEUE_URL: jobs.queue.queueUrl },
  });
  NagAcknowledgements.acknowledge(taskDefinition, {
    id: 'AwsSolutions-ECS2',
    reason: 'The worker environment holds only non-secret configuration (queue URL, scale-in mode, idle time).',
  });
  jobs.queue.grantConsumeMessages(taskDefinition.taskRole);
  NagAcknowledgements.acknowledge(taskDefinition.obtainExecutionRole(), {
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason: 'ecr:GetAuthorizationToken, which pulls the worker image, supports no resource-level permissions (AWS requires "*").',
  });
  const service = new ecs.FargateService(scope, 'WorkerService', {
    cluster: options.cluster,
    taskDefinition,
    desiredCount: 0,
    vpcSubnets: options.vpcSubnets,
    assignPublicIp: options.assignPublicIp,
    capacityProviderStrategies: [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }],
    circuitBreaker: { rollback: true },
    minHealthyPercent: 100,
  });
  const autoscaler = new SpotFleetAutoscaler(scope, 'ServiceAutoscaler', {
    queue: jobs.queue,
    target: ScalingTarget.ecsService(service),
    maxWorkers: 10,
    alarmActions: exampleAlarmActions(Stack.of(scope)),
    // One dashboard per stack is enough for an example whose three pools only show the three targets.
    dashboard: false,
    ...options.autoscaler,
  });
  // protect-task: the worker sets its task's scale-in protection through the ECS agent while busy.
  for (const [name, value] of Object.entries(autoscaler.workerEnvironment)) container.addEnvironment(name, value);
  return autoscaler;
}

/**
 * A queue with three pools sized from it, one per target: a Spot Fleet the construct creates (workers exit
 * when idle, the default), an Auto Scaling group of Spot instances (busy workers protect their instance,
 * the default) and an ECS service on Fargate Spot (busy tasks protect themselves, the default). All run the
 * shipped queue-worker.js. (Three pools on one queue only show the three targets; use one.)
 */
export function addSpotFleetAutoscalerExample(app: App): Stack {
  const stack = new Stack(app, 'SpotFleetAutoscalerExample', {
    description: 'cdk-compute-patterns: Spot Fleet and Auto Scaling group sized from SQS queue depth',
  });
  // Public subnets only, and no NAT gateway: a NAT gateway alone costs $33 a month idle (npm run cost), more
  // than everything else here. Workers get a public address to reach SQS and S3, and their security groups
  // admit no inbound traffic, so they are no more reachable than behind a NAT.
  const vpc = new ec2.Vpc(stack, 'Vpc', {
    maxAzs: 2,
    natGateways: 0,
    subnetConfiguration: [{ name: 'Public', subnetType: ec2.SubnetType.PUBLIC }],
    flowLogs: { all: {} },
  });
  const publicSubnets: ec2.SubnetSelection = { subnetType: ec2.SubnetType.PUBLIC };
  const jobs = new QueueWithDlq(stack, 'Jobs', { visibilityTimeout: Duration.minutes(5) });
  jobs.addDeadLetterAlarm().addAlarmAction(...exampleAlarmActions(stack));
  const worker = new Asset(stack, 'QueueWorker', { path: QUEUE_WORKER });

  const fleetUserData = ec2.UserData.forLinux();
  const autoscaler = new SpotFleetAutoscaler(stack, 'Autoscaler', {
    queue: jobs.queue,
    // The fleet exports QUEUE_URL, AWS_REGION and the autoscaler's worker environment before these commands.
    fleet: {
      vpc,
      vpcSubnets: publicSubnets,
      userData: fleetUserData,
      workerCommands: ['echo "queue worker installed by the lines above"'],
    },
    minWorkers: 0,
    maxWorkers: 10,
    alarmActions: exampleAlarmActions(stack),
  });
  grantWorkerDownload(worker, autoscaler.workerFleet!.instanceRole);
  // Installed before workerCommands run; the exported variables are in the environment then.
  installQueueWorker(fleetUserData, worker, {
    QUEUE_URL: '$QUEUE_URL',
    AWS_REGION: '$AWS_REGION',
    WORKER_SCALE_IN: '$WORKER_SCALE_IN',
    WORKER_IDLE_SECONDS: '$WORKER_IDLE_SECONDS',
    WORKER_SHUTDOWN_ON_IDLE: '$WORKER_SHUTDOWN_ON_IDLE',
  });
  addWorkerGroup(stack, vpc, jobs, worker);
  const cluster = new ecs.Cluster(stack, 'Cluster', { vpc, containerInsightsV2: ecs.ContainerInsights.ENABLED, enableFargateCapacityProviders: true });
  addWorkerService(stack, jobs, { cluster, vpcSubnets: publicSubnets, assignPublicIp: true });
  return stack;
}
