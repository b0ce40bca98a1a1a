import { ListTasksCommand, RunTaskCommand } from '@aws-sdk/client-ecs';
import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
// First: the launcher's environment must be in place before its module (and its Logger) loads.
import './launcher-test-env';
import { handler } from '../../lambda/lambda-ecs-worker/index';
import { conditionFailed, mockLauncherClients } from './launcher-mocks';
import { s3Record } from './s3-record';

const { sqs, ddb, ecs, reset, sentMessages } = mockLauncherClients();
const s3Event = (...keys: string[]) => ({ Records: keys.map((key, i) => s3Record(key, { versionId: `v${i}` })) });
const schedule = { source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {}, time: '2026-11-22T00:00:00Z' };

beforeEach(reset);

describe('launcher: S3 notifications', () => {
  it('handles every record of an event: one job per scene, skipping others with a reason', async () => {
    const result = await handler(s3Event('scenes/a.zip', 'scenes/readme.txt', 'scenes/my+scene%2B1+%C3%BC.zip', 'elsewhere/b.zip'));
    const messages = sentMessages();
    expect(messages.map((m) => m.key)).toEqual(['scenes/a.zip', 'scenes/my scene+1 ü.zip']);
    expect(messages[1]).toMatchObject({ version: 1, bucket: 'render-bucket', versionId: 'v2', eTag: 'etag-1', jobId: expect.stringMatching(/^[0-9a-f]{32}$/) });
    expect(result.submitted).toEqual(messages.map((m) => m.jobId));
    expect(result.skipped).toEqual([
      { key: 'scenes/readme.txt', reason: expect.stringMatching(/allowed suffix/) },
      { key: 'elsewhere/b.zip', reason: expect.stringMatching(/outside the input prefix/) },
    ]);
  });

  it('records each job as QUEUED before sending, conditionally, then marks it sent', async () => {
    const order: string[] = [];
    ddb.on(PutCommand).callsFake(() => (order.push('record'), {}));
    sqs.on(SendMessageCommand).callsFake(() => (order.push('send'), { MessageId: 'm-1' }));
    ddb.on(UpdateCommand).callsFake(() => (order.push('mark sent'), {}));
    await handler(s3Event('scenes/a.zip'));
    expect(order).toEqual(['record', 'send', 'mark sent']);
    const [put] = ddb.commandCalls(PutCommand);
    expect(put.args[0].input).toMatchObject({
      TableName: 'jobs',
      ConditionExpression: 'attribute_not_exists(jobId)',
      Item: { status: 'QUEUED', key: 'scenes/a.zip', attempts: 0, progress: 0, expiresAt: expect.any(Number) },
    });
    const [mark] = ddb.commandCalls(UpdateCommand);
    expect(mark.args[0].input).toMatchObject({ UpdateExpression: 'SET enqueuedAt = :now, messageId = :id', ExpressionAttributeValues: { ':id': 'm-1' } });
    expect(mark.args[0].input.ConditionExpression).toBeUndefined();
  });

  it('creates one job for duplicate deliveries of the same object version', async () => {
    const event = s3Event('scenes/a.zip');
    const first = await handler(event);
    expect(first.submitted).toHaveLength(1);
    // The record now exists and its message was sent: both conditions fail, as DynamoDB would answer.
    ddb.on(PutCommand).rejects(conditionFailed());
    ddb.on(UpdateCommand).rejects(conditionFailed());
    const second = await handler(event);
    expect(second.submitted).toEqual([]);
    expect(second.duplicates).toEqual(first.submitted);
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(1);
  });

  it('still sends the message of a job recorded by a launcher that crashed before sending', async () => {
    ddb.on(PutCommand).rejects(conditionFailed());
    ddb.on(UpdateCommand).resolves({}); // the stale claim is taken over
    const result = await handler(s3Event('scenes/a.zip'));
    expect(result.submitted).toHaveLength(1);
    const [reclaim] = ddb.commandCalls(UpdateCommand);
    expect(reclaim.args[0].input.ConditionExpression).toMatch(/attribute_not_exists\(enqueuedAt\)/);
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(1);
  });

  it('queues the other records when one fails, then fails the invocation so Lambda retries it', async () => {
    sqs.on(SendMessageCommand).callsFake((input) => {
      if (input.MessageBody.includes('scenes/bad.zip')) throw new Error('throttled');
      return { MessageId: 'm' };
    });
    await expect(handler(s3Event('scenes/good.zip', 'scenes/bad.zip', 'scenes/also-good.zip'))).rejects.toThrow(
      'Could not queue 1 of 3 scene(s): scenes/bad.zip',
    );
    expect(sentMessages().map((m) => m.key)).toEqual(['scenes/good.zip', 'scenes/bad.zip', 'scenes/also-good.zip']);
    // good ones were marked sent; the bad one stays unsent, so the retry re-claims it once its claim is stale
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(2);
  });

  it('counts a job as queued when only recording "sent" fails, so no retry sends it twice', async () => {
    ddb.on(UpdateCommand).rejects(new Error('ProvisionedThroughputExceeded'));
    const result = await handler(s3Event('scenes/a.zip'));
    expect(result.submitted).toHaveLength(1);
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(1);
  });

  it('starts only the missing workers, counting running tasks and queue depth', async () => {
    sqs.on(GetQueueAttributesCommand).resolves({ Attributes: { ApproximateNumberOfMessages: '3', ApproximateNumberOfMessagesNotVisible: '1' } });
    ecs.on(ListTasksCommand).resolves({ taskArns: ['t1', 't2'] });
    const result = await handler(s3Event('scenes/a.zip'));
    const [run] = ecs.commandCalls(RunTaskCommand);
    expect(run.args[0].input).toMatchObject({
      count: 2,
      cluster: process.env.CLUSTER_ARN,
      taskDefinition: process.env.TASK_DEFINITION_ARN,
      startedBy: 'render-pipeline',
      capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }],
      networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-a', 'subnet-b'], securityGroups: ['sg-1'], assignPublicIp: 'ENABLED' } },
    });
    expect(ecs.commandCalls(ListTasksCommand)[0].args[0].input).toMatchObject({ startedBy: 'render-pipeline', desiredStatus: 'RUNNING' });
    expect(result).toMatchObject({ workersStarted: 2, runningWorkers: 4 });
  });

  it('never starts one task per event blindly: enough workers running means none started', async () => {
    sqs.on(GetQueueAttributesCommand).resolves({ Attributes: { ApproximateNumberOfMessages: '2', ApproximateNumberOfMessagesNotVisible: '0' } });
    ecs.on(ListTasksCommand).resolves({ taskArns: ['t1', 't2'] });
    await handler(s3Event('scenes/a.zip', 'scenes/b.zip'));
    expect(ecs.commandCalls(RunTaskCommand)).toHaveLength(0);
  });

  it('caps workers at maxWorkers and counts every ListTasks page', async () => {
    sqs.on(GetQueueAttributesCommand).resolves({ Attributes: { ApproximateNumberOfMessages: '40', ApproximateNumberOfMessagesNotVisible: '0' } });
    ecs.on(ListTasksCommand).resolvesOnce({ taskArns: ['t1'], nextToken: 'p2' }).resolvesOnce({ taskArns: ['t2'] });
    const result = await handler(s3Event('scenes/a.zip'));
    expect(ecs.commandCalls(RunTaskCommand).map((c) => c.args[0].input.count)).toEqual([3]);
    expect(result.runningWorkers).toBe(5);
  });

  it('falls back to on-demand FARGATE for what FARGATE_SPOT could not place', async () => {
    sqs.on(GetQueueAttributesCommand).resolves({ Attributes: { ApproximateNumberOfMessages: '3', ApproximateNumberOfMessagesNotVisible: '0' } });
    ecs.on(RunTaskCommand, { capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }] } as never).resolves({
      tasks: [{ taskArn: 'spot-1' }],
      failures: [{ reason: 'Capacity is unavailable at this time.' }, { reason: 'Capacity is unavailable at this time.' }],
    });
    const result = await handler({ Records: [] });
    const calls = ecs.commandCalls(RunTaskCommand).map((c) => [c.args[0].input.capacityProviderStrategy?.[0].capacityProvider, c.args[0].input.count]);
    expect(calls).toEqual([
      ['FARGATE_SPOT', 3],
      ['FARGATE', 2],
    ]);
    expect(result.workersStarted).toBe(3);
  });

  it('does not fail the S3 path when waking workers fails (the reconciler retries within a minute)', async () => {
    sqs.on(GetQueueAttributesCommand).resolves({ Attributes: { ApproximateNumberOfMessages: '1', ApproximateNumberOfMessagesNotVisible: '0' } });
    ecs.on(RunTaskCommand).rejects(new Error('AccessDenied'));
    const result = await handler(s3Event('scenes/a.zip'));
    expect(result.submitted).toHaveLength(1);
    expect(result.workersStarted).toBe(0);
  });
});

describe('launcher: the scheduled reconciler', () => {
  const deadLetter = (id: string, jobId: string) => ({ MessageId: id, ReceiptHandle: `rh-${id}`, Body: JSON.stringify({ version: 1, jobId, key: `scenes/${jobId}.zip` }) });

  it('restarts workers when messages wait and too few run (e.g. after a Spot interruption)', async () => {
    sqs.on(GetQueueAttributesCommand).resolves({ Attributes: { ApproximateNumberOfMessages: '2', ApproximateNumberOfMessagesNotVisible: '1' } });
    ecs.on(ListTasksCommand).resolves({ taskArns: ['survivor'] });
    const result = await handler(schedule);
    expect(ecs.commandCalls(RunTaskCommand).map((c) => c.args[0].input.count)).toEqual([2]);
    expect(result).toMatchObject({ kind: 'schedule', workersStarted: 2 });
  });

  it('marks FAILED every job whose message is in the DLQ, leaving the messages there', async () => {
    sqs
      .on(ReceiveMessageCommand, { QueueUrl: 'https://sqs/jobs-dlq' })
      .resolvesOnce({ Messages: [deadLetter('1', 'job-a'), deadLetter('2', 'job-done'), { MessageId: '3', Body: 'garbage' }] })
      .resolvesOnce({ Messages: [deadLetter('1', 'job-a')] });
    ddb.on(UpdateCommand, { Key: { jobId: 'job-done' } } as never).rejects(conditionFailed()); // already SUCCEEDED
    const result = await handler(schedule);
    expect(result.deadLettered).toEqual(['job-a']);
    const receives = sqs.commandCalls(ReceiveMessageCommand);
    expect(receives.length).toBe(2); // stops once a batch brings nothing new
    for (const r of receives) expect(r.args[0].input).toMatchObject({ QueueUrl: 'https://sqs/jobs-dlq', VisibilityTimeout: 0 });
    const update = ddb.commandCalls(UpdateCommand).find((c) => c.args[0].input.Key?.jobId === 'job-a')!;
    expect(update.args[0].input).toMatchObject({
      ConditionExpression: expect.stringMatching(/#status <> :succeeded/),
      ExpressionAttributeValues: expect.objectContaining({ ':failed': 'FAILED', ':reason': expect.stringMatching(/dead-letter queue/) }),
    });
  });

  it('fails the reconciler run when workers cannot be started, so its error metric shows it', async () => {
    sqs.on(GetQueueAttributesCommand).resolves({ Attributes: { ApproximateNumberOfMessages: '1', ApproximateNumberOfMessagesNotVisible: '0' } });
    ecs.on(RunTaskCommand).rejects(new Error('AccessDeniedException: not allowed'));
    await expect(handler(schedule)).rejects.toThrow(/not allowed/);
  });

  it('rejects events it does not know', async () => {
    await expect(handler({ hello: 'world' })).rejects.toThrow(/got keys: hello/);
  });
});
