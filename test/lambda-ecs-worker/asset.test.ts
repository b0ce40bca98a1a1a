import { invokeAssetOnce } from '../helpers/fresh-asset';
import { LAUNCHER_TEST_ENV } from './launcher-env-fixture';

describe('the prebundled launcher asset (assets/lambda-ecs-worker)', () => {
  it('loads and runs in a fresh process outside the repo, with no node_modules', () => {
    const outcome = invokeAssetOnce('lambda-ecs-worker', { event: { hello: 1 }, env: LAUNCHER_TEST_ENV });
    expect(outcome).toMatchObject({ rejected: "The launcher handles S3 notifications, S3 test events, EventBridge 'Object Created' events and its scheduled reconcile event only; got keys: hello" });
  });
});
