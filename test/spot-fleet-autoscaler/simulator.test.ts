import * as fs from 'fs';
import * as path from 'path';
import { parseArgs, run } from '../../bench/autoscaler/cli';
import { beats, check, MedianFigures, medians, TraceMedians } from '../../bench/autoscaler/criterion';
import { formatTrace, SHIPPED_TRACES } from '../../bench/autoscaler/generate-traces';
import { BASELINES, ecsPatternsPolicy, oursPresetPolicy, POLICIES, policiesFor, seedStepPolicy } from '../../bench/autoscaler/policies';
import {
  CloudWatchMetric,
  fifoFloor,
  percentile,
  PolicyView,
  prng,
  SimPolicy,
  simulate,
  TraceJob,
  validateTrace,
  workInstanceHours,
} from '../../bench/autoscaler/simulator';

const oursPolicy = () => oursPresetPolicy('balanced');

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

  it.each(['spot-fleet', 'auto-scaling-group', 'ecs-service'])('on a %s, every preset kills no job by scale-in (only TERMINATE_INSTANCES does)', (target) => {
    const options = { seed: 1, interruptionsPerInstanceHour: 0 };
    const terminating = simulate(small, POLICIES['ours-terminate-instances'](), options);
    expect(terminating.runsKilledByScaleIn).toBeGreaterThan(0);
    expect(terminating.lostJobs).toBe(terminating.runsKilledByScaleIn);
    for (const [name, make] of Object.entries(policiesFor(target)).filter(([n]) => n.startsWith('ours') && n !== 'ours-terminate-instances')) {
      const result = simulate(small, make(), options);
      expect([name, result.runsKilledByScaleIn, result.lostJobs, result.jobs.done]).toEqual([name, 0, 0, small.length]);
    }
  });

  /** Three workers, then one: two busy with long jobs, one idle after a short one. */
  const shrinkWhileBusy = (scaleIn: SimPolicy['scaleIn']): SimPolicy => ({
    name: `shrink-${scaleIn}`,
    intervalSeconds: 60,
    initialCapacity: 0,
    scaleIn,
    releaseAfterIdleSeconds: 0,
    decide: (view) => (view.nowSeconds < 200 ? 3 : 1),
  });
  const threeJobs: TraceJob[] = [
    { arrivalSeconds: 0, durationSeconds: 1000 },
    { arrivalSeconds: 0, durationSeconds: 1000 },
    { arrivalSeconds: 0, durationSeconds: 30 },
  ];

  it('with protection (ASG, ECS), a scale-in removes the idle worker at once and each busy one only when it is done', () => {
    const result = simulate(threeJobs, shrinkWhileBusy('protect-busy'), { seed: 1, interruptionsPerInstanceHour: 0 });
    expect(result.lostJobs).toBe(0);
    expect(result.jobs.done).toBe(3);
    // Launched at 0: the idle one goes at the 240 s tick, one busy one when it finishes at 1090 s (still above
    // target), the last one is billed to the end of the run at 1090 s.
    expect(result.instanceHours).toBeCloseTo((240 + 1090 + 1090) / 3600, 2);
  });

  it('without protection, the same scale-in kills busy workers (seeded victims)', () => {
    const killed = [1, 2, 3, 4, 5].map((seed) => simulate(threeJobs, shrinkWhileBusy('terminate'), { seed, interruptionsPerInstanceHour: 0 }).runsKilledByScaleIn);
    expect(Math.max(...killed)).toBeGreaterThan(0);
  });

  it('with workers exiting when idle, nobody is terminated on a lower target: the idle one leaves after its idle time', () => {
    const policy = { ...shrinkWhileBusy('workers-exit'), idleExitSeconds: 100 };
    const result = simulate(threeJobs, policy, { seed: 1, interruptionsPerInstanceHour: 0 });
    expect(result.lostJobs).toBe(0);
    // The short job ends at 120 s and its worker leaves at 220 s, while the target is still 3: the fleet
    // replaces it; the replacement boots (310 s) and leaves after its own idle time (410 s), once the
    // target is 1. The busy ones run to 1090 s.
    expect(result.runsKilledByScaleIn).toBe(0);
    expect(result.instanceHours).toBeCloseTo((220 + (410 - 220) + 1090 + 1090) / 3600, 2);
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
  /** A view whose CloudWatch holds `visible` and `cpu` datapoints (oldest first), whatever the window. */
  const view = (o: Partial<PolicyView> & { visible?: number[]; cpu?: number[] }): PolicyView => ({
    nowSeconds: 10_000,
    visibleMessages: 0,
    inFlightMessages: 0,
    currentCapacity: 10,
    cloudWatch: (metric: CloudWatchMetric) => (metric === 'CPUUtilization' ? o.cpu : o.visible) ?? [],
    ...o,
  });

  it.each([
    ['above the upper threshold: +5', [21], 10, 15],
    ['at the upper threshold (not above): hold', [20], 10, 10],
    ['between thresholds: hold', [15], 10, 10],
    ['at the lower threshold (not below): hold', [10], 10, 10],
    ['below the lower threshold: -5', [9], 10, 5],
    ['a step below min 2 is skipped, not clamped', [0], 4, 4],
    ['a step above max 100 is skipped, not clamped', [500], 98, 98],
    ['no datapoint yet: hold', [], 10, 10],
    ['the average of the window decides', [0, 45], 10, 15],
  ])("the seed's rule: %s", (_name, visible, current, expected) => {
    expect(seedStepPolicy(60).decide(view({ visible, currentCapacity: current }))).toBe(expected);
  });

  it("the seed's rule reads the 15-minute average and runs at 60, 300 and 900 s, one row each", () => {
    const windows: number[] = [];
    seedStepPolicy(300).decide({ ...view({}), cloudWatch: (_m, w) => (windows.push(w), []) });
    expect(windows).toEqual([900]);
    expect(Object.keys(BASELINES).filter((n) => n.startsWith('seed')).map((n) => BASELINES[n]().intervalSeconds)).toEqual([60, 300, 900]);
  });

  it.each([
    ['maximum below 100: no scale-out', [99, 20], 1, 1],
    ['the 5-minute MAXIMUM at 100 or more: +1 (an average would stay below)', [0, 0, 0, 0, 150], 1, 2],
    ['maximum 500 and more: +5', [500], 1, 6],
    ['empty for the whole period: -1', [0, 0], 3, 2],
    ['never below min 1', [0], 1, 1],
  ])('ecs-patterns step scaling: %s', (_name, visible, current, expected) => {
    expect(ecsPatternsPolicy(false).decide(view({ visible, currentCapacity: current }))).toBe(expected);
  });

  it('ecs-patterns step scaling waits out its 300 s cooldown', () => {
    const policy = ecsPatternsPolicy(false);
    expect(policy.decide(view({ visible: [600], currentCapacity: 1, nowSeconds: 1000 }))).toBe(6);
    expect(policy.decide(view({ visible: [600], currentCapacity: 6, nowSeconds: 1299 }))).toBe(6);
    expect(policy.decide(view({ visible: [600], currentCapacity: 6, nowSeconds: 1300 }))).toBe(11);
  });

  it.each([
    ['3 datapoints above 50 %: out to ceil(current × CPU ÷ 50)', { cpu: [60, 80, 100] }, 4, 8],
    ['only 2 datapoints above 50 %: hold', { cpu: [40, 80, 100] }, 4, 4],
    ['15 datapoints below 45 %: in', { cpu: Array(15).fill(20) }, 10, 4],
    ['14 datapoints below 45 %: hold', { cpu: [50, ...Array(14).fill(20)] }, 10, 10],
  ])('ecs-patterns CPU target tracking (50 %%): %s', (_name, points, current, expected) => {
    expect(ecsPatternsPolicy(true).decide(view({ ...points, visible: [50], currentCapacity: current }))).toBe(expected);
    // Without CPU scaling the same view holds.
    expect(ecsPatternsPolicy(false).decide(view({ ...points, visible: [50], currentCapacity: current }))).toBe(current);
  });

  it('ours is the deployed decision step: direct SQS depth, wake from zero, no CloudWatch', () => {
    const policy = oursPolicy();
    const cloudWatch = jest.fn();
    expect(policy.decide({ ...view({ visibleMessages: 7, inFlightMessages: 2, currentCapacity: 0 }), cloudWatch })).toBe(9);
    expect(cloudWatch).not.toHaveBeenCalled();
  });
});

describe('the floor and the criterion', () => {
  it('the floor is FIFO on a fixed pool booted after the first arrival', () => {
    const jobs = [0, 0, 0, 0].map((a) => ({ arrivalSeconds: a, durationSeconds: 100 }));
    // Ready at 90 s: two start at 90, two at 190.
    expect(fifoFloor(jobs, 2, 90)).toEqual({ capacity: 2, p95WaitSeconds: 190 });
    expect(fifoFloor(jobs, 4, 90).p95WaitSeconds).toBe(90);
    expect(workInstanceHours(jobs)).toBeCloseTo(400 / 3600, 2);
    expect(() => fifoFloor(jobs, 0)).toThrow(/capacity ≥ 1/);
  });

  it('no policy beats the floor on its own capacity (small trace)', () => {
    for (const make of Object.values(POLICIES)) {
      const result = simulate(small, make(), { seed: 3, interruptionsPerInstanceHour: 0 });
      expect(result.p95WaitSeconds).toBeGreaterThanOrEqual(fifoFloor(small, result.peakCapacity).p95WaitSeconds);
    }
  });

  const fig = (p95WaitSeconds: number, instanceHours: number): MedianFigures => ({
    p50WaitSeconds: 0,
    p95WaitSeconds,
    instanceHours,
    lostJobs: 0,
    runsKilledByScaleIn: 0,
    spotInterruptions: 0,
    peakCapacity: 1,
  });
  it.each([
    ['half the wait at 1.05× the cost', fig(50, 10.5), fig(100, 10), 0, 'wait'],
    ['half the wait at 1.06× the cost', fig(50, 10.6), fig(100, 10), 0, undefined],
    ['within 1.15× the floor at the same cost', fig(114, 10), fig(150, 10), 100, 'wait'],
    ['0.8× the cost at the same wait', fig(100, 8), fig(100, 10), 0, 'cost'],
    ['0.8× the cost but a longer wait', fig(101, 8), fig(100, 10), 0, undefined],
    ['0.81× the cost', fig(100, 8.1), fig(100, 10), 0, undefined],
  ])('beats: %s', (_name, ours, baseline, floor, expected) => expect(beats(ours, baseline, floor)).toBe(expected));

  it('check names every baseline no preset beats, and a default preset that killed runs by scale-in', () => {
    const m: TraceMedians = {
      trace: 't',
      jobs: 1,
      seeds: [1],
      workInstanceHours: 1,
      floorP95WaitSeconds: 0,
      floorCapacity: 1,
      policies: { a: fig(100, 10), b: fig(10, 100), ours: fig(40, 10), 'ours-x': fig(90, 7) },
      worstRunsKilledByScaleIn: { a: 0, b: 0, ours: 1, 'ours-x': 0 },
    };
    const result = check(m, ['ours', 'ours-x'], ['a', 'b'], 'ours');
    expect(result.verdicts.find((v) => v.baseline === 'a')!.beatenBy).toEqual([
      { preset: 'ours', axis: 'wait' },
      { preset: 'ours-x', axis: 'cost' },
    ]);
    expect(result.failures).toEqual([
      "t: the default preset 'ours' killed 1 job runs by scale-in (seed worst case)",
      't: no preset beats b (p95 10 s, 100 instance-hours)',
    ]);
  });

  it('medians over seeds come from the CLI output', () => {
    const trace = path.join(TRACES, 'steady.json');
    const m = medians([1, 2, 3].map((seed) => run(['--trace', trace, '--seed', String(seed), '--policy', 'ours'])));
    expect(m.seeds).toEqual([1, 2, 3]);
    expect(m.policies.ours.runsKilledByScaleIn).toBe(0);
    expect(m.workInstanceHours).toBeCloseTo(workInstanceHours(load('steady')), 2);
    expect(m.floorCapacity).toBe(m.policies.ours.peakCapacity);
  });
});

describe('shipped traces and the CLI', () => {
  it.each(Object.keys(SHIPPED_TRACES))('regenerates the shipped trace %s byte for byte', (name) => {
    expect(fs.readFileSync(path.join(TRACES, `${name}.json`), 'utf8')).toBe(formatTrace(SHIPPED_TRACES[name]()));
  });

  it('ships bursts of 500 jobs of 1–10 minutes every two hours', () => {
    const trace = load('bursts-2h');
    expect(trace).toHaveLength(6 * 500);
    expect(Math.min(...trace.map((j) => j.durationSeconds))).toBeGreaterThanOrEqual(60);
    expect(Math.max(...trace.map((j) => j.durationSeconds))).toBeLessThanOrEqual(600);
    const bursts = new Set(trace.map((j) => Math.floor(j.arrivalSeconds / 7200)));
    expect([...bursts]).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('parses options and says what is wrong', () => {
    expect(parseArgs(['--trace', 't.json'])).toMatchObject({ trace: 't.json', target: 'spot-fleet', policies: Object.keys(POLICIES), options: { seed: 1 } });
    expect(parseArgs(['--trace', 't.json', '--target', 'ecs-service'])).toMatchObject({ target: 'ecs-service' });
    expect(() => parseArgs(['--trace', 't.json', '--target', 'lambda'])).toThrow(/unknown target 'lambda' \(known: spot-fleet, auto-scaling-group, ecs-service\)/);
    expect(parseArgs(['--trace', 't.json', '--policy', 'ours', '--seed', '9'])).toMatchObject({ policies: ['ours'], options: { seed: 9 } });
    expect(() => parseArgs([])).toThrow(/--trace <file.json> is required/);
    expect(() => parseArgs(['--trace', 't.json', '--policy', 'magic'])).toThrow(/unknown policy 'magic' \(known: seed-step-60s, seed-step-300s, seed-step-900s, ecs-patterns-step, ecs-patterns-step\+cpu, ours-cost-first, ours, ours-latency-first, ours-terminate-instances\)/);
    expect(() => parseArgs(['--trace', 't.json', '--seed', '1.5'])).toThrow(/--seed must be a whole number/);
    expect(() => parseArgs(['--trace'])).toThrow(/--trace needs a value/);
    expect(() => parseArgs(['--trace', 't.json', '--fast', 'yes'])).toThrow(/unknown option --fast/);
  });

  it('prints the floor and the work beside the results', () => {
    const output = run(['--trace', path.join(TRACES, 'steady.json')]);
    expect(output.jobs).toBe(load('steady').length);
    expect(output.floor.capacity).toBe(Math.max(...Object.values(output.results).map((r) => r.peakCapacity)));
    expect(output.workInstanceHours).toBeCloseTo(workInstanceHours(load('steady')), 2);
    for (const result of Object.values(output.results)) {
      expect(result.jobs.done).toBe(output.jobs);
      expect(result.instanceHours).toBeGreaterThanOrEqual(output.workInstanceHours);
      expect(result.p95WaitSeconds).toBeGreaterThanOrEqual(output.floor.p95WaitSeconds);
    }
  });
});
