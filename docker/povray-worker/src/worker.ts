import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ChangeMessageVisibilityCommand, DeleteMessageCommand, Message, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import * as path from 'path';
import { Readable, Transform } from 'stream';
import { pipeline } from 'stream/promises';
import { RenderJobMessage, renderOutputKeys } from '../../../contracts/lambda-ecs-worker/render-job';
import { ArchiveRejected, extractArchive } from './archive';
import { heartbeatIntervalMs, WorkerConfig } from './config';
import { classifyFailure, decideOnFailure, failureReason, PermanentJobError } from './failures';
import { exceededBound, memoryBytes, processLimit, sweepStaleJobDirs, watchDiskBudget, workerJobsDir } from './bounds';
import { Confinement, confinementPolicy, describeConfinement, jailArguments, jailFailure, probeConfinement, renderEnvironment } from './confinement';
import { freshIni, parseIni, povrayArguments, renderSize, renderThreads, unsupportedFileNameReason } from './ini-allowlist';
import { JobRecords } from './job-record';
import { defaultInputFile, locateIni, parseJobMessage, PNG_SIGNATURE, rejectConfigFiles, sceneBaseName } from './job-plan';
import { POVRAY_LIBRARY_DIRS } from './library';
import { errorFields, Logger, printable } from './log';
import { ProgressTracker } from './progress';
import { startRender } from './render';
import { readCapped, RenderLog, streamsToFile, summarizePovrayFailure } from './render-log';
import { checkScene, LibraryIndex } from './sdl-scan';

export interface WorkerDeps {
  readonly config: WorkerConfig;
  readonly sqs: SQSClient;
  readonly s3: S3Client;
  readonly records: JobRecords;
  /** The standard include library's index (loaded once, lazily). */
  readonly library: () => LibraryIndex;
  /**
   * The confinement POV-Ray runs in (probed once; index.ts probes at start-up to log it loudly).
   * @default probed on first use from config.povrayJail
   */
  readonly confinement?: () => Confinement;
  readonly logger: Logger;
}

/** Thrown inside a job when the worker gives the job back: it is stopping, or the message is no longer its own. */
class Released extends Error {
  constructor(readonly reason: AbortReason) {
    super(reason === 'shutdown' ? 'worker stopping' : 'message lost');
    this.name = 'Released';
  }
}

type AbortReason = 'shutdown' | 'lost';

/** The job id of a message body that is JSON with a string `jobId`, else undefined. */
function jobIdOf(body: string | undefined): string | undefined {
  try {
    const id = (JSON.parse(body ?? '') as { jobId?: unknown })?.jobId;
    return typeof id === 'string' && id.length > 0 && id.length <= 256 ? id : undefined;
  } catch {
    return undefined;
  }
}

/** SQS errors saying a receipt handle no longer holds the message. */
export function isMessageGone(error: unknown): boolean {
  const e = error as { name?: string; message?: string } | undefined;
  return (
    e?.name === 'MessageNotInflight' ||
    e?.name === 'ReceiptHandleIsInvalid' ||
    (e?.name === 'InvalidParameterValue' && /receipt ?handle|not available for visibility/i.test(e.message ?? ''))
  );
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The worker loop: long-poll one job at a time, render it in a private directory, report, repeat; exit
 * after IDLE_EXIT_SECONDS of empty polls or on SIGTERM (see {@link stop}).
 */
export class Worker {
  private stopping = false;
  private pollAbort?: AbortController;
  private jobAbort?: AbortController;
  private graceTimer?: NodeJS.Timeout;
  private confined?: Confinement;

  constructor(private readonly deps: WorkerDeps) {}

  private confinement(): Confinement {
    const { config } = this.deps;
    return (this.confined ??= this.deps.confinement?.() ?? probeConfinement(config.povrayJail, config.povrayCommand, POVRAY_LIBRARY_DIRS));
  }

  /** Stop receiving; release the current job now, or after SHUTDOWN_GRACE_SECONDS if it is still running then. */
  stop(signal: string): void {
    const { logger, config } = this.deps;
    if (!this.stopping) logger.info('stopping', { signal, busy: this.jobAbort !== undefined, graceSeconds: config.shutdownGraceSeconds });
    this.stopping = true;
    this.pollAbort?.abort();
    const job = this.jobAbort;
    if (!job) return;
    if (config.shutdownGraceSeconds <= 0 || this.graceTimer) {
      job.abort('shutdown');
    } else {
      this.graceTimer = setTimeout(() => job.abort('shutdown'), config.shutdownGraceSeconds * 1000);
    }
  }

  async run(): Promise<number> {
    const { config, logger } = this.deps;
    logger.info('worker started', { queueUrl: config.queueUrl, idleExitSeconds: config.idleExitSeconds, bounds: config.bounds });
    // Job directories of workers that died without cleaning up (SIGKILL): theirs, not another live worker's.
    const swept = sweepStaleJobDirs(config.workDir);
    if (swept.length > 0) logger.warn('removed job directories of workers that are gone', { swept });
    try {
      return await this.loop();
    } finally {
      rmSync(workerJobsDir(config.workDir), { recursive: true, force: true });
    }
  }

  private async loop(): Promise<number> {
    const { config, sqs, logger } = this.deps;
    let idleSince = Date.now();
    let failures = 0;
    let lastPollEmpty = false;
    while (!this.stopping) {
      // Idle exit: only when the latest poll came back empty (or failed) and the idle time is up.
      const idleLeft = config.idleExitSeconds - (Date.now() - idleSince) / 1000;
      if (lastPollEmpty && idleLeft <= 0) {
        logger.info('idle, exiting', { idleSeconds: config.idleExitSeconds });
        break;
      }
      this.pollAbort = new AbortController();
      let messages: Message[] = [];
      try {
        const response = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: config.queueUrl,
            MaxNumberOfMessages: 1,
            // The visibility the heartbeat keeps extending, whatever the queue's own default (a queue the user
            // brought may have 30 s, shorter than the first heartbeat).
            VisibilityTimeout: config.visibilityTimeoutSeconds,
            WaitTimeSeconds: Math.max(0, Math.min(config.pollWaitSeconds, Math.ceil(idleLeft))),
            MessageSystemAttributeNames: ['ApproximateReceiveCount'],
          }),
          { abortSignal: this.pollAbort.signal },
        );
        messages = response.Messages ?? [];
        lastPollEmpty = messages.length === 0;
        failures = 0;
      } catch (error) {
        if (this.stopping) break;
        lastPollEmpty = true;
        failures++;
        logger.error('receive failed', { ...errorFields(error), consecutiveFailures: failures });
        await sleep(Math.min(30_000, 500 * 2 ** Math.min(failures, 6)));
        continue;
      } finally {
        this.pollAbort = undefined;
      }
      for (const message of messages) {
        await this.process(message);
        idleSince = Date.now();
      }
    }
    clearTimeout(this.graceTimer);
    logger.info('worker stopped');
    return 0;
  }

  private async process(message: Message): Promise<void> {
    const { config, sqs, records, logger } = this.deps;
    const receipt = message.ReceiptHandle!;
    const attempt = Number(message.Attributes?.ApproximateReceiveCount ?? '1');
    const setVisibility = (seconds: number) =>
      sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: config.queueUrl, ReceiptHandle: receipt, VisibilityTimeout: seconds }));
    const deleteMessage = () => sqs.send(new DeleteMessageCommand({ QueueUrl: config.queueUrl, ReceiptHandle: receipt }));

    let job: RenderJobMessage;
    try {
      job = parseJobMessage(message.Body, config.inputPrefix);
    } catch (error) {
      // Not a job this worker can ever run: drop it, and if it names a job, mark that job FAILED.
      const reason = failureReason(error);
      const jobId = jobIdOf(message.Body);
      logger.error('dropping malformed message', { messageId: message.MessageId, jobId, reason });
      try {
        if (jobId) await records.failed(jobId, reason, undefined, new Date());
        await deleteMessage();
      } catch (e) {
        logger.error('could not drop the malformed message; it will be redelivered', errorFields(e));
      }
      return;
    }
    const { pngKey, logKey } = renderOutputKeys(job.key, config.inputPrefix, config.outputPrefix);
    const jobLog = { jobId: job.jobId, key: job.key, attempt };
    this.jobAbort = new AbortController();
    const abort = this.jobAbort.signal;
    if (this.stopping) this.jobAbort.abort('shutdown');

    // Heartbeat: keep the message invisible while the job runs, extending it every quarter of the timeout
    // (the receive itself started the first timeout). If the message is no longer ours (its visibility
    // lapsed and another worker has it), stop working on it: that other delivery now owns the job.
    let beating = true;
    let stopBeat = () => undefined as void;
    const heartbeat = (async () => {
      const interval = heartbeatIntervalMs(config.visibilityTimeoutSeconds);
      while (beating) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, interval);
          stopBeat = () => (clearTimeout(timer), resolve());
        });
        if (!beating) break;
        try {
          await setVisibility(config.visibilityTimeoutSeconds);
        } catch (error) {
          if (isMessageGone(error)) {
            logger.warn('message lost: its visibility lapsed and it may be redelivered; abandoning this attempt', { ...jobLog, ...errorFields(error) });
            this.jobAbort?.abort('lost');
            break;
          }
          logger.warn('heartbeat failed', { ...jobLog, ...errorFields(error) });
        }
      }
    })();

    const log = new RenderLog();
    log.note(`job ${printable(job.jobId)}: s3://${job.bucket}/${printable(job.key)} attempt ${attempt} on ${config.workerId}`);
    let jobDir: string | undefined;
    try {
      const confinement = this.confinement();
      const startable = await records.start(job, attempt, config.workerId, new Date(), confinement.available ? confinement.mechanism : 'none');
      if (!startable) {
        logger.info('job already succeeded, dropping duplicate delivery', jobLog);
        await deleteMessage();
        return;
      }
      logger.info('job started', jobLog);
      const jobsDir = workerJobsDir(config.workDir);
      mkdirSync(jobsDir, { recursive: true, mode: 0o700 });
      jobDir = mkdtempSync(path.join(jobsDir, 'job-'));
      const renderMs = await this.execute(job, jobDir, log, abort, pngKey, logKey);
      await records.succeeded(job.jobId, { outputKey: pngKey, logKey }, new Date());
      await deleteMessage();
      logger.info('job succeeded', { ...jobLog, outputKey: pngKey, renderMs });
    } catch (error) {
      await this.onFailure(error, { job, attempt, log, logKey, abort, setVisibility, deleteMessage, jobLog });
    } finally {
      beating = false;
      stopBeat();
      await heartbeat;
      this.jobAbort = undefined;
      clearTimeout(this.graceTimer);
      this.graceTimer = undefined;
      if (jobDir) rmSync(jobDir, { recursive: true, force: true });
    }
  }

  private async onFailure(
    error: unknown,
    ctx: {
      job: RenderJobMessage;
      attempt: number;
      log: RenderLog;
      logKey: string;
      abort: AbortSignal;
      setVisibility: (s: number) => Promise<unknown>;
      deleteMessage: () => Promise<unknown>;
      jobLog: Record<string, unknown>;
    },
  ): Promise<void> {
    const { config, records, logger } = this.deps;
    const { job, attempt, log, logKey, jobLog } = ctx;
    try {
      const releasedFor = error instanceof Released ? error.reason : ctx.abort.aborted && !(error instanceof PermanentJobError) ? (ctx.abort.reason as AbortReason) : undefined;
      if (releasedFor === 'lost') {
        // Another delivery owns the job now: touch neither the message nor the record.
        logger.warn('attempt abandoned: the message was redelivered', jobLog);
        return;
      }
      if (releasedFor === 'shutdown') {
        // Shutdown: give the message back at once so another worker starts it now, not after the timeout.
        await ctx.setVisibility(0);
        await records.requeued(job.jobId, `attempt ${attempt} released: worker ${config.workerId} was stopped`, new Date()).catch((e) =>
          logger.error('job record update failed', { ...jobLog, ...errorFields(e) }),
        );
        logger.info('job released on shutdown', jobLog);
        return;
      }
      const kind = classifyFailure(error);
      const decision = decideOnFailure(kind, attempt, config.maxReceiveCount);
      let reason = failureReason(error);
      if (kind === 'transient' && decision.status === 'FAILED') reason = `gave up after ${attempt} attempts: ${reason}`;
      log.note(`${kind} failure: ${reason}`);
      logger.error('job failed', { ...jobLog, kind, reason, status: decision.status });
      let logUploaded = false;
      try {
        await this.putLog(job.bucket, logKey, log);
        logUploaded = true;
      } catch (e) {
        logger.error('log upload failed', { ...jobLog, ...errorFields(e) });
      }
      if (decision.status === 'FAILED') await records.failed(job.jobId, reason, logUploaded ? logKey : undefined, new Date());
      else await records.requeued(job.jobId, `attempt ${attempt} failed: ${reason}`, new Date());
      if (decision.deleteMessage) await ctx.deleteMessage();
      else await ctx.setVisibility(decision.retryAfterSeconds ?? 0);
    } catch (handling) {
      // Could not even report: leave the message; it comes back after the visibility timeout.
      logger.error('failure handling failed; the message will be redelivered', { ...jobLog, ...errorFields(handling) });
    }
  }

  private async putLog(bucket: string, key: string, log: RenderLog): Promise<void> {
    await this.deps.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: log.toString(), ContentType: 'text/plain; charset=utf-8' }));
  }

  /**
   * Download, extract, check, render, upload; returns how long POV-Ray ran (ms). Throws PermanentJobError
   * for anything wrong with the scene.
   */
  private async execute(job: RenderJobMessage, jobDir: string, log: RenderLog, abort: AbortSignal, pngKey: string, logKey: string): Promise<number> {
    const { config, s3, records, logger } = this.deps;
    const released = () => new Released(abort.reason === 'lost' ? 'lost' : 'shutdown');
    const checkAbort = () => {
      if (abort.aborted) throw released();
    };
    // Fail closed: without its confinement POV-Ray does not run at all. Not the scene's fault, so the job
    // is retried (another task may run on a host that has it) and ends FAILED, its message in the DLQ.
    const confinement = this.confinement();
    if (!confinement.available) {
      throw new Error(`render refused: POV-Ray cannot be confined on this host and the worker never renders unconfined: ${confinement.reason}`);
    }
    const archive = path.join(jobDir, 'scene.zip');
    const extractDir = path.join(jobDir, 'scene');
    const homeDir = path.join(jobDir, 'home');
    const outDir = path.join(jobDir, 'out');
    const tempDir = path.join(jobDir, 'tmp');
    for (const dir of [extractDir, homeDir, outDir, tempDir]) mkdirSync(dir, { mode: 0o700 });

    // 1. Stream the archive from S3 to the job directory, never more than MAX_ARCHIVE_BYTES.
    const object = await s3.send(new GetObjectCommand({ Bucket: job.bucket, Key: job.key, VersionId: job.versionId }), { abortSignal: abort });
    if (object.ContentLength !== undefined && object.ContentLength > config.maxArchiveBytes) {
      (object.Body as Readable | undefined)?.destroy();
      throw new ArchiveRejected(`it is ${object.ContentLength} bytes, more than the limit of ${config.maxArchiveBytes}`);
    }
    let downloaded = 0;
    const cap = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        downloaded += chunk.length;
        if (downloaded > config.maxArchiveBytes) callback(new ArchiveRejected(`it is more than the limit of ${config.maxArchiveBytes} bytes`));
        else callback(null, chunk);
      },
    });
    await pipeline(object.Body as Readable, cap, createWriteStream(archive, { flags: 'wx', mode: 0o600 }), { signal: abort }).catch((error) => {
      if (abort.aborted) throw released();
      throw error;
    });
    log.note(`downloaded ${downloaded} bytes`);
    checkAbort();

    // 2. Extract safely and look at what came out.
    const files = await extractArchive(archive, extractDir, { maxEntries: config.maxArchiveEntries, maxUncompressedBytes: config.maxUncompressedBytes });
    rmSync(archive);
    log.note(`extracted ${files.length} files: ${files.slice(0, 20).map(printable).join(', ')}${files.length > 20 ? ', ...' : ''}`);
    rejectConfigFiles(files);
    const base = sceneBaseName(job.key);
    const { sceneDir, iniFile } = locateIni(files, base);
    const cwd = path.join(extractDir, sceneDir);
    const inScene = new Set(files.filter((f) => sceneDir === '' || f.startsWith(`${sceneDir}/`)).map((f) => (sceneDir ? f.slice(sceneDir.length + 1) : f)));

    // 3. The INI, reduced to the allowed options and written afresh beside (not inside) the scene
    //    directory: no line of the archive's INI reaches POV-Ray. Then the scene checker, a friendly first
    //    line with clear reasons; the boundary is the confinement.
    const plan = parseIni(readFileSync(path.join(cwd, iniFile), 'latin1'), iniFile);
    if (plan.ignored.length > 0) log.note(`ignored INI options the worker sets itself: ${plan.ignored.map(printable).join(' ')}`);
    const iniCopy = path.join(jobDir, 'render.ini');
    writeFileSync(iniCopy, freshIni(plan), { encoding: 'latin1', flag: 'wx', mode: 0o600 });
    const inputFile = plan.inputFile ?? defaultInputFile(base);
    if (!inScene.has(inputFile)) {
      throw new PermanentJobError(`missing scene file: ${printable(iniFile)} names ${inputFile}, which is not in the archive`, 'missing-scene');
    }
    const unsupported = unsupportedFileNameReason(inputFile);
    if (unsupported) throw new PermanentJobError(`scene rejected: ${unsupported}`, 'scene-rejected');
    if (config.sceneScan) checkScene(inputFile, { files: inScene, read: (f) => readFileSync(path.join(cwd, f), 'latin1') }, this.deps.library());
    const size = renderSize(plan, { width: config.renderWidth, height: config.renderHeight }, config.maxPixels);
    checkAbort();

    // 4. Render, with progress into the job record and the log.
    const outputFile = path.join(outDir, 'render.png');
    const { bounds } = config;
    // POV-Ray's message streams (what #debug, #warning and #error print) go to a file; its console keeps
    // only what no scene can print, and progress is read from there alone.
    const streamsFile = path.join(outDir, 'povray-messages.txt');
    const povrayArgs = [...povrayArguments(iniCopy, inputFile, size, outputFile, renderThreads(plan, bounds.threads)), ...streamsToFile(path.basename(streamsFile))];
    const policy = confinementPolicy(confinement.host, { jobDir, outDir, tempDir });
    const args = jailArguments(policy, {
      env: renderEnvironment(homeDir, tempDir),
      maxFileBytes: bounds.fileBytes,
      maxMemoryBytes: memoryBytes(bounds),
      maxCpuSeconds: bounds.cpuSeconds,
      maxProcesses: processLimit(bounds),
      parentPid: process.pid,
      program: confinement.host.povray,
      args: povrayArgs,
    });
    log.note(`${confinement.host.povray} ${povrayArgs.map(printable).join(' ')} (confined by ${describeConfinement(confinement)} to the job directory and the POV-Ray library)`);
    logger.info('render started', { jobId: job.jobId, width: size.width, height: size.height });
    const tracker = new ProgressTracker(config.progressIntervalSeconds * 1000);
    let consoleText = '';
    let progressWrite: Promise<void> = Promise.resolve();
    const render = startRender({
      command: confinement.jail,
      args,
      cwd,
      timeoutMs: config.renderTimeoutSeconds * 1000,
      onOutput: (chunk) => {
        log.output(chunk);
        consoleText = (consoleText + chunk).slice(-64 * 1024);
        const progress = tracker.push(chunk, Date.now());
        if (progress !== undefined) {
          progressWrite = progressWrite
            .then(() => records.progress(job.jobId, progress, new Date()))
            .catch((error) => logger.warn('progress update failed', { jobId: job.jobId, ...errorFields(error) }));
        }
      },
    });
    const onAbort = () => render.kill('released');
    abort.addEventListener('abort', onAbort);
    let diskExceeded: string | undefined;
    const stopWatch = watchDiskBudget([outDir, tempDir], bounds, (reason) => {
      diskExceeded = reason;
      render.kill('bound');
    });
    let result;
    try {
      result = await render.done.catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') throw new Error(`the confinement launcher ${confinement.jail} is missing`);
        throw error;
      });
    } finally {
      stopWatch();
      abort.removeEventListener('abort', onAbort);
    }
    await progressWrite;
    const streams = readCapped(streamsFile);
    if (streams) {
      log.note("POV-Ray's messages (its debug, warning, error and statistics streams: text the scene controls):");
      log.output(`${streams}\n`);
    }
    log.note(`POV-Ray exited with ${result.signal ?? result.exitCode} after ${result.durationMs} ms`);
    if (result.killedFor === 'released') throw released();
    if (result.killedFor === 'timeout') {
      throw new PermanentJobError(`render timed out: it ran longer than ${config.renderTimeoutSeconds} s (RENDER_TIMEOUT_SECONDS)`, 'render-timeout');
    }
    const unconfined = jailFailure(result.exitCode, consoleText);
    if (unconfined) throw new Error(`render refused: POV-Ray could not be confined: ${unconfined}`);
    // POV-Ray's console, and the error that ended the parse (a failed allocation is "Parse Error: std::bad_alloc").
    const povrayError = summarizePovrayFailure(streams, consoleText);
    const bound = exceededBound({ exitCode: result.exitCode, signal: result.signal, output: `${consoleText}\n${povrayError}`, diskExceeded }, bounds);
    if (bound) throw bound;
    if (result.signal) throw new Error(`POV-Ray was killed by ${result.signal}`);
    if (result.exitCode !== 0) {
      throw new PermanentJobError(`POV-Ray failed (exit ${result.exitCode}): ${povrayError}`, 'render-failed');
    }
    if (!existsSync(outputFile)) throw new PermanentJobError('POV-Ray finished but wrote no image', 'render-failed');
    const png = readFileSync(outputFile);
    if (!png.subarray(0, 8).equals(PNG_SIGNATURE)) throw new PermanentJobError('POV-Ray wrote something that is not a PNG', 'render-failed');

    // 5. Outputs under the output prefix, then the record (the caller deletes the message last).
    log.note(`uploading s3://${job.bucket}/${pngKey} (${png.length} bytes, ${size.width}x${size.height})`);
    await Promise.all([
      s3.send(new PutObjectCommand({ Bucket: job.bucket, Key: pngKey, Body: png, ContentType: 'image/png' })),
      this.putLog(job.bucket, logKey, log),
    ]);
    return result.durationMs;
  }
}
