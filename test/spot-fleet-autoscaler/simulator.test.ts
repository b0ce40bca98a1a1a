import * as fs from 'fs';
import * as path from 'path';
import { parseArgs, run } from '../../bench/autoscaler/cli';
import { burstyTrace, dailyTrace, formatTrace, steadyTrace } from '../../bench/autoscaler/generate-traces';
import { ecsPatternsStepPolicy, originalStepPolicy, oursPolicy, POLICIES } from '../../bench/autoscaler/policies';
import { percentile, PolicyView, prng, SimPolicy, simulate, TraceJob, validateTrace } from '../../bench/autoscaler/simulator';

const TRACES = path.join(__dirname, '..', '..', 'bench', 'autoscaler', 'traces');
const load = (name: string): TraceJob[] => JSON.parse(fs.readFileSync(path.join(TRACES, `${name}.json`), 'utf8'));

/** A small bursty trace: quick to simulate, exercises scale-out, scale-in and interruptions. */
const small: TraceJob[] = Array.from({ length: 120 }, (_, i) => ({
  arrivalSeconds: i < 60 ? i * 2 : 3600 + (i - 60) * 20,
  durationSeconds: 60 + (i % 7) * 30,
}));

describe('simulator', () => {
  it.each(Object.keys(POLICIES))('is deterministic for a seed (%s)', (name) => {
    const options = { seed: 42, interruptionsPerInstanceHour: 0.5 };
    const first = simulate(small, POLICIES[name](), options);
    expect(simulate(small, POLICIES[name](), options)).toEqual(first);
    expect(first.spotInterruptions).toBeGreaterThan(0);
    // A different seed draws different interruptions.
    const other = simulate(small, POLICIES[name](), { ...options, seed: 43 });
    expect(other.jobs).toEqual(first.jobs);
    expect([other.spotInterruptions, other.instanceHours, other.lostJobs]).not.toEqual([first.spotInterruptions, first.instanceHours, first.lostJobs]);
  });

  it.each([
    ['all done', { seed: 1 }],
    ['stopped mid-burst', { seed: 1, maxDrainSeconds: -3000 }],
    ['stopped with heavy interruptions', { seed: 7, interruptionsPerInstanceHour: 5, maxDrainSeconds: -4000 }],
  ])('conserves jobs: arrived = done + waiting + running (%s)', (_name, options) => {
    for (const make of Object.values(POLICIES)) {
      const { jobs } = simulate(small, make(), options);
      expect(jobs.arrived).toBe(jobs.done + jobs.waiting + jobs.running);
      expect(jobs.arrived).toBeLessThanOrEqual(small.length);
    }
  });

  it('finishes every job of a trace and ends at the last completion', () => {
    const result = simulate(small, oursPolicy(), { seed: 1 });
    expect(result.jobs).toEqual({ arrived: 120, done: 120, waiting: 0, running: 0 });
    expect(result.endSeconds).toBeGreaterThan(3600 + 59 * 20);
  });

  it('charges boot time and waits for booting workers (one job, from zero)', () => {
    const result = simulate([{ arrivalSeconds: 30, durationSeconds: 100 }], oursPolicy(), { seed: 1, interruptionsPerInstanceHour: 0 });
    // Tick at 60 s sees the job, the worker boots 90 s, so the job starts at 150 s: waited 120 s.
    expect(result.p95WaitSeconds).toBe(120);
    // Launched at 60 s, the job ends at 250 s, when the simulation ends.
    expect(result.instanceHours).toBeCloseTo(190 / 3600, 2);
    expect(result.lostJobs).toBe(0);
  });

  it('requeues the job of an interrupted worker, which then runs again', () => {
    const result = simulate([{ arrivalSeconds: 0, durationSeconds: 1800 }], oursPolicy(), { seed: 1, interruptionsPerInstanceHour: 2 });
    expect(result.spotInterruptions).toBeGreaterThan(0);
    expect(result.lostJobs).toBeGreaterThan(0);
    expect(result.jobs.done).toBe(1);
  });

  it('in workers-exit mode, scale-in kills no job in progress (only interruptions do)', () => {
    const options = { seed: 1, interruptionsPerInstanceHour: 0 };
    const terminating = simulate(small, POLICIES.ours(), options);
    const exiting = simulate(small, POLICIES['ours-workers-exit'](), options);
    expect(terminating.lostJobs).toBeGreaterThan(0);
    expect(exiting.lostJobs).toBe(0);
    expect(exiting.jobs.done).toBe(small.length);
  });

  it('rejects bad traces with the reason', () => {
    expect(validateTrace({})).toEqual([expect.stringMatching(/JSON array/)]);
    expect(validateTrace([{ arrivalSeconds: -1, durationSeconds: 0 }])).toEqual([
      'job 0: arrivalSeconds must be a number ≥ 0 (got -1)',
      'job 0: durationSeconds must be a number > 0 (got 0)',
    ]);
    expect(() => simulate([{ arrivalSeconds: 'x' } as never], oursPolicy(), { seed: 1 })).toThrow(/invalid trace/);
  });

  it('has a seedable PRNG and nearest-rank percentiles', () => {
    const a = prng(5);
    const b = prng(5);
    const draws = Array.from({ length: 5 }, () => a());
    expect(Array.from({ length: 5 }, () => b())).toEqual(draws);
    expect(draws.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 95)).toBe(10);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 50)).toBe(5);
    expect(percentile([], 95)).toBe(0);
  });
});

describe('baseline policies', () => {
  const view = (o: Partial<PolicyView> & { average?: number }): PolicyView => ({
    nowSeconds: 10_000,
    visibleMessages: 0,
    inFlightMessages: 0,
    currentCapacity: 10,
    cloudWatchAverageVisible: () => o.average,
    ...o,
  });
  const step = (policy: SimPolicy, v: PolicyView) => policy.decide(v);

  it.each([
    ['at the scale-up threshold: +5', 20, 10, 15],
    ['between thresholds: hold', 15, 10, 10],
    ['at the scale-down threshold: -5', 10, 10, 5],
    ['never below min 2', 0, 3, 2],
    ['never above max 100', 500, 98, 100],
    ['no datapoint yet: hold', undefined, 10, 10],
  ])('original step policy: %s', (_name, average, current, expected) => {
    expect(step(originalStepPolicy(), view({ average, currentCapacity: current }))).toBe(expected);
  });

  it('original step policy reads the 15-minute average', () => {
    const windows: number[] = [];
    originalStepPolicy().decide({ ...view({}), cloudWatchAverageVisible: (w) => (windows.push(w), 0) });
    expect(windows).toEqual([900]);
  });

  it.each([
    ['below 100 visible: no scale-out at all', 99, 1, 1],
    ['100..499: +1', 100, 1, 2],
    ['500 and more: +5', 500, 1, 6],
    ['empty: -1', 0, 3, 2],
    ['never below min 1', 0, 1, 1],
  ])('ecs-patterns step scaling: %s', (_name, average, current, expected) => {
    expect(step(ecsPatternsStepPolicy(), view({ average, currentCapacity: current }))).toBe(expected);
  });

  it('ecs-patterns step scaling waits out its 300 s cooldown', () => {
    const policy = ecsPatternsStepPolicy();
    expect(policy.decide(view({ average: 600, currentCapacity: 1, nowSeconds: 1000 }))).toBe(6);
    expect(policy.decide(view({ average: 600, currentCapacity: 6, nowSeconds: 1299 }))).toBe(6);
    expect(policy.decide(view({ average: 600, currentCapacity: 6, nowSeconds: 1300 }))).toBe(11);
  });

  it('ours is the deployed decision step: direct SQS depth, wake from zero, no CloudWatch', () => {
    const policy = oursPolicy();
    const cloudWatch = jest.fn();
    expect(policy.decide({ ...view({ visibleMessages: 7, inFlightMessages: 2, currentCapacity: 0 }), cloudWatchAverageVisible: cloudWatch })).toBe(9);
    expect(cloudWatch).not.toHaveBeenCalled();
  });
});

describe('shipped traces and the CLI', () => {
  it('regenerates the shipped traces byte for byte', () => {
    expect(fs.readFileSync(path.join(TRACES, 'steady.json'), 'utf8')).toBe(formatTrace(steadyTrace()));
    expect(fs.readFileSync(path.join(TRACES, 'bursty.json'), 'utf8')).toBe(formatTrace(burstyTrace()));
    expect(fs.readFileSync(path.join(TRACES, 'daily.json'), 'utf8')).toBe(formatTrace(dailyTrace()));
  });

  it('parses options and says what is wrong', () => {
    expect(parseArgs(['--trace', 't.json'])).toMatchObject({ trace: 't.json', policies: Object.keys(POLICIES), options: { seed: 1 } });
    expect(parseArgs(['--trace', 't.json', '--policy', 'ours', '--seed', '9'])).toMatchObject({ policies: ['ours'], options: { seed: 9 } });
    expect(() => parseArgs([])).toThrow(/--trace <file.json> is required/);
    expect(() => parseArgs(['--trace', 't.json', '--policy', 'magic'])).toThrow(/unknown policy 'magic' \(known: original-step, ecs-patterns-step, ours, ours-workers-exit\)/);
    expect(() => parseArgs(['--trace', 't.json', '--seed', '1.5'])).toThrow(/--seed must be a whole number/);
    expect(() => parseArgs(['--trace'])).toThrow(/--trace needs a value/);
    expect(() => parseArgs(['--trace', 't.json', '--fast', 'yes'])).toThrow(/unknown option --fast/);
  });

  // The documented target, checked on every shipped trace: ours has at most half the p95 wait of the
  // better baseline, with no more instance-hours than it.
  it.each(['steady', 'bursty', 'daily'])('meets the target on the %s trace', (name) => {
    const output = run(['--trace', path.join(TRACES, `${name}.json`)]) as any;
    expect(output.jobs).toBe(load(name).length);
    const { ours, 'ours-workers-exit': oursWorkersExit, ...baselines } = output.results;
    const better = Object.values(baselines as Record<string, any>).sort((a, b) => a.p95WaitSeconds - b.p95WaitSeconds)[0];
    expect(ours.p95WaitSeconds).toBeLessThanOrEqual(better.p95WaitSeconds / 2);
    expect(ours.instanceHours).toBeLessThanOrEqual(better.instanceHours);
    expect(oursWorkersExit.p95WaitSeconds).toBeLessThanOrEqual(better.p95WaitSeconds / 2);
    expect(oursWorkersExit.instanceHours).toBeLessThanOrEqual(better.instanceHours);
    for (const result of Object.values(output.results) as any[]) expect(result.jobs.done).toBe(output.jobs);
  });
});
