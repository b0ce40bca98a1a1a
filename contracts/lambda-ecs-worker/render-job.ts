/**
 * The contract between the LambdaEcsWorker launcher (lambda/lambda-ecs-worker) and the container worker
 * (docker/povray-worker): the job message on the queue, the job record in the job table, and the
 * environment the construct gives the worker. Both sides import this file; change it in one place.
 */

/** Body of one SQS job message (JSON). */
export interface RenderJobMessage {
  /** Format version of this message; bump on incompatible change. */
  readonly version: 1;
  /** Deterministic id of the job, see {@link renderJobId}. */
  readonly jobId: string;
  readonly bucket: string;
  /** The decoded object key, e.g. `scenes/my scene.zip`. */
  readonly key: string;
  /** The object version the event named, when the bucket is versioned. */
  readonly versionId?: string;
  /** The object's eTag from the event (used when there is no version id). */
  readonly eTag?: string;
  /** ISO-8601 time the launcher queued the job. */
  readonly submittedAt: string;
}

export type RenderJobStatus = 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED';

/** One item of the job table (partition key `jobId`, string). Optional fields are absent until known. */
export interface RenderJobRecord {
  readonly jobId: string;
  readonly status: RenderJobStatus;
  readonly bucket: string;
  readonly key: string;
  readonly versionId?: string;
  readonly eTag?: string;
  /** ISO-8601 timestamps. */
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly startedAt?: string;
  readonly finishedAt?: string;
  /** Deliveries of the job's message to a worker so far. */
  readonly attempts: number;
  /** Render progress, 0–100. */
  readonly progress: number;
  /** Key of the rendered PNG, once SUCCEEDED. */
  readonly outputKey?: string;
  /** Key of the render log. */
  readonly logKey?: string;
  /** Why the job FAILED, in words a user can act on. */
  readonly errorReason?: string;
  /** The latest transient error or release while the job is retried (status back to QUEUED). */
  readonly lastError?: string;
  /** The worker that last ran the job. */
  readonly workerId?: string;
  /**
   * The kernel mechanism that confined POV-Ray for the last attempt: `landlock`, `seccomp-unotify`
   * (kernels without Landlock, e.g. Fargate's), or `none` (that worker rendered nothing).
   */
  readonly confinement?: 'landlock' | 'seccomp-unotify' | 'none';
  /** Unix epoch seconds after which DynamoDB may delete the record. */
  readonly expiresAt?: number;
}

export const JOB_TABLE_PARTITION_KEY = 'jobId';

/**
 * Environment variables the construct sets on the worker container (all strings). The worker reads its
 * configuration from these only; AWS endpoints come from the SDK's own AWS_ENDPOINT_URL_<SERVICE>.
 */
export const WORKER_ENV = {
  /** URL of the job queue. */
  queueUrl: 'QUEUE_URL',
  /** Name of the job table; empty or absent when the job table is turned off. */
  jobTableName: 'JOB_TABLE_NAME',
  /** Prefix the worker may read scenes from, e.g. `scenes/`. */
  inputPrefix: 'INPUT_PREFIX',
  /** Prefix the worker writes PNGs and logs under, e.g. `renders/`. */
  outputPrefix: 'OUTPUT_PREFIX',
  /** The queue's visibility timeout in seconds; the worker heartbeats well within it. */
  visibilityTimeoutSeconds: 'VISIBILITY_TIMEOUT_SECONDS',
  /**
   * The queue's maxReceiveCount. A transient failure on the last delivery marks the job FAILED (the
   * message then moves to the DLQ); the reconciler also marks FAILED any job whose message is in the DLQ.
   */
  maxReceiveCount: 'MAX_RECEIVE_COUNT',
  /** Seconds of empty polls after which the worker exits by itself. */
  idleExitSeconds: 'IDLE_EXIT_SECONDS',
  /** Hard limit on one render, in seconds. */
  renderTimeoutSeconds: 'RENDER_TIMEOUT_SECONDS',
  /** Largest width × height a scene may render. */
  maxPixels: 'MAX_PIXELS',
  /** The task's memory in MiB: the worker sizes POV-Ray's memory bound from it (leaving room for itself). */
  taskMemoryMiB: 'TASK_MEMORY_MIB',
  /** The task's vCPUs (CPU units / 1024, rounded up): POV-Ray's thread cap and CPU-time bound. */
  taskVcpus: 'TASK_VCPUS',
  // Optional worker settings (the worker has defaults; see docker/povray-worker/README.md).
  /** Name of this worker in logs and job records; default `<hostname>-<pid>`. */
  workerId: 'WORKER_ID',
  /** Directory the worker creates its private job directories in; default the OS temp directory. */
  workDir: 'WORK_DIR',
  /** Long-poll wait of one receive, seconds (0–20); default 20. */
  pollWaitSeconds: 'POLL_WAIT_SECONDS',
  /** Forces the output width (POV-Ray `+W`), e.g. for small local renders; default the scene's own. */
  renderWidth: 'RENDER_WIDTH',
  /** Forces the output height (POV-Ray `+H`); default the scene's own. */
  renderHeight: 'RENDER_HEIGHT',
  /** Largest scene archive the worker downloads, bytes. */
  maxArchiveBytes: 'MAX_ARCHIVE_BYTES',
  /** Most entries a scene archive may hold. */
  maxArchiveEntries: 'MAX_ARCHIVE_ENTRIES',
  /** Most bytes a scene archive may inflate to, all entries together (zip bombs). */
  maxUncompressedBytes: 'MAX_UNCOMPRESSED_BYTES',
  /** Seconds the worker may keep rendering after SIGTERM before it releases the job; default 0. */
  shutdownGraceSeconds: 'SHUTDOWN_GRACE_SECONDS',
  /** Least seconds between two progress writes to the job record; default 3. */
  progressIntervalSeconds: 'PROGRESS_INTERVAL_SECONDS',
  /** The POV-Ray executable; default `povray` on PATH. */
  povrayCommand: 'POVRAY_COMMAND',
  // Bounds of one render (docs/povray-worker.md, "Bounds"); each defaults to a value derived from the task.
  /** Address space POV-Ray may use, MiB; default TASK_MEMORY_MIB less the worker's reserve. */
  renderMemoryMiB: 'RENDER_MEMORY_MIB',
  /** CPU-seconds one render may use (all threads); default RENDER_TIMEOUT_SECONDS × TASK_VCPUS. */
  renderCpuSeconds: 'RENDER_CPU_SECONDS',
  /** Bytes one render may write into its job directory, all files together; default from MAX_PIXELS. */
  renderDiskBytes: 'RENDER_DISK_BYTES',
  /** Files one render may create in its job directory; default 16. */
  renderMaxFiles: 'RENDER_MAX_FILES',
} as const;

/**
 * The job id for an object version: the same S3 object version always maps to the same id, so duplicate
 * S3 deliveries create one job. Takes a hash function so this file stays free of Node imports.
 */
export function renderJobId(
  sha256Hex: (input: string) => string,
  object: { bucket: string; key: string; versionId?: string; eTag?: string },
): string {
  const identity = [object.bucket, object.key, object.versionId ?? '', object.versionId ? '' : (object.eTag ?? '')].join('\n');
  return sha256Hex(identity).slice(0, 32);
}

/** Where the worker writes the outputs of the scene at `key`: `<outputPrefix><base>.png` and `.log`. */
export function renderOutputKeys(key: string, inputPrefix: string, outputPrefix: string): { pngKey: string; logKey: string } {
  const relative = key.startsWith(inputPrefix) ? key.slice(inputPrefix.length) : key;
  const base = relative.replace(/\.[^./]+$/, '');
  return { pngKey: `${outputPrefix}${base}.png`, logKey: `${outputPrefix}${base}.log` };
}
