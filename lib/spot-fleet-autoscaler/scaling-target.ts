import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { ScalingTargetKind } from '../../contracts/spot-fleet-autoscaler/config';
import type { WorkerSpotFleet } from './worker-spot-fleet';

export { ScalingTargetKind };

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
}

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
    return new SpotFleetRequestTarget(fleet.spotFleetRequestId);
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
  public abstract bind(scope: Construct): ScalingTargetConfig;
}

class SpotFleetRequestTarget extends ScalingTarget {
  constructor(private readonly requestId: string) {
    super();
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
    };
  }
}

class AutoScalingGroupTarget extends ScalingTarget {
  constructor(private readonly group: autoscaling.IAutoScalingGroup) {
    super();
  }

  public bind(scope: Construct): ScalingTargetConfig {
    // The group's ARN holds a UUID that exists only after creation; the name pins the group.
    const arn = Stack.of(scope).formatArn({
      service: 'autoscaling',
      resource: 'autoScalingGroup',
      resourceName: `*:autoScalingGroupName/${this.group.autoScalingGroupName}`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
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
      wildcardReason:
        'autoscaling:DescribeAutoScalingGroups supports no resource-level permissions (AWS requires "*"); the group ARN wildcard only stands for the UUID AWS assigns at creation, the group name pins the one group.',
    };
  }
}

class EcsServiceTarget extends ScalingTarget {
  constructor(private readonly service: ecs.IBaseService) {
    super();
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
    };
  }
}
