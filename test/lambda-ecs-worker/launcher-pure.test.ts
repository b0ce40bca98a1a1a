import { createHash } from 'crypto';
import { LAUNCHER_ENV, readLauncherConfig } from '../../lambda/lambda-ecs-worker/config';
import { classifyEvent } from '../../lambda/lambda-ecs-worker/events';
import { markDeadLetteredUpdate, newJobRecord, parseJobMessage, reclaimJobUpdate } from '../../lambda/lambda-ecs-worker/jobs';
import { classifyRecord, decodeS3EventKey, jobMessage, KeyFilter } from '../../lambda/lambda-ecs-worker/s3-records';
import { planWakeUp, runTaskBatches } from '../../lambda/lambda-ecs-worker/wake-up';
import { DEFAULT_QUEUE_DEPTH_POLICY } from '../../contracts/queue-depth-policy';
import { s3Record } from './s3-record';

const sha256Hex = (s: string) => createHash('sha256').update(s).digest('hex');
const filter: KeyFilter = { inputPrefix: 'scenes/', outputPrefix: 'renders/', inputSuffixes: ['.zip'] };


describe('S3 key decoding (form-style, as S3 notifications carry keys)', () => {
  it.each([
    ['scenes/my+scene%2B1+%C3%BC.zip', 'scenes/my scene+1 ü.zip'],
    ['scenes/plain.zip', 'scenes/plain.zip'],
    ['scenes/a%2Fb%3Fc%26d.zip', 'scenes/a/b?c&d.zip'],
    ['scenes/%E6%97%A5%E6%9C%AC.zip', 'scenes/日本.zip'],
    ['scenes/100%25.zip', 'scenes/100%.zip'],
  ])('%s → %s', (encoded, decoded) => {
    expect(decodeS3EventKey(encoded)).toBe(decoded);
  });

  it('rejects malformed percent-encoding with a reason instead of crashing', () => {
    const decision = classifyRecord(s3Record('scenes/bad%E0%A4%A.zip'), filter);
    expect(decision).toEqual({ action: 'skip', key: 'scenes/bad%E0%A4%A.zip', reason: expect.stringMatching(/URL encoding/) });
  });
});

describe('record classification (prefix and suffix allow-list)', () => {
  it('submits a scene under the input prefix with an allowed suffix, with the decoded key and version', () => {
    expect(classifyRecord(s3Record('scenes/my+scene%2B1+%C3%BC.zip', { versionId: 'v1' }), filter)).toEqual({
      action: 'submit',
      object: { bucket: 'render-bucket', key: 'scenes/my scene+1 ü.zip', versionId: 'v1', eTag: 'etag-1' },
    });
  });

  it.each([
    ['other/x.zip', /outside the input prefix 'scenes\/'/],
    ['scenes/x.txt', /allowed suffix \(\.zip\)/],
    ['scenes/x.ZIP', /allowed suffix/],
    ['scenes/folder.zip/', /folder marker/],
    ['renders/x.zip', /output prefix/],
  ])('skips %s with a reason', (key, reason) => {
    const decision = classifyRecord(s3Record(key), filter);
    expect(decision.action).toBe('skip');
    expect(decision.action === 'skip' && decision.reason).toMatch(reason);
  });

  it('never lets an output start a job, even when the prefixes overlap', () => {
    const overlapping: KeyFilter = { inputPrefix: '', outputPrefix: 'renders/', inputSuffixes: ['.zip'] };
    expect(classifyRecord(s3Record('renders/x.zip'), overlapping).action).toBe('skip');
    expect(classifyRecord(s3Record('x.zip'), overlapping).action).toBe('submit');
  });

  it('accepts any of several suffixes', () => {
    const multi = { ...filter, inputSuffixes: ['.zip', '.pov.zip', '.tar'] };
    expect(classifyRecord(s3Record('scenes/a.tar'), multi).action).toBe('submit');
    expect(classifyRecord(s3Record('scenes/a.gz'), multi).action).toBe('skip');
  });

  it('skips records that are not object creations', () => {
    expect(classifyRecord(s3Record('scenes/a.zip', { eventName: 'ObjectRemoved:Delete' }), filter)).toMatchObject({
      action: 'skip',
      reason: expect.stringMatching(/not an object creation/),
    });
  });
});

describe('job identity', () => {
  const now = new Date('2026-11-22T01:02:03.000Z');
  it('gives the same object version the same job id, and another version another id', () => {
    const a = jobMessage({ bucket: 'b', key: 'scenes/a.zip', versionId: 'v1', eTag: 'e' }, sha256Hex, now);
    const again = jobMessage({ bucket: 'b', key: 'scenes/a.zip', versionId: 'v1', eTag: 'e' }, sha256Hex, new Date());
    const v2 = jobMessage({ bucket: 'b', key: 'scenes/a.zip', versionId: 'v2', eTag: 'e' }, sha256Hex, now);
    expect(a.jobId).toBe(again.jobId);
    expect(a.jobId).not.toBe(v2.jobId);
    expect(a).toEqual({ version: 1, jobId: a.jobId, bucket: 'b', key: 'scenes/a.zip', versionId: 'v1', eTag: 'e', submittedAt: now.toISOString() });
  });

  it('records a new job as QUEUED with attempts 0, progress 0 and a TTL', () => {
    const message = jobMessage({ bucket: 'b', key: 'scenes/a.zip', eTag: 'e' }, sha256Hex, now);
    expect(newJobRecord(message, now, 30)).toEqual({
      jobId: message.jobId,
      status: 'QUEUED',
      bucket: 'b',
      key: 'scenes/a.zip',
      eTag: 'e',
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
      attempts: 0,
      progress: 0,
      expiresAt: Math.floor(now.getTime() / 1000) + 30 * 86400,
      launchClaimedAt: now.toISOString(),
    });
  });

  it('re-claims a recorded job only while QUEUED, unsent and unclaimed for 30 s', () => {
    const update = reclaimJobUpdate('j', now);
    expect(update.ConditionExpression).toMatch(/#status = :queued/);
    expect(update.ConditionExpression).toMatch(/attribute_not_exists\(enqueuedAt\)/);
    expect(update.ExpressionAttributeValues[':stale']).toBe('2026-11-22T01:01:33.000Z');
  });

  it('marks dead-lettered jobs FAILED without overwriting SUCCEEDED or a worker-written FAILED', () => {
    const update = markDeadLetteredUpdate('j', 3, now);
    expect(update.ConditionExpression).toBe('attribute_exists(jobId) AND #status <> :succeeded AND #status <> :failed');
    expect(update.ExpressionAttributeValues).toMatchObject({ ':failed': 'FAILED', ':succeeded': 'SUCCEEDED' });
    expect(update.ExpressionAttributeValues[':reason']).toMatch(/delivered 3 time\(s\).*dead-letter queue/);
  });

  it('parses job messages and explains unusable ones', () => {
    expect(parseJobMessage(JSON.stringify({ jobId: 'j', key: 'k' })).message?.jobId).toBe('j');
    expect(parseJobMessage('not json').error).toMatch(/not JSON/);
    expect(parseJobMessage('{}').error).toMatch(/no jobId/);
  });
});

describe('wake-up arithmetic (the shared queue-depth policy)', () => {
  const policy = { ...DEFAULT_QUEUE_DEPTH_POLICY, maxWorkers: 5, backlogPerWorker: 1 };
  const observe = (o: Partial<Parameters<typeof planWakeUp>[1]>) =>
    planWakeUp(policy, { visibleMessages: 0, inFlightMessages: 0, justSent: 0, runningWorkers: 0, nowSeconds: 1000, ...o });

  it.each([
    ['no backlog, no workers', {}, 0],
    ['wakes from zero', { visibleMessages: 1 }, 1],
    ['counts in-flight jobs as backlog', { visibleMessages: 2, inFlightMessages: 1, runningWorkers: 1 }, 2],
    ['starts only the missing workers', { visibleMessages: 3, runningWorkers: 2 }, 1],
    ['caps at maxWorkers', { visibleMessages: 50, runningWorkers: 3 }, 2],
    ['starts none when enough run', { visibleMessages: 2, runningWorkers: 4 }, 0],
    ['trusts what it just sent over lagging SQS counts', { visibleMessages: 0, justSent: 3 }, 3],
  ])('%s', (_name, o, expected) => {
    expect(observe(o).toStart).toBe(expected);
  });

  it('respects jobs per worker', () => {
    const plan = planWakeUp({ ...policy, backlogPerWorker: 4 }, { visibleMessages: 9, inFlightMessages: 0, justSent: 0, runningWorkers: 0, nowSeconds: 0 });
    expect(plan.toStart).toBe(3);
    expect(plan.decision.reason).toMatch(/wake from zero/);
  });

  it('splits RunTask calls into batches of at most 10', () => {
    expect(runTaskBatches(0)).toEqual([]);
    expect(runTaskBatches(7)).toEqual([7]);
    expect(runTaskBatches(23)).toEqual([10, 10, 3]);
  });
});

describe('event dispatch', () => {
  it('tells S3 notifications from the scheduled reconcile event', () => {
    expect(classifyEvent({ Records: [s3Record('scenes/a.zip')] }).kind).toBe('s3');
    expect(classifyEvent({ source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} }).kind).toBe('schedule');
  });

  it('rejects anything else, saying what it got', () => {
    expect(() => classifyEvent({ foo: 1 })).toThrow(/and its scheduled reconcile event only; got keys: foo/);
    expect(() => classifyEvent({ Records: [{ eventSource: 'aws:sqs' }] })).toThrow(/got keys: Records/);
    expect(() => classifyEvent(null)).toThrow(/got null/);
  });
});

describe('launcher configuration', () => {
  const env = {
    [LAUNCHER_ENV.queueUrl]: 'q',
    [LAUNCHER_ENV.deadLetterQueueUrl]: 'dlq',
    [LAUNCHER_ENV.outputPrefix]: 'renders/',
    [LAUNCHER_ENV.inputPrefix]: 'scenes/',
    [LAUNCHER_ENV.inputSuffixes]: '.zip, .tar',
    [LAUNCHER_ENV.clusterArn]: 'c',
    [LAUNCHER_ENV.taskDefinitionArn]: 't',
    [LAUNCHER_ENV.startedBy]: 's',
    [LAUNCHER_ENV.subnetIds]: 'subnet-1,subnet-2',
    [LAUNCHER_ENV.capacityProviders]: 'FARGATE_SPOT,FARGATE',
    [LAUNCHER_ENV.maxWorkers]: '4',
  };

  it('reads lists and numbers', () => {
    const config = readLauncherConfig(env);
    expect(config.inputSuffixes).toEqual(['.zip', '.tar']);
    expect(config.subnetIds).toEqual(['subnet-1', 'subnet-2']);
    expect(config.capacityProviders).toEqual(['FARGATE_SPOT', 'FARGATE']);
    expect(config.policy.maxWorkers).toBe(4);
    expect(config.policy.minWorkers).toBe(0);
    expect(config.jobTableName).toBeUndefined();
    expect(config.assignPublicIp).toBe('DISABLED');
  });

  it('names every problem at once', () => {
    expect(() => readLauncherConfig({ ...env, [LAUNCHER_ENV.queueUrl]: '', [LAUNCHER_ENV.maxWorkers]: 'many', [LAUNCHER_ENV.inputSuffixes]: '' })).toThrow(
      /QUEUE_URL is not set; MAX_WORKERS must be a number ≥ 1 \(got 'many'\).*INPUT_SUFFIXES must list at least one suffix/,
    );
  });
});
