/**
 * The results table: its key schema (the construct creates it, or checks the user's), and the items the
 * harness writes. One partition per test id; within it, items sort by run:
 *
 *   sk = run#<runId>                       the run item: state, stop flag, workers still running
 *   sk = run#<runId>#result#<iteration>    one unit test's result (zero-padded iteration)
 *   sk = run#<runId>#part#<worker>#<slice> one load worker slice's statistics (merged into the summary)
 *   sk = run#<runId>#summary               the run's summary, written once when it ends
 */

export const RESULTS_TABLE_KEY = { partitionKey: 'testId', sortKey: 'sk' } as const;
/** DynamoDB's TTL attribute (epoch seconds). */
export const RESULTS_TTL_ATTRIBUTE = 'expiresAt';

export const runKey = (testId: string, runId: string) => ({ testId, sk: `run#${runId}` });
export const resultKey = (testId: string, runId: string, iteration: number) => ({ testId, sk: `run#${runId}#result#${String(iteration).padStart(8, '0')}` });
export const partKey = (testId: string, runId: string, worker: number, slice: number) => ({
  testId,
  sk: `run#${runId}#part#${String(worker).padStart(4, '0')}#${String(slice).padStart(4, '0')}`,
});
export const summaryKey = (testId: string, runId: string) => ({ testId, sk: `run#${runId}#summary` });
export const resultPrefix = (runId: string) => `run#${runId}#result#`;
export const partPrefix = (runId: string) => `run#${runId}#part#`;

/** One unit test's outcome. */
export interface ResultItem {
  readonly testId: string;
  readonly sk: string;
  readonly kind: 'result';
  readonly runId: string;
  readonly iteration: number;
  /** The function under test (as the event named it). */
  readonly function: string;
  readonly passed: boolean;
  /** Why it failed, when it did (an expectation, an error). */
  readonly reason?: string;
  /** The HTTP-shaped answer's statusCode, else Lambda's invoke status. */
  readonly statusCode?: number;
  /** `FunctionError` (Unhandled/Handled), or the invoke error's name (ResourceNotFoundException, TimeoutError...). */
  readonly errorType?: string;
  readonly durationMs: number;
  /** Size and SHA-256 of the answer's payload; never the payload itself unless `includeResponse` asked for it. */
  readonly responseBytes: number;
  readonly responseSha256: string;
  /** The answer, cut to the harness's maxStoredResponseBytes, only with `includeResponse`. */
  readonly response?: string;
  readonly responseTruncated?: boolean;
  /** ISO time the test started. */
  readonly startedAt: string;
  readonly expiresAt: number;
}

/** A run's summary: latencies in milliseconds. */
export interface RunSummary {
  readonly count: number;
  readonly passed: number;
  readonly failed: number;
  readonly p50: number;
  readonly p90: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
  /** Requests started per second over the run's sending window. */
  readonly achievedRps: number;
}

export interface SummaryItem extends RunSummary {
  readonly testId: string;
  readonly sk: string;
  readonly kind: 'summary';
  readonly runId: string;
  /** `unit-suite`, `load-count` or `load-rate`. */
  readonly mode: string;
  /** The target rate's mean over the phases (load by rate). */
  readonly targetRps?: number;
  /** The run ended early on a stop request. */
  readonly stopped: boolean;
  /** The first few failure reasons, for a quick look. */
  readonly failureReasons: readonly string[];
  readonly startedAt: string;
  readonly endedAt: string;
  readonly expiresAt: number;
}

/** The run item (state of a load test in progress). */
export interface RunItem {
  readonly testId: string;
  readonly sk: string;
  readonly kind: 'run';
  readonly runId: string;
  readonly mode: string;
  /** Load by rate: worker chains still running; load by count: iterations still to report. */
  readonly pending: number;
  /** Set by a stop request; workers end within a second or two of reading it. */
  readonly stopRequested?: boolean;
  readonly startedAt: string;
  readonly expiresAt: number;
}

/** Epoch seconds at which an item written at `nowMs` expires. */
export function expiresAtFor(nowMs: number, ttlDays: number): number {
  return Math.floor(nowMs / 1000) + ttlDays * 86_400;
}
