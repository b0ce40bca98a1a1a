import { achievedRps, mergeStats, percentile, StatsRecorder, summarize } from '../../lambda/lambda-test-harness/statistics';

describe('latency statistics', () => {
  it('reads percentiles within 1 % and never above the maximum', () => {
    const r = new StatsRecorder();
    for (let i = 1; i <= 1000; i++) r.record(1000 + i * 10, i, true);
    const s = r.snapshot();
    for (const [q, exact] of [[0.5, 500], [0.9, 900], [0.95, 950], [0.99, 990]] as const) {
      expect(Math.abs(percentile(s, q) - exact) / exact).toBeLessThanOrEqual(0.01);
    }
    expect(percentile(s, 1)).toBe(1000);
  });

  it('merges parts as if recorded in one place', () => {
    const a = new StatsRecorder();
    const b = new StatsRecorder();
    const all = new StatsRecorder();
    for (let i = 0; i < 200; i++) {
      const [start, ms, ok] = [i * 25, 5 + (i % 37), i % 10 !== 0];
      (i % 2 ? a : b).record(start, ms, ok);
      all.record(start, ms, ok);
    }
    expect(summarize(mergeStats([a.snapshot(), b.snapshot()]))).toEqual(summarize(all.snapshot()));
    expect(summarize(all.snapshot())).toMatchObject({ count: 200, passed: 180, failed: 20 });
  });

  it('measures the achieved rate over the sending window', () => {
    const r = new StatsRecorder();
    for (let i = 0; i < 400; i++) r.record(i * 25, 3, true); // 40 per second for 10 s
    expect(achievedRps(r.snapshot())).toBeCloseTo(40, 6);
    expect(summarize(new StatsRecorder().snapshot())).toEqual({ count: 0, passed: 0, failed: 0, p50: 0, p90: 0, p95: 0, p99: 0, max: 0, achievedRps: 0 });
  });
});
