/**
 * The harness's events. The original "Simple Serverless Test Harness" protocol is accepted unchanged:
 *
 *   unit:  { "operation": "unit", "function": "<function under test>", "resultsTable": "<table>", "testId": "MyTestRun", "event": { ... } }
 *   load:  { "operation": "load", "iterations": 100, "function": "<the harness>", "event": { <a unit event> } }
 *   HTTPS: { "options": { "host": "...", "path": "/prod/ImageProcessingService", "method": "POST" }, "data": { "operation": "getSample" } }
 *
 * and extended (every extension optional): expectations on a unit test, a load test by rate with ramp
 * phases, a stop request, a suite of unit tests. Parsers return the event or throw {@link HarnessInputError}
 * listing every problem, each saying what to change.
 */
import { HarnessLimits } from './config';

/** An event the harness (or the invoker) refuses; `problems` lists what to change. */
export class HarnessInputError extends Error {
  public readonly problems: readonly string[];
  constructor(what: string, problems: readonly string[]) {
    super(`invalid ${what}:\n- ${problems.join('\n- ')}`);
    this.name = 'HarnessInputError';
    this.problems = problems;
  }
}

/** A check on the JSON the function (or endpoint) answered. `path` is `$`, `$.a.b`, `$.items[0].id`. */
export interface JsonExpectation {
  readonly path: string;
  /** The value there must equal this (deep equality). */
  readonly equals?: unknown;
  /** The value there must contain this: a substring of a string, an element of an array, a subset of an object. */
  readonly contains?: unknown;
}

/** What makes a unit test pass. Without any, a test passes when the function did not fail and no status ≥ 400 came back. */
export interface Expectations {
  /** The status code: the `statusCode` of an HTTP-shaped answer (the invoker's, API Gateway's), else Lambda's. */
  readonly statusCode?: number;
  /** Checks on the answer's JSON; an HTTP-shaped answer's JSON `body` is parsed in place (`$.body.message`). */
  readonly json?: readonly JsonExpectation[];
  /** The test fails when it takes longer (milliseconds, invocation to answer). */
  readonly maxLatencyMs?: number;
}

export interface UnitTestEvent {
  readonly operation: 'unit';
  /** Name or ARN of the function under test; it must be one the harness was given. */
  readonly function: string;
  /** The original protocol's table name; when given it must be the harness's table. */
  readonly resultsTable?: string;
  readonly testId: string;
  /** A name for the test within its suite (failure reasons show it). */
  readonly name?: string;
  /** The event the function under test receives. */
  readonly event: unknown;
  readonly expect?: Expectations;
  /** Keep the answer (capped) in the result item, besides its size and hash. */
  readonly includeResponse: boolean;
  /** Set by a load test by count: the run and the iteration this test belongs to. */
  readonly runId?: string;
  readonly iteration?: number;
  /** Set by a load test by count: how many iterations the run has (the last one written writes the summary). */
  readonly total?: number;
}

/** One arrival phase, as artillery's: `arrivalRate` per second for `duration` seconds, ramping linearly to `rampTo`. */
export interface LoadPhase {
  readonly duration: number;
  readonly arrivalRate: number;
  readonly rampTo?: number;
}

/** The original load test: `iterations` asynchronous invocations of `function` (the harness) with `event`. */
export interface CountLoadEvent {
  readonly operation: 'load';
  readonly kind: 'count';
  readonly iterations: number;
  readonly function: string;
  readonly event: UnitTestEvent;
  readonly testId: string;
}

/** A load test by rate: the unit test `event` run at the phases' rates, fanned out over workers. */
export interface RateLoadEvent {
  readonly operation: 'load';
  readonly kind: 'rate';
  readonly phases: readonly LoadPhase[];
  readonly event: UnitTestEvent;
  readonly testId: string;
  /** Given by the caller to know the run's keys in advance (stop it, read its summary); else generated. */
  readonly runId?: string;
}

/** Internal: one worker's slice of a load test by rate (sent by the harness to itself). */
export interface LoadWorkerEvent {
  readonly operation: 'load-worker';
  readonly testId: string;
  readonly runId: string;
  readonly phases: readonly LoadPhase[];
  readonly event: UnitTestEvent;
  /** This worker's index and the number of workers: it sends arrivals k with k mod workers = worker. */
  readonly worker: number;
  readonly workers: number;
  /** Epoch ms at which the run's time 0 is. */
  readonly startAt: number;
  /** Seconds of run time this slice covers: [fromSecond, toSecond). */
  readonly fromSecond: number;
  readonly toSecond: number;
}

/** Stops a running load test within seconds: its workers read the flag at least every second. */
export interface StopEvent {
  readonly operation: 'stop';
  readonly testId: string;
  readonly runId: string;
}

/** A named suite of unit tests run together (the deploy gate, the monitoring schedule, or on demand). */
export interface SuiteEvent {
  readonly operation: 'suite';
  readonly testId: string;
  readonly tests: readonly UnitTestEvent[];
}

export type HarnessEvent = UnitTestEvent | CountLoadEvent | RateLoadEvent | LoadWorkerEvent | StopEvent | SuiteEvent;

/** The suite the gate function runs (its environment). */
export interface TestSuite {
  readonly testId: string;
  readonly tests: readonly UnitTestEvent[];
}

const isObject = (value: unknown): value is Record<string, any> => typeof value === 'object' && value !== null && !Array.isArray(value);
const ID = /^[A-Za-z0-9._:-]{1,128}$/;
/** A test or run id: 1 to 128 letters, digits, '.', '_', ':' or '-'. */
export const isTestId = (value: unknown): boolean => typeof value === 'string' && ID.test(value);

function checkId(problems: string[], name: string, value: unknown, required: boolean): void {
  if (value === undefined && !required) return;
  if (!isTestId(value)) {
    problems.push(`${name} must be 1 to 128 letters, digits, '.', '_', ':' or '-' (got ${JSON.stringify(value)})`);
  }
}

const JSON_PATH = /^\$((\.[A-Za-z_$][\w$-]*)|(\[\d+\])|(\["[^"]*"\]))*$/;
/** A JSON path the expectations understand: `$`, `$.a.b`, `$.items[0]`, `$["a b"]`. */
export const isJsonPath = (value: unknown): boolean => typeof value === 'string' && JSON_PATH.test(value);

function checkExpectations(problems: string[], where: string, value: unknown): void {
  if (value === undefined) return;
  if (!isObject(value)) {
    problems.push(`${where}expect must be an object with statusCode, json and/or maxLatencyMs`);
    return;
  }
  const known = ['statusCode', 'json', 'maxLatencyMs'];
  for (const key of Object.keys(value)) if (!known.includes(key)) problems.push(`${where}expect.${key} is not an expectation (use ${known.join(', ')})`);
  if (value.statusCode !== undefined && (!Number.isInteger(value.statusCode) || value.statusCode < 100 || value.statusCode > 599)) {
    problems.push(`${where}expect.statusCode must be an HTTP status code from 100 to 599 (got ${JSON.stringify(value.statusCode)})`);
  }
  if (value.maxLatencyMs !== undefined && (typeof value.maxLatencyMs !== 'number' || !(value.maxLatencyMs > 0))) {
    problems.push(`${where}expect.maxLatencyMs must be a positive number of milliseconds (got ${JSON.stringify(value.maxLatencyMs)})`);
  }
  if (value.json !== undefined) {
    if (!Array.isArray(value.json)) {
      problems.push(`${where}expect.json must be an array of { path, equals | contains }`);
    } else {
      value.json.forEach((check: unknown, i: number) => {
        const at = `${where}expect.json[${i}]`;
        if (!isObject(check) || !isJsonPath(check.path)) {
          problems.push(`${at}.path must be a JSON path such as $.body.message or $.items[0] (got ${JSON.stringify(isObject(check) ? check.path : check)})`);
          return;
        }
        if (('equals' in check) === ('contains' in check)) problems.push(`${at} needs exactly one of equals or contains`);
      });
    }
  }
}

function unitProblems(value: unknown, where: string, problems: string[]): void {
  if (!isObject(value)) {
    problems.push(`${where || 'the event'} must be a JSON object`);
    return;
  }
  if (value.operation !== 'unit') problems.push(`${where}operation must be "unit" (got ${JSON.stringify(value.operation)})`);
  if (typeof value.function !== 'string' || value.function.length === 0 || value.function.length > 256) {
    problems.push(`${where}function must name the function under test (its name or ARN)`);
  }
  if (value.resultsTable !== undefined && (typeof value.resultsTable !== 'string' || value.resultsTable.length === 0)) {
    problems.push(`${where}resultsTable must be the harness's table name when given`);
  }
  checkId(problems, `${where}testId`, value.testId, false);
  checkId(problems, `${where}runId`, value.runId, false);
  if (value.includeResponse !== undefined && typeof value.includeResponse !== 'boolean') problems.push(`${where}includeResponse must be true or false`);
  for (const field of ['iteration', 'total'] as const) {
    if (value[field] !== undefined && (!Number.isInteger(value[field]) || value[field] < 0)) problems.push(`${where}${field} must be a whole number ≥ 0`);
  }
  checkExpectations(problems, where, value.expect);
}

function toUnit(value: Record<string, any>, defaultTestId?: string): UnitTestEvent {
  return {
    operation: 'unit',
    function: value.function,
    ...(value.resultsTable !== undefined ? { resultsTable: value.resultsTable } : {}),
    testId: value.testId ?? defaultTestId ?? 'unnamed',
    ...(typeof value.name === 'string' ? { name: value.name.slice(0, 128) } : {}),
    event: value.event ?? {},
    ...(value.expect !== undefined ? { expect: value.expect } : {}),
    includeResponse: value.includeResponse === true,
    ...(value.runId !== undefined ? { runId: value.runId } : {}),
    ...(value.iteration !== undefined ? { iteration: value.iteration } : {}),
    ...(value.total !== undefined ? { total: value.total } : {}),
  };
}

function phaseProblems(phases: unknown, limits: HarnessLimits, problems: string[]): void {
  if (!Array.isArray(phases) || phases.length === 0 || phases.length > 20) {
    problems.push('phases must be a list of 1 to 20 { duration, arrivalRate, rampTo? } (seconds, requests per second)');
    return;
  }
  let total = 0;
  phases.forEach((phase: unknown, i) => {
    const at = `phases[${i}]`;
    if (!isObject(phase)) {
      problems.push(`${at} must be { duration, arrivalRate, rampTo? }`);
      return;
    }
    if (!Number.isInteger(phase.duration) || phase.duration < 1) problems.push(`${at}.duration must be a whole number of seconds ≥ 1 (got ${JSON.stringify(phase.duration)})`);
    else total += phase.duration;
    for (const field of ['arrivalRate', 'rampTo'] as const) {
      const rate = phase[field];
      if (rate === undefined && field === 'rampTo') continue;
      if (typeof rate !== 'number' || !Number.isFinite(rate) || rate < 0) {
        problems.push(`${at}.${field} must be a number of requests per second ≥ 0 (got ${JSON.stringify(rate)})`);
      } else if (rate > limits.maxRate) {
        problems.push(`${at}.${field} ${rate} exceeds this harness's maxRate of ${limits.maxRate} requests per second (raise maxRate on the construct)`);
      }
    }
  });
  if (total > limits.maxDurationSeconds) {
    problems.push(`the phases last ${total} s, more than this harness's maxDuration of ${limits.maxDurationSeconds} s (raise maxDuration on the construct)`);
  }
}

/** Parses a unit test event (the original protocol plus expectations). */
export function parseUnitEvent(value: unknown): UnitTestEvent {
  const problems: string[] = [];
  unitProblems(value, '', problems);
  if (problems.length > 0) throw new HarnessInputError('unit test event', problems);
  return toUnit(value as Record<string, any>);
}

/** Parses any event the harness accepts, against its caps. */
export function parseHarnessEvent(value: unknown, limits: HarnessLimits): HarnessEvent {
  if (!isObject(value)) throw new HarnessInputError('harness event', ['the event must be a JSON object with an operation: unit, load, stop or suite']);
  const problems: string[] = [];
  switch (value.operation) {
    case 'unit':
      return parseUnitEvent(value);
    case 'load': {
      unitProblems(value.event, 'event.', problems);
      checkId(problems, 'testId', value.testId, false);
      checkId(problems, 'runId', value.runId, false);
      const byRate = value.phases !== undefined || value.rate !== undefined;
      if (byRate && value.iterations !== undefined) problems.push('give either iterations (a load test by count) or phases/rate (by rate), not both');
      if (!byRate) {
        if (!Number.isInteger(value.iterations) || value.iterations < 1) {
          problems.push(`iterations must be a whole number ≥ 1 (got ${JSON.stringify(value.iterations)})`);
        } else if (value.iterations > limits.maxIterations) {
          problems.push(`iterations ${value.iterations} exceeds this harness's maxIterations of ${limits.maxIterations} (raise maxIterations on the construct)`);
        }
        if (typeof value.function !== 'string' || value.function.length === 0) problems.push('function must name the function each iteration invokes (the harness itself, as in the original protocol)');
        if (problems.length > 0) throw new HarnessInputError('load test event', problems);
        const event = toUnit(value.event, value.testId);
        return { operation: 'load', kind: 'count', iterations: value.iterations, function: value.function, event, testId: value.testId ?? event.testId };
      }
      let phases = value.phases;
      if (value.rate !== undefined) {
        if (value.phases !== undefined) problems.push('give either rate and duration, or phases, not both');
        phases = [{ duration: value.duration, arrivalRate: value.rate }];
      }
      phaseProblems(phases, limits, problems);
      if (problems.length > 0) throw new HarnessInputError('load test event', problems);
      const event = toUnit(value.event, value.testId);
      return {
        operation: 'load',
        kind: 'rate',
        phases: phases.map((p: LoadPhase) => ({ duration: p.duration, arrivalRate: p.arrivalRate, ...(p.rampTo !== undefined ? { rampTo: p.rampTo } : {}) })),
        event,
        testId: value.testId ?? event.testId,
        ...(value.runId !== undefined ? { runId: value.runId } : {}),
      };
    }
    case 'load-worker': {
      unitProblems(value.event, 'event.', problems);
      checkId(problems, 'testId', value.testId, true);
      checkId(problems, 'runId', value.runId, true);
      phaseProblems(value.phases, limits, problems);
      const whole = (name: string, min: number) => {
        if (!Number.isInteger(value[name]) || value[name] < min) problems.push(`${name} must be a whole number ≥ ${min}`);
      };
      whole('worker', 0);
      whole('workers', 1);
      whole('startAt', 0);
      whole('fromSecond', 0);
      whole('toSecond', 1);
      if (problems.length === 0 && value.worker >= value.workers) problems.push('worker must be less than workers');
      if (problems.length > 0) throw new HarnessInputError('load worker event', problems);
      return { ...(value as LoadWorkerEvent), event: toUnit(value.event, value.testId) };
    }
    case 'stop':
      checkId(problems, 'testId', value.testId, true);
      checkId(problems, 'runId', value.runId, true);
      if (problems.length > 0) throw new HarnessInputError('stop event', problems);
      return { operation: 'stop', testId: value.testId, runId: value.runId };
    case 'suite':
      return { operation: 'suite', ...parseSuite(value) };
    default:
      throw new HarnessInputError('harness event', [`operation must be unit, load, stop or suite (got ${JSON.stringify(value.operation)})`]);
  }
}

/** Parses a suite of unit tests (a `suite` event, or the gate's environment). */
export function parseSuite(value: unknown): TestSuite {
  const problems: string[] = [];
  if (!isObject(value)) throw new HarnessInputError('test suite', ['the suite must be a JSON object { testId, tests: [unit events] }']);
  checkId(problems, 'testId', value.testId, true);
  if (!Array.isArray(value.tests) || value.tests.length === 0 || value.tests.length > 100) {
    problems.push('tests must list 1 to 100 unit test events');
  } else {
    value.tests.forEach((test: unknown, i: number) => unitProblems(isObject(test) ? { operation: 'unit', ...test } : test, `tests[${i}].`, problems));
  }
  if (problems.length > 0) throw new HarnessInputError('test suite', problems);
  return { testId: value.testId, tests: value.tests.map((test: Record<string, any>) => toUnit({ operation: 'unit', ...test }, value.testId)) };
}

/** The HTTPS invoker's event (the original protocol). */
export interface InvokerEvent {
  readonly options: {
    readonly host: string;
    readonly path: string;
    readonly method: string;
    readonly port?: number;
    readonly headers?: Readonly<Record<string, string>>;
    /** `https:` (the only one the construct allows) or, for tests only, `http:`. */
    readonly protocol?: string;
  };
  /** Sent as the JSON body (a string is sent as it is). */
  readonly data?: unknown;
}

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

/** Parses the invoker's event. */
export function parseInvokerEvent(value: unknown): InvokerEvent {
  const problems: string[] = [];
  if (!isObject(value) || !isObject(value.options)) {
    throw new HarnessInputError('HTTPS invoker event', ['the event must be { "options": { "host", "path", "method" }, "data": ... }']);
  }
  const o = value.options;
  if (typeof o.host !== 'string' || o.host.length === 0 || o.host.length > 253 || /[\s/:@]/.test(o.host)) {
    problems.push(`options.host must be a host name without scheme, port or path (got ${JSON.stringify(o.host)})`);
  }
  if (typeof o.path !== 'string' || !o.path.startsWith('/') || /[\s]/.test(o.path)) problems.push(`options.path must start with / (got ${JSON.stringify(o.path)})`);
  const method = typeof o.method === 'string' ? o.method.toUpperCase() : o.method === undefined ? 'GET' : o.method;
  if (!METHODS.includes(method)) problems.push(`options.method must be one of ${METHODS.join(', ')} (got ${JSON.stringify(o.method)})`);
  if (o.port !== undefined && (!Number.isInteger(o.port) || o.port < 1 || o.port > 65535)) problems.push('options.port must be a port number from 1 to 65535');
  if (o.protocol !== undefined && o.protocol !== 'https:' && o.protocol !== 'http:') problems.push(`options.protocol must be "https:" (got ${JSON.stringify(o.protocol)})`);
  if (o.headers !== undefined && (!isObject(o.headers) || Object.values(o.headers).some((h) => typeof h !== 'string'))) {
    problems.push('options.headers must be an object of string values');
  }
  if (problems.length > 0) throw new HarnessInputError('HTTPS invoker event', problems);
  return {
    options: {
      host: o.host.toLowerCase(),
      path: o.path,
      method,
      ...(o.port !== undefined ? { port: o.port } : {}),
      ...(o.headers !== undefined ? { headers: o.headers } : {}),
      ...(o.protocol !== undefined ? { protocol: o.protocol } : {}),
    },
    ...('data' in value ? { data: value.data } : {}),
  };
}
