import { Duration, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import { DEFAULT_QUEUE_DEPTH_POLICY, QUEUE_DEPTH_PRESETS, QueueDepthPolicy, validateQueueDepthPolicy } from '../../contracts/queue-depth-policy';
import { ENV } from '../../contracts/spot-fleet-autoscaler/config';
import { regionMismatches } from '../core';
import { validateFunctionOptions } from '../core/builders';
import { PropsValidator } from '../core/props-validator';
import { ScalingPreset, SpotFleetAutoscalerProps, WorkerSpotFleetProps } from './props';
import { ScaleInMode, ScalingTargetConfig } from './scaling-target';

/** What the autoscaler's props resolve to once every prop is checked. */
export interface ValidatedAutoscalerProps {
  readonly preset: ScalingPreset;
  readonly policy: QueueDepthPolicy;
  readonly workerIdleSeconds: number;
}

/**
 * Checks every prop that is known before the target is bound (throwing one error that lists every problem)
 * and returns the effective policy, the preset's values filling in what the props leave out.
 */
export function validateProps(scope: Construct, props: SpotFleetAutoscalerProps): ValidatedAutoscalerProps {
  const v = new PropsValidator(scope, 'SpotFleetAutoscaler');
  const presetName = props.preset ?? ScalingPreset.BALANCED;
  const preset = QUEUE_DEPTH_PRESETS[presetName];
  if (!preset) v.problem(`\`preset\` must be one of ${Object.values(ScalingPreset).join(', ')} (got '${props.preset}')`);
  const policy: QueueDepthPolicy = {
    backlogPerWorker: props.backlogPerWorker ?? preset?.backlogPerWorker,
    minWorkers: props.minWorkers ?? DEFAULT_QUEUE_DEPTH_POLICY.minWorkers,
    maxWorkers: props.maxWorkers ?? DEFAULT_QUEUE_DEPTH_POLICY.maxWorkers,
    scaleInCooldownSeconds: v.duration('scaleInCooldown', props.scaleInCooldown) ?? preset?.scaleInCooldownSeconds,
    idleSecondsBeforeScaleIn: v.duration('idleBeforeScaleIn', props.idleBeforeScaleIn) ?? preset?.idleSecondsBeforeScaleIn,
    scaleInHysteresisWorkers: props.scaleInHysteresisWorkers ?? preset?.scaleInHysteresisWorkers,
  };
  const workerIdleSeconds = v.duration('workerIdleTimeout', props.workerIdleTimeout, { min: Duration.seconds(1) }) ?? preset?.workerIdleSeconds;
  if (preset) v.problems(validateQueueDepthPolicy(policy, Token.isUnresolved).map(toPropNames));
  v.problems(
    regionMismatches(scope, [
      { prop: 'queue', arn: props.queue.queueArn, why: "the autoscaler reads the queue's depth with an SQS client of its own region" },
    ]),
  );
  if ((props.target === undefined) === (props.fleet === undefined)) {
    v.problem('give exactly one of `target` (an existing pool) and `fleet` (a Spot Fleet to create)');
  }
  v.duration('scalingInterval', props.scalingInterval, { min: Duration.minutes(1), max: Duration.hours(1), unit: 'minutes' });
  if (props.scalingInterval && props.schedule) v.problem('`schedule` is the deprecated form of `scalingInterval`, and both are given: give only `scalingInterval`');
  validateFunctionOptions(v, 'autoscalerFunctionProps', props.autoscalerFunctionProps, {
    reservedEnvironment: [...Object.values(ENV), 'POWERTOOLS_METRICS_NAMESPACE', 'POWERTOOLS_SERVICE_NAME'],
  });
  v.throwIfInvalid();
  return { preset: presetName, policy, workerIdleSeconds };
}

/** The scale-in mode must be one the bound target supports. */
export function validateScaleInMode(scope: Construct, target: ScalingTargetConfig, mode: ScaleInMode): void {
  const v = new PropsValidator(scope, 'SpotFleetAutoscaler');
  if (!target.scaleInModes.includes(mode)) {
    v.problem(
      `\`scaleInMode\` ${modeName(mode)} does not apply to a ${target.kind} target ` +
        `(use ${target.scaleInModes.map(modeName).join(' or ')}): a Spot Fleet shrinks by workers exiting when idle, ` +
        'an Auto Scaling group or ECS service by protecting busy workers',
    );
  }
  v.throwIfInvalid();
}

const modeName = (mode: ScaleInMode) => Object.entries(ScaleInMode).find(([, value]) => value === mode)?.[0] ?? String(mode);

/** The policy speaks in seconds; these props take Durations. Keep the messages in the user's terms. */
function toPropNames(message: string): string {
  return message
    .replace('`scaleInCooldownSeconds`', '`scaleInCooldown` (in whole seconds)')
    .replace('`idleSecondsBeforeScaleIn`', '`idleBeforeScaleIn` (in whole seconds)');
}

/** Checks every prop (one error listing every problem); returns the root volume size in GiB. */
export function validateWorkerFleetProps(scope: Construct, props: WorkerSpotFleetProps, types: ec2.InstanceType[]): number {
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
