/**
 * Builds the shipped docker/povray-worker/Dockerfile, unmodified, from the build context the construct's
 * `ecs.ContainerImage.fromAsset` stages in the cloud assembly: exactly what `cdk deploy` would build.
 */
import { createHash } from 'crypto';
import { mkdirSync, readFileSync, rmSync } from 'fs';
import * as path from 'path';
import { ensureBaseImage, externalBaseImages } from './base-image';
import { containerUlimitArgs, podman } from './podman';
import { synthesizeWorkerExample, WorkerImageAsset, WorkerRunSettings } from './task-definition';

export const SHIPPED_DOCKERFILE = path.join(__dirname, '..', '..', 'docker', 'povray-worker', 'Dockerfile');
export const WORKER_IMAGE_TAG = 'localhost/cdk-compute-patterns/povray-worker:image-test';

/** What the image tests and the image benchmark need, passed from the jest global set-up as JSON. */
export interface WorkerImageState {
  readonly image: string;
  readonly settings: WorkerRunSettings;
  readonly asset: WorkerImageAsset;
  /** sha256 of the Dockerfile that was built and of the shipped one: equal, or the build refused. */
  readonly builtDockerfileSha256: string;
  readonly shippedDockerfileSha256: string;
  readonly baseImages: Array<{ name: string; recipe: string; built: boolean }>;
  readonly buildSeconds: number;
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

export function buildWorkerImage(workDir: string, log: (line: string) => void = (line) => process.stdout.write(`${line}\n`)): WorkerImageState {
  const started = Date.now();
  const outdir = path.join(workDir, 'cdk.out');
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(outdir, { recursive: true });
  log('synthesizing the example LambdaEcsWorker stack (task definition + image asset)');
  const { settings, asset } = synthesizeWorkerExample(outdir);

  const dockerfilePath = path.join(asset.contextDir, asset.dockerFile);
  const built = readFileSync(dockerfilePath);
  const shipped = readFileSync(SHIPPED_DOCKERFILE);
  if (!built.equals(shipped)) {
    throw new Error(`the staged Dockerfile ${dockerfilePath} differs from the shipped ${SHIPPED_DOCKERFILE}: the image test must build the shipped file`);
  }

  const baseImages = externalBaseImages(built.toString('utf8')).map((ref) => ({ name: ref.name, ...ensureBaseImage(ref, log) }));
  for (const base of baseImages) log(`base image ${base.name}: ${base.built ? 'built' : 'cached'} (recipe ${base.recipe})`);

  const previous = imageId(WORKER_IMAGE_TAG);
  log(`podman build ${path.relative(process.cwd(), dockerfilePath)} (context: the staged asset ${path.basename(asset.contextDir)})`);
  podman(
    [
      'build',
      '--network', 'host',
      '--pull=never',
      ...(asset.platform ? ['--platform', asset.platform] : []),
      ...containerUlimitArgs(),
      '--file', dockerfilePath,
      '--tag', WORKER_IMAGE_TAG,
      asset.contextDir,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  // The image this tag named before is now unnamed; remove it rather than pile up one per change.
  if (previous && previous !== imageId(WORKER_IMAGE_TAG)) podman(['rmi', previous], { allowFailure: true, stdio: 'ignore' });
  return {
    image: WORKER_IMAGE_TAG,
    settings,
    asset,
    builtDockerfileSha256: sha256(built),
    shippedDockerfileSha256: sha256(shipped),
    baseImages,
    buildSeconds: (Date.now() - started) / 1000,
  };
}

function imageId(image: string): string | undefined {
  return podman(['image', 'inspect', '--format', '{{.Id}}', image], { allowFailure: true, stdio: ['ignore', 'pipe', 'ignore'] }).trim() || undefined;
}

/** Image facts the tests check and the docs quote. */
export function inspectImage(image: string): { sizeBytes: number; user: string; volumes: string[]; entrypoint: string[] } {
  const [info] = JSON.parse(podman(['image', 'inspect', image]));
  return {
    sizeBytes: Number(podman(['image', 'inspect', '--format', '{{.Size}}', image]).trim()),
    user: info.Config?.User ?? '',
    volumes: Object.keys(info.Config?.Volumes ?? {}),
    entrypoint: info.Config?.Entrypoint ?? [],
  };
}
