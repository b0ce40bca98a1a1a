/**
 * The harness's bundles end to end on 127.0.0.1: the local Lambda stand-in runs the harness, the HTTPS
 * invoker and the gate; dynalite holds the results; a trusted local HTTPS endpoint sits in front of the
 * local image API and of hostile routes. The seed's three JSON events are used as they are.
 */
import { GATE, HARNESS, INVOKER, invokerEventFor, LocalHarness, startLocalHarness, TABLE } from '../../local/test-harness/local-harness';
import { LocalImageApi, startLocalImageApi } from '../../bin/image-api-local';
import { runLocalLoad } from '../../bin/test-harness-local';

let local: LocalHarness;
let images: LocalImageApi;


beforeAll(async () => {
  images = await startLocalImageApi({ port: 0 });
  local = await startLocalHarness({ extraFunctions: [HARNESS, 'missing'], limits: { maxIterations: 20, maxRate: 50 }, maxResponseBytes: 100_000 });
  // The seed's stage path, answered by the local image API (which serves the protocol at /api).
  local.https.route('/prod/ImageProcessingService', async (request) => {
    const answer = await fetch(images.apiUrl, { method: request.method, body: request.method === 'GET' ? undefined : request.body, headers: { 'content-type': 'application/json' } });
    return { status: answer.status, headers: { 'content-type': answer.headers.get('content-type') ?? 'application/json' }, body: Buffer.from(await answer.arrayBuffer()) };
  });
  local.https.route('/fail', () => ({ status: 500, body: { message: 'down' } }));
  local.https.route('/slow-ok', async () => new Promise((resolve) => setTimeout(() => resolve({ status: 200, body: { ok: true } }), 20)));
  local.https.route('/metadata-redirect', () => ({ status: 302, headers: { location: 'https://169.254.169.254/latest/meta-data/iam/security-credentials/' } }));
  local.https.route('/huge', () => ({ status: 200, body: 'x'.repeat(2_000_000) }));
  local.https.route('/html', () => ({ status: 200, headers: { 'content-type': 'text/html' }, body: '<html>hello</html>' }));
}, 60_000);

afterAll(async () => {
  await local?.stop();
  await images?.close();
});

// The local image API serves the protocol at /api; the proxy maps the seed's stage path onto it.
const seedHttps = () => ({ ...invokerEventFor(local.https, '/prod/ImageProcessingService', 'POST', { operation: 'getSample' }) });

describe('the seed events, unchanged', () => {
  it('unit: invokes the function with the event and writes one result item', async () => {
    const unit = { operation: 'unit', function: INVOKER, resultsTable: TABLE, testId: 'MyTestRun', event: seedHttps() };
    const { functionError, result } = await local.invoke(HARNESS, unit);
    expect(functionError).toBeUndefined();
    expect(result).toMatchObject({ testId: 'MyTestRun', passed: true, statusCode: 200, function: INVOKER });
    expect(result.responseBytes).toBeGreaterThan(1000);
    expect(result.response).toBeUndefined();
    const items = await local.items('MyTestRun');
    expect(items.filter((i) => i.kind === 'result')).toHaveLength(1);
  });

  it('load: runs `iterations` unit tests asynchronously, and the last one writes the summary', async () => {
    const unit = { operation: 'unit', function: INVOKER, resultsTable: TABLE, testId: 'MyLoadRun', event: invokerEventFor(local.https, '/slow-ok', 'GET') };
    const before = local.lambda.invocations(HARNESS).length;
    const { result } = await local.invoke(HARNESS, { operation: 'load', iterations: 10, function: HARNESS, event: unit });
    expect(result).toMatchObject({ testId: 'MyLoadRun', iterations: 10 });
    await local.lambda.waitForInvocations(HARNESS, before + 11, 30_000);
    const summary = await local.summary('MyLoadRun', result.runId);
    expect(summary).toMatchObject({ kind: 'summary', mode: 'load-count', count: 10, passed: 10, failed: 0 });
    expect(summary!.p50).toBeGreaterThan(0);
  });

  it('HTTPS invoker: calls the endpoint and returns its status and body', async () => {
    const { result } = await local.invoke(INVOKER, { ...invokerEventFor(local.https, '/prod/ImageProcessingService', 'POST', { operation: 'ping' }) });
    expect(result).toMatchObject({ statusCode: 200, body: '"pong"' });
  });
});

describe('load by rate', () => {
  it('test-harness:local sends 40 rps for 10 s to the local image API: 400 ± 5 %, no errors, percentiles', async () => {
    const lines: string[] = [];
    const summary = await runLocalLoad({ url: images.apiUrl, method: 'POST', body: { operation: 'ping' }, rate: 40, duration: 10 }, (line) => lines.push(line));
    expect(summary.count).toBeGreaterThanOrEqual(380);
    expect(summary.count).toBeLessThanOrEqual(420);
    expect(summary.errors).toBe(0);
    expect(Math.abs(summary.achievedRps - 40) / 40).toBeLessThan(0.1);
    for (const p of ['p50', 'p95', 'p99'] as const) expect(summary[p]).toBeGreaterThan(0);
    expect(JSON.parse(lines[lines.length - 1])).toEqual(summary);
    expect(lines.length).toBeGreaterThan(2); // progress before the summary
  }, 90_000);

  it('the stop flag ends a running load within 5 s, and the summary says it stopped', async () => {
    const runId = 'stop-me';
    const event = { operation: 'load', testId: 'StopTest', runId, rate: 5, duration: 120, event: { operation: 'unit', function: INVOKER, event: invokerEventFor(local.https, '/slow-ok', 'GET') } };
    const before = local.lambda.invocations(HARNESS).length;
    await local.invoke(HARNESS, event);
    await new Promise((resolve) => setTimeout(resolve, 4000));
    const stoppedAt = Date.now();
    const { result } = await local.invoke(HARNESS, { operation: 'stop', testId: 'StopTest', runId });
    expect(result).toEqual({ testId: 'StopTest', runId, stopRequested: true });
    await local.lambda.waitForInvocations(HARNESS, before + 3, 10_000); // start, worker, stop
    expect(Date.now() - stoppedAt).toBeLessThan(5000);
    const summary = await local.summary('StopTest', runId);
    expect(summary).toMatchObject({ stopped: true, failed: 0 });
    expect(summary!.count).toBeGreaterThan(5);
    expect(summary!.count).toBeLessThan(60);
  }, 30_000);
});

describe('the deploy gate', () => {
  it('fails (so the deployment fails) when a test of its suite fails, naming it', async () => {
    local.registerGate({
      testId: 'gate',
      tests: [
        { name: 'ping', function: INVOKER, event: invokerEventFor(local.https, '/prod/ImageProcessingService', 'POST', { operation: 'ping' }), expect: { statusCode: 200 } },
        { name: 'health', function: INVOKER, event: invokerEventFor(local.https, '/fail', 'GET'), expect: { statusCode: 200 } },
      ],
    });
    // As the trigger invokes it: synchronously, with an empty event.
    const { functionError, result } = await local.invoke(GATE, {});
    expect(functionError).toBe('Unhandled');
    expect(result.errorMessage).toMatch(/^1 of 2 tests of suite 'gate' failed \(run [^)]+\):\n- health: status code 500, expected 200$/);
    const summaries = (await local.items('gate')).filter((i) => i.kind === 'summary');
    expect(summaries).toEqual([expect.objectContaining({ count: 2, passed: 1, failed: 1, mode: 'unit-suite' })]);
  });

  it('passes when every test passes, and in monitoring mode records a failure without failing', async () => {
    local.registerGate({ testId: 'gate-ok', tests: [{ name: 'ping', function: INVOKER, event: invokerEventFor(local.https, '/prod/ImageProcessingService', 'POST', { operation: 'ping' }), expect: { statusCode: 200, json: [{ path: '$.body', equals: 'pong' }] } }] });
    await expect(local.invoke(GATE, {})).resolves.toMatchObject({ result: { count: 1, passed: 1, failed: 0 } });
    local.registerGate({ testId: 'monitor', tests: [{ name: 'health', function: INVOKER, event: invokerEventFor(local.https, '/fail', 'GET') }] });
    const monitored = await local.invoke(GATE, { mode: 'monitor' });
    expect(monitored.functionError).toBeUndefined();
    expect(monitored.result).toMatchObject({ failed: 1, failureReasons: ['health: status code 500'] });
  });
});

describe('hostile inputs get clear errors', () => {
  const unitTo = (path: string, extra: object = {}) => ({ operation: 'unit', function: INVOKER, testId: 'Hostile', event: invokerEventFor(local.https, path, 'GET'), ...extra });

  it('an endpoint outside the allow-list', async () => {
    const { result } = await local.invoke(HARNESS, { ...unitTo('/'), event: { options: { host: 'example.com', path: '/', method: 'GET' } } });
    expect(result).toMatchObject({ passed: false, errorType: 'EndpointNotAllowed' });
    expect(result.reason).toContain("example.com is not on this invoker's allow-list");
  });

  it('a redirect to 169.254.169.254', async () => {
    const { result } = await local.invoke(HARNESS, unitTo('/metadata-redirect'));
    expect(result).toMatchObject({ passed: false, errorType: 'RedirectRefused' });
    expect(result.reason).toContain('169.254.169.254');
  });

  it('a huge response', async () => {
    const { result } = await local.invoke(HARNESS, unitTo('/huge'));
    expect(result).toMatchObject({ passed: false, errorType: 'ResponseTooLarge' });
  });

  it('a non-JSON response where JSON is expected', async () => {
    const { result } = await local.invoke(HARNESS, unitTo('/html', { expect: { json: [{ path: '$.body.message', equals: 'hi' }] } }));
    expect(result).toMatchObject({ passed: false, reason: '$.body.message is missing from the answer' });
  });

  it('a missing function', async () => {
    const { result } = await local.invoke(HARNESS, { operation: 'unit', function: 'missing', testId: 'Hostile', event: {} });
    expect(result).toMatchObject({ passed: false, errorType: 'ResourceNotFoundException' });
  });

  it('a function the harness was not given', async () => {
    const { functionError, result } = await local.invoke(HARNESS, { operation: 'unit', function: 'someone-elses', testId: 'Hostile', event: {} });
    expect(functionError).toBe('Unhandled');
    expect(result.errorMessage).toContain("'someone-elses' is not one of the functions this harness may invoke");
  });

  it('iterations and rate beyond the caps', async () => {
    const iterations = await local.invoke(HARNESS, { operation: 'load', iterations: 21, function: HARNESS, event: unitTo('/') });
    expect(iterations.result.errorMessage).toContain("iterations 21 exceeds this harness's maxIterations of 20");
    const rate = await local.invoke(HARNESS, { operation: 'load', rate: 51, duration: 5, event: unitTo('/') });
    expect(rate.result.errorMessage).toContain("phases[0].arrivalRate 51 exceeds this harness's maxRate of 50");
  });
});
