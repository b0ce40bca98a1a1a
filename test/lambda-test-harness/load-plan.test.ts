import { arrivalTime, handOverSecond, nextSlice, planLoad, plannedArrivals, shouldStop, workerArrivals } from '../../lambda/lambda-test-harness/load-plan';

const all = (phases: Parameters<typeof workerArrivals>[0], workers: number, from = 0, to = 1e9) =>
  Array.from({ length: workers }, (_, w) => [...workerArrivals(phases, w, workers, from, to)]).flat();

describe('load planning by rate', () => {
  it('plans 40 rps × 10 s as 400 arrivals, 25 ms apart, on one worker', () => {
    const phases = [{ duration: 10, arrivalRate: 40 }];
    expect(planLoad(phases, { ratePerWorker: 50, sliceSeconds: 600 })).toEqual({ workers: 1, totalSeconds: 10, slices: [[0, 10]], plannedArrivals: 400, meanRate: 40 });
    const arrivals = all(phases, 1);
    expect(arrivals).toHaveLength(400);
    expect(arrivals[1].at - arrivals[0].at).toBeCloseTo(0.025, 9);
  });

  it('fans a peak rate out over workers that together send every arrival exactly once', () => {
    const phases = [{ duration: 30, arrivalRate: 10, rampTo: 200 }, { duration: 20, arrivalRate: 200 }];
    const plan = planLoad(phases, { ratePerWorker: 50, sliceSeconds: 600 });
    expect(plan.workers).toBe(4);
    const ks = all(phases, plan.workers).map((a) => a.k).sort((a, b) => a - b);
    expect(ks).toEqual(Array.from({ length: plan.plannedArrivals }, (_, i) => i));
    expect(plan.plannedArrivals).toBe(10 * 30 + (190 * 30) / 2 + 200 * 20);
  });

  it('ramps: arrivals come faster as the rate rises', () => {
    const phases = [{ duration: 10, arrivalRate: 0, rampTo: 20 }];
    expect(plannedArrivals(phases)).toBe(100);
    const times = Array.from({ length: 100 }, (_, k) => arrivalTime(phases, k)!);
    expect(times[1] - times[0]).toBeGreaterThan(times[99] - times[98]);
    expect(arrivalTime(phases, 100)).toBeUndefined();
  });

  it('cuts a run longer than a slice into chained slices, losing and doubling no arrival', () => {
    const phases = [{ duration: 1500, arrivalRate: 2 }];
    const plan = planLoad(phases, { ratePerWorker: 50, sliceSeconds: 600 });
    expect(plan.slices).toEqual([[0, 600], [600, 1200], [1200, 1500]]);
    expect(nextSlice(1500, 600, 600)).toEqual([600, 1200]);
    expect(nextSlice(1500, 1500, 600)).toBeUndefined();
    const sliced = plan.slices.flatMap(([from, to]) => all(phases, 1, from, to).map((a) => a.k));
    expect(sliced).toEqual(Array.from({ length: 3000 }, (_, i) => i));
    expect(handOverSecond(0, 600)).toBe(580);
  });

  it('stops on the flag or when the invocation runs out of time', () => {
    expect(shouldStop({ stopRequested: true }, 600_000)).toEqual({ stop: true, why: 'stop requested' });
    expect(shouldStop({}, 10_000).stop).toBe(true);
    expect(shouldStop({}, 600_000).stop).toBe(false);
    expect(shouldStop(undefined, undefined).stop).toBe(false);
  });
});
