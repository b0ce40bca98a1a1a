import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { handlerAssetPath } from '../../lib/core/assets';
import { LAUNCHER_ENV } from '../../lambda/lambda-ecs-worker/config';

describe('the prebundled launcher asset (assets/lambda-ecs-worker)', () => {
  it('loads and runs in a fresh process outside the repo, with no node_modules', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lew-asset-'));
    try {
      fs.copyFileSync(path.join(handlerAssetPath('lambda-ecs-worker'), 'index.js'), path.join(dir, 'index.js'));
      const script =
        "require('./index.js').handler({ hello: 1 }).then(() => console.log('no error'), (e) => console.log('rejected: ' + e.message))";
      const env = {
        PATH: process.env.PATH,
        AWS_REGION: 'us-east-1',
        POWERTOOLS_LOG_LEVEL: 'SILENT',
        POWERTOOLS_METRICS_DISABLED: 'true',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        [LAUNCHER_ENV.queueUrl]: 'q',
        [LAUNCHER_ENV.deadLetterQueueUrl]: 'd',
        [LAUNCHER_ENV.outputPrefix]: 'renders/',
        [LAUNCHER_ENV.inputSuffixes]: '.zip',
        [LAUNCHER_ENV.clusterArn]: 'c',
        [LAUNCHER_ENV.taskDefinitionArn]: 't',
        [LAUNCHER_ENV.startedBy]: 's',
        [LAUNCHER_ENV.subnetIds]: 'subnet-1',
      };
      const out = execFileSync(process.execPath, ['-e', script], { cwd: dir, env, encoding: 'utf8' });
      expect(out.trim()).toBe('rejected: The launcher handles S3 notifications and its scheduled reconcile event only; got keys: hello');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
