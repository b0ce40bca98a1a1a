/**
 * The harness handler (lambda/lambda-test-harness/index.ts) with mocked Lambda and DynamoDB clients: what it
 * invokes, what it writes, what it refuses. The bundles against the local stand-ins are in harness.e2e.test.ts.
 */
import { InvokeCommand, LambdaClient, ResourceNotFoundException } from '@aws-sdk/client-lambda';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
// First: the handler's environment, before the handler (and its Logger) load.
import { FUNCTION_ARN } from './handler-env';
import { handler } from '../../lambda/lambda-test-harness/index';
import { SEED_LOAD, SEED_UNIT } from './fixtures';

const lambda = mockClient(LambdaClient);
const documents = mockClient(DynamoDBDocumentClient);
const SELF = 'arn:aws:lambda:us-east-1:123456789012:function:TestHarness';
const context = { invokedFunctionArn: SELF, getRemainingTimeInMillis: () => 600_000, awsRequestId: 'r' } as any;

beforeEach(() => {
  lambda.reset();
  documents.reset();
  lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: Buffer.from(JSON.stringify({ statusCode: 200, body: '"pong"' })) as any });
  documents.on(PutCommand).resolves({});
  documents.on(UpdateCommand).resolves({ Attributes: { pending: 3 } });
});

describe('LambdaTestHarness handler', () => {
  it('unit (the seed event): invokes the named function synchronously with the event and writes one result', async () => {
    const item = await handler(SEED_UNIT, context);
    expect(lambda.commandCalls(InvokeCommand).map((c) => c.args[0].input)).toEqual([
      { FunctionName: FUNCTION_ARN, InvocationType: 'RequestResponse', Payload: Buffer.from('{"operation":"ping"}') },
    ]);
    const [put] = documents.commandCalls(PutCommand);
    expect(put.args[0].input).toMatchObject({ TableName: 'HarnessResults', Item: { testId: 'MyTestRun', kind: 'result', passed: true, statusCode: 200, function: 'ImageProcessingService' } });
    expect(put.args[0].input.Item).not.toHaveProperty('response');
    expect(item).toEqual(put.args[0].input.Item);
  });

  it('records a missing function as a failed result with its error type', async () => {
    lambda.on(InvokeCommand).rejects(new ResourceNotFoundException({ message: 'Function not found', $metadata: {} }));
    await expect(handler(SEED_UNIT, context)).resolves.toMatchObject({ passed: false, errorType: 'ResourceNotFoundException', reason: 'ResourceNotFoundException: Function not found' });
  });

  it("records what a failing function threw", async () => {
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, FunctionError: 'Unhandled', Payload: Buffer.from('{"errorType":"TypeError","errorMessage":"x is undefined"}') as any });
    await expect(handler(SEED_UNIT, context)).resolves.toMatchObject({ passed: false, errorType: 'TypeError', reason: 'TypeError: x is undefined' });
  });

  it('refuses another table and a function it was not given, writing nothing', async () => {
    await expect(handler({ ...SEED_UNIT, resultsTable: 'SomeoneElses' }, context)).rejects.toThrow("resultsTable 'SomeoneElses' is not this harness's table 'HarnessResults'");
    await expect(handler({ ...SEED_UNIT, function: 'other' }, context)).rejects.toThrow("'other' is not one of the functions this harness may invoke (ImageProcessingService)");
    expect(documents.commandCalls(PutCommand)).toHaveLength(0);
    expect(lambda.commandCalls(InvokeCommand)).toHaveLength(0);
  });

  it('load (the seed event): writes the run and invokes the harness asynchronously once per iteration, numbered', async () => {
    const answer = (await handler(SEED_LOAD, context)) as any;
    expect(answer).toMatchObject({ testId: 'MyTestRun', iterations: 100 });
    const calls = lambda.commandCalls(InvokeCommand).map((c) => c.args[0].input);
    expect(calls).toHaveLength(100);
    expect(calls.every((c) => c.FunctionName === SELF && c.InvocationType === 'Event')).toBe(true);
    const iterations = calls.map((c) => JSON.parse(Buffer.from(c.Payload as Uint8Array).toString()).iteration).sort((a, b) => a - b);
    expect(iterations).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(documents.commandCalls(PutCommand)[0].args[0].input.Item).toMatchObject({ kind: 'run', pending: 100, mode: 'load-count', runId: answer.runId });
  });

  it('the last iteration of a load test by count writes the summary', async () => {
    documents.on(UpdateCommand).resolves({ Attributes: { pending: 0 } });
    documents.on(GetCommand).resolves({ Item: { startedAt: '2026-12-03T00:00:00.000Z' } });
    documents.on(QueryCommand).resolves({
      Items: [
        { passed: true, durationMs: 10, startedAt: '2026-12-03T00:00:00.000Z' },
        { passed: false, durationMs: 30, startedAt: '2026-12-03T00:00:01.000Z', reason: 'status code 500' },
      ],
    });
    await handler({ ...SEED_UNIT, runId: 'run-1', iteration: 1, total: 2 }, context);
    const summary = documents.commandCalls(PutCommand).map((c) => c.args[0].input.Item!).find((i) => i.kind === 'summary');
    expect(summary).toMatchObject({ sk: 'run#run-1#summary', count: 2, passed: 1, failed: 1, max: 30, achievedRps: 1, failureReasons: ['status code 500'] });
  });

  it('refuses iterations beyond its cap before invoking anything', async () => {
    await expect(handler({ ...SEED_LOAD, iterations: 1001 }, context)).rejects.toThrow("iterations 1001 exceeds this harness's maxIterations of 1000");
    expect(lambda.commandCalls(InvokeCommand)).toHaveLength(0);
  });

  it('a load test by rate starts one worker per 50 rps, all on itself, asynchronously', async () => {
    const answer = await handler({ operation: 'load', rate: 100, duration: 30, event: SEED_UNIT }, context);
    expect(answer).toMatchObject({ workers: 2, slices: 1, plannedRequests: 3000, targetRps: 100 });
    const workers = lambda.commandCalls(InvokeCommand).map((c) => JSON.parse(Buffer.from(c.args[0].input.Payload as Uint8Array).toString()));
    expect(workers.map((w) => [w.operation, w.worker, w.workers])).toEqual([
      ['load-worker', 0, 2],
      ['load-worker', 1, 2],
    ]);
  });

  it('stop raises the flag on an existing run only', async () => {
    await expect(handler({ operation: 'stop', testId: 'T', runId: 'r1' }, context)).resolves.toEqual({ testId: 'T', runId: 'r1', stopRequested: true });
    expect(documents.commandCalls(UpdateCommand)[0].args[0].input).toMatchObject({ Key: { testId: 'T', sk: 'run#r1' }, ConditionExpression: 'attribute_exists(sk)' });
    const { ConditionalCheckFailedException } = await import('@aws-sdk/client-dynamodb');
    documents.on(UpdateCommand).rejects(new ConditionalCheckFailedException({ message: 'no', $metadata: {} }));
    await expect(handler({ operation: 'stop', testId: 'T', runId: 'nope' }, context)).rejects.toThrow("there is no run 'nope' of test 'T'");
  });
});
