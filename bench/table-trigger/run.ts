// Benchmark of the TableTrigger handler (npm run bench:table-trigger). Never part of `npm test`.
//
// 1. Throughput, in records/s, of the BUNDLED handler (assets/table-trigger/index.js, what Lambda runs)
//    on 100-record batches against local AWS (dynalite + fauxqs SNS), median of RUNS runs per scenario:
//      - inserts: 100 new items, 90 valid + 10 invalid (100 conditional UpdateItems, 10 publishes);
//      - write-backs: the 100 MODIFY records those writes produce (loop safety: nothing to do);
//      - baseline: the same 100 inserts delivered as 100 one-record batches (batchSize 1).
// 2. Bundle size and cold module-load time of the bundle in fresh `node` processes (median of LOADS),
//    against a baseline bundle built the esbuild default way (CommonJS builds of the SDK, no tree-shaking).
//
// Environment: RUNS (default 7), LOADS (default 9).
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { AttributeValue, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { execFileSync } from 'child_process';
import { build } from 'esbuild';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { performance } from 'perf_hooks';
import * as zlib from 'zlib';
import { buildTriggerConfig } from '../../lib/table-trigger/build-config';
import { TABLE_NAME_ENV, TOPIC_ARN_ENV, TRIGGER_CONFIG_ENV } from '../../contracts/table-trigger/rule-config';
import { startLocalAws } from '../../local/local-aws';
import { createTriggerResources } from '../../local/table-trigger/local-resources';
import { StreamBridge } from '../../local/table-trigger/stream-bridge';
import { median } from '../stats';
import { assertBundleCurrent } from '../../local/bundles';

const ROOT = path.join(__dirname, '..', '..');
const BUNDLE = path.join(ROOT, 'assets', 'table-trigger', 'index.js');
const RUNS = Number(process.env.RUNS ?? 7);
const LOADS = Number(process.env.LOADS ?? 9);
const BATCH = 100;
const TABLE = 'BenchPeople';

type Image = Record<string, AttributeValue>;
type Handler = (event: DynamoDBStreamEvent) => Promise<{ batchItemFailures: unknown[] }>;

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

async function throughput(): Promise<Record<string, number[]>> {
  // Node 20 here, Node 24 on Lambda: the SDK's notice about 2027 releases is noise in the report.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const local = await startLocalAws(['dynamodb', 'sns', 'sqs']);
  try {
    const { dynamodb, sqs, topicArn: TopicArn } = await createTriggerResources(local, { table: TABLE, topic: 'bench-alerts', queue: 'bench-alerts' });

    const config = buildTriggerConfig(
      [{ attribute: 'SocialSecurityNumber', formats: [{ name: '9', pattern: '\\d{9}' }, { name: '11', pattern: '\\d{3}-\\d{2}-\\d{4}' }], computedAttribute: 'SSN Format' }],
      'INVALID',
    );
    Object.assign(process.env, local.env(), {
      [TABLE_NAME_ENV]: TABLE,
      [TOPIC_ARN_ENV]: TopicArn,
      [TRIGGER_CONFIG_ENV]: JSON.stringify(config),
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    });
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const handler = require(BUNDLE).handler as Handler;
    const stream = new StreamBridge(dynamodb, TABLE, ['pk']);

    const seed = async (run: string): Promise<{ keys: Image[]; records: DynamoDBRecord[] }> => {
      const keys: Image[] = [];
      for (let i = 0; i < BATCH; i++) {
        const key = { pk: { S: `${run}-${i}` } };
        keys.push(key);
        const ssn = i % 10 === 9 ? `bad-${i}` : i % 2 ? String(100_000_000 + i) : `123-45-${String(1000 + i)}`;
        await dynamodb.send(new PutItemCommand({ TableName: TABLE, Item: { ...key, SocialSecurityNumber: { S: ssn }, Name: { S: `Person ${i}` } } }));
      }
      return { keys, records: await stream.capture(keys) };
    };
    const timed = async (batches: DynamoDBRecord[][]): Promise<number> => {
      const started = performance.now();
      for (const batch of batches) {
        const response = await handler({ Records: batch });
        if (response.batchItemFailures.length) throw new Error(`unexpected failures: ${JSON.stringify(response.batchItemFailures)}`);
      }
      return performance.now() - started;
    };

    // One warm-up of each path (JIT, connection pools), not counted.
    const warm = await seed('warm');
    await timed([warm.records]);
    await timed([await stream.capture(warm.keys)]);

    const results: Record<string, number[]> = { inserts: [], writeBacks: [], baseline: [] };
    for (let run = 0; run < RUNS; run++) {
      const batch = await seed(`run${run}`);
      if (batch.records.length !== BATCH) throw new Error(`expected ${BATCH} INSERT records, got ${batch.records.length}`);
      results.inserts.push((BATCH / (await timed([batch.records]))) * 1000);
      const writeBacks = await stream.capture(batch.keys);
      if (writeBacks.length !== BATCH) throw new Error(`expected ${BATCH} write-back records, got ${writeBacks.length}`);
      results.writeBacks.push((BATCH / (await timed([writeBacks]))) * 1000);
      if ((await stream.capture(batch.keys)).length !== 0) throw new Error('the write-back records caused further writes');

      const single = await seed(`single${run}`);
      results.baseline.push((BATCH / (await timed(single.records.map((record) => [record])))) * 1000);
      await stream.capture(single.keys);
    }
    dynamodb.destroy();
    sqs.destroy();
    return results;
  } finally {
    await local.stop();
  }
}

/** The handler bundled the esbuild default way (CommonJS entry points), for comparison. */
async function buildBaselineBundle(): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'table-trigger-baseline-'));
  const outfile = path.join(dir, 'index.js');
  await build({
    entryPoints: [path.join(ROOT, 'lambda', 'table-trigger', 'index.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'cjs',
    minify: true,
    legalComments: 'none',
    logLevel: 'warning',
  });
  return outfile;
}

/** Milliseconds to require `file` in a fresh node process, copied alone into an empty directory (no node_modules). */
function coldLoads(file: string): number[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'table-trigger-load-'));
  const copy = path.join(dir, 'index.js');
  fs.copyFileSync(file, copy);
  const script = `const { performance } = require('perf_hooks'); const t = performance.now(); const m = require(${JSON.stringify(copy)}); const ms = performance.now() - t; if (typeof m.handler !== 'function') throw new Error('no handler'); process.stdout.write(String(ms));`;
  const times: number[] = [];
  for (let i = 0; i < LOADS; i++) {
    times.push(Number(execFileSync(process.execPath, ['-e', script], { cwd: dir, env: { PATH: process.env.PATH ?? '' } }).toString()));
  }
  fs.rmSync(dir, { recursive: true, force: true });
  return times;
}

function sizes(file: string): { bytes: number; gzip: number } {
  const content = fs.readFileSync(file);
  return { bytes: content.length, gzip: zlib.gzipSync(content, { level: 9 }).length };
}

async function main(): Promise<void> {
  assertBundleCurrent('table-trigger');
  console.log(`TableTrigger benchmark: node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? 'unknown'}), RUNS=${RUNS}, LOADS=${LOADS}\n`);

  const rates = await throughput();
  const base = median(rates.baseline);
  console.log(`Handler throughput, ${BATCH}-record batches, bundled handler vs dynalite + fauxqs SNS (median of ${RUNS}; all runs):`);
  for (const [name, label] of [
    ['inserts', 'INSERT batch of 100 (90 valid, 10 invalid)'],
    ['writeBacks', 'its 100 write-back records (no-op)'],
    ['baseline', 'baseline: same inserts, 100 batches of 1'],
  ] as const) {
    const m = median(rates[name]);
    console.log(
      `  ${label.padEnd(46)} ${fmt(m).padStart(7)} records/s  (${fmt(m / base, 1)}x baseline)  [${rates[name].map((r) => fmt(r)).join(', ')}]`,
    );
  }

  const baselineBundle = await buildBaselineBundle();
  const shipped = sizes(BUNDLE);
  const baseline = sizes(baselineBundle);
  console.log('\nBundle size (index.js; source map not counted):');
  console.log(`  shipped (ESM entry points, tree-shaken)   ${fmt(shipped.bytes / 1024)} KiB, ${fmt(shipped.gzip / 1024)} KiB gzipped`);
  console.log(`  baseline (esbuild defaults, CJS entries)  ${fmt(baseline.bytes / 1024)} KiB, ${fmt(baseline.gzip / 1024)} KiB gzipped  (shipped = ${fmt(shipped.bytes / baseline.bytes, 2)}x)`);

  const shippedLoads = coldLoads(BUNDLE);
  const baselineLoads = coldLoads(baselineBundle);
  fs.rmSync(path.dirname(baselineBundle), { recursive: true, force: true });
  console.log(`\nCold module load (require of the bundle in a fresh node process, median of ${LOADS}):`);
  console.log(`  shipped   ${fmt(median(shippedLoads), 1)} ms  [${shippedLoads.map((t) => fmt(t, 1)).join(', ')}]`);
  console.log(
    `  baseline  ${fmt(median(baselineLoads), 1)} ms  [${baselineLoads.map((t) => fmt(t, 1)).join(', ')}]  (shipped = ${fmt(median(shippedLoads) / median(baselineLoads), 2)}x)`,
  );
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
