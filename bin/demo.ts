/**
 * `npm run demo -- [scene.zip ...] [--width W --height H] [--out DIR] [--verbose]`
 *
 * The LambdaEcsWorker pipeline end to end on local AWS, nothing reaches AWS: each scene is uploaded to
 * emulated S3 (s3rver) under scenes/; s3rver's own S3 event record drives the real launcher handler, which
 * records the job in emulated DynamoDB (dynalite), queues it on emulated SQS (fauxqs) and starts workers
 * through a local ECS stand-in that spawns the real worker process, which renders with the real POV-Ray
 * and writes renders/<name>.png. Without scenes it renders the original project's ECSLogo sample at a
 * reduced size. Exits non-zero if any job FAILED.
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { PNG } from 'pngjs';
import type { LauncherResult } from '../lambda/lambda-ecs-worker/index';
import type { RenderJobRecord } from '../contracts/lambda-ecs-worker/render-job';

/**
 * What the demo uses of test/lambda-ecs-worker/local-pipeline.ts (which reuses the test harness). That module is
 * loaded at run time, not imported, so the package build (lib + bin, without jest's types) never type-checks test
 * code; the e2e test type-checks it.
 */
interface LocalPipeline {
  upload(key: string, body: Buffer): Promise<unknown>;
  waitForFinishedJob(key: string, timeoutMs: number, onProgress: (job: RenderJobRecord) => void): Promise<RenderJobRecord>;
  invokeLauncher(event: unknown): Promise<LauncherResult>;
  getObject(key: string): Promise<Buffer>;
  readonly ecs: { tasks(): unknown[] };
  stop(): Promise<void>;
}
interface LocalPipelineModule {
  readonly INPUT_PREFIX: string;
  startLocalPipeline(options: {
    renderWidth?: number;
    renderHeight?: number;
    maxWorkers?: number;
    idleExitSeconds?: number;
    visibilityTimeoutSeconds?: number;
    onWorkerOutput?: (task: { taskArn: string }, line: string) => void;
    onLaunch?: (result: LauncherResult) => void;
  }): Promise<LocalPipeline>;
}
const LOCAL_PIPELINE_MODULE = ['..', 'test', 'lambda-ecs-worker', 'local-pipeline'];
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { INPUT_PREFIX, startLocalPipeline } = require(path.join(__dirname, ...LOCAL_PIPELINE_MODULE)) as LocalPipelineModule;

/** Whether `command` is on PATH. */
function onPath(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v "${command}"`]).status === 0;
}

const ROOT = path.join(__dirname, '..');
const SEED_SCENE = path.join(ROOT, '..', 'shared', 'fixtures', 'seed-scene', 'ECSLogo.zip');
/** How often the demo runs the reconciler (every minute on AWS). */
const RECONCILE_EVERY_MS = 5_000;

interface DemoArgs {
  scenes: string[];
  width?: number;
  height?: number;
  out: string;
  verbose: boolean;
}

const USAGE = 'usage: npm run demo -- [scene.zip ...] [--width W --height H] [--out DIR] [--verbose]';

function parseArgs(argv: string[]): DemoArgs {
  const args: DemoArgs = { scenes: [], out: path.resolve('renders'), verbose: false };
  const size = (flag: string, value: string | undefined) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1 || n > 65_535) throw new Error(`${flag} needs a whole number of pixels from 1 to 65535 (got '${value ?? ''}')`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--width') args.width = size(arg, argv[++i]);
    else if (arg === '--height') args.height = size(arg, argv[++i]);
    else if (arg === '--out') {
      if (!argv[i + 1]) throw new Error('--out needs a directory');
      args.out = path.resolve(argv[++i]);
    } else if (arg === '--verbose') args.verbose = true;
    else if (arg === '--help' || arg === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else if (arg.startsWith('--')) throw new Error(`unknown option ${arg}\n${USAGE}`);
    else args.scenes.push(path.resolve(arg));
  }
  if ((args.width === undefined) !== (args.height === undefined)) throw new Error('give --width and --height together');
  if (args.scenes.length === 0) {
    args.scenes.push(SEED_SCENE);
    // The sample is 1920×1080 and takes minutes at full size; a tenth renders in seconds.
    args.width ??= 192;
    args.height ??= 108;
  }
  const names = new Set<string>();
  for (const scene of args.scenes) {
    if (!fs.existsSync(scene)) throw new Error(`scene not found: ${scene}`);
    if (!scene.toLowerCase().endsWith('.zip')) throw new Error(`${scene} is not a .zip: a scene is a zip holding <name>.ini, <name>.pov and its files`);
    const name = path.basename(scene);
    if (names.has(name)) throw new Error(`two scenes are named ${name}; their renders would overwrite each other`);
    names.add(name);
  }
  return args;
}

const elapsed = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)}s`;

async function renderAll(pipeline: LocalPipeline, args: DemoArgs, started: number): Promise<RenderJobRecord[]> {
  const keys = args.scenes.map((scene) => `${INPUT_PREFIX}${path.basename(scene)}`);
  for (const [i, scene] of args.scenes.entries()) {
    await pipeline.upload(keys[i], fs.readFileSync(scene));
    console.log(`[${elapsed(started)}] uploaded ${keys[i]}`);
  }
  return Promise.all(
    keys.map((key) =>
      pipeline.waitForFinishedJob(key, 30 * 60_000, (job) => {
        const detail = job.status === 'RUNNING' ? ` ${job.progress}% (attempt ${job.attempts})` : job.status === 'QUEUED' && job.attempts > 0 ? ` (retrying: ${job.lastError ?? 'released'})` : '';
        console.log(`[${elapsed(started)}] ${key}: ${job.status}${detail}`);
      }),
    ),
  );
}

async function main(): Promise<number> {
  let args: DemoArgs;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (error) {
    console.error((error as Error).message);
    return 2;
  }
  if (!onPath('povray')) {
    console.error('POV-Ray is not installed. Install it with:\n  sudo apt-get install -y povray povray-includes\n(or your platform\'s povray package), then run the demo again.');
    return 1;
  }
  // The demo runs the shipped bundles (launcher, worker, confinement launcher): rebuild whichever is older than
  // the files it was built from, as the tests do, so the demo never shows stale code.
  execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'build-assets.mjs'), '--stale'], { stdio: 'inherit' });
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

  const started = Date.now();
  const size = args.width ? `${args.width}×${args.height}` : "each scene's own size";
  console.log(`rendering ${args.scenes.length} scene(s) at ${size} on local AWS (s3rver, fauxqs, dynalite, local ECS)`);
  const pipeline = await startLocalPipeline({
    renderWidth: args.width,
    renderHeight: args.height,
    maxWorkers: Math.min(4, args.scenes.length),
    idleExitSeconds: 3,
    visibilityTimeoutSeconds: 60,
    onWorkerOutput: (task, line) => {
      if (args.verbose) console.log(`  worker ${task.taskArn.slice(-6)}: ${line}`);
    },
    onLaunch: (result) => {
      if (result.kind === 's3' || result.workersStarted > 0 || result.deadLettered.length > 0) {
        const what = result.kind === 's3' ? `queued ${result.submitted.length} job(s)` : 'reconciled';
        const extra = [
          result.duplicates.length ? `${result.duplicates.length} duplicate(s) ignored` : '',
          result.skipped.length ? `skipped ${result.skipped.map((s) => `${s.key} (${s.reason})`).join(', ')}` : '',
          result.deadLettered.length ? `${result.deadLettered.length} dead-lettered job(s) FAILED` : '',
        ].filter(Boolean);
        console.log(`[${elapsed(started)}] launcher: ${what}, ${result.runningWorkers} worker(s) running, ${result.workersStarted} started${extra.length ? `; ${extra.join('; ')}` : ''}`);
      }
    },
  });
  const stopAll = async () => {
    clearInterval(reconciler);
    await pipeline.stop();
  };
  const onSignal = () => {
    console.error('\ninterrupted: stopping workers and emulators ...');
    void stopAll().then(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  // The scheduled reconciler, as EventBridge runs it on AWS (every minute there, every 5 s here).
  const reconciler = setInterval(() => {
    pipeline.invokeLauncher({ source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} }).catch((error) => {
      console.error(`reconciler failed: ${(error as Error).message}`);
    });
  }, RECONCILE_EVERY_MS);

  try {
    const jobs = await renderAll(pipeline, args, started);
    fs.mkdirSync(args.out, { recursive: true });
    let failed = 0;
    console.log('');
    for (const job of jobs) {
      const base = path.basename(job.key).replace(/\.[^.]+$/, '');
      if (job.status === 'SUCCEEDED' && job.outputKey) {
        const png = await pipeline.getObject(job.outputKey);
        const file = path.join(args.out, `${base}.png`);
        fs.writeFileSync(file, png);
        const { width, height } = PNG.sync.read(png);
        console.log(`SUCCEEDED ${job.key} → ${job.outputKey} (${width}×${height}) written to ${file}`);
      } else {
        failed++;
        console.log(`FAILED    ${job.key}: ${job.errorReason ?? 'no reason recorded'}`);
      }
      if (job.logKey) {
        const file = path.join(args.out, `${base}.log`);
        fs.writeFileSync(file, await pipeline.getObject(job.logKey));
        console.log(`          render log: ${file}`);
      }
    }
    console.log(`\n${jobs.length - failed} of ${jobs.length} job(s) SUCCEEDED in ${elapsed(started)}; ${pipeline.ecs.tasks().length} worker task(s) started`);
    return failed > 0 ? 1 : 0;
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    await stopAll();
  }
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exit(1);
  },
);
