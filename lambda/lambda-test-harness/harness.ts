/**
 * What the harness does with each event, against ports (index.ts and gate.ts give the AWS clients; tests
 * give fakes). Unit tests are judged here; load tests by count fan out as the original did (one
 * asynchronous invocation per iteration) and the last iteration to report writes the summary; load tests
 * by rate run in workers (load-plan.ts) that read the stop flag every second, hand on to a successor
 * before their invocation runs out, and the last worker chain to end merges the parts into the summary.
 */
import type { HarnessConfig } from '../../contracts/lambda-test-harness/config';
import { HARNESS_METRICS } from '../../contracts/lambda-test-harness/config';
import type { CountLoadEvent, HarnessEvent, LoadWorkerEvent, RateLoadEvent, StopEvent, SuiteEvent, UnitTestEvent } from '../../contracts/lambda-test-harness/events';
import { HarnessInputError } from '../../contracts/lambda-test-harness/events';
import {
  expiresAtFor,
  partKey,
  partPrefix,
  resultPrefix,
  ResultItem,
  RunItem,
  runKey,
  RunSummary,
  summaryKey,
  SummaryItem,
} from '../../contracts/lambda-test-harness/results';
import { handOverSecond, nextSlice, planLoad, shouldStop, workerArrivals } from './load-plan';
import { LatencyStats, mergeStats, StatsRecorder, summarize } from './statistics';
import { allowedFunction, InvokeSync, runUnit, UnitRun } from './unit';

export type Item = Record<string, any>;

export interface HarnessPorts {
  readonly config: HarnessConfig;
  /** This function's ARN (load tests invoke it). */
  readonly selfArn: string;
  readonly invokeSync: InvokeSync;
  invokeAsync(functionArn: string, payload: string): Promise<void>;
  put(item: Item): Promise<void>;
  get(key: { testId: string; sk: string }): Promise<Item | undefined>;
  /** Adds `delta` to the run item's `pending` and returns the new value. */
  addPending(key: { testId: string; sk: string }, delta: number): Promise<number>;
  /** Sets `stopRequested` on an existing run item; false when there is no such run. */
  requestStop(key: { testId: string; sk: string }): Promise<boolean>;
  /** Every item of `testId` whose sort key starts with `prefix`. */
  query(testId: string, prefix: string): Promise<Item[]>;
  metric(name: string, unit: 'Count' | 'Milliseconds', value: number): void;
  now(): number;
  sleep(ms: number): Promise<void>;
  /** Milliseconds left in this invocation, when known. */
  remainingMs(): number | undefined;
  newRunId(): string;
}

/** How often a load worker reads the stop flag. */
export const STOP_POLL_MS = 1000;
/** Workers start this long after the run is planned, so all are up when arrival 0 is due. */
export const START_DELAY_MS = 2000;

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await fn(items[i], i);
      }
    }),
  );
  return results;
}

function checkTable(test: UnitTestEvent, config: HarnessConfig): void {
  if (test.resultsTable !== undefined && test.resultsTable !== config.resultsTable) {
    throw new HarnessInputError('unit test event', [
      `resultsTable '${test.resultsTable}' is not this harness's table '${config.resultsTable}': leave it out or name this one (the harness writes only its own table)`,
    ]);
  }
}

function runOptions(ports: HarnessPorts, runId: string, iteration: number) {
  return { runId, iteration, ttlDays: ports.config.resultTtlDays, maxStoredResponseBytes: ports.config.limits.maxStoredResponseBytes, now: () => ports.now() };
}

function unitStats(runs: ReadonlyArray<{ passed: boolean; durationMs: number; startedAtMs: number }>): LatencyStats {
  const recorder = new StatsRecorder();
  for (const r of runs) recorder.record(r.startedAtMs, r.durationMs, r.passed);
  return recorder.snapshot();
}

async function writeSummary(
  ports: HarnessPorts,
  testId: string,
  runId: string,
  mode: string,
  stats: LatencyStats,
  extra: { startedAt: string; failureReasons: string[]; stopped?: boolean; targetRps?: number },
): Promise<SummaryItem> {
  const now = ports.now();
  const item: SummaryItem = {
    ...summaryKey(testId, runId),
    kind: 'summary',
    runId,
    mode,
    ...summarize(stats),
    ...(extra.targetRps !== undefined ? { targetRps: Math.round(extra.targetRps * 100) / 100 } : {}),
    stopped: extra.stopped ?? false,
    failureReasons: extra.failureReasons.slice(0, 10),
    startedAt: extra.startedAt,
    endedAt: new Date(now).toISOString(),
    expiresAt: expiresAtFor(now, ports.config.resultTtlDays),
  };
  await ports.put(item);
  return item;
}

/** A unit test (the original protocol); part of a load test by count when the event carries its run. */
export async function unitTest(test: UnitTestEvent, ports: HarnessPorts): Promise<ResultItem> {
  checkTable(test, ports.config);
  const arn = allowedFunction(test.function, ports.config.allowedFunctions);
  const runId = test.runId ?? ports.newRunId();
  const run = await runUnit(test, arn, ports.invokeSync, runOptions(ports, runId, test.iteration ?? 0));
  await ports.put(run.item);
  ports.metric(run.passed ? HARNESS_METRICS.testsPassed : HARNESS_METRICS.testsFailed, 'Count', 1);
  ports.metric(HARNESS_METRICS.latency, 'Milliseconds', run.durationMs);
  if (test.runId !== undefined && test.total !== undefined) {
    const pending = await ports.addPending(runKey(test.testId, test.runId), -1);
    if (pending === 0) await finishCountRun(test.testId, test.runId, ports);
  }
  return run.item;
}

async function finishCountRun(testId: string, runId: string, ports: HarnessPorts): Promise<SummaryItem> {
  const run = await ports.get(runKey(testId, runId));
  const results = (await ports.query(testId, resultPrefix(runId))) as ResultItem[];
  const stats = unitStats(results.map((r) => ({ passed: r.passed, durationMs: r.durationMs, startedAtMs: Date.parse(r.startedAt) })));
  return writeSummary(ports, testId, runId, 'load-count', stats, {
    startedAt: run?.startedAt ?? new Date(stats.firstStart).toISOString(),
    failureReasons: results.filter((r) => !r.passed).map((r) => r.reason ?? 'failed'),
  });
}

/** The original load test: `iterations` asynchronous invocations of `function` with the unit event. */
export async function countLoad(load: CountLoadEvent, ports: HarnessPorts): Promise<{ testId: string; runId: string; iterations: number }> {
  checkTable(load.event, ports.config);
  const target = allowedFunction(load.function, [...ports.config.allowedFunctions, ports.selfArn]);
  allowedFunction(load.event.function, ports.config.allowedFunctions);
  const runId = ports.newRunId();
  const now = ports.now();
  const runItem: RunItem = {
    ...runKey(load.testId, runId),
    kind: 'run',
    runId,
    mode: 'load-count',
    pending: load.iterations,
    startedAt: new Date(now).toISOString(),
    expiresAt: expiresAtFor(now, ports.config.resultTtlDays),
  };
  await ports.put(runItem);
  const iterations = Array.from({ length: load.iterations }, (_, i) => i);
  await mapLimit(iterations, 16, (iteration) =>
    ports.invokeAsync(target, JSON.stringify({ ...load.event, testId: load.testId, runId, iteration, total: load.iterations })),
  );
  return { testId: load.testId, runId, iterations: load.iterations };
}

/** Plans a load test by rate and starts its workers. */
export async function rateLoad(load: RateLoadEvent, ports: HarnessPorts) {
  checkTable(load.event, ports.config);
  allowedFunction(load.event.function, ports.config.allowedFunctions);
  const plan = planLoad(load.phases, ports.config.limits);
  const runId = load.runId ?? ports.newRunId();
  const now = ports.now();
  const runItem: RunItem & { targetRps: number; workers: number } = {
    ...runKey(load.testId, runId),
    kind: 'run',
    runId,
    mode: 'load-rate',
    pending: plan.workers,
    targetRps: plan.meanRate,
    workers: plan.workers,
    startedAt: new Date(now).toISOString(),
    expiresAt: expiresAtFor(now, ports.config.resultTtlDays),
  };
  await ports.put(runItem);
  const startAt = now + START_DELAY_MS;
  const [fromSecond, toSecond] = plan.slices[0];
  const workers = Array.from({ length: plan.workers }, (_, worker) => worker);
  await mapLimit(workers, 16, (worker) => {
    const event: LoadWorkerEvent = { operation: 'load-worker', testId: load.testId, runId, phases: load.phases, event: load.event, worker, workers: plan.workers, startAt, fromSecond, toSecond };
    return ports.invokeAsync(ports.selfArn, JSON.stringify(event));
  });
  return { testId: load.testId, runId, workers: plan.workers, slices: plan.slices.length, plannedRequests: plan.plannedArrivals, targetRps: plan.meanRate };
}

export interface SliceOutcome {
  readonly stats: LatencyStats;
  readonly stopped: boolean;
  readonly handedOver: boolean;
  readonly failures: readonly ResultItem[];
}

/** Sends one worker's arrivals of one slice, reading the stop flag every STOP_POLL_MS. */
export async function runSlice(ev: LoadWorkerEvent, ports: HarnessPorts): Promise<SliceOutcome> {
  const arn = allowedFunction(ev.event.function, ports.config.allowedFunctions);
  const recorder = new StatsRecorder();
  const failures: ResultItem[] = [];
  const failureCap = Math.ceil(ports.config.limits.maxFailedResultsPerRun / ev.workers);
  const inFlight = new Set<Promise<void>>();
  let stopped = false;
  let lastPoll = 0;
  let polling: Promise<void> | undefined;
  const poll = () => {
    if (polling || ports.now() - lastPoll < STOP_POLL_MS) return;
    lastPoll = ports.now();
    polling = ports
      .get(runKey(ev.testId, ev.runId))
      .then((run) => {
        if (shouldStop(run as RunItem | undefined, ports.remainingMs()).stop) stopped = true;
      })
      .catch(() => undefined)
      .finally(() => (polling = undefined));
  };

  // Hand on to the successor before this invocation ends, so a cold start leaves no gap in the arrivals.
  const total = ev.phases.reduce((s, p) => s + p.duration, 0);
  const next = nextSlice(total, ev.toSecond, ports.config.limits.sliceSeconds);
  let handedOver = false;
  let handOver: Promise<void> | undefined;
  const handOverAt = ev.startAt + handOverSecond(ev.fromSecond, ev.toSecond) * 1000;

  for (const { k, at } of workerArrivals(ev.phases, ev.worker, ev.workers, ev.fromSecond, ev.toSecond)) {
    const due = ev.startAt + at * 1000;
    for (;;) {
      poll();
      if (next && !handedOver && !stopped && ports.now() >= handOverAt) {
        handedOver = true;
        handOver = ports.invokeAsync(ports.selfArn, JSON.stringify({ ...ev, fromSecond: next[0], toSecond: next[1] }));
      }
      const wait = due - ports.now();
      if (stopped || wait <= 0) break;
      await ports.sleep(Math.min(wait, 100));
    }
    if (stopped) break;
    const unit = runUnit({ ...ev.event, testId: ev.testId }, arn, ports.invokeSync, runOptions(ports, ev.runId, k)).then((run: UnitRun) => {
      recorder.record(run.startedAtMs, run.durationMs, run.passed);
      if (!run.passed && failures.length < failureCap) failures.push(run.item);
    });
    inFlight.add(unit);
    void unit.finally(() => inFlight.delete(unit));
  }
  if (next && !handedOver && !stopped) {
    handedOver = true;
    handOver = ports.invokeAsync(ports.selfArn, JSON.stringify({ ...ev, fromSecond: next[0], toSecond: next[1] }));
  }
  await Promise.all([...inFlight]);
  await handOver;
  return { stats: recorder.snapshot(), stopped, handedOver, failures };
}

/** A worker slice: send, store its part and failures, and finish the run when it was the last chain. */
export async function loadWorker(ev: LoadWorkerEvent, ports: HarnessPorts) {
  const outcome = await runSlice(ev, ports);
  const slice = Math.round(ev.fromSecond / ports.config.limits.sliceSeconds);
  const now = ports.now();
  await ports.put({
    ...partKey(ev.testId, ev.runId, ev.worker, slice),
    kind: 'part',
    runId: ev.runId,
    stats: { ...outcome.stats, firstStart: Number.isFinite(outcome.stats.firstStart) ? outcome.stats.firstStart : 0 },
    stopped: outcome.stopped,
    failureReasons: outcome.failures.map((f) => f.reason ?? 'failed').slice(0, 10),
    expiresAt: expiresAtFor(now, ports.config.resultTtlDays),
  });
  for (const failure of outcome.failures) await ports.put(failure);
  ports.metric(HARNESS_METRICS.loadRequests, 'Count', outcome.stats.count);
  ports.metric(HARNESS_METRICS.loadErrors, 'Count', outcome.stats.count - outcome.stats.passed);
  let summary: SummaryItem | undefined;
  if (!outcome.handedOver) {
    const pending = await ports.addPending(runKey(ev.testId, ev.runId), -1);
    if (pending === 0) summary = await finishRateRun(ev.testId, ev.runId, ports);
  }
  return { worker: ev.worker, fromSecond: ev.fromSecond, toSecond: ev.toSecond, ...summarize(outcome.stats), stopped: outcome.stopped, summary };
}

async function finishRateRun(testId: string, runId: string, ports: HarnessPorts): Promise<SummaryItem> {
  const run = await ports.get(runKey(testId, runId));
  const parts = await ports.query(testId, partPrefix(runId));
  const stats = mergeStats(parts.map((p) => ({ ...p.stats, firstStart: p.stats.count > 0 ? p.stats.firstStart : Number.POSITIVE_INFINITY }) as LatencyStats));
  return writeSummary(ports, testId, runId, 'load-rate', stats, {
    startedAt: run?.startedAt ?? new Date(ports.now()).toISOString(),
    failureReasons: parts.flatMap((p) => p.failureReasons ?? []),
    stopped: parts.some((p) => p.stopped === true) || run?.stopRequested === true,
    targetRps: typeof run?.targetRps === 'number' ? run.targetRps : undefined,
  });
}

/** Raises a run's stop flag; its workers end within about a second of reading it. */
export async function stopRun(ev: StopEvent, ports: HarnessPorts) {
  const found = await ports.requestStop(runKey(ev.testId, ev.runId));
  if (!found) throw new HarnessInputError('stop event', [`there is no run '${ev.runId}' of test '${ev.testId}' in the results table`]);
  return { testId: ev.testId, runId: ev.runId, stopRequested: true };
}

/** A suite of unit tests, run together, with one summary (the gate and the monitoring schedule run this). */
export async function runSuite(suite: Pick<SuiteEvent, 'testId' | 'tests'>, ports: HarnessPorts): Promise<SummaryItem & { failures: ResultItem[] }> {
  for (const test of suite.tests) {
    checkTable(test, ports.config);
    allowedFunction(test.function, ports.config.allowedFunctions);
  }
  const runId = ports.newRunId();
  const startedAt = new Date(ports.now()).toISOString();
  const runs = await mapLimit(suite.tests, 4, async (test, i) => {
    const run = await runUnit({ ...test, testId: suite.testId }, allowedFunction(test.function, ports.config.allowedFunctions), ports.invokeSync, runOptions(ports, runId, i));
    await ports.put(run.item);
    ports.metric(HARNESS_METRICS.latency, 'Milliseconds', run.durationMs);
    return run;
  });
  const failed = runs.filter((r) => !r.passed);
  ports.metric(HARNESS_METRICS.testsPassed, 'Count', runs.length - failed.length);
  ports.metric(HARNESS_METRICS.testsFailed, 'Count', failed.length);
  const summary = await writeSummary(ports, suite.testId, runId, 'unit-suite', unitStats(runs), {
    startedAt,
    failureReasons: failed.map((r) => `${suite.tests[r.item.iteration]?.name ?? `${r.item.function}#${r.item.iteration}`}: ${r.item.reason ?? 'failed'}`),
  });
  return { ...summary, failures: failed.map((r) => r.item) };
}

export type HarnessAnswer = ResultItem | RunSummary | Record<string, unknown>;

/** Dispatches a parsed event. */
export function handle(event: HarnessEvent, ports: HarnessPorts): Promise<HarnessAnswer> {
  switch (event.operation) {
    case 'unit':
      return unitTest(event, ports);
    case 'load':
      return event.kind === 'count' ? countLoad(event, ports) : rateLoad(event, ports);
    case 'load-worker':
      return loadWorker(event, ports);
    case 'stop':
      return stopRun(event, ports);
    case 'suite':
      return runSuite(event, ports);
  }
}
