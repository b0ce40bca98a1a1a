import { execFileSync } from 'child_process';
import * as path from 'path';
import { invokeAssetOnce } from '../helpers/fresh-asset';

const root = path.join(__dirname, '..', '..');

describe('bundled assets', () => {
  it('the handler runs in a fresh process without the repository', () => {
    // A bad configuration is rejected by the bundled config parser: proves the bundle loads and runs.
    const outcome = invokeAssetOnce('spot-fleet-autoscaler', { event: {}, env: { TARGET_KIND: 'spot-fleet' } });
    expect(outcome).toMatchObject({
      rejected: expect.stringMatching(/^Invalid autoscaler configuration: TARGET_ID is not set; QUEUE_URL is not set; SCALING_POLICY is not set/),
    });
  });

  it('ships the worker helpers as one CommonJS file for workers to require', () => {
    const file = path.join(root, 'assets', 'spot-fleet-worker', 'index.js');
    const out = execFileSync(process.execPath, ['-e', `console.log(Object.keys(require(${JSON.stringify(file)})).sort().join(','))`], {
      encoding: 'utf8',
    });
    expect(out.trim()).toBe('DEFAULT_INTERVAL_MS,IdleExit,SpotInterruptionWatcher,parseInstanceAction,returnMessages');
  });
});
