// The handler: prefer the ES module builds of the AWS SDK and Powertools, which esbuild can tree-shake
// (the EC2 client alone is several MB as CommonJS).
//
// After it, the worker-side helpers (lambda/spot-fleet-autoscaler/worker) are bundled on their own into
// assets/spot-fleet-worker/: index.js (the helpers, to require) and queue-worker.js (the command-line
// worker). Both carry the SDK clients they use: the package declares no runtime dependency on the AWS SDK,
// so nothing shipped in assets/ may need one. A Dockerfile beside them makes the directory a container
// image of the command-line worker (for ECS services: ecs.ContainerImage.fromAsset on it).
import { build } from 'esbuild';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const esbuildOptions = {
  mainFields: ['module', 'main'],
};

export async function afterBundle({ root }) {
  const outDir = join(root, 'assets', 'spot-fleet-worker');
  rmSync(outDir, { recursive: true, force: true });
  const worker = join(root, 'lambda', 'spot-fleet-autoscaler', 'worker');
  for (const [entry, out] of [['index.ts', 'index.js'], ['cli.ts', 'queue-worker.js']]) {
    await build({
      entryPoints: [join(worker, entry)],
      outfile: join(outDir, out),
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      mainFields: ['module', 'main'],
      sourcemap: true,
      sourceRoot: '',
      sourcesContent: false,
      legalComments: 'none',
      logLevel: 'warning',
    });
  }
  writeFileSync(
    join(outDir, 'Dockerfile'),
    [
      '# The queue worker as a container: docker build assets/spot-fleet-worker; the job command is the CMD.',
      'FROM public.ecr.aws/docker/library/node:22-slim',
      'COPY queue-worker.js /opt/queue-worker/queue-worker.js',
      'USER node',
      'ENTRYPOINT ["node", "/opt/queue-worker/queue-worker.js"]',
      '',
    ].join('\n'),
  );
}
