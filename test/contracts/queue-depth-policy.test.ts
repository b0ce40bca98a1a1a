import {
  decideWorkers,
  DEFAULT_QUEUE_DEPTH_POLICY,
  QueueDepthObservation,
  QueueDepthPolicy,
  validateQueueDepthPolicy,
  workersToStart,
} from '../../contracts/queue-depth-policy';

const policy: QueueDepthPolicy = {
  backlogPerWorker: 2,
  minWorkers: 0,
  maxWorkers: 5,
  scaleInCooldownSeconds: 300,
  idleSecondsBeforeScaleIn: 120,
  scaleInHysteresisWorkers: 1,
};
const NOW = 1_000_000;
const observe = (o: Partial<QueueDepthObservation>): QueueDepthObservation => ({
  visibleMessages: 0,
  inFlightMessages: 0,
  currentWorkers: 0,
  nowSeconds: NOW,
  ...o,
});

describe('decideWorkers', () => {
  it.each([
    ['empty queue, no workers', observe({}), 'hold', 0, /at target/],
    ['wakes from zero at once', observe({ visibleMessages: 1 }), 'scale-out', 1, /wake from zero/],
    ['backlog per worker: 7 messages at 2/worker need 4', observe({ visibleMessages: 5, inFlightMessages: 2, currentWorkers: 1 }), 'scale-out', 4, /needs 4/],
    ['caps at maxWorkers', observe({ visibleMessages: 100, currentWorkers: 2 }), 'scale-out', 5, /capped at maxWorkers 5/],
    ['scale-out ignores the cooldown', observe({ visibleMessages: 8, currentWorkers: 1, lastChangeSeconds: NOW - 1 }), 'scale-out', 4, /backlog above target/],
    ['holds at target', observe({ visibleMessages: 3, inFlightMessages: 1, currentWorkers: 2 }), 'hold', 2, /at target/],
    ['scale-in waits for the cooldown', observe({ visibleMessages: 2, currentWorkers: 4, lastChangeSeconds: NOW - 100 }), 'hold', 4, /cooldown: 100s of 300s/],
    ['scales in after the cooldown', observe({ visibleMessages: 2, currentWorkers: 4, lastChangeSeconds: NOW - 400 }), 'scale-in', 1, /needs only 1/],
    ['idle queue waits before scaling to zero', observe({ currentWorkers: 3, emptySinceSeconds: NOW - 60 }), 'hold', 3, /empty for 60s, waiting 120s/],
    ['idle queue scales to zero after the idle period', observe({ currentWorkers: 3, emptySinceSeconds: NOW - 121 }), 'scale-in', 0, /idle/],
    ['above maxWorkers shrinks at once', observe({ visibleMessages: 100, currentWorkers: 9, lastChangeSeconds: NOW }), 'scale-in', 5, /above maxWorkers/],
    ['negative and NaN readings count as zero', observe({ visibleMessages: -3, inFlightMessages: NaN }), 'hold', 0, /at target/],
  ])('%s', (_name, observation, action, desired, reason) => {
    const decision = decideWorkers(policy, observation);
    expect(decision).toMatchObject({ action, desiredWorkers: desired });
    expect(decision.reason).toMatch(reason);
  });

  it('respects hysteresis when shrinking by less than the band', () => {
    const wide = { ...policy, scaleInHysteresisWorkers: 2 };
    expect(decideWorkers(wide, observe({ visibleMessages: 5, currentWorkers: 4 }))).toMatchObject({ action: 'hold', desiredWorkers: 4 });
    expect(decideWorkers(wide, observe({ visibleMessages: 3, currentWorkers: 4 }))).toMatchObject({ action: 'scale-in', desiredWorkers: 2 });
  });

  it('keeps minWorkers when idle', () => {
    const warm = { ...policy, minWorkers: 1 };
    expect(decideWorkers(warm, observe({ currentWorkers: 0 }))).toMatchObject({ action: 'scale-out', desiredWorkers: 1 });
    expect(decideWorkers(warm, observe({ currentWorkers: 3, emptySinceSeconds: 0 }))).toMatchObject({ action: 'scale-in', desiredWorkers: 1 });
  });
});

describe('workersToStart', () => {
  it('starts only the missing workers', () => {
    expect(workersToStart(policy, observe({ visibleMessages: 6, currentWorkers: 2 }))).toBe(1);
    expect(workersToStart(policy, observe({ visibleMessages: 6, currentWorkers: 3 }))).toBe(0);
    expect(workersToStart(policy, observe({ visibleMessages: 0, currentWorkers: 3 }))).toBe(0);
  });
});

describe('validateQueueDepthPolicy', () => {
  it('accepts the default', () => expect(validateQueueDepthPolicy(DEFAULT_QUEUE_DEPTH_POLICY)).toEqual([]));
  it('says what to change', () => {
    expect(validateQueueDepthPolicy({ ...policy, minWorkers: 5, maxWorkers: 2 })).toContain('`maxWorkers` must be ≥ `minWorkers` (got 2 < 5)');
    expect(validateQueueDepthPolicy({ ...policy, backlogPerWorker: 0 })).toContain('`backlogPerWorker` must be a number > 0 (got 0)');
    expect(validateQueueDepthPolicy({ ...policy, scaleInHysteresisWorkers: 0.5 })).toContain('`scaleInHysteresisWorkers` must be a whole number ≥ 1 (got 0.5)');
  });
});
