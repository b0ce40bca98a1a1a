/**
 * The worker image, measured: image size, time from `podman run` to the first job received, and per-job
 * overhead in the container next to the same worker as a host process, side by side on local AWS.
 *
 *   npm run bench:worker-image -- [--jobs 20] [--runs 3]
 *
 * Both workers keep the job table current, drain N tiny render jobs and are timed the same way:
 *   start-up  = first 'job started' log line − the moment the process (or `podman run`) was spawned;
 *   overhead  = (last 'job succeeded' − spawn − Σ POV-Ray time) / N, start-up included, amortised.
 * The container runs with the task definition's settings (1 vCPU, 2 GiB, read-only root, no capabilities);
 * the host process is not CPU-limited. Needs what `npm run test:image` needs (podman, runc, debootstrap, root).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'fs';
import { loadavg, tmpdir } from 'os';
import * as path from 'path';
import { WORKER_ENV } from '../../contracts/lambda-ecs-worker/render-job';
import { sceneFiles, zipOf } from '../../local/povray-scenes';
import { RunningWorker, WorkerTestbed } from '../../local/povray-worker';
import { startLocalAws } from '../../local/local-aws';
import { imageTestBlocker } from '../../local/image/podman';
import { WorkerContainers } from '../../local/image/worker-container';
import { buildWorkerImage, inspectImage } from '../../local/image/worker-image';
import { median } from '../stats';

// The SDK's Node 20 notice is noise here (AWS runs the worker on Node 24; so does the image).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

type Mode = 'host process' | 'container';
interface Measurement {
  mode: Mode;
  run: number;
  startupMs: number;
  overheadPerJobMs: number;
  renderPerJobMs: number;
}

function arg(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
}

const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');

async function drain(worker: RunningWorker, spawnedAt: number, jobs: number, mode: Mode, run: number): Promise<Measurement> {
  const exit = await worker.exited;
  const errors = worker.logs.filter((l) => l.level === 'ERROR' || l.stderr);
  if (exit.code !== 0 || errors.length > 0) throw new Error(`${mode}: exit ${JSON.stringify(exit)}; ${errors.map((e) => JSON.stringify(e)).join('\n')}`);
  const succeeded = worker.logs.filter((l) => l.message === 'job succeeded');
  if (succeeded.length !== jobs) throw new Error(`${mode}: ${succeeded.length} of ${jobs} jobs succeeded`);
  const firstJob = worker.logs.find((l) => l.message === 'job started')!;
  const renderMs = succeeded.reduce((sum, l) => sum + l.renderMs, 0);
  const lastDone = Math.max(...succeeded.map((l) => Date.parse(l.time)));
  return {
    mode,
    run,
    startupMs: Date.parse(firstJob.time) - spawnedAt,
    overheadPerJobMs: (lastDone - spawnedAt - renderMs) / jobs,
    renderPerJobMs: renderMs / jobs,
  };
}

async function main(): Promise<void> {
  const jobs = arg('jobs', 20);
  const runs = arg('runs', 3);
  const blocker = imageTestBlocker();
  if (blocker) throw new Error(blocker.replace('npm run test:image', 'npm run bench:worker-image'));

  const workDir = mkdtempSync(path.join(tmpdir(), 'bench-worker-image-'));
  const local = await startLocalAws(['sqs', 's3', 'dynamodb']);
  const bed = new WorkerTestbed(local);
  const state = buildWorkerImage(workDir, (line) => console.log(line));
  const containers = new WorkerContainers(state, () => local);
  const image = inspectImage(state.image);
  console.log(`image ${state.image}: ${(image.sizeBytes / 1e6).toFixed(0)} MB (podman image inspect --format {{.Size}}: ${image.sizeBytes})`);
  console.log(`loadavg before: ${load()}`);

  const results: Measurement[] = [];
  const scratch: string[] = [];
  try {
    for (let run = 1; run <= runs; run++) {
      for (const mode of ['host process', 'container'] as Mode[]) {
        const s = await bed.scenario(`bench-${run}-${mode === 'container' ? 'container' : 'host'}`, { visibilityTimeoutSeconds: 300 });
        scratch.push(s.workDir);
        for (let i = 0; i < jobs; i++) await bed.submit(s, `tiny${i}.zip`, await zipOf(sceneFiles(`tiny${i}`)));
        const spawnedAt = Date.now();
        const worker =
          mode === 'container'
            ? containers.start(containers.environment(s, { [WORKER_ENV.idleExitSeconds]: '1' }, { [WORKER_ENV.pollWaitSeconds]: '1' }))
            : bed.startWorker(s, { [WORKER_ENV.idleExitSeconds]: '1', [WORKER_ENV.progressIntervalSeconds]: '3' });
        const m = await drain(worker, spawnedAt, jobs, mode, run);
        results.push(m);
        console.log(
          `run ${run} ${mode.padEnd(12)} ${jobs} jobs: start-up ${m.startupMs} ms, overhead ${m.overheadPerJobMs.toFixed(1)} ms/job, render ${m.renderPerJobMs.toFixed(1)} ms/job`,
        );
      }
    }
  } finally {
    await containers.removeAll();
    await bed.close();
    await local.stop();
    for (const dir of [...scratch, workDir]) rmSync(dir, { recursive: true, force: true });
  }

  console.log(`\nmedians of ${runs} runs × ${jobs} jobs (loadavg after: ${load()}):`);
  console.log('mode          start-up→first job   overhead/job   render/job');
  const summary = (['host process', 'container'] as Mode[]).map((mode) => {
    const of = results.filter((r) => r.mode === mode);
    const row = {
      mode,
      medianStartupMs: median(of.map((r) => r.startupMs)),
      medianOverheadPerJobMs: median(of.map((r) => r.overheadPerJobMs)),
      medianRenderPerJobMs: median(of.map((r) => r.renderPerJobMs)),
    };
    console.log(`${mode.padEnd(13)} ${String(row.medianStartupMs).padStart(10)} ms   ${row.medianOverheadPerJobMs.toFixed(1).padStart(9)} ms ${row.medianRenderPerJobMs.toFixed(1).padStart(9)} ms`);
    return row;
  });
  const out = path.join(__dirname, '..', 'results');
  mkdirSync(out, { recursive: true });
  writeFileSync(
    path.join(out, 'worker-image.json'),
    JSON.stringify({ date: new Date().toISOString(), loadavg: loadavg(), jobs, runs, imageSizeBytes: image.sizeBytes, results, summary }, null, 2),
  );
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
