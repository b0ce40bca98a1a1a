import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import * as fs from 'fs';
import * as path from 'path';
import { packageRoot } from '../core/assets';
import { withoutAvailabilityZoneLookup } from '../core/availability-zones';
import { WorkerCapacity } from './props';

const DEFAULT_WORKER_IMAGE_DIR = (): string => path.join(packageRoot(), 'docker', 'povray-worker');

/**
 * A VPC that costs nothing while idle: public subnets (tasks get public IPs, no inbound), no NAT. Its two
 * availability zones come from `Fn::GetAZs` even in an env-specific stack: creating a worker asks for no lookup.
 */
export function newWorkerVpc(scope: Construct, flowLogs: logs.ILogGroup): ec2.Vpc {
  return withoutAvailabilityZoneLookup(scope, () => new ec2.Vpc(scope, 'Vpc', {
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
  }));
}


export function capacityProvidersOf(capacity: WorkerCapacity): string[] {
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
export function defaultWorkerImage(cpuArchitecture: ecs.CpuArchitecture): ecs.ContainerImage {
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
 * The subnets worker tasks run in: `subnets`, else public ones when tasks get a public IP, else private ones with
 * egress. A VPC without such subnets is refused naming both props and what the VPC has, before CDK's own
 * "There are no 'Private' subnet groups in this VPC" (which names neither) can fire.
 */
export function selectWorkerSubnets(scope: Construct, vpc: ec2.IVpc, subnets: ec2.SubnetSelection | undefined, assignPublicIp: boolean): ec2.SelectedSubnets {
  const wanted = subnets ?? { subnetType: assignPublicIp ? ec2.SubnetType.PUBLIC : ec2.SubnetType.PRIVATE_WITH_EGRESS };
  const trySelect = (selection: ec2.SubnetSelection): ec2.SelectedSubnets | undefined => {
    try {
      const selected = vpc.selectSubnets(selection);
      return selected.subnetIds.length > 0 ? selected : undefined;
    } catch {
      return undefined;
    }
  };
  const selected = trySelect(wanted);
  if (selected) return selected;
  const has = [ec2.SubnetType.PUBLIC, ec2.SubnetType.PRIVATE_WITH_EGRESS, ec2.SubnetType.PRIVATE_ISOLATED].filter((type) => trySelect({ subnetType: type }));
  const asked = subnets ? '`subnets` selects no subnet in it' : `it has no ${wanted.subnetType} subnets (the default with \`assignPublicIp: ${assignPublicIp}\`)`;
  throw new Error(
    `LambdaEcsWorker '${scope.node.path}': worker tasks cannot be placed in VPC ${vpc.node.path}: ${asked}; it has ${has.length > 0 ? has.join(', ') : 'no'} subnets. ` +
      (has.includes(ec2.SubnetType.PUBLIC) ? 'In public subnets without NAT, set `assignPublicIp: true` (tasks need a public IP to reach ECR, SQS and CloudWatch Logs). ' : '') +
      (has.includes(ec2.SubnetType.PRIVATE_WITH_EGRESS) ? 'Choose private subnets with `subnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }` and `assignPublicIp: false`. ' : '') +
      (has.includes(ec2.SubnetType.PRIVATE_ISOLATED)
        ? 'Isolated subnets work with `subnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED }` only where the VPC has interface endpoints for ECR, ECS, SQS and CloudWatch Logs. '
        : ''),
  );
}
