import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { handlerAssetPath } from '../../lib/core/assets';
import { assertBundleCurrent } from '../harness/bundles';
import { LAUNCHER_TEST_ENV } from './launcher-env-fixture';

describe('the prebundled launcher asset (assets/lambda-ecs-worker)', () => {
  beforeAll(() => assertBundleCurrent('lambda-ecs-worker'));
  it('loads and runs in a fresh process outside the repo, with no node_modules', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lew-asset-'));
    try {
      fs.copyFileSync(path.join(handlerAssetPath('lambda-ecs-worker'), 'index.js'), path.join(dir, 'index.js'));
      const script =
        "require('./index.js').handler({ hello: 1 }).then(() => console.log('no error'), (e) => console.log('rejected: ' + e.message))";
      const env = {
        ...LAUNCHER_TEST_ENV,
        PATH: process.env.PATH!,
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      };
      const out = execFileSync(process.execPath, ['-e', script], { cwd: dir, env, encoding: 'utf8' });
      expect(out.trim()).toBe('rejected: The launcher handles S3 notifications and its scheduled reconcile event only; got keys: hello');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
