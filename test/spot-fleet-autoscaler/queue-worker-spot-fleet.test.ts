/**
 * The shipped command-line worker (assets/spot-fleet-worker/queue-worker.js, copied away from node_modules)
 * on a Spot Fleet instance (`WORKER_SCALE_IN=workers-exit`, `WORKER_SHUTDOWN_ON_IDLE=true`): a job longer
 * than the idle time runs to its end. The worker leaves only after it has been idle, and only then shuts
 * the instance down (a stand-in `shutdown` on PATH records the call).
 */
import { CreateQueueCommand, GetQueueAttributesCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { assertBundleCurrent } from '../../local/bundles';
import { useLocalAws } from '../../local/local-aws';
import { FakeImds } from './fake-imds';

const ASSET_DIR = path.join(__dirname, '..', '..', 'assets', 'spot-fleet-worker');
const IDLE_SECONDS = 1;
/** The job's own length: three idle periods (the scenario, not a synchronisation). */
const JOB_SECONDS = 3 * IDLE_SECONDS;

describe('queue-worker.js (bundled) on a Spot Fleet instance with a short idle time', () => {
  const local = useLocalAws(['sqs']);
  const imds = new FakeImds();
  let dir: string;
  let sqs: SQSClient;

  beforeAll(() => {
    assertBundleCurrent('spot-fleet-autoscaler');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spot-fleet-worker-'));
    fs.copyFileSync(path.join(ASSET_DIR, 'queue-worker.js'), path.join(dir, 'queue-worker.js'));
    fs.mkdirSync(path.join(dir, 'bin'));
    // `shutdown -h now` of a one-time Spot Instance, recorded instead of done.
    fs.writeFileSync(path.join(dir, 'bin', 'shutdown'), `#!/bin/sh\necho "shutdown $*" >> "${path.join(dir, 'events.log')}"\n`, { mode: 0o755 });
    sqs = new SQSClient(local().clientConfig('sqs'));
  });
  afterAll(async () => {
    sqs?.destroy();
    await imds.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it(`finishes a ${JOB_SECONDS} s job, deletes its message, and only then leaves idle and shuts down`, async () => {
    const imdsUrl = await imds.start();
    const queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'spot-fleet-jobs', Attributes: { VisibilityTimeout: '600' } }))).QueueUrl!;
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'long-job' }));
    const events = path.join(dir, 'events.log');
    const command = ['sh', '-c', `read -r body; echo "started $body" >> "$EVENTS"; sleep ${JOB_SECONDS}; echo "finished $body" >> "$EVENTS"`];
    let stdout = '';
    const child = spawn(process.execPath, [path.join(dir, 'queue-worker.js'), ...command], {
      cwd: dir,
      env: {
        PATH: `${path.join(dir, 'bin')}:${process.env.PATH}`,
        ...local().env(),
        AWS_EC2_METADATA_SERVICE_ENDPOINT: imdsUrl,
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        QUEUE_URL: queueUrl,
        WORKER_SCALE_IN: 'workers-exit',
        WORKER_IDLE_SECONDS: String(IDLE_SECONDS),
        WORKER_SHUTDOWN_ON_IDLE: 'true',
        WORKER_INTERRUPTION_INTERVAL_MS: '100',
        WORKER_WAIT_TIME_SECONDS: '1',
        EVENTS: events,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    child.stdout!.on('data', (chunk) => (stdout += chunk));
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));

    expect(code).toBe(0);
    // The job ran to its end before the instance was shut down, and nothing else happened in between.
    expect(fs.readFileSync(events, 'utf8').trim().split('\n')).toEqual(['started long-job', 'finished long-job', 'shutdown -h now']);
    const log = stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l));
    expect(log.map((l) => l.event)).toEqual(['job done', 'worker stopped']);
    expect(log[1]).toMatchObject({ stoppedBecause: 'idle', processed: 1, failed: 0, returned: 0 });
    const depth = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
    );
    expect(depth.Attributes).toMatchObject({ ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '0' });
  }, 30_000);
});
