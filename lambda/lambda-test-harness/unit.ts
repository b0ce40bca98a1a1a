/**
 * One unit test: invoke the function under test with its event, judge the answer, shape the result item.
 * The invoke itself is a port (index.ts gives the Lambda client), so this stays pure and testable.
 */
import { createHash } from 'crypto';
import type { UnitTestEvent } from '../../contracts/lambda-test-harness/events';
import { HarnessInputError } from '../../contracts/lambda-test-harness/events';
import { expiresAtFor, resultKey, ResultItem } from '../../contracts/lambda-test-harness/results';
import { judge, UnitOutcome } from './expectations';

/** A synchronous invoke's answer, as the Lambda API reports it. */
export interface InvokeAnswer {
  readonly statusCode?: number;
  readonly functionError?: string;
  readonly payload: string;
}

export type InvokeSync = (functionName: string, payload: string) => Promise<InvokeAnswer>;

/** The name of a function from its name, ARN or partial ARN (`123456789012:function:name`), without qualifier. */
export function functionNameOf(nameOrArn: string): string {
  const m = /(?:^|:)function:([^:]+)/.exec(nameOrArn);
  return m ? m[1] : nameOrArn.split(':')[0];
}

/**
 * The allowed function `requested` names (by name or ARN), as the ARN to invoke; throws naming the
 * allowed functions when it is not one of them (the harness invokes only the functions it was given).
 */
export function allowedFunction(requested: string, allowed: readonly string[]): string {
  const name = functionNameOf(requested);
  const match = allowed.find((arn) => arn === requested || functionNameOf(arn) === name);
  if (!match) {
    throw new HarnessInputError('function', [
      `'${requested}' is not one of the functions this harness may invoke (${allowed.map(functionNameOf).join(', ')}): add it to the construct's functions`,
    ]);
  }
  return match;
}

export interface UnitRun {
  readonly item: ResultItem;
  readonly passed: boolean;
  readonly durationMs: number;
  readonly startedAtMs: number;
}

export interface UnitRunOptions {
  readonly runId: string;
  readonly iteration: number;
  readonly ttlDays: number;
  readonly maxStoredResponseBytes: number;
  readonly now?: () => number;
  readonly clock?: () => number;
}

/** What the invoke's error says (`ResourceNotFoundException`, `TooManyRequestsException`, a network error). */
function errorOutcome(error: unknown): Pick<UnitOutcome, 'errorType' | 'errorMessage'> {
  const e = error as { name?: string; message?: string };
  return { errorType: e?.name ?? 'Error', errorMessage: e?.message ?? String(error) };
}

/** A function error's payload `{ errorType, errorMessage }` (Lambda's shape) names what the function threw. */
function functionErrorOutcome(answer: InvokeAnswer): Pick<UnitOutcome, 'errorType' | 'errorMessage'> {
  try {
    const parsed = JSON.parse(answer.payload);
    if (parsed && typeof parsed.errorType === 'string') return { errorType: parsed.errorType, errorMessage: String(parsed.errorMessage ?? '') };
  } catch {
    // not JSON: report the function error kind only
  }
  return { errorType: answer.functionError ?? 'FunctionError', errorMessage: 'the function failed' };
}

export async function runUnit(test: UnitTestEvent, functionArn: string, invoke: InvokeSync, options: UnitRunOptions): Promise<UnitRun> {
  const clock = options.clock ?? (() => performance.now());
  const startedAtMs = (options.now ?? Date.now)();
  const started = clock();
  let outcome: UnitOutcome;
  try {
    const answer = await invoke(functionArn, JSON.stringify(test.event ?? {}));
    const durationMs = clock() - started;
    outcome = answer.functionError
      ? { invokeStatus: answer.statusCode, ...functionErrorOutcome(answer), payload: answer.payload, durationMs }
      : { invokeStatus: answer.statusCode, payload: answer.payload, durationMs };
  } catch (error) {
    outcome = { ...errorOutcome(error), payload: '', durationMs: clock() - started };
  }
  const verdict = judge(outcome, test.expect);
  const payloadBytes = Buffer.byteLength(outcome.payload);
  const stored = test.includeResponse ? Buffer.from(outcome.payload).subarray(0, options.maxStoredResponseBytes).toString('utf8') : undefined;
  const item: ResultItem = {
    ...resultKey(test.testId, options.runId, options.iteration),
    kind: 'result',
    runId: options.runId,
    iteration: options.iteration,
    function: test.function,
    passed: verdict.passed,
    ...(verdict.reason ? { reason: verdict.reason } : {}),
    ...(verdict.statusCode !== undefined ? { statusCode: verdict.statusCode } : {}),
    ...(outcome.errorType ? { errorType: outcome.errorType } : {}),
    durationMs: Math.round(outcome.durationMs * 10) / 10,
    responseBytes: payloadBytes,
    responseSha256: createHash('sha256').update(outcome.payload).digest('hex'),
    ...(stored !== undefined ? { response: stored, responseTruncated: payloadBytes > options.maxStoredResponseBytes } : {}),
    startedAt: new Date(startedAtMs).toISOString(),
    expiresAt: expiresAtFor(startedAtMs, options.ttlDays),
  };
  return { item, passed: verdict.passed, durationMs: outcome.durationMs, startedAtMs };
}
