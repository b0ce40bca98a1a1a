/**
 * Judges one unit test's outcome against its expectations: passed, or failed with the reason. Pure.
 */
import type { Expectations, JsonExpectation } from '../../contracts/lambda-test-harness/events';

/** What came back from the function under test (or did not). */
export interface UnitOutcome {
  /** Lambda's invoke status (200 for a synchronous call that ran). Absent when the call itself failed. */
  readonly invokeStatus?: number;
  /** `Unhandled`/`Handled` when the function threw; the SDK error's name when the invoke failed. */
  readonly errorType?: string;
  readonly errorMessage?: string;
  /** The answer's payload as text (JSON for a Lambda function). */
  readonly payload: string;
  readonly durationMs: number;
}

export interface Verdict {
  readonly passed: boolean;
  readonly reason?: string;
  /** The HTTP-shaped answer's statusCode, else the invoke status. */
  readonly statusCode?: number;
}

/** The payload parsed, with an HTTP-shaped answer's JSON `body` parsed in place; undefined when not JSON. */
export function answerOf(payload: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(payload);
  } catch {
    return undefined;
  }
  if (value && typeof value === 'object' && !Array.isArray(value) && typeof (value as any).body === 'string') {
    try {
      return { ...(value as object), body: JSON.parse((value as any).body) };
    } catch {
      return value;
    }
  }
  return value;
}

/** `$.a.b[0]["c d"]` → ['a', 'b', 0, 'c d']. The contract's parser has checked the syntax. */
export function pathSegments(path: string): Array<string | number> {
  const segments: Array<string | number> = [];
  const re = /\.([A-Za-z_$][\w$-]*)|\[(\d+)\]|\["([^"]*)"\]/g;
  for (const m of path.slice(1).matchAll(re)) segments.push(m[1] ?? (m[2] !== undefined ? Number(m[2]) : m[3]));
  return segments;
}

/** The value at `path`, and whether it exists. */
export function valueAt(root: unknown, path: string): { found: boolean; value?: unknown } {
  let current: any = root;
  for (const segment of pathSegments(path)) {
    if (current === null || typeof current !== 'object' || !(segment in current)) return { found: false };
    current = current[segment];
  }
  return { found: true, value: current };
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a as object);
  const kb = Object.keys(b as object);
  return ka.length === kb.length && ka.every((k) => deepEqual((a as any)[k], (b as any)[k]));
}

/** A string contains a substring; an array contains an element equal to it; an object contains a subset. */
export function contains(haystack: unknown, needle: unknown): boolean {
  if (typeof haystack === 'string') return typeof needle === 'string' && haystack.includes(needle);
  if (Array.isArray(haystack)) return haystack.some((item) => deepEqual(item, needle) || (typeof needle === 'object' && needle !== null && contains(item, needle)));
  if (haystack && typeof haystack === 'object' && needle && typeof needle === 'object' && !Array.isArray(needle)) {
    return Object.entries(needle).every(([k, v]) => k in haystack && (deepEqual((haystack as any)[k], v) || contains((haystack as any)[k], v)));
  }
  return false;
}

const show = (value: unknown) => {
  const text = JSON.stringify(value);
  return text === undefined ? 'undefined' : text.length > 80 ? `${text.slice(0, 77)}...` : text;
};

function checkJson(answer: unknown, check: JsonExpectation): string | undefined {
  const at = valueAt(answer, check.path);
  if (!at.found) return `${check.path} is missing from the answer`;
  if ('equals' in check && !deepEqual(at.value, check.equals)) return `${check.path} is ${show(at.value)}, expected ${show(check.equals)}`;
  if ('contains' in check && !contains(at.value, check.contains)) return `${check.path} is ${show(at.value)}, which does not contain ${show(check.contains)}`;
  return undefined;
}

/** Passed or failed, with every failed expectation in the reason. */
export function judge(outcome: UnitOutcome, expect: Expectations = {}): Verdict {
  const answer = answerOf(outcome.payload);
  const httpStatus = answer && typeof answer === 'object' && typeof (answer as any).statusCode === 'number' ? (answer as any).statusCode : undefined;
  const statusCode: number | undefined = httpStatus ?? outcome.invokeStatus;
  const reasons: string[] = [];
  if (outcome.errorType) {
    reasons.push(`${outcome.errorType}${outcome.errorMessage ? `: ${outcome.errorMessage.slice(0, 200)}` : ''}`);
  } else {
    if (expect.statusCode !== undefined) {
      if (statusCode !== expect.statusCode) reasons.push(`status code ${statusCode ?? 'none'}, expected ${expect.statusCode}`);
    } else if (statusCode !== undefined && statusCode >= 400) {
      reasons.push(`status code ${statusCode}`);
    }
    if (expect.json && expect.json.length > 0 && answer === undefined) reasons.push('the answer is not JSON, so its JSON expectations cannot hold');
    else for (const check of expect.json ?? []) {
      const problem = checkJson(answer, check);
      if (problem) reasons.push(problem);
    }
  }
  if (expect.maxLatencyMs !== undefined && outcome.durationMs > expect.maxLatencyMs) {
    reasons.push(`took ${Math.round(outcome.durationMs)} ms, more than maxLatencyMs ${expect.maxLatencyMs}`);
  }
  return { passed: reasons.length === 0, ...(reasons.length > 0 ? { reason: reasons.join('; ') } : {}), ...(statusCode !== undefined ? { statusCode } : {}) };
}
