import { WORKER_ENV } from '../../../contracts/lambda-ecs-worker/render-job';
import { CONFIG_DEFAULTS, heartbeatIntervalMs, parseWorkerConfig } from '../../../docker/povray-worker/src/config';
import { classifyFailure, decideOnFailure, failureReason, PermanentJobError } from '../../../docker/povray-worker/src/failures';
import { parseJobMessage } from '../../../docker/povray-worker/src/job-plan';
import { parseProgressLine, ProgressTracker } from '../../../docker/povray-worker/src/progress';
import { RenderLog, summarizePovrayFailure } from '../../../docker/povray-worker/src/render-log';
import { isMessageGone } from '../../../docker/povray-worker/src/worker';

const host = { workerId: 'host-1', tmpDir: '/tmp' };

describe('parseWorkerConfig', () => {
  it('needs only the queue URL; everything else has a default', () => {
    const config = parseWorkerConfig({ [WORKER_ENV.queueUrl]: 'https://sqs/q' }, host);
    expect(config).toMatchObject({
      queueUrl: 'https://sqs/q',
      jobTableName: undefined,
      inputPrefix: 'scenes/',
      outputPrefix: 'renders/',
      workerId: 'host-1',
      workDir: '/tmp',
      renderWidth: undefined,
      maxPixels: CONFIG_DEFAULTS.maxPixels,
      visibilityTimeoutSeconds: CONFIG_DEFAULTS.visibilityTimeoutSeconds,
    });
  });

  it('reads every variable named in WORKER_ENV', () => {
    const env = {
      [WORKER_ENV.queueUrl]: 'q',
      [WORKER_ENV.jobTableName]: 'jobs',
      [WORKER_ENV.inputPrefix]: 'in/',
      [WORKER_ENV.outputPrefix]: 'out/',
      [WORKER_ENV.visibilityTimeoutSeconds]: '900',
      [WORKER_ENV.maxReceiveCount]: '5',
      [WORKER_ENV.idleExitSeconds]: '30',
      [WORKER_ENV.renderTimeoutSeconds]: '600',
      [WORKER_ENV.maxPixels]: '1000000',
      [WORKER_ENV.workerId]: 'w',
      [WORKER_ENV.workDir]: '/scratch',
      [WORKER_ENV.pollWaitSeconds]: '5',
      [WORKER_ENV.renderWidth]: '320',
      [WORKER_ENV.renderHeight]: '180',
      [WORKER_ENV.maxArchiveBytes]: '1000',
      [WORKER_ENV.maxArchiveEntries]: '10',
      [WORKER_ENV.maxUncompressedBytes]: '2000',
      [WORKER_ENV.shutdownGraceSeconds]: '20',
      [WORKER_ENV.progressIntervalSeconds]: '1.5',
      [WORKER_ENV.povrayCommand]: '/opt/povray',
      [WORKER_ENV.taskMemoryMiB]: '4096',
      [WORKER_ENV.taskVcpus]: '2',
      [WORKER_ENV.renderMemoryMiB]: '3000',
      [WORKER_ENV.renderCpuSeconds]: '100',
      [WORKER_ENV.renderDiskBytes]: '5000000',
      [WORKER_ENV.renderMaxFiles]: '4',
    };
    expect(parseWorkerConfig(env, { ...host, bundleDir: '/opt/bundle' })).toEqual({
      queueUrl: 'q',
      jobTableName: 'jobs',
      inputPrefix: 'in/',
      outputPrefix: 'out/',
      visibilityTimeoutSeconds: 900,
      maxReceiveCount: 5,
      idleExitSeconds: 30,
      renderTimeoutSeconds: 600,
      maxPixels: 1_000_000,
      workerId: 'w',
      workDir: '/scratch',
      pollWaitSeconds: 5,
      renderWidth: 320,
      renderHeight: 180,
      maxArchiveBytes: 1000,
      maxArchiveEntries: 10,
      maxUncompressedBytes: 2000,
      shutdownGraceSeconds: 20,
      progressIntervalSeconds: 1.5,
      povrayCommand: '/opt/povray',
      povrayJail: '/opt/bundle/povray-jail',
      sceneScan: true,
      bounds: { memoryMiB: 3000, threads: 2, cpuSeconds: 100, diskBytes: 5_000_000, maxFiles: 4, fileBytes: 1_000_000 * 20 + 16 * 1024 * 1024 },
    });
  });

  it('sizes the render bounds from the task: memory less the worker reserve, threads and CPU time from its vCPUs', () => {
    const env = { [WORKER_ENV.queueUrl]: 'q', [WORKER_ENV.taskMemoryMiB]: '2048', [WORKER_ENV.taskVcpus]: '2', [WORKER_ENV.renderTimeoutSeconds]: '600' };
    expect(parseWorkerConfig(env, host).bounds).toEqual({
      memoryMiB: 1536,
      threads: 2,
      cpuSeconds: 1200,
      diskBytes: 3840 * 2160 * 48 + 64 * 1024 * 1024,
      maxFiles: 16,
      fileBytes: 3840 * 2160 * 20 + 16 * 1024 * 1024,
    });
    // A small task keeps a quarter for the worker.
    expect(parseWorkerConfig({ ...env, [WORKER_ENV.taskMemoryMiB]: '512' }, host).bounds.memoryMiB).toBe(384);
    expect(() => parseWorkerConfig({ ...env, [WORKER_ENV.renderMemoryMiB]: 'lots' }, host)).toThrow(/RENDER_MEMORY_MIB="lots" is invalid/);
  });

  it('finds povray-jail beside the bundle unless POVRAY_JAIL says otherwise; the scene checker is on unless turned off', () => {
    const env = { [WORKER_ENV.queueUrl]: 'q' };
    expect(parseWorkerConfig(env, { ...host, bundleDir: '/app/dist' })).toMatchObject({ povrayJail: '/app/dist/povray-jail', sceneScan: true });
    expect(parseWorkerConfig({ ...env, POVRAY_JAIL: '/usr/local/bin/jail', UNSAFE_SKIP_SCENE_SCAN: 'true' }, host)).toMatchObject({ povrayJail: '/usr/local/bin/jail', sceneScan: false });
    expect(parseWorkerConfig({ ...env, UNSAFE_SKIP_SCENE_SCAN: 'false' }, host).sceneScan).toBe(true);
    expect(() => parseWorkerConfig({ ...env, UNSAFE_SKIP_SCENE_SCAN: 'yes' }, host)).toThrow(/UNSAFE_SKIP_SCENE_SCAN="yes" is invalid: expected true or false/);
  });

  it.each([
    [{}, /QUEUE_URL is required/],
    [{ [WORKER_ENV.queueUrl]: 'q', [WORKER_ENV.pollWaitSeconds]: '30' }, /POLL_WAIT_SECONDS="30" is invalid: expected an integer from 0 to 20/],
    [{ [WORKER_ENV.queueUrl]: 'q', [WORKER_ENV.renderWidth]: 'wide' }, /RENDER_WIDTH="wide" is invalid/],
    [{ [WORKER_ENV.queueUrl]: 'q', [WORKER_ENV.outputPrefix]: 'scenes/out/' }, /must not overlap INPUT_PREFIX/],
    [{ [WORKER_ENV.queueUrl]: 'q', [WORKER_ENV.outputPrefix]: '' }, /must be non-empty/],
  ])('rejects %j', (env, reason) => {
    expect(() => parseWorkerConfig(env, host)).toThrow(reason);
  });

  it('heartbeats a quarter of the visibility timeout, between 250 ms and 60 s', () => {
    expect(heartbeatIntervalMs(3)).toBe(750);
    expect(heartbeatIntervalMs(300)).toBe(60_000);
    expect(heartbeatIntervalMs(120)).toBe(30_000);
    expect(heartbeatIntervalMs(0.5)).toBe(250);
  });
});

describe('failures', () => {
  it('classifies scene problems and missing objects as permanent, the rest as transient', () => {
    expect(classifyFailure(new PermanentJobError('bad', 'x'))).toBe('permanent');
    expect(classifyFailure(Object.assign(new Error('gone'), { name: 'NoSuchKey' }))).toBe('permanent');
    expect(classifyFailure(Object.assign(new Error('slow down'), { name: 'SlowDown' }))).toBe('transient');
    expect(classifyFailure(new Error('connect ECONNREFUSED'))).toBe('transient');
  });

  it('deletes on permanent failure; retries transient ones with back-off; fails on the last delivery', () => {
    expect(decideOnFailure('permanent', 1, 3)).toEqual({ status: 'FAILED', deleteMessage: true });
    expect(decideOnFailure('transient', 1, 3)).toEqual({ status: 'QUEUED', deleteMessage: false, retryAfterSeconds: 5 });
    expect(decideOnFailure('transient', 2, 3)).toEqual({ status: 'QUEUED', deleteMessage: false, retryAfterSeconds: 10 });
    expect(decideOnFailure('transient', 3, 3)).toEqual({ status: 'FAILED', deleteMessage: false, retryAfterSeconds: 0 });
    expect(decideOnFailure('transient', 20, 30).retryAfterSeconds).toBe(300);
  });

  it('words reasons without stack traces', () => {
    expect(failureReason(new PermanentJobError('scene rejected: x', 'scene-rejected'))).toBe('scene rejected: x');
    expect(failureReason(Object.assign(new Error('The specified key does not exist.'), { name: 'NoSuchKey' }))).toBe(
      'the scene object could not be read: NoSuchKey (The specified key does not exist.)',
    );
    expect(failureReason(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }))).toBe('ThrottlingException: Rate exceeded');
  });

  it('recognises a receipt handle that no longer holds the message', () => {
    expect(isMessageGone({ name: 'MessageNotInflight' })).toBe(true);
    expect(isMessageGone({ name: 'ReceiptHandleIsInvalid' })).toBe(true);
    expect(isMessageGone({ name: 'InvalidParameterValue', message: 'Value x for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not available for visibility timeout change.' })).toBe(true);
    expect(isMessageGone({ name: 'InvalidParameterValue', message: 'VisibilityTimeout out of range' })).toBe(false);
    expect(isMessageGone(new Error('socket hang up'))).toBe(false);
  });
});

describe('parseJobMessage', () => {
  const good = { version: 1, jobId: 'j', bucket: 'b', key: 'scenes/a.zip', submittedAt: 'now' };
  it('accepts a version-1 job under the input prefix', () => {
    expect(parseJobMessage(JSON.stringify(good), 'scenes/')).toEqual(good);
  });
  it.each([
    ['not json', /not JSON/],
    ['"text"', /not a JSON object/],
    [JSON.stringify({ ...good, version: 2 }), /unsupported job message version 2/],
    [JSON.stringify({ ...good, jobId: '' }), /has no jobId/],
    [JSON.stringify({ ...good, key: 'renders/a.png' }), /outside the input prefix "scenes\/"/],
  ])('rejects %s', (body, reason) => {
    expect(() => parseJobMessage(body, 'scenes/')).toThrow(reason);
  });
});

describe('progress', () => {
  it('parses POV-Ray render lines, keeping 100 for the upload', () => {
    expect(parseProgressLine('Rendered 136 of 576 pixels (23%)')).toBe(23);
    expect(parseProgressLine('Rendered 576 of 576 pixels (100%)')).toBe(99);
    expect(parseProgressLine('Parse Time: 0 hours')).toBeUndefined();
    expect(parseProgressLine('Rendered 0 of 0 pixels')).toBeUndefined();
  });

  it('reads \\r-separated chunks split anywhere, and throttles reports', () => {
    const tracker = new ProgressTracker(1000);
    expect(tracker.push('Rendered 10 of 100 pix', 0)).toBeUndefined();
    expect(tracker.push('els (10%)\rRendered 20 of 100 pixels (20%)\r', 0)).toBe(20);
    expect(tracker.push('Rendered 50 of 100 pixels (50%)\r', 500)).toBeUndefined(); // too soon
    expect(tracker.progress).toBe(50);
    expect(tracker.push('', 1000)).toBe(50);
    expect(tracker.push('', 5000)).toBeUndefined(); // unchanged
    expect(tracker.push('Rendered 40 of 100 pixels\n', 6000)).toBeUndefined(); // never goes back
  });
});

describe('render log', () => {
  it('keeps the head and the tail of a long log', () => {
    const log = new RenderLog(100);
    log.output(`${'A'.repeat(80)}\n`);
    log.output(`${'B'.repeat(80)}\n`);
    const text = log.toString();
    expect(text.startsWith(`povray| ${'A'.repeat(42)}`)).toBe(true);
    expect(text.endsWith(`${'B'.repeat(49)}\n`)).toBe(true);
    expect(text).toContain('[... 78 characters of output left out ...]');
  });

  it('turns progress carriage returns into lines', () => {
    const log = new RenderLog();
    log.output('Rendered 1 of 2 pixels\rRendered 2 of 2 pixels\r\n');
    expect(log.toString()).toBe('povray| Rendered 1 of 2 pixels\npovray| Rendered 2 of 2 pixels\n');
  });

  it("marks every line of POV-Ray's as its own, so a scene's text cannot pass for the worker's", () => {
    const log = new RenderLog();
    log.note('job started', new Date(0));
    log.output('Parsing\n[worker 2030-01-01T00:00:00.000Z] render cancelled by the operator\r\nhalf a li');
    log.note('POV-Ray exited', new Date(0));
    expect(log.toString().split('\n')).toEqual([
      '[worker 1970-01-01T00:00:00.000Z] job started',
      'povray| Parsing',
      'povray| [worker 2030-01-01T00:00:00.000Z] render cancelled by the operator',
      'povray| half a li',
      '[worker 1970-01-01T00:00:00.000Z] POV-Ray exited',
      '',
    ]);
  });

  it('summarises a parse error with its continuation lines', () => {
    const output = "==== [Parsing...] ====\nFile 'b.pov' line 3: Parse Error: No matching } in 'sphere', undeclared\n identifier 'bogus' found instead\nFatal error in parser: Cannot parse input.\nRender failed\n";
    expect(summarizePovrayFailure(output)).toBe("File 'b.pov' line 3: Parse Error: No matching } in 'sphere', undeclared identifier 'bogus' found instead");
    expect(summarizePovrayFailure('Fatal error in renderer: out of memory\nRender failed')).toBe('Fatal error in renderer: out of memory');
    expect(summarizePovrayFailure('a\nb\nc\nd\n')).toBe('b / c / d');
    // Quoted into the job record: control characters escaped, length capped.
    expect(summarizePovrayFailure("Parse Error: bad \x1b[31mname\x07 here")).toBe('Parse Error: bad \\x1b[31mname\\x07 here');
    expect(summarizePovrayFailure(`Parse Error: ${'x'.repeat(1000)}`)).toHaveLength(403);
  });

  it("quotes POV-Ray's real error: not a Possible Parse Error warning, and the last Parse Error, with its place", () => {
    // As in the streams file (All_File), after a scene's own fake lines.
    const streams = [
      'Parse Error: fake, printed by #debug',
      'File: b.pov  Line: 2',
      'Parse Warning: Possible Parse Error: fake',
      'File: b.pov  Line: 4',
      'File Context (5 lines):',
      'bogus_keyword',
      "Parse Error: No matching } in 'sphere', undeclared identifier 'bogus_keyword'",
      ' found instead',
    ].join('\n');
    expect(summarizePovrayFailure(streams)).toBe("File 'b.pov' line 4: Parse Error: No matching } in 'sphere', undeclared identifier 'bogus_keyword' found instead");
    // Under RLIMIT_AS: POV-Ray's console says "Possible Parse Error" first, then the fatal line.
    const console = 'Possible Parse Error: Attempt to free NULL pointer.\nFatal error in parser: Uncategorized error.\nRender failed\n';
    expect(summarizePovrayFailure('', console)).toBe('Fatal error in parser: Uncategorized error.');
  });
});
