import { Duration, Size } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { FunctionOptions, MonitoringProps } from '../core';
import { ScaleInMode, ScalingTarget } from './scaling-target';
// For the {@link}s of the docs (type-only: no import at run time).
import type { SpotFleetAutoscaler } from './spot-fleet-autoscaler';
import type { WorkerSpotFleet } from './worker-spot-fleet';

export type { QueueDepthPolicy } from '../../contracts/queue-depth-policy';

/** Props for {@link SpotFleetAutoscaler}. */
export interface SpotFleetAutoscalerProps extends MonitoringProps {
  /** The queue the workers consume; its depth (visible + in flight) drives the pool's size. */
  readonly queue: sqs.IQueue;
  /**
   * An existing pool to size: `ScalingTarget.spotFleetRequest('sfr-...')`, `.autoScalingGroup(group)`,
   * `.ecsService(service)` or `.workerSpotFleet(fleet)`. Give exactly one of `target` and `fleet`.
   * @default - none: `fleet` must be given
   */
  readonly target?: ScalingTarget;
  /**
   * Create a Spot Fleet of workers for this queue ({@link WorkerSpotFleet}) and size it.
   * Give exactly one of `target` and `fleet`.
   * @default - none: `target` must be given
   */
  readonly fleet?: WorkerFleetOptions;
  /**
   * How eagerly the pool follows its queue: sets `backlogPerWorker`, `scaleInCooldown`,
   * `idleBeforeScaleIn`, `scaleInHysteresisWorkers` and `workerIdleTimeout` (each prop given overrides the
   * preset's value). Measured in docs/spot-fleet-autoscaler.md.
   * @default ScalingPreset.BALANCED
   */
  readonly preset?: ScalingPreset;
  /**
   * Backlog (visible + in-flight messages) one worker should own: desired = ceil(backlog ÷ this).
   * For one message per worker at a time, 1; for workers with N parallel slots, N.
   * @default - the preset's: 1 (balanced, latency-first), 4 (cost-first)
   */
  readonly backlogPerWorker?: number;
  /**
   * Fewest workers. 0 lets the pool scale to zero after `idleBeforeScaleIn`.
   * @default 0
   */
  readonly minWorkers?: number;
  /**
   * Most workers.
   * @default 10
   */
  readonly maxWorkers?: number;
  /**
   * Time after any capacity change before the pool may shrink. Scale-out never waits.
   * @default - the preset's: 5 min (balanced), 2 min (cost-first), 10 min (latency-first)
   */
  readonly scaleInCooldown?: Duration;
  /**
   * Time the queue must stay empty before the pool shrinks to `minWorkers`.
   * @default - the preset's: 5 min (balanced), 1 min (cost-first), 10 min (latency-first)
   */
  readonly idleBeforeScaleIn?: Duration;
  /**
   * Shrink only when the target is at least this many workers below the current size (hysteresis).
   * @default - the preset's: 1 (balanced, cost-first), 2 (latency-first)
   */
  readonly scaleInHysteresisWorkers?: number;
  /**
   * How the pool shrinks. The default never kills a busy worker: a Spot Fleet is lowered with
   * `noTermination` and its workers exit when idle; an Auto Scaling group's or ECS service's workers
   * protect themselves while busy. `TERMINATE_INSTANCES` is an explicit opt-in for workers that cannot
   * cooperate (busy workers are killed; their jobs run again).
   * @default - WORKERS_EXIT_WHEN_IDLE for a Spot Fleet, PROTECT_BUSY_WORKERS for an Auto Scaling group or ECS service
   */
  readonly scaleInMode?: ScaleInMode;
  /**
   * How often the autoscaler runs (whole minutes, 1 to 60). The same way LambdaEcsWorker's reconciler is scheduled
   * (`reconcileInterval`).
   * @default Duration.minutes(1)
   */
  readonly scalingInterval?: Duration;
  /**
   * How long a worker waits without a message before it exits (Spot Fleet) or releases its scale-in
   * protection (Auto Scaling group, ECS service). Passed to the workers as `WORKER_IDLE_SECONDS`
   * (`workerEnvironment`; set in a created fleet's user data). Keep it ≥ the schedule's interval.
   * @default - the preset's: 3 min (balanced), 1 min (cost-first), 10 min (latency-first)
   */
  readonly workerIdleTimeout?: Duration;
  /**
   * How often the autoscaler runs.
   * @deprecated use `scalingInterval` (a Duration); giving both is an error
   * @default events.Schedule.rate(Duration.minutes(1))
   */
  readonly schedule?: events.Schedule;
  /**
   * Settings of the autoscaler function, merged over its defaults (256 MiB, 30 s, Graviton).
   * @default - the defaults
   */
  readonly autoscalerFunctionProps?: FunctionOptions;
  /**
   * A customer-managed KMS key that CloudWatch Logs encrypts the autoscaler function's log group with (Control Tower's
   * CT.CLOUDWATCH.PR.3). It must be a symmetric key in the stack's region. A `kms.Key` of your app gets the
   * key-policy statement CloudWatch Logs needs (`logs.<region>.amazonaws.com`, for log groups of the key's
   * account); an imported key's policy must already have it (docs/compliance.md, "Encrypting the log groups").
   * @default - CloudWatch Logs' own encryption (service-owned keys)
   */
  readonly logEncryptionKey?: kms.IKey;
  /**
   * Only log decisions and emit metrics; never change capacity or write state tags.
   * @default false
   */
  readonly dryRun?: boolean;
  /**
   * CloudWatch namespace of the decision metrics.
   * @default 'CdkComputePatterns/Autoscaler'
   */
  readonly metricNamespace?: string;
  /**
   * Value of the `Autoscaler` dimension of the decision metrics.
   * @default - a name unique to this construct in the app
   */
  readonly autoscalerName?: string;
}

/** Named trade-offs between wait and cost (the presets of the shared queue-depth policy). */
export enum ScalingPreset {
  /** Fewest instance-hours: four messages per worker (jobs queue a little), shrink and leave a minute after the queue empties. */
  COST_FIRST = 'cost-first',
  /** One message per worker, five quiet minutes before shrinking, workers leave after 3 idle minutes. */
  BALANCED = 'balanced',
  /** Shortest waits: one message per worker, workers kept ten minutes after the queue empties. */
  LATENCY_FIRST = 'latency-first',
}

/** The settings a {@link ScalingPreset} stands for. */
export interface ScalingPresetSettings {
  /** What it trades, in one line. */
  readonly summary: string;
  /** Backlog one worker owns. */
  readonly backlogPerWorker: number;
  /** No shrinking this long after a change. */
  readonly scaleInCooldown: Duration;
  /** The queue stays empty this long before the pool shrinks to its minimum. */
  readonly idleBeforeScaleIn: Duration;
  /** Shrink only this many workers below the current size or more. */
  readonly scaleInHysteresisWorkers: number;
  /** A worker exits or releases its protection after this long without a message. */
  readonly workerIdleTimeout: Duration;
}

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
