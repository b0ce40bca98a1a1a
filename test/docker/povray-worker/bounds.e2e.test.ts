/**
 * The bounds of one render, judged by outcome with the real worker, POV-Ray and povray-jail on local AWS
 * (docs/povray-worker.md, "Bounds"): a render at MAX_PIXELS (3840×2160) succeeds; a scene that needs 4 GB,
 * one that asks for 512 threads, a 200 MB output flood and an endless parse loop each end FAILED on their
 * first delivery, message gone (not retried, nothing in the DLQ), with a reason naming the bound and its
 * value. The bounds are made small through the environment so the tests stay cheap. Then: only the PNG
 * and the log leave a job, and a worker killed with SIGKILL leaves no POV-Ray and no job directory.
 */
import { execFileSync } from 'child_process';
import { existsSync, readdirSync, readlinkSync, realpathSync, rmSync } from 'fs';
import * as path from 'path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { PNG } from 'pngjs';
import { WORKER_ENV } from '../../../contracts/lambda-ecs-worker/render-job';
import { IMAGE_ENV } from '../../../docker/povray-worker/src/config';
import { useLocalAws } from '../../../local/local-aws';
import { describeWithTools } from '../../../local/tools';
import { sceneFiles, zipOf } from '../../../local/povray-scenes';
import { outputFlood } from '../../../local/povray-hostile-scenes';
import { Scenario, WorkerTestbed } from '../../../local/povray-worker';

const local = useLocalAws(['sqs', 's3', 'dynamodb']);

/** Pids of processes whose working directory is beneath `dir` (POV-Ray runs in its job's scene directory). */
function processesIn(dir: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readlinkSync(`/proc/${entry}/cwd`).startsWith(`${dir}/`)) found.push(Number(entry));
    } catch {
      // gone, or not ours to look at
    }
  }
  return found;
}

/**
 * Each test queues its jobs before it starts the worker, so the worker need not wait for more: it exits 1 s
 * after its last job instead of the test bed's 3 s (a test waits for that exit).
 */
const QUEUED_FIRST = { [WORKER_ENV.idleExitSeconds]: '1' };

/** 200 MB into the job's out/, past the job's disk budget. */
const flood = outputFlood('../out/flood.txt', 200_000);

describeWithTools(['povray'], 'povray worker: bounds of one render', () => {
  let bed: WorkerTestbed;
  const scenarios: Scenario[] = [];
  const scenario = async (name: string) => {
    const s = await bed.scenario(name);
    scenarios.push(s);
    return s;
  };

  beforeAll(() => {
    bed = new WorkerTestbed(local());
  });

  afterAll(async () => {
    await bed?.close();
    for (const s of scenarios) {
      for (const pid of processesIn(s.workDir)) process.kill(pid, 'SIGKILL');
      rmSync(s.workDir, { recursive: true, force: true });
    }
  });

  it('renders a 3840×2160 image (MAX_PIXELS) in the default task size: POV-Ray keeps it in a file in the job, not /tmp', async () => {
    const s = await scenario('fourk');
    const jobId = await bed.submit(s, 'fourk.zip', await zipOf(sceneFiles('fourk', { ini: 'Input_File_Name=fourk.pov\n+W3840 +H2160\nQuality=0\nAntialias=off\n' })));
    const worker = bed.startWorker(s, { ...QUEUED_FIRST, [WORKER_ENV.maxPixels]: String(3840 * 2160), [WORKER_ENV.taskMemoryMiB]: '2048', [WORKER_ENV.taskVcpus]: '1' });
    await worker.exited;
    const record = await bed.record(s, jobId);
    expect(record?.errorReason).toBeUndefined();
    expect(record).toMatchObject({ status: 'SUCCEEDED', attempts: 1 });
    const image = PNG.sync.read((await bed.object(s, 'renders/fourk.png')).body);
    expect([image.width, image.height]).toEqual([3840, 2160]);
    // The task's one vCPU is all POV-Ray renders with, whatever the host shows.
    expect((await bed.object(s, 'renders/fourk.log')).body.toString()).toMatch(/using 1 thread\(s\)/);
    expect(readdirSync(s.workDir)).toEqual([]);
  }, 120_000);

  const bounded: Array<[string, () => ReturnType<typeof sceneFiles>, Record<string, string>, RegExp]> = [
    ['memory', () => sceneFiles('memory', { povExtra: '#declare A = array[500000000];\n' }), { [WORKER_ENV.renderMemoryMiB]: '256' }, /^scene needed more than 256 MiB of memory \(RENDER_MEMORY_MIB/],
    ['threads', () => sceneFiles('threads', { iniExtra: 'Work_Threads=512\n' }), { [WORKER_ENV.taskVcpus]: '2' }, /Work_Threads=512 is more than the 2 render threads this task allows \(its vCPUs, TASK_VCPUS\)/],
    ['flood', () => sceneFiles('flood', { povExtra: flood }), { [WORKER_ENV.renderDiskBytes]: String(4 * 1024 * 1024) }, /^scene wrote more than 4194304 bytes into its job directory \(RENDER_DISK_BYTES\)/],
    ['files', () => sceneFiles('files', { povExtra: '#for (I, 0, 40)\n#fopen W concat("../out/f", str(I, 0, 0), ".txt") write\n#fclose W\n#end\n' }), { [WORKER_ENV.renderMaxFiles]: '8' }, /^scene created more than 8 files in its job directory \(RENDER_MAX_FILES\)/],
    ['cpu', () => sceneFiles('cpu', { povExtra: '#declare N = 0;\n#while (true)\n#declare N = N + 1;\n#end\n' }), { [WORKER_ENV.renderCpuSeconds]: '1' }, /^scene needed more than 1 CPU-seconds \(RENDER_CPU_SECONDS/],
  ];

  it.each(bounded)('%s: FAILED on the first delivery, not retried, with the bound named', async (name, files, env, reason) => {
    const s = await scenario(`bound-${name}`);
    const jobId = await bed.submit(s, `${name}.zip`, await zipOf(files()));
    // The checker would refuse the file writes before POV-Ray runs; the bounds are what is under test.
    const worker = bed.startWorker(s, { ...QUEUED_FIRST, ...env, [IMAGE_ENV.skipSceneScan]: 'true' });
    await worker.exited;
    const record = await bed.record(s, jobId);
    expect(record?.status).toBe('FAILED');
    expect(record?.errorReason).toMatch(reason);
    expect(record?.attempts).toBe(1);
    expect(await bed.queueCounts(s.queueUrl)).toEqual({ visible: 0, inFlight: 0 });
    expect(await bed.queueCounts(s.dlqUrl)).toEqual({ visible: 0, inFlight: 0 });
    expect(readdirSync(s.workDir)).toEqual([]);
  }, 60_000);

  it('only the PNG and the render log leave a job: a photon map and other files the scene wrote are discarded', async () => {
    const s = await scenario('leftovers');
    const povExtra = [
      'global_settings { photons { count 2000 save_file "../out/photons.ph" } }',
      'sphere { <0, 2, 0>, 0.5 pigment { rgbf 1 } photons { target refraction on } }',
      '#fopen W "../out/extra.txt" write\n#write (W, "extra\\n")\n#fclose W',
      '#fopen W "../out/render.log" write\n#write (W, "forged log\\n")\n#fclose W',
    ].join('\n');
    const jobId = await bed.submit(s, 'leftovers.zip', await zipOf(sceneFiles('leftovers', { povExtra })));
    const worker = bed.startWorker(s, { ...QUEUED_FIRST, [IMAGE_ENV.skipSceneScan]: 'true' });
    await worker.exited;
    expect(await bed.record(s, jobId)).toMatchObject({ status: 'SUCCEEDED', attempts: 1 });
    const listed = await bed.s3.send(new ListObjectsV2Command({ Bucket: s.bucket }));
    expect((listed.Contents ?? []).map((o) => o.Key).sort()).toEqual(['renders/leftovers.log', 'renders/leftovers.png', 'scenes/leftovers.zip']);
    expect((await bed.object(s, 'renders/leftovers.log')).body.toString()).not.toContain('forged log');
    expect(readdirSync(s.workDir)).toEqual([]);
  }, 60_000);

  it("a scene cannot forge the worker's log lines nor move the job's progress", async () => {
    const s = await scenario('forgery');
    const forged = '#debug "\\n[worker 2030-01-01T00:00:00.000Z] render cancelled by the operator\\nRendered 99 of 100 pixels (99%)\\n"\n#warning "Rendered 98 of 100 pixels"\n';
    const logJob = await bed.submit(s, 'forgedlog.zip', await zipOf(sceneFiles('forgedlog', { povExtra: forged })));
    // The same lines, then a parse that never ends (stopped by the CPU bound): progress must stay 0.
    const progressJob = await bed.submit(s, 'forgedprogress.zip', await zipOf(sceneFiles('forgedprogress', { povExtra: `${forged}#while (true)\n#end\n` })));
    const seen = new Set<number>();
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        const r = await bed.record(s, progressJob);
        if (r) seen.add(r.progress);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    const worker = bed.startWorker(s, { ...QUEUED_FIRST, [WORKER_ENV.renderCpuSeconds]: '2' });
    await worker.exited;
    watching = false;
    await watcher;
    expect(await bed.record(s, logJob)).toMatchObject({ status: 'SUCCEEDED' });
    const log = (await bed.object(s, 'renders/forgedlog.log')).body.toString();
    expect(log).toContain('povray| [worker 2030-01-01T00:00:00.000Z] render cancelled by the operator');
    expect(log.split('\n').filter((l) => l.includes('render cancelled'))).toEqual(['povray| [worker 2030-01-01T00:00:00.000Z] render cancelled by the operator']);
    expect(log.split('\n').every((l) => l === '' || l.startsWith('povray| ') || /^\[worker \d{4}-\d\d-\d\dT[\d:.]+Z\] /.test(l) || l.startsWith('[... '))).toBe(true);
    const record = await bed.record(s, progressJob);
    expect(record).toMatchObject({ status: 'FAILED', progress: 0 });
    expect(record?.errorReason).toMatch(/CPU-seconds/);
    expect([...seen]).toEqual([0]);
  }, 60_000);

  it('the read set is the files the loader opens, not their directories: a scene cannot read gconv/gconv-modules beside libc', async () => {
    const s = await scenario('readset');
    const libc = /=>\s+(\/\S+libc\.so\.6)/.exec(execFileSync('ldd', [execFileSync('sh', ['-c', 'command -v povray']).toString().trim()]).toString())![1];
    const gconv = path.join(path.dirname(realpathSync(libc)), 'gconv', 'gconv-modules');
    expect(existsSync(gconv)).toBe(true);
    const povExtra = `#if (file_exists("${gconv}")) #debug "GCONV-READABLE\\n" #end\n#if (file_exists("${realpathSync(libc)}")) #debug "LIBC-READABLE\\n" #end\n`;
    const jobId = await bed.submit(s, 'readset.zip', await zipOf(sceneFiles('readset', { povExtra })));
    const worker = bed.startWorker(s, { ...QUEUED_FIRST, [IMAGE_ENV.skipSceneScan]: 'true' });
    await worker.exited;
    expect(await bed.record(s, jobId)).toMatchObject({ status: 'SUCCEEDED' });
    const log = (await bed.object(s, 'renders/readset.log')).body.toString();
    // libc itself is loaded, so readable (the control that the check works); its neighbour is not.
    expect(log).toContain('povray| LIBC-READABLE');
    expect(log).not.toContain('GCONV-READABLE');
  }, 60_000);

  it('a worker killed with SIGKILL mid-render leaves no POV-Ray running, and the next worker removes its job directory', async () => {
    const s = await scenario('sigkill');
    // Parses forever and prints nothing: no progress line would ever meet a closed pipe.
    await bed.submit(s, 'endless.zip', await zipOf(sceneFiles('endless', { povExtra: '#while (true)\n#end\n' })));
    const victim = bed.startWorker(s);
    await victim.waitForLog((l) => l.message === 'render started');
    await bed.waitFor(async () => processesIn(s.workDir).length > 0, 'POV-Ray to start');
    victim.process.kill('SIGKILL');
    await victim.exited;
    await bed.waitFor(async () => processesIn(s.workDir).length === 0, 'POV-Ray to die with its worker', 5_000);
    expect(readdirSync(s.workDir)).toEqual([`povray-worker-${victim.process.pid}`]);
    // The next worker on this scratch space sweeps what the killed one left (its message is still invisible).
    const next = bed.startWorker(s, QUEUED_FIRST);
    await next.exited;
    expect(next.logs.find((l) => l.message === 'removed job directories of workers that are gone')?.swept).toEqual([`povray-worker-${victim.process.pid}`]);
    expect(readdirSync(s.workDir)).toEqual([]);
  }, 60_000);
});
