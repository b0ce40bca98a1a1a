/**
 * The autoscaler's memory between runs, and the pure step that decides and updates it.
 *
 * The state is kept as three tags ON THE TARGET (the Spot Fleet request, the Auto Scaling group or the ECS
 * service): it is read for free with the Describe call the handler makes anyway, it is written only when
 * it changes (a few times per scaling episode, never every minute), it needs no extra resource, and it
 * lives and dies with the pool it describes (a replaced fleet starts with a clean slate instead of
 * inheriting a stale cooldown). A missing or garbled tag is read as "unknown", which the policy treats
 * conservatively: no idle timer yet, and the cooldown starts now.
 */
import { decideWorkers, QueueDepthPolicy, ScalingDecision } from '../../contracts/queue-depth-policy';

export const STATE_TAGS = {
  /** Epoch seconds of the last capacity change (by us or anyone else). */
  lastChange: 'cdk-compute-patterns:autoscaler:last-change',
  /** Epoch seconds since which the backlog has been zero; absent while it is not. */
  emptySince: 'cdk-compute-patterns:autoscaler:empty-since',
  /** The capacity we last set, to notice changes made by someone else. */
  lastDesired: 'cdk-compute-patterns:autoscaler:last-desired',
} as const;

export interface AutoscalerState {
  readonly lastChangeSeconds?: number;
  readonly emptySinceSeconds?: number;
  readonly lastDesired?: number;
}

const wholeNonNegative = (value: string | undefined): number | undefined => {
  if (value === undefined || !/^\d{1,12}$/.test(value)) return undefined;
  return Number(value);
};

/** Reads the state from a target's tags (any tag list shape reduced to key → value). */
export function stateFromTags(tags: Record<string, string>): AutoscalerState {
  return {
    lastChangeSeconds: wholeNonNegative(tags[STATE_TAGS.lastChange]),
    emptySinceSeconds: wholeNonNegative(tags[STATE_TAGS.emptySince]),
    lastDesired: wholeNonNegative(tags[STATE_TAGS.lastDesired]),
  };
}

/** The tags that encode `state`; `undefined` values mean "remove the tag". */
export function tagsFromState(state: AutoscalerState): Record<string, string | undefined> {
  const text = (n: number | undefined) => (n === undefined ? undefined : String(Math.floor(n)));
  return {
    [STATE_TAGS.lastChange]: text(state.lastChangeSeconds),
    [STATE_TAGS.emptySince]: text(state.emptySinceSeconds),
    [STATE_TAGS.lastDesired]: text(state.lastDesired),
  };
}

/**
 * The tag writes that turn `currentTags` into the encoding of `next`: only keys whose value differs;
 * `undefined` means "remove". Empty when nothing changed.
 */
export function tagChanges(currentTags: Record<string, string>, next: AutoscalerState): Record<string, string | undefined> {
  const changes: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(tagsFromState(next))) {
    if (value !== currentTags[key] && !(value === undefined && !(key in currentTags))) changes[key] = value;
  }
  return changes;
}

/** What the handler read in one run. */
export interface RunReadings {
  readonly visibleMessages: number;
  readonly inFlightMessages: number;
  readonly currentCapacity: number;
  /** Why the target cannot be changed now (e.g. the fleet is `modifying`); undefined when it can. */
  readonly busyReason?: string;
  /** The target's own capacity bounds (an Auto Scaling group's MinSize/MaxSize), when it has any. */
  readonly minCapacity?: number;
  readonly maxCapacity?: number;
  readonly nowSeconds: number;
}

/** The outcome of one run: what to log, whether to change capacity, and the state to store. */
export interface RunPlan {
  readonly decision: ScalingDecision;
  /** The policy's desired capacity, clamped into the target's own bounds. */
  readonly desiredCapacity: number;
  /** Set capacity to `desiredCapacity` now. */
  readonly apply: boolean;
  /** Why nothing is applied although the policy wants a change (busy target, dry run). */
  readonly skippedBecause?: string;
  readonly nextState: AutoscalerState;
  /** The stored state must be rewritten. */
  readonly stateChanged: boolean;
}

/** Decides one run. Pure: the handler supplies readings, the previous state and the mode. */
export function planRun(policy: QueueDepthPolicy, previous: AutoscalerState, readings: RunReadings, dryRun: boolean): RunPlan {
  const now = readings.nowSeconds;
  const backlog = Math.max(0, readings.visibleMessages || 0) + Math.max(0, readings.inFlightMessages || 0);
  // Someone else (a person, CloudFormation, a scheduled action) changed capacity: their change counts
  // as the last change, so we do not undo it before the cooldown.
  const changedByOthers = previous.lastDesired !== undefined && previous.lastDesired !== readings.currentCapacity;
  const lastChangeSeconds = changedByOthers ? now : previous.lastChangeSeconds;
  const emptySinceSeconds = backlog === 0 ? (previous.emptySinceSeconds ?? now) : undefined;

  const decision = decideWorkers(policy, {
    visibleMessages: readings.visibleMessages,
    inFlightMessages: readings.inFlightMessages,
    currentWorkers: readings.currentCapacity,
    nowSeconds: now,
    lastChangeSeconds,
    emptySinceSeconds,
  });
  const desiredCapacity = Math.min(readings.maxCapacity ?? Infinity, Math.max(readings.minCapacity ?? 0, decision.desiredWorkers));
  const wantsChange = desiredCapacity !== decision.currentWorkers;
  const skippedBecause = !wantsChange ? undefined : readings.busyReason ?? (dryRun ? 'dry run' : undefined);
  const apply = wantsChange && skippedBecause === undefined;

  const nextState: AutoscalerState = {
    lastChangeSeconds: apply ? now : lastChangeSeconds,
    emptySinceSeconds,
    lastDesired: apply ? desiredCapacity : readings.currentCapacity,
  };
  const stateChanged =
    nextState.lastChangeSeconds !== previous.lastChangeSeconds ||
    nextState.emptySinceSeconds !== previous.emptySinceSeconds ||
    nextState.lastDesired !== previous.lastDesired;
  return { decision, desiredCapacity, apply, skippedBecause, nextState, stateChanged };
}
