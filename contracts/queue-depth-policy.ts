/**
 * The queue-depth scaling policy: backlog-per-worker target tracking (AWS's recommended way to scale
 * queue consumers), with wake-from-zero, scale-to-zero after an idle period, a scale-in cooldown and
 * hysteresis. ONE policy, used by the ECS worker launcher and reconciler, the Spot Fleet autoscaler and
 * the benchmark simulator. Pure: no clock, no SDK; callers pass what they observed.
 */

/** How a worker pool should follow its queue. */
export interface QueueDepthPolicy {
  /** Backlog (visible + in-flight messages) one worker is expected to own; > 0. */
  readonly backlogPerWorker: number;
  /** Never fewer workers than this (0 allows scale-to-zero). */
  readonly minWorkers: number;
  /** Never more workers than this; ≥ minWorkers and ≥ 1. */
  readonly maxWorkers: number;
  /** Seconds after the last capacity change before capacity may shrink (scale-out is never delayed). */
  readonly scaleInCooldownSeconds: number;
  /** Seconds the backlog must stay at zero before shrinking to `minWorkers`. */
  readonly idleSecondsBeforeScaleIn: number;
  /** Shrink only when the target is at least this many workers below the current count (≥ 1). */
  readonly scaleInHysteresisWorkers: number;
}

/** What the caller saw just now. */
export interface QueueDepthObservation {
  /** ApproximateNumberOfMessages: waiting to be received. */
  readonly visibleMessages: number;
  /** ApproximateNumberOfMessagesNotVisible: received and being worked on. */
  readonly inFlightMessages: number;
  /** Workers running or starting now (the pool's current target capacity). */
  readonly currentWorkers: number;
  /** The current time, in epoch seconds. */
  readonly nowSeconds: number;
  /** When capacity last changed, in epoch seconds; undefined if never or unknown. */
  readonly lastChangeSeconds?: number;
  /** Since when the backlog has been zero, in epoch seconds; undefined if it is not zero (or unknown). */
  readonly emptySinceSeconds?: number;
}

export type ScalingAction = 'scale-out' | 'scale-in' | 'hold';

/** The decision, with the numbers behind it, ready to log as one structured line. */
export interface ScalingDecision {
  readonly action: ScalingAction;
  readonly desiredWorkers: number;
  readonly currentWorkers: number;
  readonly backlog: number;
  /** ceil(backlog ÷ backlogPerWorker) before min/max clamping. */
  readonly targetWorkers: number;
  readonly reason: string;
}

export const DEFAULT_QUEUE_DEPTH_POLICY: QueueDepthPolicy = {
  backlogPerWorker: 1,
  minWorkers: 0,
  maxWorkers: 10,
  scaleInCooldownSeconds: 300,
  idleSecondsBeforeScaleIn: 300,
  scaleInHysteresisWorkers: 1,
};

/** The named presets of the policy (see QUEUE_DEPTH_PRESETS). */
export type QueueDepthPresetName = 'cost-first' | 'balanced' | 'latency-first';

/**
 * A preset: how eagerly the pool follows its queue. The bounds (minWorkers, maxWorkers) stay the user's.
 * `workerIdleSeconds` is the worker side of the same trade-off: how long a worker waits without a message
 * before it exits (a Spot Fleet lowered with `noTermination`) or releases its scale-in protection (an Auto
 * Scaling group or ECS service).
 */
export interface QueueDepthPreset {
  readonly name: QueueDepthPresetName;
  /** One line on what it trades. */
  readonly summary: string;
  readonly backlogPerWorker: number;
  readonly scaleInCooldownSeconds: number;
  readonly idleSecondsBeforeScaleIn: number;
  readonly scaleInHysteresisWorkers: number;
  readonly workerIdleSeconds: number;
}

/**
 * The presets, measured on the benchmark traces (docs/spot-fleet-autoscaler.md). The construct, the
 * handler (through the policy the construct resolves) and the simulator all read them from here.
 */
export const QUEUE_DEPTH_PRESETS: Readonly<Record<QueueDepthPresetName, QueueDepthPreset>> = {
  'cost-first': {
    name: 'cost-first',
    summary: 'fewest instance-hours: four messages per worker (jobs queue a little), shrink and leave a minute after the queue empties',
    backlogPerWorker: 4,
    scaleInCooldownSeconds: 120,
    idleSecondsBeforeScaleIn: 60,
    scaleInHysteresisWorkers: 1,
    workerIdleSeconds: 60,
  },
  balanced: {
    name: 'balanced',
    summary: 'one message per worker, five quiet minutes before shrinking (the default)',
    backlogPerWorker: 1,
    scaleInCooldownSeconds: 300,
    idleSecondsBeforeScaleIn: 300,
    scaleInHysteresisWorkers: 1,
    workerIdleSeconds: 180,
  },
  'latency-first': {
    name: 'latency-first',
    summary: 'shortest waits: one message per worker, workers kept ten minutes after the queue empties',
    backlogPerWorker: 1,
    scaleInCooldownSeconds: 600,
    idleSecondsBeforeScaleIn: 600,
    scaleInHysteresisWorkers: 2,
    workerIdleSeconds: 600,
  },
};

/** The preset the construct uses when none is chosen. */
export const DEFAULT_QUEUE_DEPTH_PRESET: QueueDepthPresetName = 'balanced';

/** The policy of preset `name` within the given bounds. */
export function presetPolicy(name: QueueDepthPresetName, bounds: { minWorkers: number; maxWorkers: number }): QueueDepthPolicy {
  const preset = QUEUE_DEPTH_PRESETS[name];
  if (!preset) throw new Error(`unknown scaling preset '${name}' (known: ${Object.keys(QUEUE_DEPTH_PRESETS).join(', ')})`);
  const { backlogPerWorker, scaleInCooldownSeconds, idleSecondsBeforeScaleIn, scaleInHysteresisWorkers } = preset;
  return { backlogPerWorker, minWorkers: bounds.minWorkers, maxWorkers: bounds.maxWorkers, scaleInCooldownSeconds, idleSecondsBeforeScaleIn, scaleInHysteresisWorkers };
}

/**
 * Every reason `policy` is unusable, phrased as what to change; empty when it is valid. `isUnknown` tells
 * which values are not known yet (a construct passes CDK's `Token.isUnresolved`: deploy-time values are
 * checked by the handler at run time); checks involving them are skipped.
 */
export function validateQueueDepthPolicy(policy: QueueDepthPolicy, isUnknown: (value: number) => boolean = () => false): string[] {
  const errors: string[] = [];
  const wholeAtLeast = (name: keyof QueueDepthPolicy, min: number) => {
    const value = policy[name];
    if (isUnknown(value)) return;
    if (!Number.isInteger(value) || value < min) errors.push(`\`${name}\` must be a whole number ≥ ${min} (got ${value})`);
  };
  if (!isUnknown(policy.backlogPerWorker) && (!(policy.backlogPerWorker > 0) || !Number.isFinite(policy.backlogPerWorker))) {
    errors.push(`\`backlogPerWorker\` must be a number > 0 (got ${policy.backlogPerWorker})`);
  }
  wholeAtLeast('minWorkers', 0);
  wholeAtLeast('maxWorkers', 1);
  wholeAtLeast('scaleInCooldownSeconds', 0);
  wholeAtLeast('idleSecondsBeforeScaleIn', 0);
  wholeAtLeast('scaleInHysteresisWorkers', 1);
  if (!isUnknown(policy.maxWorkers) && !isUnknown(policy.minWorkers) && policy.maxWorkers < policy.minWorkers) {
    errors.push(`\`maxWorkers\` must be ≥ \`minWorkers\` (got ${policy.maxWorkers} < ${policy.minWorkers})`);
  }
  return errors;
}

/** Throws one error listing everything wrong with `policy`. */
export function assertValidQueueDepthPolicy(policy: QueueDepthPolicy): void {
  const errors = validateQueueDepthPolicy(policy);
  if (errors.length > 0) throw new Error(`Invalid queue-depth scaling policy: ${errors.join('; ')}`);
}

const count = (n: number) => (Number.isFinite(n) && n > 0 ? Math.floor(n) : 0);

/** Decides how many workers the pool should have now. */
export function decideWorkers(policy: QueueDepthPolicy, observation: QueueDepthObservation): ScalingDecision {
  const visible = count(observation.visibleMessages);
  const inFlight = count(observation.inFlightMessages);
  const current = count(observation.currentWorkers);
  const backlog = visible + inFlight;
  const targetWorkers = Math.ceil(backlog / policy.backlogPerWorker);
  const clamped = Math.min(policy.maxWorkers, Math.max(policy.minWorkers, targetWorkers));
  const base = { currentWorkers: current, backlog, targetWorkers };
  const decide = (action: ScalingAction, desiredWorkers: number, reason: string): ScalingDecision => ({
    ...base,
    action,
    desiredWorkers,
    reason,
  });

  if (current > policy.maxWorkers) return decide('scale-in', policy.maxWorkers, `above maxWorkers ${policy.maxWorkers}`);
  if (current < policy.minWorkers) return decide('scale-out', clamped, `below minWorkers ${policy.minWorkers}`);
  if (clamped > current) {
    const why = current === 0 ? 'wake from zero' : 'backlog above target';
    const cap = targetWorkers > policy.maxWorkers ? `, capped at maxWorkers ${policy.maxWorkers}` : '';
    return decide('scale-out', clamped, `${why}: backlog ${backlog} needs ${targetWorkers} at ${policy.backlogPerWorker}/worker${cap}`);
  }
  if (clamped === current) return decide('hold', current, 'at target');

  // clamped < current: shrinking is the only move that can lose capacity still needed, so it waits.
  const now = observation.nowSeconds;
  if (backlog === 0) {
    const idleFor = observation.emptySinceSeconds === undefined ? 0 : Math.max(0, now - observation.emptySinceSeconds);
    if (idleFor < policy.idleSecondsBeforeScaleIn) {
      return decide('hold', current, `queue empty for ${idleFor}s, waiting ${policy.idleSecondsBeforeScaleIn}s before scaling in`);
    }
  }
  if (observation.lastChangeSeconds !== undefined) {
    const sinceChange = Math.max(0, now - observation.lastChangeSeconds);
    if (sinceChange < policy.scaleInCooldownSeconds) {
      return decide('hold', current, `scale-in cooldown: ${sinceChange}s of ${policy.scaleInCooldownSeconds}s since the last change`);
    }
  }
  if (backlog > 0 && current - clamped < policy.scaleInHysteresisWorkers) {
    return decide('hold', current, `within hysteresis: target ${clamped} is less than ${policy.scaleInHysteresisWorkers} below ${current}`);
  }
  return decide('scale-in', clamped, backlog === 0 ? `idle: scaling in to minWorkers ${policy.minWorkers}` : `backlog ${backlog} needs only ${clamped}`);
}

/**
 * How many new workers to start now: the missing ones, never one per event blindly. For pools whose
 * workers exit by themselves when idle (ECS tasks), so only scale-out matters.
 */
export function workersToStart(policy: QueueDepthPolicy, observation: QueueDepthObservation): number {
  const decision = decideWorkers(policy, observation);
  return decision.action === 'scale-out' ? Math.max(0, decision.desiredWorkers - decision.currentWorkers) : 0;
}
