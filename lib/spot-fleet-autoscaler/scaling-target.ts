import { Annotations, ArnFormat, Stack } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { SAFE_SCALE_IN_MODE, ScaleInMode, scaleInModesOf, ScalingTargetKind } from '../../contracts/spot-fleet-autoscaler/config';
import { acknowledgePolicyWildcards } from '../core';
import type { WorkerSpotFleet } from './worker-spot-fleet';

// One definition each, in the contract the handler reads; the library's users import them from here.
export { ScaleInMode, ScalingTargetKind };

/** What a target tells the autoscaler when bound to it. */
export interface ScalingTargetConfig {
  /** Which adapter the handler uses. */
  readonly kind: ScalingTargetKind;
  /** Spot Fleet request id, Auto Scaling group name, or ECS service name. */
  readonly targetId: string;
  /**
   * The ECS cluster name, for an ECS service.
   * @default - none (not an ECS service)
   */
  readonly clusterName?: string;
  /** Everything the handler needs on this target, scoped to it. */
  readonly statements: iam.PolicyStatement[];
  /**
   * Why the wildcards in `statements` are unavoidable; each resulting cdk-nag finding is acknowledged
   * with it (and only those findings).
   * @default - the statements have no wildcard
   */
  readonly wildcardReason?: string;
  /**
   * The scale-in mode used when the user names none (never TERMINATE_INSTANCES).
   */
  readonly defaultScaleInMode: ScaleInMode;
  /** The modes this kind of target supports. */
  readonly scaleInModes: ScaleInMode[];
}

/** Options for {@link ScalingTarget.bind}. */
export interface ScalingTargetBindOptions {
  /** The scale-in mode the autoscaler uses: the target grants or warns what the workers need for it. */
  readonly scaleInMode?: ScaleInMode;
}

const GROUP_WILDCARD_REASON =
  'autoscaling:DescribeAutoScalingGroups supports no resource-level permissions (AWS requires "*"); the group ARN wildcard only stands for the UUID AWS assigns at creation, the group name pins the one group.';

/** Actions on the state tags the handler keeps on its target (see docs/spot-fleet-autoscaler.md). */
const EC2_TAG_ACTIONS = ['ec2:CreateTags', 'ec2:DeleteTags'];

/**
 * The worker pool a {@link SpotFleetAutoscaler} sizes. One small adapter per kind; the policy is the same.
 */
export abstract class ScalingTarget {
  /** An existing Spot Fleet request (type `maintain`), by id, e.g. `sfr-0123...`. */
  public static spotFleetRequest(spotFleetRequestId: string): ScalingTarget {
    return new SpotFleetRequestTarget(spotFleetRequestId);
  }

  /** A fleet made by {@link WorkerSpotFleet}. */
  public static workerSpotFleet(fleet: WorkerSpotFleet): ScalingTarget {
    return new SpotFleetRequestTarget(fleet.spotFleetRequestId, true);
  }

  /** An EC2 Auto Scaling group (AWS's current recommendation for Spot: mixed instances policy). */
  public static autoScalingGroup(group: autoscaling.IAutoScalingGroup): ScalingTarget {
    return new AutoScalingGroupTarget(group);
  }

  /** An ECS service (EC2 or Fargate). */
  public static ecsService(service: ecs.IBaseService): ScalingTarget {
    return new EcsServiceTarget(service);
  }

  /** Returns what the autoscaler in `scope` needs to drive this target. */
  public abstract bind(scope: Construct, options?: ScalingTargetBindOptions): ScalingTargetConfig;

  /**
   * Makes what the workers need for `mode` (grants, or a synth-time warning when that cannot be done or
   * checked here). Called by the autoscaler once the mode is known.
   */
  public abstract prepareWorkers(scope: Construct, mode: ScaleInMode): void;
}

class SpotFleetRequestTarget extends ScalingTarget {
  /** @param created the fleet is a WorkerSpotFleet of this app, whose user data the autoscaler sets */
  constructor(
    private readonly requestId: string,
    private readonly created = false,
  ) {
    super();
  }

  public prepareWorkers(scope: Construct, mode: ScaleInMode): void {
    if (mode !== ScaleInMode.WORKERS_EXIT_WHEN_IDLE || this.created) return;
    Annotations.of(scope).addWarningV2(
      'cdk-compute-patterns:spot-fleet-workers-unchecked',
      `The Spot Fleet ${this.requestId} was not created here, so its workers cannot be checked: in scaleInMode WORKERS_EXIT_WHEN_IDLE ` +
        'the autoscaler lowers its target with ExcessCapacityTerminationPolicy noTermination and the fleet shrinks only as workers exit when idle. ' +
        'Run them with assets/spot-fleet-worker/queue-worker.js (WORKER_SCALE_IN=workers-exit, WORKER_SHUTDOWN_ON_IDLE=true) or the IdleExit helper ' +
        '(docs/spot-fleet-autoscaler.md), or choose ScaleInMode.TERMINATE_INSTANCES and accept that busy workers are killed.',
    );
  }

  public bind(scope: Construct): ScalingTargetConfig {
    const arn = Stack.of(scope).formatArn({ service: 'ec2', resource: 'spot-fleet-request', resourceName: this.requestId });
    return {
      kind: ScalingTargetKind.SPOT_FLEET,
      targetId: this.requestId,
      statements: [
        new iam.PolicyStatement({ actions: ['ec2:DescribeSpotFleetRequests'], resources: ['*'] }),
        new iam.PolicyStatement({ actions: ['ec2:ModifySpotFleetRequest', ...EC2_TAG_ACTIONS], resources: [arn] }),
      ],
      wildcardReason: 'ec2:DescribeSpotFleetRequests supports no resource-level permissions (AWS requires "*"); modify and tag are scoped to the one fleet.',
      defaultScaleInMode: SAFE_SCALE_IN_MODE[ScalingTargetKind.SPOT_FLEET],
      scaleInModes: scaleInModesOf(ScalingTargetKind.SPOT_FLEET),
    };
  }
}

class AutoScalingGroupTarget extends ScalingTarget {
  constructor(private readonly group: autoscaling.IAutoScalingGroup) {
    super();
  }

  /** The group's ARN holds a UUID that exists only after creation; the name pins the group. */
  private arn(scope: Construct): string {
    return Stack.of(scope).formatArn({
      service: 'autoscaling',
      resource: 'autoScalingGroup',
      resourceName: `*:autoScalingGroupName/${this.group.autoScalingGroupName}`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
  }

  public prepareWorkers(scope: Construct, mode: ScaleInMode): void {
    if (mode !== ScaleInMode.PROTECT_BUSY_WORKERS) return;
    if (!(this.group instanceof autoscaling.AutoScalingGroup)) {
      Annotations.of(scope).addWarningV2(
        'cdk-compute-patterns:asg-protection-not-granted',
        `The Auto Scaling group ${this.group.node.path} is imported: grant its instance role autoscaling:SetInstanceProtection on the group ` +
          '(arn:aws:autoscaling:<region>:<account>:autoScalingGroup:*:autoScalingGroupName/<name>), or its workers cannot protect themselves ' +
          'and the scale-in may stop busy ones.',
      );
      return;
    }
    // The workers protect their own instance: SetInstanceProtection on this group only, for the group's role.
    const policy = new iam.Policy(scope, 'InstanceProtectionPolicy', {
      statements: [new iam.PolicyStatement({ actions: ['autoscaling:SetInstanceProtection'], resources: [this.arn(scope)] })],
    });
    this.group.role.attachInlinePolicy(policy);
    acknowledgePolicyWildcards(policy, 'The group ARN wildcard only stands for the UUID AWS assigns at creation; the group name pins the one group whose instances protect themselves.');
  }

  public bind(scope: Construct): ScalingTargetConfig {
    const arn = this.arn(scope);
    return {
      kind: ScalingTargetKind.AUTO_SCALING_GROUP,
      targetId: this.group.autoScalingGroupName,
      statements: [
        new iam.PolicyStatement({ actions: ['autoscaling:DescribeAutoScalingGroups'], resources: ['*'] }),
        new iam.PolicyStatement({
          actions: ['autoscaling:SetDesiredCapacity', 'autoscaling:CreateOrUpdateTags', 'autoscaling:DeleteTags'],
          resources: [arn],
        }),
      ],
      wildcardReason: GROUP_WILDCARD_REASON,
      defaultScaleInMode: SAFE_SCALE_IN_MODE[ScalingTargetKind.AUTO_SCALING_GROUP],
      scaleInModes: scaleInModesOf(ScalingTargetKind.AUTO_SCALING_GROUP),
    };
  }
}

class EcsServiceTarget extends ScalingTarget {
  constructor(private readonly service: ecs.IBaseService) {
    super();
  }

  public prepareWorkers(scope: Construct, mode: ScaleInMode): void {
    if (mode !== ScaleInMode.PROTECT_BUSY_WORKERS) return;
    if (!(this.service instanceof ecs.BaseService)) {
      Annotations.of(scope).addWarningV2(
        'cdk-compute-patterns:ecs-protection-not-granted',
        `The ECS service ${this.service.node.path} is imported: grant its task role ecs:UpdateTaskProtection and ecs:GetTaskProtection on ` +
          'arn:aws:ecs:<region>:<account>:task/<cluster>/*, or its workers cannot protect themselves and the scale-in may stop busy tasks.',
      );
      return;
    }
    // The ECS agent sets the protection with the task role's credentials; only tasks of this cluster.
    const taskArns = Stack.of(scope).formatArn({ service: 'ecs', resource: 'task', resourceName: `${this.service.cluster.clusterName}/*` });
    const policy = new iam.Policy(scope, 'TaskProtectionPolicy', {
      statements: [new iam.PolicyStatement({ actions: ['ecs:UpdateTaskProtection', 'ecs:GetTaskProtection'], resources: [taskArns] })],
    });
    this.service.taskDefinition.taskRole.attachInlinePolicy(policy);
    acknowledgePolicyWildcards(policy, 'Task ids are assigned at launch: the ARN pattern allows exactly the tasks of this one cluster to set their own scale-in protection.');
  }

  public bind(): ScalingTargetConfig {
    return {
      kind: ScalingTargetKind.ECS_SERVICE,
      targetId: this.service.serviceName,
      clusterName: this.service.cluster.clusterName,
      statements: [
        new iam.PolicyStatement({
          actions: ['ecs:DescribeServices', 'ecs:UpdateService', 'ecs:TagResource', 'ecs:UntagResource'],
          resources: [this.service.serviceArn],
        }),
      ],
      defaultScaleInMode: SAFE_SCALE_IN_MODE[ScalingTargetKind.ECS_SERVICE],
      scaleInModes: scaleInModesOf(ScalingTargetKind.ECS_SERVICE),
    };
  }
}
