import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const root = path.join(__dirname, '..', '..');

describe('bundled assets', () => {
  it('the handler runs in a fresh process without the repository', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sfa-bundle-'));
    try {
      fs.copyFileSync(path.join(root, 'assets', 'spot-fleet-autoscaler', 'index.js'), path.join(dir, 'index.js'));
      // A bad configuration is rejected by the bundled config parser: proves the bundle loads and runs.
      const script =
        "require('./index.js').handler({}, {}).then(() => console.log('resolved'), (e) => console.log('rejected: ' + e.message))";
      const out = execFileSync(process.execPath, ['-e', script], {
        cwd: dir,
        env: { PATH: process.env.PATH, AWS_REGION: 'us-east-1', TARGET_KIND: 'spot-fleet', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
        encoding: 'utf8',
      });
      expect(out).toMatch(/rejected: Invalid autoscaler configuration: TARGET_ID is not set; QUEUE_URL is not set; SCALING_POLICY is not set/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('ships the worker helpers as one self-contained CommonJS file (no dependency the package does not declare)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sfa-worker-'));
    try {
      // A directory with no node_modules anywhere above it that has the AWS SDK: a require of anything
      // not bundled would fail here.
      fs.copyFileSync(path.join(root, 'assets', 'spot-fleet-worker', 'index.js'), path.join(dir, 'index.js'));
      const out = execFileSync(process.execPath, ['-e', "console.log(Object.keys(require('./index.js')).sort().join(','))"], { cwd: dir, encoding: 'utf8' });
      expect(out.trim().split(',')).toEqual([
        'AutoScalingInstanceProtection',
        'DEFAULT_INTERVAL_MS',
        'EcsTaskProtection',
        'IdleExit',
        'Imds',
        'ScaleInGuard',
        'SpotInterruptionWatcher',
        'checkTaskProtectionResponse',
        'parseInstanceAction',
        'returnMessages',
        'startQueueWorker',
      ]);
      // The command-line worker ships with a Dockerfile, so the directory is also its container image (ECS).
      const dockerfile = fs.readFileSync(path.join(root, 'assets', 'spot-fleet-worker', 'Dockerfile'), 'utf8');
      expect(dockerfile).toMatch(/^COPY queue-worker\.js \/opt\/queue-worker\/queue-worker\.js$/m);
      expect(dockerfile).toMatch(/^ENTRYPOINT \["node", "\/opt\/queue-worker\/queue-worker\.js"\]$/m);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
