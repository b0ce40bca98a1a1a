import { Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { newFleetPolicy } from './permissions';
import { WorkerSpotFleetProps } from './props';
import { validateWorkerFleetProps } from './validation';

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
    const rootVolumeSizeGiB = validateWorkerFleetProps(this, props, this.instanceTypes);
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
    const fleetPolicy = newFleetPolicy(this, this.fleetRole, this.instanceRole);

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
