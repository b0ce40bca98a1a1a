/**
 * What the LambdaTestHarness construct and its three functions (harness, HTTPS invoker, gate) agree on:
 * environment variable names, the caps a run may not exceed, and the parsers the handlers run on their
 * environment at cold start. Pure: the environment is passed in as a plain object.
 */

/** Environment of the harness function (and the gate, which runs the same unit tests). */
export const HARNESS_ENV = {
  /** Name of the results table (the original events may name one; it must be this one). */
  resultsTable: 'HARNESS_RESULTS_TABLE',
  /** JSON array of the ARNs of the functions the harness may invoke (the construct's `functions`, the harness itself, the invoker). */
  allowedFunctions: 'HARNESS_ALLOWED_FUNCTIONS',
  /** JSON of {@link HarnessLimits}. */
  limits: 'HARNESS_LIMITS',
  /** Days a result item lives before DynamoDB's TTL removes it. */
  resultTtlDays: 'HARNESS_RESULT_TTL_DAYS',
  /** The gate's JSON suite ({@link TestSuite}); only the gate function has it. */
  suite: 'HARNESS_SUITE',
} as const;

/** Environment of the HTTPS invoker. */
export const INVOKER_ENV = {
  /** JSON array of the host names the invoker may call (exact, or `*.example.com` for subdomains). */
  allowedHosts: 'INVOKER_ALLOWED_HOSTS',
  /** Whole milliseconds a call may take, connection to last byte. */
  timeoutMs: 'INVOKER_TIMEOUT_MS',
  /** Largest response body, in bytes; a larger one is cut off and reported as an error. */
  maxResponseBytes: 'INVOKER_MAX_RESPONSE_BYTES',
  /**
   * TEST ONLY: `127.0.0.1` lets the invoker reach the loopback address (and plain http) so tests can run it
   * against a local endpoint. The construct never sets it; nothing else is accepted as its value.
   */
  testOnlyAllowLoopback: 'INVOKER_TEST_ONLY_ALLOW_LOOPBACK',
} as const;

/** Metric namespace of the harness's EMF metrics (Powertools); the construct's alarms and dashboard read it. */
export const HARNESS_METRIC_NAMESPACE = 'CdkComputePatterns/LambdaTestHarness';
/** Metric names the handlers emit (dimension `service`: the construct's service name). */
export const HARNESS_METRICS = {
  testsPassed: 'TestsPassed',
  testsFailed: 'TestsFailed',
  latency: 'TestLatency',
  loadRequests: 'LoadRequests',
  loadErrors: 'LoadErrors',
} as const;

/** Caps of one harness: what a single event may ask for. */
export interface HarnessLimits {
  /** Most `iterations` of a load test by count (each is one asynchronous invocation of the harness). */
  readonly maxIterations: number;
  /** Highest target rate, requests per second, over all workers of a load test by rate. */
  readonly maxRate: number;
  /** Longest load test by rate, in seconds (all phases). */
  readonly maxDurationSeconds: number;
  /** Requests per second one harness invocation (a worker) sends; a higher rate is fanned out over more workers. */
  readonly ratePerWorker: number;
  /** Seconds one worker invocation runs before it hands on to the next (chaining past Lambda's 15 minutes). */
  readonly sliceSeconds: number;
  /** Bytes of a response a result item may keep when the test asks for it (`includeResponse`). */
  readonly maxStoredResponseBytes: number;
  /** Failed results a load test by rate writes one by one (the rest are counted in the summary only). */
  readonly maxFailedResultsPerRun: number;
}

export const DEFAULT_HARNESS_LIMITS: HarnessLimits = {
  maxIterations: 1000,
  maxRate: 100,
  maxDurationSeconds: 3600,
  ratePerWorker: 50,
  sliceSeconds: 600,
  maxStoredResponseBytes: 4096,
  maxFailedResultsPerRun: 100,
};

/** Bounds of the caps themselves (what the construct accepts). */
export const HARNESS_LIMIT_BOUNDS: { readonly [K in keyof HarnessLimits]: readonly [number, number] } = {
  maxIterations: [1, 100_000],
  maxRate: [1, 10_000],
  maxDurationSeconds: [1, 86_400],
  ratePerWorker: [1, 500],
  // A worker's slice plus its wind-down must fit in one 15-minute invocation.
  sliceSeconds: [10, 780],
  maxStoredResponseBytes: [0, 65_536],
  maxFailedResultsPerRun: [0, 10_000],
};

export const DEFAULT_INVOKER_TIMEOUT_MS = 10_000;
export const DEFAULT_INVOKER_MAX_RESPONSE_BYTES = 1_048_576;
/** Lambda's synchronous response limit bounds what the invoker may return. */
export const MAX_INVOKER_RESPONSE_BYTES = 5_000_000;
export const DEFAULT_RESULT_TTL_DAYS = 30;

/** Every problem with `limits` (empty when valid). */
export function harnessLimitsErrors(limits: Partial<HarnessLimits>): string[] {
  const errors: string[] = [];
  for (const [name, [min, max]] of Object.entries(HARNESS_LIMIT_BOUNDS) as Array<[keyof HarnessLimits, readonly [number, number]]>) {
    const value = limits[name];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      errors.push(`${name} must be a whole number from ${min} to ${max} (got ${JSON.stringify(value)})`);
    }
  }
  return errors;
}

/** The harness's configuration as its handler reads it. */
export interface HarnessConfig {
  readonly resultsTable: string;
  readonly allowedFunctions: readonly string[];
  readonly limits: HarnessLimits;
  readonly resultTtlDays: number;
}

function parseJson(name: string, text: string | undefined): unknown {
  if (text === undefined || text === '') throw new Error(`${name} is not set: the function must be deployed by the LambdaTestHarness construct`);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(`${name} is not valid JSON: ${(error as Error).message}`);
  }
}

function stringList(name: string, value: unknown): string[] {
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string' || v.length === 0)) {
    throw new Error(`${name} must be a JSON array of non-empty strings`);
  }
  return value as string[];
}

function wholeNumberEnv(env: Readonly<Record<string, string | undefined>>, name: string, fallback: number, min: number, max: number): number {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) throw new Error(`${name} must be a whole number from ${min} to ${max} (got '${text}')`);
  return value;
}

/** Reads the harness's environment; throws naming the variable that is wrong. */
export function parseHarnessConfig(env: Readonly<Record<string, string | undefined>>): HarnessConfig {
  const resultsTable = env[HARNESS_ENV.resultsTable];
  if (!resultsTable) throw new Error(`${HARNESS_ENV.resultsTable} is not set: the function must be deployed by the LambdaTestHarness construct`);
  const allowedFunctions = stringList(HARNESS_ENV.allowedFunctions, parseJson(HARNESS_ENV.allowedFunctions, env[HARNESS_ENV.allowedFunctions]));
  const given = env[HARNESS_ENV.limits] ? (parseJson(HARNESS_ENV.limits, env[HARNESS_ENV.limits]) as Partial<HarnessLimits>) : {};
  if (!given || typeof given !== 'object' || Array.isArray(given)) throw new Error(`${HARNESS_ENV.limits} must be a JSON object`);
  const errors = harnessLimitsErrors(given);
  if (errors.length > 0) throw new Error(`invalid ${HARNESS_ENV.limits}:\n- ${errors.join('\n- ')}`);
  return {
    resultsTable,
    allowedFunctions,
    limits: { ...DEFAULT_HARNESS_LIMITS, ...given },
    resultTtlDays: wholeNumberEnv(env, HARNESS_ENV.resultTtlDays, DEFAULT_RESULT_TTL_DAYS, 1, 3650),
  };
}

/** The invoker's configuration as its handler reads it. */
export interface InvokerConfig {
  readonly allowedHosts: readonly string[];
  readonly timeoutMs: number;
  readonly maxResponseBytes: number;
  /** TEST ONLY: the loopback address 127.0.0.1 (and http) is reachable. Never set by the construct. */
  readonly allowLoopbackForTests: boolean;
}

/** A host-name pattern of the allow-list: `api.example.com` or `*.example.com` (lower case, no port). */
const HOST_PATTERN = /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** Every problem with an allow-list of hosts (empty when valid). */
export function allowedHostsErrors(hosts: readonly string[]): string[] {
  return hosts.flatMap((host) =>
    HOST_PATTERN.test(host) ? [] : [`allowed host '${host}' must be a lower-case host name such as api.example.com or *.example.com (no scheme, port or path)`],
  );
}

/** Reads the invoker's environment; throws naming the variable that is wrong. */
export function parseInvokerConfig(env: Readonly<Record<string, string | undefined>>): InvokerConfig {
  const allowedHosts = stringList(INVOKER_ENV.allowedHosts, parseJson(INVOKER_ENV.allowedHosts, env[INVOKER_ENV.allowedHosts]));
  const errors = allowedHostsErrors(allowedHosts);
  if (errors.length > 0) throw new Error(`invalid ${INVOKER_ENV.allowedHosts}:\n- ${errors.join('\n- ')}`);
  const loopback = env[INVOKER_ENV.testOnlyAllowLoopback];
  if (loopback !== undefined && loopback !== '' && loopback !== '127.0.0.1') {
    throw new Error(`${INVOKER_ENV.testOnlyAllowLoopback} accepts only '127.0.0.1' (got '${loopback}')`);
  }
  return {
    allowedHosts,
    timeoutMs: wholeNumberEnv(env, INVOKER_ENV.timeoutMs, DEFAULT_INVOKER_TIMEOUT_MS, 100, 900_000),
    maxResponseBytes: wholeNumberEnv(env, INVOKER_ENV.maxResponseBytes, DEFAULT_INVOKER_MAX_RESPONSE_BYTES, 1, MAX_INVOKER_RESPONSE_BYTES),
    allowLoopbackForTests: loopback === '127.0.0.1',
  };
}
