// The handler: prefer the ES module builds of the AWS SDK and Powertools, which esbuild can tree-shake
// (the EC2 client alone is several MB as CommonJS).
//
// After it, the worker-side helpers (lambda/spot-fleet-autoscaler/worker) are bundled on their own into
// assets/spot-fleet-worker/index.js for workers to require, with the SQS commands they use bundled: the package
// declares no runtime dependency on the AWS SDK (jsii allows only jsii peers), so nothing in assets/ may need one.
// The worker still passes its own SQSClient in.
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
    mainFields: ['module', 'main'],
    sourcemap: true,
    sourceRoot: '',
    sourcesContent: false,
    legalComments: 'none',
    logLevel: 'warning',
  });
}
