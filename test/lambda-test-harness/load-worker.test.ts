/**
 * A load worker's slice (harness.ts runSlice/loadWorker) against fake ports on a virtual clock: it sends
 * its arrivals on schedule, ends within a poll interval of the stop flag, hands on to its successor before
 * its slice ends, and the last chain writes the summary.
 */
import { DEFAULT_HARNESS_LIMITS } from '../../contracts/lambda-test-harness/config';
import type { LoadWorkerEvent } from '../../contracts/lambda-test-harness/events';
import { HarnessPorts, Item, loadWorker, runSlice, STOP_POLL_MS } from '../../lambda/lambda-test-harness/harness';

function fakePorts(options: { stopAtMs?: number; pending?: number; sliceSeconds?: number } = {}) {
  let now = 1_000_000;
  const items = new Map<string, Item>();
  const sent: number[] = [];
  const async: string[] = [];
  let pending = options.pending ?? 1;
  const start = now;
  const ports: HarnessPorts = {
    config: {
      resultsTable: 'T',
      allowedFunctions: ['arn:aws:lambda:us-east-1:1:function:f'],
      limits: { ...DEFAULT_HARNESS_LIMITS, sliceSeconds: options.sliceSeconds ?? 600 },
      resultTtlDays: 30,
    },
    selfArn: 'arn:aws:lambda:us-east-1:1:function:harness',
    invokeSync: async () => {
      sent.push(now - start);
      return { statusCode: 200, payload: '{}' };
    },
    invokeAsync: async (_fn, payload) => void async.push(payload),
    put: async (item) => void items.set(item.sk, item),
    get: async () => ({ stopRequested: options.stopAtMs !== undefined && now - start >= options.stopAtMs }),
    addPending: async (_k, d) => (pending += d),
    requestStop: async () => true,
    query: async (_t, prefix) => [...items.values()].filter((i) => i.sk.startsWith(prefix)),
    metric: () => undefined,
    now: () => now,
    sleep: async (ms) => void (now += ms),
    remainingMs: () => 600_000,
    newRunId: () => 'run',
  };
  return { ports, sent, async, items };
}

const worker = (overrides: Partial<LoadWorkerEvent> = {}): LoadWorkerEvent => ({
  operation: 'load-worker',
  testId: 'T',
  runId: 'r',
  phases: [{ duration: 60, arrivalRate: 10 }],
  event: { operation: 'unit', function: 'f', testId: 'T', event: {}, includeResponse: false },
  worker: 0,
  workers: 1,
  startAt: 1_000_000,
  fromSecond: 0,
  toSecond: 60,
  ...overrides,
});

describe('a load worker', () => {
  it('sends every arrival of its slice on schedule', async () => {
    const { ports, sent } = fakePorts();
    const outcome = await runSlice(worker(), ports);
    expect(outcome).toMatchObject({ stopped: false, handedOver: false });
    expect(sent).toHaveLength(600);
    expect(sent[1] - sent[0]).toBeGreaterThanOrEqual(100);
  });

  it('ends within one poll interval of the stop flag', async () => {
    const { ports, sent } = fakePorts({ stopAtMs: 3000 });
    const outcome = await runSlice(worker(), ports);
    expect(outcome.stopped).toBe(true);
    expect(Math.max(...sent)).toBeLessThanOrEqual(3000 + STOP_POLL_MS);
    // and sends nothing after it: at 10 rps, at most the arrivals of the first 3 s plus one poll interval
    expect(sent.length).toBeLessThanOrEqual(10 * (3 + STOP_POLL_MS / 1000) + 1);
  });

  it('hands on to its successor 20 s before its slice ends, and only the last chain finishes the run', async () => {
    const { ports, async, items } = fakePorts({ sliceSeconds: 60 });
    const first = await loadWorker(worker({ phases: [{ duration: 90, arrivalRate: 2 }], toSecond: 60 }), ports);
    expect(async.map((p) => JSON.parse(p)).map((e) => [e.fromSecond, e.toSecond])).toEqual([[60, 90]]);
    expect(first.summary).toBeUndefined();
    const last = await loadWorker(worker({ phases: [{ duration: 90, arrivalRate: 2 }], fromSecond: 60, toSecond: 90 }), ports);
    expect(last.summary).toMatchObject({ count: 180, passed: 180, mode: 'load-rate', stopped: false });
    expect([...items.keys()].filter((k) => k.includes('#part#'))).toHaveLength(2);
  });
});
