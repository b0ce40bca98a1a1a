import { QueueDepthPolicy } from '../../contracts/queue-depth-policy';
import { AutoscalerState, planRun, RunReadings, stateFromTags, STATE_TAGS, tagChanges } from '../../lambda/spot-fleet-autoscaler/state';
import { readConfig } from '../../contracts/spot-fleet-autoscaler/config';

const policy: QueueDepthPolicy = {
  backlogPerWorker: 1,
  minWorkers: 0,
  maxWorkers: 10,
  scaleInCooldownSeconds: 300,
  idleSecondsBeforeScaleIn: 600,
  scaleInHysteresisWorkers: 1,
};
const NOW = 2_000_000;
const read = (r: Partial<RunReadings>): RunReadings => ({ visibleMessages: 0, inFlightMessages: 0, currentCapacity: 0, nowSeconds: NOW, ...r });

describe('planRun (one autoscaler run: policy + target state + stored state)', () => {
  it.each<[string, AutoscalerState, Partial<RunReadings>, boolean, object]>([
    ['zero stays zero, nothing to write', {}, {}, false, { apply: false, desiredCapacity: 0, nextState: { emptySinceSeconds: NOW, lastDesired: 0 } }],
    ['wakes from zero at once', {}, { visibleMessages: 3 }, false, { apply: true, desiredCapacity: 3, nextState: { lastChangeSeconds: NOW, lastDesired: 3 } }],
    ['scale-out counts in-flight work', { lastDesired: 2 }, { visibleMessages: 3, inFlightMessages: 2, currentCapacity: 2 }, false, { apply: true, desiredCapacity: 5 }],
    ['caps at maxWorkers', { lastDesired: 2 }, { visibleMessages: 500, currentCapacity: 2 }, false, { apply: true, desiredCapacity: 10 }],
    ['skips while the fleet is modifying', { lastDesired: 2 }, { visibleMessages: 8, currentCapacity: 2, busyReason: 'the fleet is modifying' }, false, { apply: false, skippedBecause: 'the fleet is modifying', nextState: { lastDesired: 2 } }],
    ['holds scale-in in the cooldown', { lastChangeSeconds: NOW - 100, lastDesired: 6 }, { visibleMessages: 2, currentCapacity: 6 }, false, { apply: false, desiredCapacity: 6 }],
    ['scales in after the cooldown', { lastChangeSeconds: NOW - 301, lastDesired: 6 }, { visibleMessages: 2, currentCapacity: 6 }, false, { apply: true, desiredCapacity: 2 }],
    ['a change by someone else restarts the cooldown', { lastChangeSeconds: NOW - 3600, lastDesired: 4 }, { visibleMessages: 1, currentCapacity: 6 }, false, { apply: false, nextState: { lastChangeSeconds: NOW, lastDesired: 6 } }],
    ['idle: starts the timer', { lastChangeSeconds: NOW - 3600, lastDesired: 3 }, { currentCapacity: 3 }, false, { apply: false, nextState: { emptySinceSeconds: NOW } }],
    ['idle long enough: to zero', { lastChangeSeconds: NOW - 3600, lastDesired: 3, emptySinceSeconds: NOW - 600 }, { currentCapacity: 3 }, false, { apply: true, desiredCapacity: 0 }],
    ['work clears the idle timer', { emptySinceSeconds: NOW - 50, lastDesired: 1 }, { visibleMessages: 1, currentCapacity: 1 }, false, { apply: false, nextState: { emptySinceSeconds: undefined } }],
    ["clamps into the target's own bounds", {}, { visibleMessages: 9, minCapacity: 1, maxCapacity: 4 }, false, { apply: true, desiredCapacity: 4 }],
    ['dry run decides but applies nothing', {}, { visibleMessages: 4 }, true, { apply: false, skippedBecause: 'dry run', desiredCapacity: 4, nextState: { lastDesired: 0 } }],
  ])('%s', (_name, previous, readings, dryRun, expected) => {
    expect(planRun(policy, previous, read(readings), dryRun)).toMatchObject(expected);
  });
});

describe('state tags', () => {
  it('reads whole numbers and treats anything else as unknown', () => {
    expect(stateFromTags({ [STATE_TAGS.lastChange]: '123', [STATE_TAGS.emptySince]: 'soon', [STATE_TAGS.lastDesired]: '-1', other: 'x' })).toEqual({
      lastChangeSeconds: 123,
      emptySinceSeconds: undefined,
      lastDesired: undefined,
    });
  });

  it('writes only what changed and removes what is gone (including garbled tags)', () => {
    const current = { [STATE_TAGS.lastChange]: '100', [STATE_TAGS.emptySince]: 'garbage', [STATE_TAGS.lastDesired]: '2' };
    expect(tagChanges(current, { lastChangeSeconds: 100, lastDesired: 3 })).toEqual({
      [STATE_TAGS.emptySince]: undefined,
      [STATE_TAGS.lastDesired]: '3',
    });
    expect(tagChanges(current, stateFromTags(current))).toEqual({ [STATE_TAGS.emptySince]: undefined });
    expect(tagChanges({}, {})).toEqual({});
  });
});

describe('readConfig', () => {
  const base = { TARGET_KIND: 'spot-fleet', TARGET_ID: 'sfr-1', QUEUE_URL: 'https://q', SCALING_POLICY: JSON.stringify(policy) };
  it('reads a complete environment with defaults', () => {
    expect(readConfig(base)).toEqual({ targetKind: 'spot-fleet', targetId: 'sfr-1', cluster: undefined, queueUrl: 'https://q', policy, dryRun: false, scaleInMode: 'workers-exit', preset: undefined, autoscalerName: 'sfr-1' });
    expect(readConfig({ ...base, SCALING_PRESET: 'cost-first' }).preset).toBe('cost-first');
    // Without a mode, every target gets the one that kills no busy worker.
    expect(readConfig({ ...base, TARGET_KIND: 'auto-scaling-group', TARGET_ID: 'g' }).scaleInMode).toBe('protect-busy');
    expect(readConfig({ ...base, TARGET_KIND: 'ecs-service', TARGET_ID: 's', ECS_CLUSTER: 'c' }).scaleInMode).toBe('protect-busy');
  });
  it.each([
    [{ SCALING_POLICY: '{' }, /SCALING_POLICY is not JSON/],
    [{ DRY_RUN: 'yes' }, /DRY_RUN must be 'true' or 'false' \(got 'yes'\)/],
    [{ TARGET_KIND: 'ecs-service' }, /ECS_CLUSTER is required for an ecs-service target/],
    [{ SCALE_IN_MODE: 'sometimes' }, /SCALE_IN_MODE must be one of workers-exit, protect-busy, terminate \(got 'sometimes'\)/],
    [{ QUEUE_URL: '' }, /QUEUE_URL is not set/],
    [{ SCALING_PRESET: 'fastest' }, /SCALING_PRESET must be one of cost-first, balanced, latency-first \(got 'fastest'\)/],
  ])('rejects %j', (overrides, message) => {
    expect(() => readConfig({ ...base, ...overrides })).toThrow(message);
  });
});
