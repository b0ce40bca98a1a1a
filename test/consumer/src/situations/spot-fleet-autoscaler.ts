// SpotFleetAutoscaler with the user's own resources and tokens. One entry per situation; add new props here.
import { CfnParameter, Duration, Size, Stack } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { ScalingTarget, SpotFleetAutoscaler, SpotFleetAutoscalerProps } from 'cdk-compute-patterns';
import { ENV, errorNaming, inOneStack, OTHER_REGION, ResourceUse, Situation, SituationOptions, UserApp } from '../harness';
import { userQueue, userVpc } from './constructs';

const SPOT_FLEET = ScalingTarget.spotFleetRequest('sfr-01234567-89ab-cdef-0123-456789abcdef');
const queueArn = (region: string) => `arn:aws:sqs:${region}:${ENV.account}:jobs`;
/** The user's resources of `type` are the only ones: `count` of them, each string of `referenced` in the template. */
const uses = (type: string, count: number, ...referenced: string[]): ResourceUse => ({ type, count, referenced });

/** A situation: what the user brings to a SpotFleetAutoscaler (their own queue and a Spot Fleet request by default). */
const autoscaler = (name: string, props: (user: UserApp, stack: Stack) => Partial<SpotFleetAutoscalerProps>, options?: SituationOptions): Situation =>
  inOneStack(
    `SpotFleetAutoscaler: ${name}`,
    (user, stack) => {
      const given = props(user, stack);
      new SpotFleetAutoscaler(stack, 'Autoscaler', {
        queue: given.queue ?? userQueue(user, stack, 'Jobs'),
        ...(given.fleet ? {} : { target: SPOT_FLEET }),
        ...given,
      });
    },
    options,
  );

export const SPOT_FLEET_AUTOSCALER_SITUATIONS: Situation[] = [
  autoscaler('queue from Queue.fromQueueArn, existing Spot Fleet request', (_u, stack) => ({ queue: sqs.Queue.fromQueueArn(stack, 'Jobs', queueArn(ENV.region)) }), {
    uses: [uses('AWS::SQS::Queue', 0, queueArn(ENV.region)), uses('AWS::EC2::SpotFleet', 0, 'sfr-01234567-89ab-cdef-0123-456789abcdef')],
  }),
  autoscaler(`queue in another region (${OTHER_REGION})`, (_u, stack) => ({ queue: sqs.Queue.fromQueueArn(stack, 'Jobs', queueArn(OTHER_REGION)) }), {
    expect: errorNaming('queue', new RegExp(`${OTHER_REGION}.*${ENV.region}|${ENV.region}.*${OTHER_REGION}`)),
  }),
  autoscaler("the user's Auto Scaling group", (user, stack) => ({
    target: ScalingTarget.autoScalingGroup(
      user.own(
        new autoscaling.AutoScalingGroup(stack, 'Workers', {
          vpc: userVpc(user, stack),
          instanceType: new ec2.InstanceType('t3.micro'),
          machineImage: ec2.MachineImage.latestAmazonLinux2023(),
          minCapacity: 0,
          maxCapacity: 4,
        }),
      ),
    ),
  }), { uses: [uses('AWS::AutoScaling::AutoScalingGroup', 1), uses('AWS::SQS::Queue', 2)] }),
  autoscaler("the user's ECS service", (user, stack) => {
    const cluster = user.own(new ecs.Cluster(stack, 'Cluster', { vpc: userVpc(user, stack) }));
    const task = user.own(new ecs.FargateTaskDefinition(stack, 'Task'));
    task.addContainer('Worker', { image: ecs.ContainerImage.fromRegistry('public.ecr.aws/example/worker:1') });
    return { target: ScalingTarget.ecsService(user.own(new ecs.FargateService(stack, 'Service', { cluster, taskDefinition: task }))) };
  }, { uses: [uses('AWS::ECS::Service', 1), uses('AWS::ECS::Cluster', 1)] }),
  autoscaler('ECS service from FargateService.fromFargateServiceAttributes', (_u, stack) => ({
    target: ScalingTarget.ecsService(
      ecs.FargateService.fromFargateServiceAttributes(stack, 'Service', {
        serviceName: 'workers',
        cluster: ecs.Cluster.fromClusterArn(stack, 'Cluster', `arn:aws:ecs:${ENV.region}:${ENV.account}:cluster/render`),
      }),
    ),
  }), { uses: [uses('AWS::ECS::Service', 0, 'service/render/workers'), uses('AWS::ECS::Cluster', 0)] }),
  autoscaler('Auto Scaling group from AutoScalingGroup.fromAutoScalingGroupName', (_u, stack) => ({
    target: ScalingTarget.autoScalingGroup(autoscaling.AutoScalingGroup.fromAutoScalingGroupName(stack, 'Workers', 'render-workers')),
  }), { uses: [uses('AWS::AutoScaling::AutoScalingGroup', 0, 'render-workers')] }),
  autoscaler('maxWorkers from a CfnParameter', (_u, stack) => ({ maxWorkers: new CfnParameter(stack, 'MaxWorkers', { type: 'Number', default: 10 }).valueAsNumber })),
  autoscaler('scaleInCooldown of 1500 ms', () => ({ scaleInCooldown: Duration.millis(1500) }), {
    expect: errorNaming('scaleInCooldown', /whole seconds|seconds/),
  }),
  autoscaler('minWorkers above maxWorkers and a negative hysteresis: every problem at once', () => ({ minWorkers: 5, maxWorkers: 2, scaleInHysteresisWorkers: -1 }), {
    expect: errorNaming('maxWorkers', /scaleInHysteresisWorkers/),
  }),
  autoscaler('a fleet in the user\'s VPC', (user, stack) => ({ fleet: { vpc: userVpc(user, stack), workerCommands: ['systemctl start my-worker'] } }), {
    uses: [uses('AWS::EC2::VPC', 1), uses('AWS::SQS::Queue', 2)],
  }),
  autoscaler('autoscalerFunctionProps and scalingInterval', () => ({
    autoscalerFunctionProps: { memorySize: 512, environment: { POWERTOOLS_LOG_LEVEL: 'DEBUG' } },
    scalingInterval: Duration.minutes(2),
  })),
  autoscaler('a fleet with rootVolumeSize as a Size', (user, stack) => ({
    fleet: { vpc: userVpc(user, stack), workerCommands: ['systemctl enable --now my-worker'], rootVolumeSize: Size.gibibytes(40) },
  })),
];
