import { CreateQueueCommand, GetQueueAttributesCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readWorkerCliConfig } from '../../lambda/spot-fleet-autoscaler/worker/cli';
import { assertBundleCurrent } from '../../local/bundles';
import { useLocalAws } from '../../local/local-aws';
import { FakeImds } from './fake-imds';
import { FakeAutoScaling } from './fake-protection-endpoints';

const ASSET_DIR = path.join(__dirname, '..', '..', 'assets', 'spot-fleet-worker');

const until = async (what: string, predicate: () => boolean | Promise<boolean>, timeoutMs = 15_000) => {
  const start = Date.now();
  while (!(await predicate())) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

describe('queue-worker.js configuration', () => {
  it('reads the environment and says everything that is wrong at once', () => {
    expect(readWorkerCliConfig({ QUEUE_URL: 'q', WORKER_SCALE_IN: 'protect-task', WORKER_IDLE_SECONDS: '60' }, ['run'])).toEqual({
      queueUrl: 'q',
      scaleIn: 'protect-task',
      idleSeconds: 60,
      shutdownOnIdle: false,
      command: ['run'],
    });
    expect(() => readWorkerCliConfig({ WORKER_SCALE_IN: 'maybe', WORKER_IDLE_SECONDS: '-1', WORKER_SHUTDOWN_ON_IDLE: 'yes' }, [])).toThrow(
      /QUEUE_URL is not set; WORKER_SCALE_IN must be one of workers-exit, protect-instance, protect-task, none \(got 'maybe'\); WORKER_IDLE_SECONDS must be a number of seconds > 0 \(got '-1'\); WORKER_SHUTDOWN_ON_IDLE must be 'true' or 'false' \(got 'yes'\); give the command/,
    );
  });
});

/**
 * The shipped command-line worker, from a copy of assets/spot-fleet-worker in a directory without
 * node_modules (so it needs nothing the package does not declare), in its own process, on an "Auto Scaling
 * group instance": fauxqs for SQS, stand-ins for IMDS and the Auto Scaling Query API.
 */
describe('queue-worker.js (bundled) on an Auto Scaling group instance', () => {
  const local = useLocalAws(['sqs']);
  const imds = new FakeImds();
  const asg = new FakeAutoScaling();
  let dir: string;
  let sqs: SQSClient;
  let child: ChildProcess | undefined;

  beforeAll(async () => {
    // assets/spot-fleet-worker is built by the spot-fleet-autoscaler target (its afterBundle step).
    assertBundleCurrent('spot-fleet-autoscaler');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'queue-worker-'));
    fs.copyFileSync(path.join(ASSET_DIR, 'queue-worker.js'), path.join(dir, 'queue-worker.js'));
    sqs = new SQSClient(local().clientConfig('sqs'));
  });
  afterAll(async () => {
    // The worker and what it ran: on the Spot notice it exits and leaves the long job's `sleep 60` behind, which
    // would hold jest's output open for a minute after the run. It ran in its own process group: end the group.
    if (child?.pid) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // the group is gone already
      }
    }
    sqs?.destroy();
    await Promise.all([imds.stop(), asg.stop()]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('works under protection, and on a Spot notice releases it, returns the message it holds and exits 3', async () => {
    const [imdsUrl, asgUrl] = await Promise.all([imds.start(), asg.start()]);
    const queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'cli-jobs', Attributes: { VisibilityTimeout: '600' } }))).QueueUrl!;
    const out = path.join(dir, 'done.txt');
    // The per-message command: append the body; the body 'long' takes "forever".
    const command = ['sh', '-c', 'read -r body; if [ "$body" = long ]; then sleep 60; fi; echo "$body" >> "$OUT"'];
    let stdout = '';
    child = spawn(process.execPath, [path.join(dir, 'queue-worker.js'), ...command], {
      cwd: dir,
      env: {
        PATH: process.env.PATH,
        ...local().env(),
        AWS_ENDPOINT_URL_AUTO_SCALING: asgUrl,
        AWS_EC2_METADATA_SERVICE_ENDPOINT: imdsUrl,
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        QUEUE_URL: queueUrl,
        WORKER_SCALE_IN: 'protect-instance',
        WORKER_IDLE_SECONDS: '1',
        WORKER_INTERRUPTION_INTERVAL_MS: '100',
        WORKER_WAIT_TIME_SECONDS: '1',
        OUT: out,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
      detached: true,
    });
    child.stdout!.on('data', (chunk) => (stdout += chunk));
    const exited = new Promise<number | null>((resolve) => child!.on('exit', (code) => resolve(code)));

    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'one' }));
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'two' }));
    await until('two jobs done', () => fs.existsSync(out) && fs.readFileSync(out, 'utf8').split('\n').filter(Boolean).length === 2);
    // Idle for WORKER_IDLE_SECONDS: the protection goes.
    await until('protection released when idle', () => asg.history().at(-1) === false);
    expect(asg.calls.at(-1)).toMatchObject({ AutoScalingGroupName: 'workers', 'InstanceIds.member.1': 'i-0123456789abcdef0' });

    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'long' }));
    await until('protected for the long job', () => asg.history().at(-1) === true);
    imds.notice = { action: 'terminate', time: '2026-12-01T15:00:00Z' };

    expect(await exited).toBe(3);
    expect(asg.history().at(-1)).toBe(false);
    const depth = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
    );
    expect(depth.Attributes).toMatchObject({ ApproximateNumberOfMessages: '1', ApproximateNumberOfMessagesNotVisible: '0' });
    expect(fs.readFileSync(out, 'utf8').split('\n').filter(Boolean).sort()).toEqual(['one', 'two']);
    const events = stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l).event);
    expect(events).toEqual(expect.arrayContaining(['job done', 'spot interruption notice', 'messages returned', 'worker stopped']));
  }, 60_000);
});
