// The handler: prefer the ES module builds of the AWS SDK and Powertools, which esbuild can tree-shake
// (the EC2 client alone is several MB as CommonJS).
//
// Its second role, `worker`, is not a Lambda function: the worker-side helpers (lambda/spot-fleet-autoscaler/
// worker) bundled into assets/spot-fleet-worker/: index.js (the helpers, to require) and queue-worker.js (the
// command-line worker). Both carry the SDK clients they use: the package declares no runtime dependency on
// the AWS SDK, so nothing shipped in assets/ may need one. A Dockerfile beside them makes the directory a
// container image of the command-line worker (for ECS services: ecs.ContainerImage.fromAsset on it).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const esbuildOptions = {
  mainFields: ['module', 'main'],
};

export const roles = {
  worker: {
    // Shipped under the name users already require: cdk-compute-patterns/assets/spot-fleet-worker.
    assetName: 'spot-fleet-worker',
    entry: { index: 'worker/index.ts', 'queue-worker': 'worker/cli.ts' },
    // Workers run on their own hosts' Node (≥ 20), unminified so their stack traces read as written.
    esbuildOptions: { mainFields: ['module', 'main'], target: 'node20', minify: false },
    afterBundle({ outDir }) {
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
    },
  },
};
