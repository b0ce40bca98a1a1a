import { Size, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { acknowledgePolicyWildcards } from '../core';
import { PropsValidator } from '../core/props-validator';

/** How to build a worker Spot Fleet (everything but the queue, which the autoscaler supplies). */
export interface WorkerFleetOptions {
  /** The VPC the workers run in. */
  readonly vpc: ec2.IVpc;
  /**
   * Shell commands that start the worker, appended to the user data after the environment
   * (`QUEUE_URL`, `AWS_REGION`, `AWS_DEFAULT_REGION` exported). Run as root at first boot.
   * Start the worker so that it uses the spot-interruption helper (see docs/spot-fleet-autoscaler.md).
   */
  readonly workerCommands: string[];
  /**
   * Instance types to spread over. Use several of similar size (and the same architecture): each type in
   * each subnet is one Spot capacity pool, and more pools mean fewer interruptions.
   * @default - c7g.large, c6g.large, m7g.large, m6g.large, r7g.large (Graviton)
   */
  readonly instanceTypes?: ec2.InstanceType[];
  /**
   * Subnets to launch into (each one multiplies the pools).
   * @default - the VPC's private subnets with egress
   */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /**
   * The AMI.
   * @default - the latest Amazon Linux 2023 for the instance types' architecture
   */
  readonly machineImage?: ec2.IMachineImage;
  /**
   * User data to start from; `workerCommands` are appended to it.
   * @default - an empty Linux user data
   */
  readonly userData?: ec2.UserData;
  /**
   * The workers' security group.
   * @default - a new group with no inbound rules and all outbound traffic allowed
   */
  readonly securityGroup?: ec2.ISecurityGroup;
  /**
   * Size of the encrypted gp3 root volume, a whole number of GiB from 8 to 16384.
   * @default Size.gibibytes(20)
   */
  readonly rootVolumeSize?: Size;
  /**
   * Size of the encrypted gp3 root volume, in GiB.
   * @deprecated use `rootVolumeSize` (a `Size`); giving both with different values is an error
   * @default 20
   */
  readonly rootVolumeSizeGiB?: number;
  /**
   * Target capacity when the fleet is created (the autoscaler takes over from its first run).
   * @default 0
   */
  readonly initialCapacity?: number;
}

/** Props for {@link WorkerSpotFleet}. */
export interface WorkerSpotFleetProps extends WorkerFleetOptions {
  /** The queue the workers consume; their role may receive, delete and return (change visibility of) its messages. */
  readonly queue: sqs.IQueue;
  /**
   * More variables the user data exports before `workerCommands` (the autoscaler passes its
   * `workerEnvironment`: WORKER_SCALE_IN, WORKER_IDLE_SECONDS, WORKER_SHUTDOWN_ON_IDLE).
   * @default - none
   */
  readonly workerEnvironment?: { [name: string]: string };
}

const DEFAULT_INSTANCE_TYPES = ['c7g.large', 'c6g.large', 'm7g.large', 'm6g.large', 'r7g.large'];

/**
 * A Spot Fleet of queue workers: a launch template (IMDSv2 only, encrypted root volume, no inbound
 * traffic), several instance types across subnets with the capacity-optimized allocation strategy, a
 * least-privilege fleet role and a worker role that may only consume the queue. Size it with
 * {@link SpotFleetAutoscaler}.
 */
export class WorkerSpotFleet extends Construct {
  /** The Spot Fleet request. */
  public readonly spotFleet: ec2.CfnSpotFleet;
  /** Its request id (`sfr-...`). */
  public readonly spotFleetRequestId: string;
  /** The launch template every instance starts from. */
  public readonly launchTemplate: ec2.LaunchTemplate;
  /** The role of the worker instances. */
  public readonly instanceRole: iam.Role;
  /** The role Spot Fleet uses to launch, tag and terminate instances. */
  public readonly fleetRole: iam.Role;
  /** The workers' security group. */
  public readonly securityGroup: ec2.ISecurityGroup;
  /** The user data that starts the worker. */
  public readonly userData: ec2.UserData;
  /** The instance types the fleet spreads over. */
  public readonly instanceTypes: ec2.InstanceType[];

  constructor(scope: Construct, id: string, props: WorkerSpotFleetProps) {
    super(scope, id);
    this.instanceTypes = props.instanceTypes ?? DEFAULT_INSTANCE_TYPES.map((name) => new ec2.InstanceType(name));
    const rootVolumeSizeGiB = validate(this, props, this.instanceTypes);
    const stack = Stack.of(this);
    const arm = this.instanceTypes[0].architecture === ec2.InstanceArchitecture.ARM_64;

    this.securityGroup =
      props.securityGroup ??
      new ec2.SecurityGroup(this, 'SecurityGroup', {
        vpc: props.vpc,
        description: 'Queue workers: no inbound traffic; outbound for SQS and whatever the worker fetches',
        allowAllOutbound: true,
      });

    this.instanceRole = new iam.Role(this, 'InstanceRole', {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      description: 'Spot worker instances: consume one queue',
    });
    // Receive, delete, change visibility (returning messages on interruption), get attributes: this queue only.
    props.queue.grantConsumeMessages(this.instanceRole);

    this.userData = props.userData ?? ec2.UserData.forLinux();
    this.userData.addCommands(
      `export QUEUE_URL='${props.queue.queueUrl}'`,
      `export AWS_REGION='${stack.region}' AWS_DEFAULT_REGION='${stack.region}'`,
      ...Object.entries(props.workerEnvironment ?? {}).map(([name, value]) => `export ${name}='${value}'`),
      ...props.workerCommands,
    );

    this.launchTemplate = new ec2.LaunchTemplate(this, 'LaunchTemplate', {
      machineImage:
        props.machineImage ??
        ec2.MachineImage.latestAmazonLinux2023({ cpuType: arm ? ec2.AmazonLinuxCpuType.ARM_64 : ec2.AmazonLinuxCpuType.X86_64 }),
      userData: this.userData,
      role: this.instanceRole,
      securityGroup: this.securityGroup,
      // The interruption helper reads instance-action from IMDS; IMDSv2 tokens keep SSRF away from credentials.
      requireImdsv2: true,
      httpPutResponseHopLimit: 1,
      blockDevices: [
        {
          deviceName: '/dev/xvda',
          volume: ec2.BlockDeviceVolume.ebs(rootVolumeSizeGiB, { encrypted: true, volumeType: ec2.EbsDeviceVolumeType.GP3 }),
        },
      ],
    });

    this.fleetRole = new iam.Role(this, 'FleetRole', {
      assumedBy: new iam.ServicePrincipal('spotfleet.amazonaws.com'),
      description: 'Spot Fleet: launch, tag and terminate the worker instances of one fleet',
    });
    const inAccount = (resource: string) => stack.formatArn({ service: 'ec2', resource, resourceName: '*' });
    // Instead of the AmazonEC2SpotFleetTaggingRole managed policy (account-wide PassRole, load balancers):
    const fleetPolicy = new iam.Policy(this, 'FleetPolicy', {
      roles: [this.fleetRole],
      statements: [
        new iam.PolicyStatement({
          actions: ['ec2:DescribeImages', 'ec2:DescribeSubnets', 'ec2:DescribeInstanceStatus', 'ec2:RequestSpotInstances', 'ec2:RunInstances'],
          resources: ['*'],
        }),
        new iam.PolicyStatement({
          actions: ['iam:PassRole'],
          resources: [this.instanceRole.roleArn],
          conditions: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
        }),
        new iam.PolicyStatement({
          actions: ['ec2:CreateTags'],
          resources: ['instance', 'volume', 'spot-instances-request', 'spot-fleet-request'].map(inAccount),
          conditions: { StringEquals: { 'ec2:CreateAction': ['RunInstances', 'RequestSpotInstances'] } },
        }),
        new iam.PolicyStatement({
          actions: ['ec2:TerminateInstances'],
          resources: [inAccount('instance')],
          conditions: { StringLike: { 'ec2:ResourceTag/aws:ec2spot:fleet-request-id': '*' } },
        }),
      ],
    });
    acknowledgePolicyWildcards(
      fleetPolicy,
      'Spot Fleet needs Describe* (no resource-level permissions) and RunInstances/RequestSpotInstances over images, subnets and network interfaces chosen at launch; tagging and termination are limited to instances Spot Fleet launched in this account and region, PassRole to the one worker role.',
    );

    const subnets = props.vpc.selectSubnets(props.vpcSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }).subnetIds;
    this.spotFleet = new ec2.CfnSpotFleet(this, 'Fleet', {
      spotFleetRequestConfigData: {
        iamFleetRole: this.fleetRole.roleArn,
        type: 'maintain',
        // Pools with the most spare capacity: the fewest interruptions, which matters more than the last cent.
        allocationStrategy: 'capacityOptimized',
        targetCapacity: props.initialCapacity ?? 0,
        instanceInterruptionBehavior: 'terminate',
        replaceUnhealthyInstances: true,
        terminateInstancesWithExpiration: true,
        launchTemplateConfigs: [
          {
            launchTemplateSpecification: {
              launchTemplateId: this.launchTemplate.launchTemplateId,
              version: this.launchTemplate.versionNumber,
            },
            overrides: this.instanceTypes.flatMap((type) => subnets.map((subnetId) => ({ instanceType: type.toString(), subnetId }))),
          },
        ],
      },
    });
    // The role's policy must exist before the fleet launches anything.
    this.spotFleet.node.addDependency(fleetPolicy);
    this.spotFleetRequestId = this.spotFleet.ref;
  }
}

/** Checks every prop (one error listing every problem); returns the root volume size in GiB. */
function validate(scope: Construct, props: WorkerSpotFleetProps, types: ec2.InstanceType[]): number {
  const v = new PropsValidator(scope, 'WorkerSpotFleet');
  if (props.workerCommands.length === 0 || props.workerCommands.every((c) => c.trim() === '')) {
    v.problem('`workerCommands` must hold at least one command that starts the worker');
  }
  if (types.length === 0) v.problem('`instanceTypes` must name at least one instance type (several are better: more Spot pools)');
  const archs = new Set(types.map((t) => t.architecture));
  if (archs.size > 1) {
    v.problem(`\`instanceTypes\` mix architectures (${types.map((t) => `${t}: ${t.architecture}`).join(', ')}): one AMI cannot boot them all; use one architecture`);
  }
  v.wholeNumber('rootVolumeSizeGiB', props.rootVolumeSizeGiB, 8, 16384);
  const rootVolumeSize = v.size('rootVolumeSize', props.rootVolumeSize, { unit: 'gibibytes', min: 8, max: 16384 });
  const rootVolumeSizeGiB = v.renamed({ name: 'rootVolumeSize', value: rootVolumeSize }, { name: 'rootVolumeSizeGiB', value: props.rootVolumeSizeGiB });
  for (const [name, value] of Object.entries(props.workerEnvironment ?? {})) {
    if (!/^[A-Z_][A-Z0-9_]*$/.test(name)) v.problem(`\`workerEnvironment\` names must be shell variable names in capitals (got '${name}')`);
    if (value.includes("'")) v.problem(`\`workerEnvironment\` values must not contain a single quote (${name})`);
  }
  v.wholeNumber('initialCapacity', props.initialCapacity, 0);
  v.throwIfInvalid();
  return rootVolumeSizeGiB ?? 20;
}
