#!/usr/bin/env node
/**
 * A load test by rate with the LambdaTestHarness's own code, on 127.0.0.1:
 *
 *   npm run test-harness:local -- --url URL [--method POST] [--body JSON] --rate R --duration S
 *
 * The harness and HTTPS invoker bundles run in the local Lambda stand-in, results go to dynalite, and a
 * trusted local HTTPS endpoint is put in front of URL (a local http server, e.g. `npm run image-api:local`'s
 * http://127.0.0.1:8787/api), so the invoker calls HTTPS as in AWS. Prints progress, then the run's
 * summary as JSON on the last line: {"count","ok","errors","p50","p95","p99","achievedRps"} (ms, requests/s).
 */
import { HARNESS, INVOKER, invokerEventFor, startLocalHarness } from '../local/test-harness/local-harness';

export interface LocalLoadOptions {
  readonly url: string;
  readonly method?: string;
  readonly body?: unknown;
  readonly rate: number;
  readonly duration: number;
}

export interface LocalLoadSummary {
  readonly count: number;
  readonly ok: number;
  readonly errors: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly achievedRps: number;
}

const USAGE = 'usage: npm run test-harness:local -- --url URL [--method POST] [--body JSON] --rate R --duration S';

export function parseArgs(argv: string[]): LocalLoadOptions {
  const values: Record<string, string> = {};
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (!['--url', '--method', '--body', '--rate', '--duration'].includes(flag) || value === undefined) throw new Error(`unexpected argument '${flag}'; ${USAGE}`);
    values[flag.slice(2)] = value;
  }
  if (!values.url) throw new Error(`--url is required; ${USAGE}`);
  const url = new URL(values.url);
  if (url.hostname !== '127.0.0.1' || url.protocol !== 'http:') throw new Error(`--url must be a local http server (http://127.0.0.1:PORT/...), got ${values.url}: the local harness calls nothing else`);
  const rate = Number(values.rate);
  const duration = Number(values.duration);
  if (!(rate > 0)) throw new Error(`--rate must be a positive number of requests per second (got '${values.rate}')`);
  if (!Number.isInteger(duration) || duration < 1) throw new Error(`--duration must be a whole number of seconds ≥ 1 (got '${values.duration}')`);
  let body: unknown;
  if (values.body !== undefined) {
    try {
      body = JSON.parse(values.body);
    } catch (error) {
      throw new Error(`--body must be JSON: ${(error as Error).message}`);
    }
  }
  return { url: values.url, method: (values.method ?? (body === undefined ? 'GET' : 'POST')).toUpperCase(), body, rate, duration };
}

/** Runs the load test; `print` gets progress lines and, last, the summary JSON. */
export async function runLocalLoad(options: LocalLoadOptions, print: (line: string) => void = (l) => process.stdout.write(`${l}\n`)): Promise<LocalLoadSummary> {
  const target = new URL(options.url);
  const peak = Math.ceil(options.rate);
  const local = await startLocalHarness({ limits: { maxRate: Math.max(peak, 1), maxDurationSeconds: Math.max(options.duration, 1) } });
  try {
    // Everything under the endpoint's origin goes to the local server (the proxy keeps the path).
    local.https.proxy('/', target.origin);
    const testId = 'local-load';
    const runId = `local-${Date.now()}`;
    const event = {
      operation: 'load',
      testId,
      runId,
      rate: options.rate,
      duration: options.duration,
      event: { operation: 'unit', function: INVOKER, event: invokerEventFor(local.https, target.pathname + target.search, options.method, options.body) },
    };
    // Warm the invoker's execution environments first (as provisioned concurrency would): on two shared
    // cores, a burst of cold starts at the first arrivals would queue every request behind them.
    const warm = Math.min(16, Math.max(2, Math.ceil(options.rate / 10)));
    await Promise.all(Array.from({ length: warm }, () => local.invoke(INVOKER, invokerEventFor(local.https, target.pathname, 'GET'))));
    print(`warmed ${local.lambda.pids().length} execution environments`);
    const started = await local.invoke(HARNESS, event);
    if (started.functionError) throw new Error(`the harness refused the load test: ${started.result.errorMessage}`);
    print(`load test ${runId}: ${options.rate} rps for ${options.duration} s → ${options.url} over ${started.result.workers} worker(s)`);
    const deadline = Date.now() + (options.duration + 60) * 1000;
    const begun = Date.now();
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const summary = await local.summary(testId, runId);
      if (summary) {
        const result: LocalLoadSummary = {
          count: summary.count,
          ok: summary.passed,
          errors: summary.failed,
          p50: summary.p50,
          p95: summary.p95,
          p99: summary.p99,
          achievedRps: summary.achievedRps,
        };
        if (summary.failed > 0) print(`failures, e.g.: ${(summary.failureReasons as string[]).slice(0, 3).join(' | ')}`);
        print(JSON.stringify(result));
        return result;
      }
      if (Date.now() > deadline) throw new Error(`no summary of run ${runId} within ${options.duration + 60} s`);
      print(`${Math.round((Date.now() - begun) / 1000)} s: ${local.lambda.invocations(INVOKER).length} requests sent`);
    }
  } finally {
    await local.stop();
  }
}

if (require.main === module) {
  Promise.resolve()
    .then(() => runLocalLoad(parseArgs(process.argv.slice(2))))
    .catch((error) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    });
}
