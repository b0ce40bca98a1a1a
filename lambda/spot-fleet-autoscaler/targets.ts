/**
 * One small adapter per kind of worker pool: read its capacity (and our state tags), set its capacity,
 * write our state tags. Only SDK calls and response shaping live here; decisions are in state.ts.
 */
import {
  AutoScalingClient,
  CreateOrUpdateTagsCommand,
  DeleteTagsCommand as DeleteAsgTagsCommand,
  DescribeAutoScalingGroupsCommand,
  SetDesiredCapacityCommand,
} from '@aws-sdk/client-auto-scaling';
import {
  CreateTagsCommand,
  DeleteTagsCommand as DeleteEc2TagsCommand,
  DescribeSpotFleetRequestsCommand,
  EC2Client,
  ModifySpotFleetRequestCommand,
} from '@aws-sdk/client-ec2';
import { DescribeServicesCommand, ECSClient, TagResourceCommand, UntagResourceCommand, UpdateServiceCommand } from '@aws-sdk/client-ecs';

/** What a target looks like right now. */
export interface TargetSnapshot {
  readonly currentCapacity: number;
  /** Why capacity cannot be changed in this run; undefined when it can. */
  readonly busyReason?: string;
  /** The target's own bounds, when it has any (Auto Scaling groups). */
  readonly minCapacity?: number;
  readonly maxCapacity?: number;
  /** The target's tags, key → value. */
  readonly tags: Record<string, string>;
}

export interface CapacityTarget {
  /** e.g. `spot-fleet sfr-123`, for logs. */
  readonly description: string;
  describe(): Promise<TargetSnapshot>;
  setCapacity(capacity: number): Promise<void>;
  /** Sets the given tags; an `undefined` value removes the tag. */
  writeTags(tags: Record<string, string | undefined>): Promise<void>;
}

const split = (tags: Record<string, string | undefined>) => {
  const set = Object.entries(tags).filter((e): e is [string, string] => e[1] !== undefined);
  const removed = Object.entries(tags).filter(([, v]) => v === undefined).map(([k]) => k);
  return { set, removed };
};

const toRecord = <T>(list: T[] | undefined, key: (t: T) => string | undefined, value: (t: T) => string | undefined) => {
  const record: Record<string, string> = {};
  for (const item of list ?? []) {
    const k = key(item);
    if (k !== undefined) record[k] = value(item) ?? '';
  }
  return record;
};

/** Spot Fleet request states in which ModifySpotFleetRequest must wait (it fails or queues otherwise). */
const SPOT_FLEET_BUSY_STATES = new Set(['modifying', 'submitted']);

export class SpotFleetTarget implements CapacityTarget {
  public readonly description: string;
  /**
   * @param terminateOnScaleIn false: a lower target terminates nobody (`noTermination`); idle workers
   * shut their instances down themselves, so no job in progress is killed by a scale-in.
   */
  constructor(
    private readonly ec2: EC2Client,
    private readonly requestId: string,
    private readonly terminateOnScaleIn = true,
  ) {
    this.description = `spot-fleet ${requestId}`;
  }

  async describe(): Promise<TargetSnapshot> {
    const out = await this.ec2.send(new DescribeSpotFleetRequestsCommand({ SpotFleetRequestIds: [this.requestId] }));
    const request = out.SpotFleetRequestConfigs?.[0];
    if (!request) throw new Error(`Spot Fleet request ${this.requestId} was not found`);
    const state = request.SpotFleetRequestState ?? 'unknown';
    if (state.startsWith('cancelled') || state === 'failed') {
      throw new Error(`Spot Fleet request ${this.requestId} is ${state}: it can no longer be scaled; point the autoscaler at a live fleet`);
    }
    const config = request.SpotFleetRequestConfig;
    if (config?.Type && config.Type !== 'maintain') {
      throw new Error(`Spot Fleet request ${this.requestId} is of type '${config.Type}': only 'maintain' fleets can change target capacity`);
    }
    return {
      currentCapacity: config?.TargetCapacity ?? 0,
      busyReason: SPOT_FLEET_BUSY_STATES.has(state) ? `the fleet is ${state}` : undefined,
      tags: toRecord(request.Tags, (t) => t.Key, (t) => t.Value),
    };
  }

  async setCapacity(capacity: number): Promise<void> {
    const out = await this.ec2.send(
      new ModifySpotFleetRequestCommand({
        SpotFleetRequestId: this.requestId,
        TargetCapacity: capacity,
        ExcessCapacityTerminationPolicy: this.terminateOnScaleIn ? 'default' : 'noTermination',
      }),
    );
    if (out.Return === false) throw new Error(`ModifySpotFleetRequest refused to set ${this.requestId} to ${capacity}`);
  }

  async writeTags(tags: Record<string, string | undefined>): Promise<void> {
    const { set, removed } = split(tags);
    if (set.length > 0) {
      await this.ec2.send(new CreateTagsCommand({ Resources: [this.requestId], Tags: set.map(([Key, Value]) => ({ Key, Value })) }));
    }
    if (removed.length > 0) {
      await this.ec2.send(new DeleteEc2TagsCommand({ Resources: [this.requestId], Tags: removed.map((Key) => ({ Key })) }));
    }
  }
}

export class AutoScalingGroupTarget implements CapacityTarget {
  public readonly description: string;
  constructor(private readonly autoscaling: AutoScalingClient, private readonly groupName: string) {
    this.description = `auto-scaling-group ${groupName}`;
  }

  async describe(): Promise<TargetSnapshot> {
    const out = await this.autoscaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [this.groupName] }));
    const group = out.AutoScalingGroups?.[0];
    if (!group) throw new Error(`Auto Scaling group ${this.groupName} was not found`);
    return {
      currentCapacity: group.DesiredCapacity ?? 0,
      busyReason: group.Status ? `the group is '${group.Status}'` : undefined,
      minCapacity: group.MinSize,
      maxCapacity: group.MaxSize,
      tags: toRecord(group.Tags, (t) => t.Key, (t) => t.Value),
    };
  }

  async setCapacity(capacity: number): Promise<void> {
    // HonorCooldown false: the policy has its own scale-in cooldown, and scale-out must never wait.
    await this.autoscaling.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: this.groupName, DesiredCapacity: capacity, HonorCooldown: false }));
  }

  async writeTags(tags: Record<string, string | undefined>): Promise<void> {
    const { set, removed } = split(tags);
    const base = { ResourceId: this.groupName, ResourceType: 'auto-scaling-group' };
    // PropagateAtLaunch false: the autoscaler's bookkeeping is about the group, not its instances.
    if (set.length > 0) {
      await this.autoscaling.send(new CreateOrUpdateTagsCommand({ Tags: set.map(([Key, Value]) => ({ ...base, Key, Value, PropagateAtLaunch: false })) }));
    }
    if (removed.length > 0) await this.autoscaling.send(new DeleteAsgTagsCommand({ Tags: removed.map((Key) => ({ ...base, Key })) }));
  }
}

export class EcsServiceTarget implements CapacityTarget {
  public readonly description: string;
  private serviceArn?: string;
  constructor(private readonly ecs: ECSClient, private readonly cluster: string, private readonly service: string) {
    this.description = `ecs-service ${service} in ${cluster}`;
  }

  async describe(): Promise<TargetSnapshot> {
    const out = await this.ecs.send(new DescribeServicesCommand({ cluster: this.cluster, services: [this.service], include: ['TAGS'] }));
    const service = out.services?.[0];
    if (!service) {
      const failure = out.failures?.[0];
      throw new Error(`ECS service ${this.service} in cluster ${this.cluster} was not found${failure ? ` (${failure.reason})` : ''}`);
    }
    if (service.status !== 'ACTIVE') throw new Error(`ECS service ${this.service} is ${service.status}: only ACTIVE services can be scaled`);
    this.serviceArn = service.serviceArn;
    return {
      currentCapacity: service.desiredCount ?? 0,
      tags: toRecord(service.tags, (t) => t.key, (t) => t.value),
    };
  }

  async setCapacity(capacity: number): Promise<void> {
    await this.ecs.send(new UpdateServiceCommand({ cluster: this.cluster, service: this.service, desiredCount: capacity }));
  }

  async writeTags(tags: Record<string, string | undefined>): Promise<void> {
    if (!this.serviceArn) throw new Error('describe() must run before writeTags() (the service ARN is needed)');
    const { set, removed } = split(tags);
    if (set.length > 0) await this.ecs.send(new TagResourceCommand({ resourceArn: this.serviceArn, tags: set.map(([key, value]) => ({ key, value })) }));
    if (removed.length > 0) await this.ecs.send(new UntagResourceCommand({ resourceArn: this.serviceArn, tagKeys: removed }));
  }
}
