import { availableParallelism, totalmem } from 'os';
import * as path from 'path';
import { WORKER_ENV } from '../../../contracts/lambda-ecs-worker/render-job';
import { maxRenderFileBytes } from './confinement';

/** Everything the worker needs to know, read once from its environment. */
export interface WorkerConfig {
  readonly queueUrl: string;
  /** Undefined when the job table is turned off. */
  readonly jobTableName?: string;
  readonly inputPrefix: string;
  readonly outputPrefix: string;
  readonly visibilityTimeoutSeconds: number;
  readonly maxReceiveCount: number;
  readonly idleExitSeconds: number;
  readonly renderTimeoutSeconds: number;
  readonly maxPixels: number;
  readonly workerId: string;
  readonly workDir: string;
  readonly pollWaitSeconds: number;
  readonly renderWidth?: number;
  readonly renderHeight?: number;
  readonly maxArchiveBytes: number;
  readonly maxArchiveEntries: number;
  readonly maxUncompressedBytes: number;
  readonly shutdownGraceSeconds: number;
  readonly progressIntervalSeconds: number;
  readonly povrayCommand: string;
  /** The confinement launcher POV-Ray runs under (povray-jail). */
  readonly povrayJail: string;
  /**
   * Whether the scene checker (sdl-scan) runs before POV-Ray. It gives clear reasons early; the boundary
   * is the confinement. Off only to prove that the confinement alone holds (tests).
   */
  readonly sceneScan: boolean;
  /** The kernel-enforced bounds of one render, sized from the task ({@link renderBounds}). */
  readonly bounds: RenderBounds;
}

/**
 * What one render may use; each is enforced by the kernel (povray-jail's rlimits) or by the worker's
 * watch of the job directory, and each ends the job FAILED, not retried, with a reason naming it.
 */
export interface RenderBounds {
  /** RLIMIT_AS of POV-Ray, MiB (TASK_MEMORY_MIB less the worker's reserve, or RENDER_MEMORY_MIB). */
  readonly memoryMiB: number;
  /** POV-Ray's render threads (`+WT`): the task's vCPUs; an INI asking for more is refused. */
  readonly threads: number;
  /** RLIMIT_CPU, CPU-seconds of all threads together. */
  readonly cpuSeconds: number;
  /** Bytes the render may write into its job directory, all files together (watched). */
  readonly diskBytes: number;
  /** Files the render may create in its job directory (watched). */
  readonly maxFiles: number;
  /** RLIMIT_FSIZE: no single file may grow past this (the 4K image buffer fits). */
  readonly fileBytes: number;
}

/** Memory the worker keeps for itself (Node, the SDK, the upload buffer) out of the task's: 512 MiB, or a quarter of a small task. */
export function workerReserveMiB(taskMemoryMiB: number): number {
  return Math.min(512, Math.floor(taskMemoryMiB / 4));
}

/** The default bounds for a task of `taskMemoryMiB` and `vcpus` (see {@link RenderBounds}). */
export function renderBounds(task: { memoryMiB: number; vcpus: number; renderTimeoutSeconds: number; maxPixels: number }): RenderBounds {
  return {
    memoryMiB: task.memoryMiB - workerReserveMiB(task.memoryMiB),
    threads: task.vcpus,
    cpuSeconds: Math.ceil(task.renderTimeoutSeconds * task.vcpus),
    // What a render at MAX_PIXELS writes, measured at 3840×2160: the image buffer in the temp directory
    // (20 B/px, 165,888,024 bytes), POV-Ray's render-state file beside the PNG (~20 B/px, 166,144,820
    // bytes at its largest) and the PNG (at most 8 B/px), plus 64 MiB.
    diskBytes: task.maxPixels * 48 + 64 * 1024 * 1024,
    maxFiles: 16,
    fileBytes: maxRenderFileBytes(task.maxPixels),
  };
}

/**
 * Variables of the image itself, not set by the construct: where the launcher is (the Dockerfile puts it
 * beside the bundle) and the test-only switch that turns the scene checker off.
 */
export const IMAGE_ENV = {
  povrayJail: 'POVRAY_JAIL',
  skipSceneScan: 'UNSAFE_SKIP_SCENE_SCAN',
} as const;

export const CONFIG_DEFAULTS = {
  inputPrefix: 'scenes/',
  outputPrefix: 'renders/',
  visibilityTimeoutSeconds: 300,
  maxReceiveCount: 3,
  idleExitSeconds: 60,
  renderTimeoutSeconds: 3600,
  maxPixels: 3840 * 2160,
  pollWaitSeconds: 20,
  maxArchiveBytes: 256 * 1024 * 1024,
  maxArchiveEntries: 1000,
  maxUncompressedBytes: 1024 * 1024 * 1024,
  shutdownGraceSeconds: 0,
  progressIntervalSeconds: 3,
  povrayCommand: 'povray',
} as const;

/** A configuration the worker cannot start with; the message names the variable to fix. */
export class ConfigError extends Error {}

type Env = Record<string, string | undefined>;

function text(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

function number(env: Env, name: string, fallback: number | undefined, min: number, max: number, integer = true): number | undefined {
  const raw = text(env, name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || (integer && !Number.isInteger(value)) || value < min || value > max) {
    throw new ConfigError(`${name}=${JSON.stringify(raw)} is invalid: expected ${integer ? 'an integer' : 'a number'} from ${min} to ${max}`);
  }
  return value;
}

function required(value: number | undefined): number {
  return value as number;
}

/**
 * Reads and validates the worker's environment (names from WORKER_ENV, the contract with the construct).
 * `defaults` supplies the values that depend on the host (worker id, temp directory).
 */
export function parseWorkerConfig(env: Env, host: { workerId: string; tmpDir: string; bundleDir?: string }): WorkerConfig {
  const queueUrl = text(env, WORKER_ENV.queueUrl);
  if (!queueUrl) throw new ConfigError(`${WORKER_ENV.queueUrl} is required: the URL of the job queue`);
  const inputPrefix = env[WORKER_ENV.inputPrefix] ?? CONFIG_DEFAULTS.inputPrefix;
  const outputPrefix = env[WORKER_ENV.outputPrefix] ?? CONFIG_DEFAULTS.outputPrefix;
  if (outputPrefix === '' || outputPrefix.startsWith(inputPrefix) || inputPrefix.startsWith(outputPrefix)) {
    throw new ConfigError(
      `${WORKER_ENV.outputPrefix}=${JSON.stringify(outputPrefix)} must be non-empty and must not overlap ${WORKER_ENV.inputPrefix}=${JSON.stringify(inputPrefix)}: outputs would re-trigger renders`,
    );
  }
  const visibilityTimeoutSeconds = required(number(env, WORKER_ENV.visibilityTimeoutSeconds, CONFIG_DEFAULTS.visibilityTimeoutSeconds, 2, 43_200));
  const renderWidth = number(env, WORKER_ENV.renderWidth, undefined, 1, 65_535);
  const renderHeight = number(env, WORKER_ENV.renderHeight, undefined, 1, 65_535);
  const renderTimeoutSeconds = required(number(env, WORKER_ENV.renderTimeoutSeconds, CONFIG_DEFAULTS.renderTimeoutSeconds, 1, 7 * 86_400, false));
  const maxPixels = required(number(env, WORKER_ENV.maxPixels, CONFIG_DEFAULTS.maxPixels, 1, 2 ** 40));
  // Outside a task (local runs) the machine's memory and CPUs stand in for the task's.
  const taskMemoryMiB = required(number(env, WORKER_ENV.taskMemoryMiB, Math.floor(totalmem() / 2 ** 20), 128, 2 ** 30));
  const vcpus = required(number(env, WORKER_ENV.taskVcpus, availableParallelism(), 1, 1024));
  const derived = renderBounds({ memoryMiB: taskMemoryMiB, vcpus, renderTimeoutSeconds, maxPixels });
  const bounds: RenderBounds = {
    ...derived,
    memoryMiB: required(number(env, WORKER_ENV.renderMemoryMiB, derived.memoryMiB, 16, 2 ** 30)),
    cpuSeconds: required(number(env, WORKER_ENV.renderCpuSeconds, derived.cpuSeconds, 1, 2 ** 31)),
    diskBytes: required(number(env, WORKER_ENV.renderDiskBytes, derived.diskBytes, 1024, 2 ** 50)),
    maxFiles: required(number(env, WORKER_ENV.renderMaxFiles, derived.maxFiles, 1, 1_000_000)),
  };
  const skipScan = text(env, IMAGE_ENV.skipSceneScan)?.toLowerCase();
  if (skipScan !== undefined && skipScan !== 'true' && skipScan !== 'false') {
    throw new ConfigError(`${IMAGE_ENV.skipSceneScan}=${JSON.stringify(skipScan)} is invalid: expected true or false (true only in tests of the confinement)`);
  }
  return {
    queueUrl,
    jobTableName: text(env, WORKER_ENV.jobTableName),
    inputPrefix,
    outputPrefix,
    visibilityTimeoutSeconds,
    maxReceiveCount: required(number(env, WORKER_ENV.maxReceiveCount, CONFIG_DEFAULTS.maxReceiveCount, 1, 1000)),
    idleExitSeconds: required(number(env, WORKER_ENV.idleExitSeconds, CONFIG_DEFAULTS.idleExitSeconds, 0, 86_400)),
    renderTimeoutSeconds,
    maxPixels,
    workerId: text(env, WORKER_ENV.workerId) ?? host.workerId,
    workDir: text(env, WORKER_ENV.workDir) ?? host.tmpDir,
    pollWaitSeconds: required(number(env, WORKER_ENV.pollWaitSeconds, CONFIG_DEFAULTS.pollWaitSeconds, 0, 20)),
    renderWidth,
    renderHeight,
    maxArchiveBytes: required(number(env, WORKER_ENV.maxArchiveBytes, CONFIG_DEFAULTS.maxArchiveBytes, 1, 2 ** 40)),
    maxArchiveEntries: required(number(env, WORKER_ENV.maxArchiveEntries, CONFIG_DEFAULTS.maxArchiveEntries, 1, 1_000_000)),
    maxUncompressedBytes: required(number(env, WORKER_ENV.maxUncompressedBytes, CONFIG_DEFAULTS.maxUncompressedBytes, 1, 2 ** 40)),
    shutdownGraceSeconds: required(number(env, WORKER_ENV.shutdownGraceSeconds, CONFIG_DEFAULTS.shutdownGraceSeconds, 0, 3600, false)),
    progressIntervalSeconds: required(number(env, WORKER_ENV.progressIntervalSeconds, CONFIG_DEFAULTS.progressIntervalSeconds, 0, 3600, false)),
    povrayCommand: text(env, WORKER_ENV.povrayCommand) ?? CONFIG_DEFAULTS.povrayCommand,
    // The bundle's directory: the image and `npm run build` put povray-jail beside dist/index.js.
    povrayJail: text(env, IMAGE_ENV.povrayJail) ?? path.join(host.bundleDir ?? __dirname, 'povray-jail'),
    sceneScan: skipScan !== 'true',
    bounds,
  };
}

/**
 * Time between two visibility extensions: a quarter of the timeout (at most 60 s), so three may fail or
 * be late before the message would become visible again.
 */
export function heartbeatIntervalMs(visibilityTimeoutSeconds: number): number {
  return Math.max(250, Math.min(60_000, Math.floor((visibilityTimeoutSeconds * 1000) / 4)));
}
