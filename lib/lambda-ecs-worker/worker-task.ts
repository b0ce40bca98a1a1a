import { Duration } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { WORKER_ENV } from '../../contracts/lambda-ecs-worker/render-job';
import { acknowledgeNag } from '../core';
import { newPatternLogGroup } from '../core/log-groups';
import type { LambdaEcsWorker } from './lambda-ecs-worker';
import { LambdaEcsWorkerProps } from './props';
import { defaultWorkerImage } from './workers';

/** The task's writable scratch volume, mounted at /tmp in the worker container. */
const WORKER_SCRATCH_VOLUME = 'worker-scratch';

/** What the worker task is sized and tuned by, resolved by the construct from its props. */
export interface WorkerTaskSettings {
  readonly memoryMiB: number;
  readonly cpuArchitecture: ecs.CpuArchitecture;
  readonly logRetention: logs.RetentionDays;
  readonly visibilityTimeout: Duration;
  readonly maxReceiveCount: number;
}

/**
 * The worker's Fargate task definition: one non-root container with no capabilities, a read-only root, a
 * memory hard limit and a task-scoped /tmp, configured through its environment for `worker`'s queue, table and
 * prefixes (which must exist before this is called).
 */
export function newWorkerTask(worker: LambdaEcsWorker, props: LambdaEcsWorkerProps, settings: WorkerTaskSettings) {
  const taskDefinition = new ecs.FargateTaskDefinition(worker, 'TaskDefinition', {
    cpu: props.workerCpu ?? 1024,
    memoryLimitMiB: settings.memoryMiB,
    runtimePlatform: { cpuArchitecture: settings.cpuArchitecture, operatingSystemFamily: ecs.OperatingSystemFamily.LINUX },
  });
  const logGroup = newPatternLogGroup(worker, 'WorkerLogs', { retention: settings.logRetention, removalPolicy: props.logRemovalPolicy, encryptionKey: props.logEncryptionKey });
  const linuxParameters = new ecs.LinuxParameters(worker, 'WorkerLinuxParameters');
  linuxParameters.dropCapabilities(ecs.Capability.ALL);
  const container = taskDefinition.addContainer('Worker', {
    image: props.workerImage ?? defaultWorkerImage(settings.cpuArchitecture),
    user: props.workerUser ?? '1000:1000',
    // A hard limit equal to the task's memory: Control Tower (CT.ECS.PR.7) asks every container for one.
    memoryLimitMiB: settings.memoryMiB,
    logging: ecs.LogDrivers.awsLogs({ logGroup, streamPrefix: 'worker' }),
    // Fargate's longest stop timeout: on SIGTERM (scale-in, Spot interruption) the worker releases its
    // job at once or finishes it within this time.
    stopTimeout: Duration.seconds(120),
    environment: {
      ...props.workerEnvironment,
      [WORKER_ENV.queueUrl]: worker.queue.queueUrl,
      [WORKER_ENV.jobTableName]: worker.jobTable?.tableName ?? '',
      [WORKER_ENV.inputPrefix]: worker.inputPrefix,
      [WORKER_ENV.outputPrefix]: worker.outputPrefix,
      [WORKER_ENV.visibilityTimeoutSeconds]: String(settings.visibilityTimeout.toSeconds()),
      [WORKER_ENV.maxReceiveCount]: String(settings.maxReceiveCount),
      [WORKER_ENV.idleExitSeconds]: String((props.workerIdleTimeout ?? Duration.minutes(1)).toSeconds()),
      [WORKER_ENV.renderTimeoutSeconds]: String((props.renderTimeout ?? Duration.hours(1)).toSeconds()),
      [WORKER_ENV.maxPixels]: String(props.maxPixels ?? 3840 * 2160),
      // The worker sizes POV-Ray's kernel bounds (memory, threads, CPU time) from the task it runs in.
      [WORKER_ENV.taskMemoryMiB]: String(settings.memoryMiB),
      [WORKER_ENV.taskVcpus]: String(Math.max(1, Math.ceil((props.workerCpu ?? 1024) / 1024))),
    },
    // The worker needs no Linux capabilities and no writable image: scenes are untrusted input, so a
    // renderer that is subverted anyway can change nothing outside its scratch volume.
    readonlyRootFilesystem: props.workerReadonlyRootFilesystem ?? true,
    linuxParameters,
  });
  // A task-scoped bind mount (Fargate ephemeral storage). The image declares VOLUME /tmp, so Fargate
  // copies the image's /tmp (mode 1777) into it and the non-root user can write there.
  taskDefinition.addVolume({ name: WORKER_SCRATCH_VOLUME });
  container.addMountPoints({ sourceVolume: WORKER_SCRATCH_VOLUME, containerPath: '/tmp', readOnly: false });
  acknowledgeNag(taskDefinition, {
    id: 'AwsSolutions-ECS2',
    reason: 'The worker environment holds only non-secret configuration (queue URL, table name, key prefixes, limits); it needs no secrets.',
  });
  return { taskDefinition, container, logGroup };
}
