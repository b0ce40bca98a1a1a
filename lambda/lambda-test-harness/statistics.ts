/**
 * Latency statistics of a run, mergeable across workers and slices: a log-scale histogram (1 % buckets)
 * keeps a run of any length in a few hundred numbers, so each worker slice stores its part and the last
 * one merges them into the summary. Pure.
 */
import type { RunSummary } from '../../contracts/lambda-test-harness/results';

/** Bucket width: each bucket spans 1 % of its value, so a percentile read from it is within 1 %. */
const GROWTH = Math.log(1.01);

export interface LatencyStats {
  readonly count: number;
  readonly passed: number;
  /** Bucket index → count (JSON/DynamoDB friendly: string keys). */
  readonly buckets: Record<string, number>;
  readonly max: number;
  /** Epoch ms of the first and last request start (the sending window). */
  readonly firstStart: number;
  readonly lastStart: number;
}

export const emptyStats = (): LatencyStats => ({ count: 0, passed: 0, buckets: {}, max: 0, firstStart: Number.POSITIVE_INFINITY, lastStart: 0 });

export const bucketOf = (ms: number): number => (ms <= 1 ? 0 : Math.ceil(Math.log(ms) / GROWTH));
/** The upper bound of a bucket, in ms (what a percentile in it reports). */
export const bucketValue = (bucket: number): number => (bucket === 0 ? 1 : Math.exp(bucket * GROWTH));

/** A mutable recorder for one worker. */
export class StatsRecorder {
  private count = 0;
  private passed = 0;
  private max = 0;
  private firstStart = Number.POSITIVE_INFINITY;
  private lastStart = 0;
  private readonly buckets = new Map<number, number>();

  public record(startedAtMs: number, durationMs: number, passed: boolean): void {
    this.count++;
    if (passed) this.passed++;
    this.max = Math.max(this.max, durationMs);
    this.firstStart = Math.min(this.firstStart, startedAtMs);
    this.lastStart = Math.max(this.lastStart, startedAtMs);
    const b = bucketOf(durationMs);
    this.buckets.set(b, (this.buckets.get(b) ?? 0) + 1);
  }

  public snapshot(): LatencyStats {
    return {
      count: this.count,
      passed: this.passed,
      buckets: Object.fromEntries([...this.buckets].map(([b, n]) => [String(b), n])),
      max: this.max,
      firstStart: this.firstStart,
      lastStart: this.lastStart,
    };
  }
}

export function mergeStats(parts: readonly LatencyStats[]): LatencyStats {
  const buckets: Record<string, number> = {};
  let count = 0;
  let passed = 0;
  let max = 0;
  let firstStart = Number.POSITIVE_INFINITY;
  let lastStart = 0;
  for (const part of parts) {
    count += part.count;
    passed += part.passed;
    max = Math.max(max, part.max);
    if (part.count > 0) {
      firstStart = Math.min(firstStart, part.firstStart);
      lastStart = Math.max(lastStart, part.lastStart);
    }
    for (const [b, n] of Object.entries(part.buckets)) buckets[b] = (buckets[b] ?? 0) + n;
  }
  return { count, passed, buckets, max, firstStart, lastStart };
}

/** The latency below which `q` (0..1) of the requests fell, never above the true maximum. */
export function percentile(stats: LatencyStats, q: number): number {
  if (stats.count === 0) return 0;
  const rank = Math.max(1, Math.ceil(q * stats.count));
  const sorted = Object.entries(stats.buckets)
    .map(([b, n]) => [Number(b), n] as const)
    .sort((a, b) => a[0] - b[0]);
  let seen = 0;
  for (const [bucket, n] of sorted) {
    seen += n;
    if (seen >= rank) return Math.min(bucketValue(bucket), stats.max);
  }
  return stats.max;
}

/**
 * Requests started per second over the sending window. n starts spread evenly over a window of
 * (last − first) cover n − 1 gaps, so the rate is (n − 1) / (last − first); one request has no rate.
 */
export function achievedRps(stats: LatencyStats): number {
  if (stats.count < 2 || stats.lastStart <= stats.firstStart) return stats.count;
  return ((stats.count - 1) * 1000) / (stats.lastStart - stats.firstStart);
}

const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;

export function summarize(stats: LatencyStats): RunSummary {
  return {
    count: stats.count,
    passed: stats.passed,
    failed: stats.count - stats.passed,
    p50: round(percentile(stats, 0.5)),
    p90: round(percentile(stats, 0.9)),
    p95: round(percentile(stats, 0.95)),
    p99: round(percentile(stats, 0.99)),
    max: round(stats.max),
    achievedRps: round(achievedRps(stats), 2),
  };
}
