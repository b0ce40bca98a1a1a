/**
 * The run settings of the worker container, read from the task definition the example LambdaEcsWorker
 * stack synthesizes, and the image asset (build context + Dockerfile) that `cdk deploy` would build. The
 * image tests run the container from these, so the test and the construct cannot drift apart.
 */
import { App } from 'aws-cdk-lib';
import { readFileSync } from 'fs';
import * as path from 'path';
import { addLambdaEcsWorkerExample } from '../../bin/stacks/lambda-ecs-worker';
import { newTestApp } from '../cdk-app';

/** How ECS would run the worker container: the container definition's security and size settings. */
export interface WorkerRunSettings {
  readonly user: string;
  readonly readonlyRootFilesystem: boolean;
  /** Container paths of the task's writable volumes. */
  readonly volumePaths: string[];
  readonly dropCapabilities: string[];
  readonly addCapabilities: string[];
  readonly cpuUnits: number;
  readonly memoryMiB: number;
  readonly stopTimeoutSeconds?: number;
  /** The container's environment: literal values as strings, CloudFormation tokens (queue URL, table) as null. */
  readonly environment: Record<string, string | null>;
}

/** The Docker image asset of the worker: what `cdk deploy` builds. */
export interface WorkerImageAsset {
  /** The staged build context in the cloud assembly. */
  readonly contextDir: string;
  /** The Dockerfile's path inside the context. */
  readonly dockerFile: string;
  readonly platform?: string;
}

/** Reads the worker's run settings from a synthesized template holding one ECS task definition. */
export function runSettingsFrom(template: { Resources: Record<string, { Type: string; Properties?: any }> }): WorkerRunSettings {
  const taskDefinitions = Object.values(template.Resources).filter((r) => r.Type === 'AWS::ECS::TaskDefinition');
  if (taskDefinitions.length !== 1) throw new Error(`expected one ECS task definition, found ${taskDefinitions.length}`);
  const task = taskDefinitions[0].Properties;
  const containers: any[] = task.ContainerDefinitions;
  if (containers.length !== 1) throw new Error(`expected one container in the worker task, found ${containers.length}`);
  const container = containers[0];
  const volumes = new Set<string>((task.Volumes ?? []).map((v: any) => v.Name));
  const volumePaths = (container.MountPoints ?? []).map((m: any) => {
    if (!volumes.has(m.SourceVolume)) throw new Error(`mount point ${m.ContainerPath} names an unknown volume ${m.SourceVolume}`);
    if (m.ReadOnly) throw new Error(`mount point ${m.ContainerPath} is read-only; the image test only knows writable scratch volumes`);
    return m.ContainerPath as string;
  });
  const environment: Record<string, string | null> = {};
  for (const { Name, Value } of container.Environment ?? []) environment[Name] = typeof Value === 'string' ? Value : null;
  return {
    user: container.User,
    readonlyRootFilesystem: container.ReadonlyRootFilesystem === true,
    volumePaths,
    dropCapabilities: container.LinuxParameters?.Capabilities?.Drop ?? [],
    addCapabilities: container.LinuxParameters?.Capabilities?.Add ?? [],
    cpuUnits: Number(task.Cpu),
    memoryMiB: Number(task.Memory),
    stopTimeoutSeconds: container.StopTimeout,
    environment,
  };
}

/**
 * `podman run` flags that reproduce `settings`. `no-new-privileges` is added on top: Fargate offers no
 * such setting, and the worker must not depend on gaining privileges anyway.
 */
export function podmanRunFlags(settings: WorkerRunSettings): string[] {
  return [
    '--user', settings.user,
    ...(settings.readonlyRootFilesystem ? ['--read-only', '--read-only-tmpfs=false'] : []),
    // A fresh anonymous volume per container, filled from the image like Fargate's task bind mount
    // (which copies the image's content for a path the image declares as VOLUME).
    ...settings.volumePaths.flatMap((p) => ['--mount', `type=volume,dst=${p}`]),
    ...settings.dropCapabilities.map((c) => `--cap-drop=${c}`),
    ...settings.addCapabilities.map((c) => `--cap-add=${c}`),
    '--security-opt', 'no-new-privileges',
    '--cpus', String(settings.cpuUnits / 1024),
    '--memory', `${settings.memoryMiB}m`,
    ...(settings.stopTimeoutSeconds !== undefined ? ['--stop-timeout', String(settings.stopTimeoutSeconds)] : []),
  ];
}

/**
 * The container environment: every name the task definition sets, with the task definition's literal
 * value unless `local` supplies one; token values (queue URL, table name) must come from `local`.
 * `extra` adds settings the task definition leaves to the worker's defaults (names from WORKER_ENV).
 */
export function containerEnvironment(settings: WorkerRunSettings, local: Record<string, string>, extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(settings.environment)) {
    const chosen = local[name] ?? value;
    if (chosen === null) throw new Error(`the task definition sets ${name} from a CloudFormation token: the image test must give it a local value`);
    env[name] = chosen;
  }
  const unknown = Object.keys(local).filter((name) => !(name in settings.environment));
  if (unknown.length > 0) throw new Error(`local values for ${unknown.join(', ')}, which the task definition does not set: pass them as extra settings`);
  return { ...env, ...extra };
}

/** Synthesizes the example LambdaEcsWorker stack into `outdir` and reads the worker's settings and image asset. */
export function synthesizeWorkerExample(outdir: string): { settings: WorkerRunSettings; asset: WorkerImageAsset } {
  const app: App = newTestApp({ outdir });
  const stack = addLambdaEcsWorkerExample(app);
  const assembly = app.synth();
  const artifact = assembly.getStackArtifact(stack.artifactId);
  const template = artifact.template;
  const settings = runSettingsFrom(template);

  const manifests = artifact.dependencies.filter((d) => d.manifest.type === 'cdk:asset-manifest');
  const images: Array<[string, any]> = manifests.flatMap((m) => Object.entries(JSON.parse(readFileSync(path.join(outdir, (m.manifest.properties as any).file), 'utf8')).dockerImages ?? {}));
  if (images.length !== 1) throw new Error(`expected one Docker image asset in ${stack.stackName}, found ${images.length}`);
  const [hash, image] = images[0];
  const container = Object.values<any>(template.Resources).find((r) => r.Type === 'AWS::ECS::TaskDefinition').Properties.ContainerDefinitions[0];
  if (!JSON.stringify(container.Image).includes(hash)) throw new Error(`the worker container does not use the image asset ${hash}`);
  return {
    settings,
    asset: {
      contextDir: path.resolve(outdir, image.source.directory),
      dockerFile: image.source.dockerFile ?? 'Dockerfile',
      platform: image.source.platform,
    },
  };
}
