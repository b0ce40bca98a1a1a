/**
 * The real worker process (docker/povray-worker/dist/index.js, the default configuration) when the world
 * fails it, on local AWS with real POV-Ray: an S3 upload that fails, a render that outlasts
 * RENDER_TIMEOUT_SECONDS, a heartbeat answered with MessageNotInflight, and what it hands to its
 * confinement launcher (none of its own environment). Faults are injected by a proxy in front of the
 * emulator (fault-proxy.ts); the renderer is wrapped by launcher stand-ins that record what they were
 * given and then run the real launcher.
 */
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { IMAGE_ENV } from '../../../docker/povray-worker/src/config';
import { WORKER_ENV } from '../../../contracts/lambda-ecs-worker/render-job';
import { useLocalAws } from '../../../local/local-aws';
import { describeWithTools } from '../../../local/tools';
import { sceneFiles, zipOf } from '../../../local/povray-scenes';
import { Scenario, WORKER_JAIL, WorkerTestbed } from '../../../local/povray-worker';
import { FaultProxy, s3Error, sqsError, sqsOperation } from './fault-proxy';

const local = useLocalAws(['sqs', 's3', 'dynamodb']);
const FAST = { [WORKER_ENV.renderWidth]: '16', [WORKER_ENV.renderHeight]: '9' };
const PACED = path.join(__dirname, 'stand-ins', 'paced-povray.cjs');
const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Whether any process of process group `pgid` is still alive. */
const groupAlive = (pgid: number) => {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
};

describeWithTools(['povray'], 'povray worker: failed uploads, timeouts, lost messages, its environment', () => {
  let testbed: WorkerTestbed | undefined;
  let bed: WorkerTestbed;
  const scenarios: Scenario[] = [];
  const proxies: FaultProxy[] = [];
  const scratch = mkdtempSync(path.join(tmpdir(), 'worker-failures-'));
  const scenario = async (name: string, options?: { visibilityTimeoutSeconds?: number; maxReceiveCount?: number }) => {
    bed = testbed ??= new WorkerTestbed(local());
    const s = await bed.scenario(name, options);
    scenarios.push(s);
    return s;
  };
  const proxy = async (target: string, fault: ConstructorParameters<typeof FaultProxy>[1]) => {
    const p = new FaultProxy(target, fault);
    proxies.push(p);
    return { proxy: p, url: await p.start() };
  };
  /**
   * A launcher stand-in (POVRAY_JAIL): records its environment, its arguments and its PID (the render's
   * process group) under `name`, then runs the real launcher, paced to `seconds` when given.
   */
  const launcherPidFiles: string[] = [];
  const recordingLauncher = (name: string, seconds?: number) => {
    const dir = path.join(scratch, name);
    const file = path.join(scratch, `${name}-launcher`);
    const run = seconds === undefined ? quote(WORKER_JAIL) : `${quote(process.execPath)} ${quote(PACED)} ${seconds} ${quote(WORKER_JAIL)}`;
    writeFileSync(
      file,
      [
        '#!/bin/sh',
        `if [ "$1" = --probe ]; then exec ${quote(WORKER_JAIL)} "$@"; fi`,
        `mkdir -p ${quote(dir)}`,
        `env > ${quote(dir)}/env`,
        `printf '%s\\n' "$@" > ${quote(dir)}/args`,
        `echo $$ > ${quote(dir)}/pid`,
        `exec ${run} "$@"`,
        '',
      ].join('\n'),
    );
    chmodSync(file, 0o755);
    launcherPidFiles.push(path.join(dir, 'pid'));
    return {
      env: { [IMAGE_ENV.povrayJail]: file },
      /** Whether the render has started (the launcher has run). */
      started: () => existsSync(path.join(dir, 'pid')),
      pid: () => Number(readFileSync(path.join(dir, 'pid'), 'utf8')),
      environment: () => readFileSync(path.join(dir, 'env'), 'utf8'),
      args: () => readFileSync(path.join(dir, 'args'), 'utf8'),
    };
  };

  afterAll(async () => {
    // A test that failed may leave its render running (the paced stand-in does not die with its worker, unlike
    // povray-jail): end every render process group a launcher started, so nothing outlives the run.
    for (const pidFile of launcherPidFiles.filter(existsSync)) {
      try {
        process.kill(-Number(readFileSync(pidFile, 'utf8')), 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await bed?.close();
    await Promise.all(proxies.map((p) => p.stop()));
    for (const s of scenarios) rmSync(s.workDir, { recursive: true, force: true });
    rmSync(scratch, { recursive: true, force: true });
  });

  it.concurrent('an S3 upload that fails: the job is not SUCCEEDED, its message is not deleted, and the failure is in the job record', async () => {
    const s = await scenario('upload-fails', { maxReceiveCount: 1 });
    const jobId = await bed.submit(s, 'upload.zip', await zipOf(sceneFiles('upload')));
    const s3 = await proxy(local().endpoints.s3!, (r) =>
      r.method === 'PUT' && r.url.split('?')[0].endsWith('/renders/upload.png') ? s3Error(500, 'InternalError', 'injected: the PNG upload failed') : undefined,
    );
    const worker = bed.startWorker(s, { ...FAST, AWS_ENDPOINT_URL_S3: s3.url, AWS_MAX_ATTEMPTS: '1' });
    expect((await worker.exited).code).toBe(0);

    expect(s3.proxy.seen.filter((x) => x.injected)).toHaveLength(1);
    const record = await bed.record(s, jobId);
    expect(record).toMatchObject({ status: 'FAILED', attempts: 1, logKey: 'renders/upload.log' });
    expect(record?.errorReason).toMatch(/^gave up after 1 attempts: InternalError: injected: the PNG upload failed$/);
    expect(record?.outputKey).toBeUndefined();
    expect(worker.logs.some((l) => l.message === 'job succeeded')).toBe(false);
    // Never deleted: left for SQS to move to the DLQ.
    expect((await local().requestCounts('sqs', s.queueUrl)).DeleteMessage ?? 0).toBe(0);
    const [queue, dlq] = await Promise.all([bed.queueCounts(s.queueUrl), bed.queueCounts(s.dlqUrl)]);
    expect(queue.visible + queue.inFlight + dlq.visible + dlq.inFlight).toBe(1);
    await expect(bed.object(s, 'renders/upload.png')).rejects.toThrow(/NoSuchKey|does not exist/);
  });

  it.concurrent('a scene that outlasts RENDER_TIMEOUT_SECONDS: FAILED with the timeout reason, its processes gone', async () => {
    const s = await scenario('timeout');
    const jobId = await bed.submit(s, 'endless.zip', await zipOf(sceneFiles('endless')));
    const launcher = recordingLauncher('timeout', 600);
    const worker = bed.startWorker(s, { ...launcher.env, [WORKER_ENV.renderTimeoutSeconds]: '2' });
    const failed = await bed.waitForRecord(s, jobId, (r) => r.status === 'FAILED', 20_000);
    expect(failed).toMatchObject({ attempts: 1, errorReason: 'render timed out: it ran longer than 2 s (RENDER_TIMEOUT_SECONDS)' });
    const pgid = launcher.pid();
    await bed.waitFor(async () => !groupAlive(pgid), `render process group ${pgid} to be gone`, 5_000);
    expect((await worker.exited).code).toBe(0);
    // A scene that cannot finish in time will not next time either: deleted, not retried.
    expect(await bed.queueCounts(s.queueUrl)).toEqual({ visible: 0, inFlight: 0 });
    expect(await bed.queueCounts(s.dlqUrl)).toEqual({ visible: 0, inFlight: 0 });
  });

  it.concurrent('a heartbeat answered with MessageNotInflight: the worker abandons the job (render killed, record and message untouched)', async () => {
    const s = await scenario('not-inflight', { visibilityTimeoutSeconds: 2 });
    const jobId = await bed.submit(s, 'lost.zip', await zipOf(sceneFiles('lost')));
    const launcher = recordingLauncher('not-inflight', 600);
    // Once the render runs, every heartbeat is refused as SQS refuses one whose message was redelivered
    // elsewhere. Once the worker has let go, its polls come back empty: the other delivery (not run here)
    // owns the message.
    let abandoned = false;
    const sqs = await proxy(local().endpoints.sqs!, (r) => {
      if (sqsOperation(r) === 'ChangeMessageVisibility' && launcher.started()) return sqsError('MessageNotInflight', 'injected: the message is not in flight');
      if (abandoned && sqsOperation(r) === 'ReceiveMessage') return { status: 200, headers: { 'content-type': 'application/x-amz-json-1.0' }, body: '{}' };
      return undefined;
    });
    const worker = bed.startWorker(s, { ...launcher.env, AWS_ENDPOINT_URL_SQS: sqs.url, [WORKER_ENV.idleExitSeconds]: '60' });
    await worker.waitForLog((l) => l.message === 'attempt abandoned: the message was redelivered', 20_000);
    abandoned = true;
    const pgid = launcher.pid();
    await bed.waitFor(async () => !groupAlive(pgid), `render process group ${pgid} to be gone`, 5_000);
    expect(sqs.proxy.seen.filter((x) => x.injected).length).toBeGreaterThanOrEqual(1);
    // Another delivery owns the job now: nothing written, nothing deleted, no visibility given back.
    const ops = sqs.proxy.seen.map((x) => sqsOperation(x.request));
    expect(ops.filter((op) => op === 'DeleteMessage')).toEqual([]);
    expect(await bed.record(s, jobId)).toMatchObject({ status: 'RUNNING', attempts: 1 });
    expect(worker.logs.filter((l) => /^job (failed|succeeded|released)/.test(l.message ?? ''))).toEqual([]);
    expect(worker.logs.filter((l) => l.message === 'job started')).toHaveLength(1);
    worker.process.kill('SIGKILL');
    await worker.exited;
  });

  it.concurrent('hands its launcher none of its own environment: no AWS_* or queue variable in the launcher\'s environment or arguments, nor in the outputs', async () => {
    const s = await scenario('environment');
    const jobId = await bed.submit(s, 'env.zip', await zipOf(sceneFiles('env')));
    const launcher = recordingLauncher('environment');
    const secret = 'session-token-that-must-not-reach-povray';
    const worker = bed.startWorker(s, { ...FAST, ...launcher.env, AWS_SESSION_TOKEN: secret, AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '/v2/credentials/not-for-povray' });
    const done = await bed.waitForRecord(s, jobId, (r) => r.status === 'SUCCEEDED');
    expect((await worker.exited).code).toBe(0);

    const workerEnv = bed.workerEnv(s, { ...FAST, ...launcher.env, AWS_SESSION_TOKEN: secret, AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '/v2/credentials/not-for-povray' });
    // What the worker hands over: the launcher's own environment and its arguments (`--env NAME=VALUE` for POV-Ray).
    const environment = launcher.environment();
    const args = launcher.args();
    const names = Object.keys(workerEnv).filter((n) => n !== 'PATH');
    const secrets = Object.entries(workerEnv).filter(([n, v]) => /^AWS_|QUEUE|TABLE/.test(n) && v.length >= 8).map(([, v]) => v);
    expect(secrets).toEqual(expect.arrayContaining([secret, s.queueUrl, s.tableName, local().endpoints.s3]));
    const given = `${environment}\n${args}`;
    expect(names.filter((n) => new RegExp(`(^|\\n)${n}=`).test(given))).toEqual([]);
    expect(secrets.filter((v) => given.includes(v))).toEqual([]);
    expect(args).toMatch(/(^|\n)--env\nHOME=/);
    // And none of it in what the job produced.
    const png = (await bed.object(s, done.outputKey!)).body;
    const log = (await bed.object(s, done.logKey!)).body;
    const record = JSON.stringify(done);
    expect(secrets.filter((v) => png.includes(v) || log.includes(v) || record.includes(v))).toEqual([]);
    expect(readdirSync(s.workDir)).toEqual([]);
  });
});
