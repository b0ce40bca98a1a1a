/**
 * Per-job worker overhead: drain N tiny render jobs on local AWS and subtract the time POV-Ray itself ran.
 *
 *   npm run bench:worker -- [--jobs 20] [--runs 3]
 *
 * Side by side:
 *   - baseline (aws CLI): the original approach, a shell loop running the real AWS CLI for every AWS step
 *     (receive, download, upload, delete) around unzip and povray (bench/worker-overhead/baseline.sh), the
 *     CLI pointed at the emulators with --endpoint-url. The set-up uses `aws` on PATH, else installs
 *     Debian's awscli, else stops and says what to install;
 *   - baseline (node+SDK): the same loop with a fresh Node process and the SDK per step (aws-step.cjs),
 *     which starts faster than the Python CLI: a second, conservative baseline;
 *   - worker: the real povray-worker process (docker/povray-worker/dist/index.js), job table off, as the
 *     baseline has none;
 *   - worker+table: the same with the DynamoDB job record kept current (RUNNING, progress, SUCCEEDED).
 * overhead/job = (time from starting the worker until its last job finished − Σ render time) / N, so the
 * worker's own start-up is included, amortised. Medians over the runs; results also in bench/results/.
 */
import { CreateBucketCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, GetQueueAttributesCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { execFileSync, spawn, spawnSync } from 'child_process';
import { createHash } from 'crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'fs';
import { loadavg, tmpdir } from 'os';
import * as path from 'path';
import { JOB_TABLE_PARTITION_KEY, RenderJobMessage, renderJobId, WORKER_ENV } from '../../contracts/lambda-ecs-worker/render-job';
import { startLocalAws, LocalAws } from '../../local/local-aws';
import { sceneFiles, zipOf } from '../../local/povray-scenes';
import { whichTool } from '../../local/tools';

const root = path.join(__dirname, '..', '..');
const WORKER_ENTRY = path.join(root, 'docker', 'povray-worker', 'dist', 'index.js');
const BASELINE = path.join(__dirname, 'baseline.sh');

type Mode = 'baseline: aws CLI' | 'baseline: node+SDK' | 'worker' | 'worker+table';
const MODES: Mode[] = ['baseline: aws CLI', 'baseline: node+SDK', 'worker', 'worker+table'];
const BASELINE_STEPS: Partial<Record<Mode, string>> = { 'baseline: aws CLI': 'cli', 'baseline: node+SDK': 'node' };
interface Measurement {
  mode: Mode;
  run: number;
  jobs: number;
  wallMs: number;
  renderMs: number;
  overheadPerJobMs: number;
  /** Per job between the first and the last job's completion: the one-off start-up and first job left out. */
  steadyOverheadPerJobMs: number;
}

function arg(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

async function prepare(local: LocalAws, name: string, jobs: number, withTable: boolean) {
  const sqs = new SQSClient(local.clientConfig('sqs'));
  const s3 = new S3Client(local.clientConfig('s3'));
  const queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: { VisibilityTimeout: '60' } }))).QueueUrl!;
  const bucket = `${name}-bucket`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  let tableName = '';
  if (withTable) {
    const dynamodb = new DynamoDBClient(local.clientConfig('dynamodb'));
    tableName = `${name}-jobs`;
    await dynamodb.send(
      new CreateTableCommand({
        TableName: tableName,
        AttributeDefinitions: [{ AttributeName: JOB_TABLE_PARTITION_KEY, AttributeType: 'S' }],
        KeySchema: [{ AttributeName: JOB_TABLE_PARTITION_KEY, KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    dynamodb.destroy();
  }
  for (let i = 0; i < jobs; i++) {
    const base = `tiny${i}`;
    const key = `scenes/${base}.zip`;
    const put = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: await zipOf(sceneFiles(base)) }));
    const eTag = put.ETag?.replace(/"/g, '');
    const jobId = renderJobId((s) => createHash('sha256').update(s).digest('hex'), { bucket, key, eTag });
    const message: RenderJobMessage = { version: 1, jobId, bucket, key, eTag, submittedAt: new Date().toISOString() };
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(message) }));
  }
  const verify = async () => {
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'renders/' }));
    const pngs = (listed.Contents ?? []).filter((o) => o.Key!.endsWith('.png')).length;
    const attributes = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
    );
    const left = Number(attributes.Attributes?.ApproximateNumberOfMessages ?? 0) + Number(attributes.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
    if (pngs !== jobs || left !== 0) throw new Error(`${name}: expected ${jobs} PNGs and an empty queue, found ${pngs} PNGs and ${left} messages`);
    sqs.destroy();
    s3.destroy();
  };
  return { queueUrl, bucket, tableName, verify };
}

function runProcess(command: string, args: string[], env: Record<string, string>, onLine: (line: string) => void): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let buffer = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      buffer += chunk;
      const lines = buffer.split('\n');
      buffer = lines.pop()!;
      lines.forEach(onLine);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(code) : reject(new Error(`${command} exited with ${code}: ${stderr.slice(-2000)}`))));
  });
}

/**
 * The AWS CLI executable for the baseline: `aws` on PATH (a pyenv shim resolved to the real script, so the
 * shim's own start-up is not charged to the baseline), else Debian's awscli installed now.
 */
function awsCli(): { path: string; version: string } {
  let found = whichTool('aws');
  if (!found && whichTool('apt-get')) {
    console.log("the AWS CLI is not on PATH: installing Debian's awscli (apt-get install -y awscli) ...");
    if (spawnSync('apt-get', ['install', '-y', 'awscli'], { stdio: 'inherit' }).status !== 0) {
      spawnSync('apt-get', ['update'], { stdio: 'inherit' });
      spawnSync('apt-get', ['install', '-y', 'awscli'], { stdio: 'inherit' });
    }
    found = whichTool('aws');
  }
  if (!found) {
    throw new Error(
      "the baseline runs the real AWS CLI, as the original ecs-worker.sh did, and there is no 'aws' on PATH: install it " +
        '(Debian/Ubuntu: apt-get install -y awscli; or pip install awscli) and run the benchmark again',
    );
  }
  if (found.includes('/shims/') && whichTool('pyenv')) {
    const real = spawnSync('pyenv', ['which', 'aws'], { encoding: 'utf8' });
    if (real.status === 0 && real.stdout.trim()) found = real.stdout.trim();
  }
  const version = execFileSync(found, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  return { path: found, version };
}

async function measure(local: LocalAws, mode: Mode, run: number, jobs: number, cli: string): Promise<Measurement> {
  const name = `bench-${run}-${mode.replace(/[^a-z]+/gi, '-').replace(/-+$/, '').toLowerCase()}`;
  const setup = await prepare(local, name, jobs, mode === 'worker+table');
  const work = mkdtempSync(path.join(tmpdir(), `${name}-`));
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...local.env() };
  const finished: number[] = [];
  const renders: number[] = [];
  let renderMs = 0;
  const errors: string[] = [];
  const started = Date.now();
  try {
    const steps = BASELINE_STEPS[mode];
    if (steps) {
      const baselineEnv = { ...env, QUEUE_URL: setup.queueUrl, WORK: work, BASELINE_STEPS: steps, AWS_CLI: cli, SQS_ENDPOINT: local.endpoints.sqs!, S3_ENDPOINT: local.endpoints.s3! };
      await runProcess('bash', [BASELINE], baselineEnv, (line) => {
        const match = /^done (\d+) (\d+)$/.exec(line.trim());
        if (match) {
          renderMs += Number(match[1]);
          renders.push(Number(match[1]));
          finished.push(Number(match[2]));
        }
      });
    } else {
      const workerEnv = {
        ...env,
        [WORKER_ENV.queueUrl]: setup.queueUrl,
        [WORKER_ENV.jobTableName]: setup.tableName,
        [WORKER_ENV.idleExitSeconds]: '1',
        [WORKER_ENV.pollWaitSeconds]: '1',
        [WORKER_ENV.workDir]: work,
      };
      await runProcess(process.execPath, [WORKER_ENTRY], workerEnv, (line) => {
        if (!line.startsWith('{')) return;
        if (process.env.BENCH_DEBUG) console.log(line);
        const entry = JSON.parse(line);
        if (entry.message === 'job succeeded') {
          renderMs += entry.renderMs;
          renders.push(entry.renderMs);
          finished.push(Date.parse(entry.time));
        } else if (entry.level === 'ERROR') {
          errors.push(line);
        }
      });
    }
    if (errors.length > 0) throw new Error(`worker errors:\n${errors.join('\n')}`);
    await setup.verify();
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  if (finished.length !== jobs) throw new Error(`${mode}: ${finished.length} of ${jobs} jobs finished`);
  const wallMs = Math.max(...finished) - started;
  const laterRenders = renders.slice(1).reduce((a, b) => a + b, 0);
  const steadyOverheadPerJobMs = (finished[finished.length - 1] - finished[0] - laterRenders) / (jobs - 1);
  return { mode, run, jobs, wallMs, renderMs, overheadPerJobMs: (wallMs - renderMs) / jobs, steadyOverheadPerJobMs };
}

const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');

async function main(): Promise<void> {
  // Node 20 here: the SDK's notice that 2027 releases need Node 22 is noise in the benchmark's output.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const jobs = arg('jobs', 20);
  const runs = arg('runs', 3);
  for (const tool of ['povray', 'unzip', 'bash']) {
    if (!whichTool(tool)) throw new Error(`${tool} is not installed (povray: apt-get install -y povray povray-includes)`);
  }
  const cli = awsCli();
  // Measure the worker as its sources are now.
  execFileSync(process.execPath, [path.join(root, 'scripts', 'build-assets.mjs'), '--stale'], { stdio: 'inherit' });
  const loadBefore = load();
  console.log(`baseline CLI: ${cli.path} (${cli.version}); load average before: ${loadBefore}`);
  const local = await startLocalAws(['sqs', 's3', 'dynamodb']);
  const results: Measurement[] = [];
  try {
    for (let run = 1; run <= runs; run++) {
      for (const mode of MODES) {
        const m = await measure(local, mode, run, jobs, cli.path);
        results.push(m);
        console.log(
          `run ${run} ${mode.padEnd(18)} ${jobs} jobs: wall ${m.wallMs} ms, render ${m.renderMs} ms, overhead ${m.overheadPerJobMs.toFixed(1)} ms/job (steady ${m.steadyOverheadPerJobMs.toFixed(1)})`,
        );
      }
    }
  } finally {
    await local.stop();
  }
  const loadAfter = load();
  const summary = MODES.map((mode) => {
    const of = results.filter((r) => r.mode === mode);
    return {
      mode,
      medianOverheadPerJobMs: median(of.map((r) => r.overheadPerJobMs)),
      medianSteadyOverheadPerJobMs: median(of.map((r) => r.steadyOverheadPerJobMs)),
      medianRenderPerJobMs: median(of.map((r) => r.renderMs / r.jobs)),
      medianWallPerJobMs: median(of.map((r) => r.wallMs / r.jobs)),
    };
  });
  const [cliBase, nodeBase] = summary;
  console.log(`\nmedians of ${runs} runs × ${jobs} jobs (overhead = wall − render, per job; steady = without the start-up and first job)`);
  console.log(`load average (1, 5, 15 min): before ${loadBefore}, after ${loadAfter}; ${cli.version}`);
  console.log('mode                overhead/job  vs aws CLI  vs node+SDK   steady/job  vs aws CLI  vs node+SDK   render/job   wall/job');
  const ratio = (base: number, value: number) => (base === value ? '1×' : value < base ? `${(base / value).toFixed(1)}× less` : `${(value / base).toFixed(1)}× more`);
  for (const s of summary) {
    const o = s.medianOverheadPerJobMs;
    const st = s.medianSteadyOverheadPerJobMs;
    console.log(
      [
        s.mode.padEnd(19),
        `${o.toFixed(1).padStart(8)} ms `,
        ratio(cliBase.medianOverheadPerJobMs, o).padEnd(11),
        ratio(nodeBase.medianOverheadPerJobMs, o).padEnd(11),
        `${st.toFixed(1).padStart(8)} ms `,
        ratio(cliBase.medianSteadyOverheadPerJobMs, st).padEnd(11),
        ratio(nodeBase.medianSteadyOverheadPerJobMs, st).padEnd(11),
        `${s.medianRenderPerJobMs.toFixed(1).padStart(7)} ms`,
        `${s.medianWallPerJobMs.toFixed(1).padStart(7)} ms`,
      ].join(' '),
    );
  }
  const out = path.join(root, 'bench', 'results');
  mkdirSync(out, { recursive: true });
  writeFileSync(
    path.join(out, 'worker-overhead.json'),
    JSON.stringify({ date: new Date().toISOString(), jobs, runs, awsCli: cli.version, loadavg: { before: loadBefore, after: loadAfter }, results, summary }, null, 2),
  );
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
