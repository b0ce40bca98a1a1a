import {
  DEFAULT_QUEUE_DEPTH_POLICY,
  DEFAULT_QUEUE_DEPTH_PRESET,
  presetPolicy,
  QUEUE_DEPTH_PRESETS,
  QueueDepthPresetName,
  validateQueueDepthPolicy,
} from '../../contracts/queue-depth-policy';
import { ScalingPreset } from '../../lib';

describe('scaling presets (one home: contracts/queue-depth-policy.ts)', () => {
  const names = Object.keys(QUEUE_DEPTH_PRESETS) as QueueDepthPresetName[];

  it('the construct offers exactly the presets the policy module defines', () => {
    expect(Object.values(ScalingPreset).sort()).toEqual([...names].sort());
    expect(DEFAULT_QUEUE_DEPTH_PRESET).toBe(ScalingPreset.BALANCED);
  });

  it.each(names)('%s is a valid policy within any bounds, and names itself', (name) => {
    expect(QUEUE_DEPTH_PRESETS[name].name).toBe(name);
    expect(validateQueueDepthPolicy(presetPolicy(name, { minWorkers: 0, maxWorkers: 10 }))).toEqual([]);
    expect(presetPolicy(name, { minWorkers: 2, maxWorkers: 7 })).toMatchObject({ minWorkers: 2, maxWorkers: 7 });
    expect(QUEUE_DEPTH_PRESETS[name].workerIdleSeconds).toBeGreaterThanOrEqual(60); // ≥ one autoscaler run
  });

  it('the default preset is the policy the other patterns use by default', () => {
    expect(presetPolicy(DEFAULT_QUEUE_DEPTH_PRESET, DEFAULT_QUEUE_DEPTH_POLICY)).toEqual(DEFAULT_QUEUE_DEPTH_POLICY);
  });

  it('orders the trade-off: cost-first queues more per worker and lets go sooner than latency-first', () => {
    const cost = QUEUE_DEPTH_PRESETS['cost-first'];
    const latency = QUEUE_DEPTH_PRESETS['latency-first'];
    expect(cost.backlogPerWorker).toBeGreaterThan(latency.backlogPerWorker);
    expect(cost.workerIdleSeconds).toBeLessThan(latency.workerIdleSeconds);
    expect(cost.idleSecondsBeforeScaleIn).toBeLessThan(latency.idleSecondsBeforeScaleIn);
  });

  it('names the known presets when given an unknown one', () => {
    expect(() => presetPolicy('fastest' as QueueDepthPresetName, { minWorkers: 0, maxWorkers: 1 })).toThrow(
      /unknown scaling preset 'fastest' \(known: cost-first, balanced, latency-first\)/,
    );
  });
});
