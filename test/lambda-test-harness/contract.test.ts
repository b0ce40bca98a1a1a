/**
 * The harness's contract: the original protocol's three events parse unchanged; bad events and caps get
 * every problem at once, each naming what to change; the environment parsers name the variable.
 */
import {
  DEFAULT_HARNESS_LIMITS,
  HARNESS_ENV,
  INVOKER_ENV,
  parseHarnessConfig,
  parseInvokerConfig,
} from '../../contracts/lambda-test-harness/config';
import { HarnessInputError, parseHarnessEvent, parseInvokerEvent, parseSuite } from '../../contracts/lambda-test-harness/events';
import { SEED_HTTPS, SEED_LOAD, SEED_UNIT } from './fixtures';


const problemsOf = (fn: () => unknown): readonly string[] => {
  try {
    fn();
  } catch (error) {
    if (error instanceof HarnessInputError) return error.problems;
    throw error;
  }
  throw new Error('expected a HarnessInputError');
};

describe('the original protocol, unchanged', () => {
  it('parses the seed unit event', () => {
    expect(parseHarnessEvent(SEED_UNIT, DEFAULT_HARNESS_LIMITS)).toEqual({
      operation: 'unit',
      function: 'ImageProcessingService',
      resultsTable: 'HarnessResults',
      testId: 'MyTestRun',
      event: { operation: 'ping' },
      includeResponse: false,
    });
  });

  it('parses the seed load event as a load test by count', () => {
    expect(parseHarnessEvent(SEED_LOAD, DEFAULT_HARNESS_LIMITS)).toMatchObject({ operation: 'load', kind: 'count', iterations: 100, function: 'TestHarness', testId: 'MyTestRun' });
  });

  it('parses the seed HTTPS invoker event', () => {
    expect(parseInvokerEvent(SEED_HTTPS)).toEqual(SEED_HTTPS);
  });
});

describe('extensions', () => {
  it('reads rate and duration as one phase, and ramps as phases', () => {
    expect(parseHarnessEvent({ operation: 'load', rate: 40, duration: 10, event: SEED_UNIT }, DEFAULT_HARNESS_LIMITS)).toMatchObject({
      kind: 'rate',
      phases: [{ duration: 10, arrivalRate: 40 }],
    });
    const ramp = { operation: 'load', phases: [{ duration: 60, arrivalRate: 5, rampTo: 50 }, { duration: 120, arrivalRate: 50 }], event: SEED_UNIT };
    expect(parseHarnessEvent(ramp, DEFAULT_HARNESS_LIMITS)).toMatchObject({ kind: 'rate', phases: ramp.phases });
  });

  it('parses a suite, filling each test in', () => {
    expect(parseSuite({ testId: 'gate', tests: [{ function: 'f', event: {} }] })).toEqual({
      testId: 'gate',
      tests: [{ operation: 'unit', function: 'f', testId: 'gate', event: {}, includeResponse: false }],
    });
  });
});

describe('refusals list every problem and say what to change', () => {
  it('iterations and rate beyond the caps', () => {
    expect(problemsOf(() => parseHarnessEvent({ ...SEED_LOAD, iterations: 5000 }, DEFAULT_HARNESS_LIMITS))).toEqual([
      "iterations 5000 exceeds this harness's maxIterations of 1000 (raise maxIterations on the construct)",
    ]);
    expect(problemsOf(() => parseHarnessEvent({ operation: 'load', rate: 500, duration: 7200, event: SEED_UNIT }, DEFAULT_HARNESS_LIMITS))).toEqual([
      "phases[0].arrivalRate 500 exceeds this harness's maxRate of 100 requests per second (raise maxRate on the construct)",
      "the phases last 7200 s, more than this harness's maxDuration of 3600 s (raise maxDuration on the construct)",
    ]);
  });

  it('a malformed unit event', () => {
    expect(
      problemsOf(() => parseHarnessEvent({ operation: 'unit', testId: 'a b', expect: { statusCode: 99, json: [{ path: 'body' }], other: 1 } }, DEFAULT_HARNESS_LIMITS)),
    ).toEqual([
      'function must name the function under test (its name or ARN)',
      "testId must be 1 to 128 letters, digits, '.', '_', ':' or '-' (got \"a b\")",
      'expect.other is not an expectation (use statusCode, json, maxLatencyMs)',
      'expect.statusCode must be an HTTP status code from 100 to 599 (got 99)',
      'expect.json[0].path must be a JSON path such as $.body.message or $.items[0] (got "body")',
    ]);
  });

  it('an unknown operation and a non-object', () => {
    expect(problemsOf(() => parseHarnessEvent({ operation: 'fuzz' }, DEFAULT_HARNESS_LIMITS))).toEqual(['operation must be unit, load, stop or suite (got "fuzz")']);
    expect(problemsOf(() => parseHarnessEvent('ping', DEFAULT_HARNESS_LIMITS))).toEqual([
      'the event must be a JSON object with an operation: unit, load, stop or suite',
    ]);
  });

  it('an invoker event with a URL for a host, no path and an unknown method', () => {
    expect(problemsOf(() => parseInvokerEvent({ options: { host: 'https://x.com/a', path: 'a', method: 'TRACE' } }))).toEqual([
      'options.host must be a host name without scheme, port or path (got "https://x.com/a")',
      'options.path must start with / (got "a")',
      'options.method must be one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS (got "TRACE")',
    ]);
  });
});

describe('environment', () => {
  const env = { [HARNESS_ENV.resultsTable]: 'T', [HARNESS_ENV.allowedFunctions]: '["arn:aws:lambda:us-east-1:1:function:f"]' };

  it('fills the caps in and names a wrong variable', () => {
    expect(parseHarnessConfig(env)).toEqual({ resultsTable: 'T', allowedFunctions: ['arn:aws:lambda:us-east-1:1:function:f'], limits: DEFAULT_HARNESS_LIMITS, resultTtlDays: 30 });
    expect(() => parseHarnessConfig({ ...env, [HARNESS_ENV.limits]: '{"maxRate":0}' })).toThrow('maxRate must be a whole number from 1 to 10000 (got 0)');
    expect(() => parseHarnessConfig({ [HARNESS_ENV.resultsTable]: 'T' })).toThrow(`${HARNESS_ENV.allowedFunctions} is not set`);
  });

  it('accepts only 127.0.0.1 as the test-only loopback hatch', () => {
    const base = { [INVOKER_ENV.allowedHosts]: '["api.example.com"]' };
    expect(parseInvokerConfig(base).allowLoopbackForTests).toBe(false);
    expect(parseInvokerConfig({ ...base, [INVOKER_ENV.testOnlyAllowLoopback]: '127.0.0.1' }).allowLoopbackForTests).toBe(true);
    expect(() => parseInvokerConfig({ ...base, [INVOKER_ENV.testOnlyAllowLoopback]: 'true' })).toThrow("accepts only '127.0.0.1'");
    expect(() => parseInvokerConfig({ [INVOKER_ENV.allowedHosts]: '["https://api.example.com"]' })).toThrow('must be a lower-case host name');
  });
});
