/**
 * Planning a load test by rate (pure): how many workers (harness invocations) the peak rate needs, the
 * slices each worker's run is cut into (so a run outlives Lambda's 15 minutes by handing on), and when
 * each of a worker's arrivals is due. Arrivals follow the phases exactly (a linear ramp is a quadratic
 * cumulative count), numbered 0, 1, 2 ... over the whole run; worker w of W sends arrivals k ≡ w (mod W),
 * so the workers together send every arrival once, at the planned time, with no coordination.
 */
import type { HarnessLimits } from '../../contracts/lambda-test-harness/config';
import type { LoadPhase } from '../../contracts/lambda-test-harness/events';

export const totalSeconds = (phases: readonly LoadPhase[]): number => phases.reduce((sum, p) => sum + p.duration, 0);
export const peakRate = (phases: readonly LoadPhase[]): number => Math.max(0, ...phases.map((p) => Math.max(p.arrivalRate, p.rampTo ?? p.arrivalRate)));

/** Arrivals planned from time 0 to `t` seconds (the cumulative count, fractional). */
export function arrivalsBy(phases: readonly LoadPhase[], t: number): number {
  let count = 0;
  let start = 0;
  for (const p of phases) {
    const x = Math.min(Math.max(t - start, 0), p.duration);
    const r1 = p.rampTo ?? p.arrivalRate;
    count += p.arrivalRate * x + ((r1 - p.arrivalRate) * x * x) / (2 * p.duration);
    start += p.duration;
    if (t <= start) break;
  }
  return count;
}

export const plannedArrivals = (phases: readonly LoadPhase[]): number => Math.round(arrivalsBy(phases, totalSeconds(phases)) * 1e6) / 1e6;
/** The target rate's mean over the run. */
export const meanRate = (phases: readonly LoadPhase[]): number => plannedArrivals(phases) / Math.max(1, totalSeconds(phases));

const EPSILON = 1e-9;

/** The time (seconds) of arrival `k` (0-based), or undefined when the run has fewer arrivals. */
export function arrivalTime(phases: readonly LoadPhase[], k: number): number | undefined {
  let before = 0;
  let start = 0;
  for (const p of phases) {
    const r0 = p.arrivalRate;
    const r1 = p.rampTo ?? r0;
    const inPhase = r0 * p.duration + ((r1 - r0) * p.duration) / 2;
    if (k < before + inPhase - EPSILON) {
      const n = k - before;
      const a = (r1 - r0) / (2 * p.duration);
      let x: number;
      if (Math.abs(a) < 1e-12) x = n / r0;
      else x = (-r0 + Math.sqrt(Math.max(0, r0 * r0 + 4 * a * n))) / (2 * a);
      return start + Math.min(Math.max(x, 0), p.duration);
    }
    before += inPhase;
    start += p.duration;
  }
  return undefined;
}

/** The arrival times (seconds) of worker `worker` of `workers` in [fromSecond, toSecond), with their numbers. */
export function* workerArrivals(
  phases: readonly LoadPhase[],
  worker: number,
  workers: number,
  fromSecond: number,
  toSecond: number,
): Generator<{ readonly k: number; readonly at: number }> {
  const first = Math.max(0, Math.ceil(arrivalsBy(phases, fromSecond) - EPSILON));
  let k = first + ((((worker - first) % workers) + workers) % workers);
  for (;;) {
    const at = arrivalTime(phases, k);
    if (at === undefined || at >= toSecond - EPSILON) return;
    if (at >= fromSecond - EPSILON) yield { k, at };
    k += workers;
  }
}

export interface LoadPlan {
  readonly workers: number;
  readonly totalSeconds: number;
  /** [fromSecond, toSecond) of each slice; every worker runs the same slices. */
  readonly slices: ReadonlyArray<readonly [number, number]>;
  readonly plannedArrivals: number;
  readonly meanRate: number;
}

/** Workers for the peak rate at `ratePerWorker` each, slices of `sliceSeconds`. */
export function planLoad(phases: readonly LoadPhase[], limits: Pick<HarnessLimits, 'ratePerWorker' | 'sliceSeconds'>): LoadPlan {
  const total = totalSeconds(phases);
  const workers = Math.max(1, Math.ceil(peakRate(phases) / limits.ratePerWorker - EPSILON));
  const slices: Array<readonly [number, number]> = [];
  for (let from = 0; from < total; from += limits.sliceSeconds) slices.push([from, Math.min(total, from + limits.sliceSeconds)]);
  return { workers, totalSeconds: total, slices, plannedArrivals: plannedArrivals(phases), meanRate: meanRate(phases) };
}

/** The slice after [from, to), or undefined at the end of the run. */
export function nextSlice(total: number, toSecond: number, sliceSeconds: number): readonly [number, number] | undefined {
  return toSecond >= total ? undefined : [toSecond, Math.min(total, toSecond + sliceSeconds)];
}

/**
 * When a worker invokes its successor: `lead` seconds before its slice ends (a cold start must not leave a
 * gap in the arrivals), and never before its slice started.
 */
export const handOverSecond = (fromSecond: number, toSecond: number): number => Math.max(fromSecond, toSecond - Math.min(20, (toSecond - fromSecond) / 4));

/** Whether a worker stops sending: a stop was requested, or its invocation is about to run out of time. */
export function shouldStop(state: { readonly stopRequested?: boolean } | undefined, remainingMs: number | undefined, reserveMs = 30_000): { stop: boolean; why?: string } {
  if (state?.stopRequested) return { stop: true, why: 'stop requested' };
  if (remainingMs !== undefined && remainingMs < reserveMs) return { stop: true, why: `less than ${reserveMs / 1000} s of the invocation left` };
  return { stop: false };
}
