import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { assertBundleCurrent } from '../../local/bundles';
import { invokeAssetOnce } from '../helpers/fresh-asset';

const root = path.join(__dirname, '..', '..');
const workerAsset = path.join(root, 'assets', 'spot-fleet-worker');

describe('bundled assets', () => {
  it('the handler runs in a fresh process without the repository', () => {
    // A bad configuration is rejected by the bundled config parser: proves the bundle loads and runs.
    const outcome = invokeAssetOnce('spot-fleet-autoscaler', { event: {}, env: { TARGET_KIND: 'spot-fleet' } });
    expect(outcome).toMatchObject({
      rejected: expect.stringMatching(/^Invalid autoscaler configuration: TARGET_ID is not set; QUEUE_URL is not set; SCALING_POLICY is not set/),
    });
  });

  describe('the worker helpers (assets/spot-fleet-worker, built by the spot-fleet-autoscaler bundle)', () => {
    let dir: string;
    beforeAll(() => {
      // Never test a stale bundle: the worker files are built by spot-fleet-autoscaler's afterBundle step,
      // from sources its staleness check covers.
      assertBundleCurrent('spot-fleet-autoscaler');
      // A directory with no node_modules anywhere above it: a require of anything not bundled fails here.
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sfa-worker-'));
      fs.cpSync(workerAsset, dir, { recursive: true });
    });
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

    it('ships them as one self-contained CommonJS file (no dependency the package does not declare)', () => {
      const out = execFileSync(process.execPath, ['-e', "console.log(Object.keys(require('./index.js')).sort().join(','))"], {
        cwd: dir,
        env: { PATH: process.env.PATH ?? '' },
        encoding: 'utf8',
      });
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
    });

    it('ships the command-line worker, which loads without the repository and names what is missing', () => {
      let failure: { status: number | null; stderr: string } | undefined;
      try {
        execFileSync(process.execPath, ['queue-worker.js'], { cwd: dir, env: { PATH: process.env.PATH ?? '' }, encoding: 'utf8', stdio: 'pipe' });
      } catch (error) {
        failure = error as { status: number | null; stderr: string };
      }
      expect(failure?.status).toBe(2);
      expect(failure?.stderr).toMatch(/queue-worker: QUEUE_URL is not set; give the command to run per message/);
    });

    it('ships a Dockerfile, so the directory is also the worker container image (ECS)', () => {
      const dockerfile = fs.readFileSync(path.join(dir, 'Dockerfile'), 'utf8');
      expect(dockerfile).toMatch(/^COPY queue-worker\.js \/opt\/queue-worker\/queue-worker\.js$/m);
      expect(dockerfile).toMatch(/^ENTRYPOINT \["node", "\/opt\/queue-worker\/queue-worker\.js"\]$/m);
    });
  });
});
