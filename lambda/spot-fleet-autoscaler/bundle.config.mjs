// The handler: prefer the ES module builds of the AWS SDK and Powertools, which esbuild can tree-shake
// (the EC2 client alone is several MB as CommonJS).
//
// After it, the worker-side helpers (lambda/spot-fleet-autoscaler/worker) are bundled on their own into
// assets/spot-fleet-worker/index.js for workers to require; the AWS SDK stays external there (the worker
// brings its own @aws-sdk/client-sqs and passes its client in).
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { join } from 'node:path';

export const esbuildOptions = {
  mainFields: ['module', 'main'],
};

export async function afterBundle({ root }) {
  const outDir = join(root, 'assets', 'spot-fleet-worker');
  rmSync(outDir, { recursive: true, force: true });
  await build({
    entryPoints: [join(root, 'lambda', 'spot-fleet-autoscaler', 'worker', 'index.ts')],
    outfile: join(outDir, 'index.js'),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    external: ['@aws-sdk/*'],
    sourcemap: true,
    sourceRoot: '',
    sourcesContent: false,
    legalComments: 'none',
    logLevel: 'warning',
  });
}
