/**
 * The local Lambda Invoke stand-in (local/local-lambda.ts), driven by the real @aws-sdk/client-lambda: the
 * shapes AWS returns (success, FunctionError Unhandled, timeouts, exits, unknown functions, Event), each
 * function's own environment in its own process, and a clean stop.
 */
import { InvokeCommand, LambdaClient, ResourceNotFoundException } from '@aws-sdk/client-lambda';
import * as path from 'path';
import { LocalLambda, startLocalLambda } from '../../local/local-lambda';
import { processIsAlive } from '../helpers/processes';

const HANDLERS = path.join(__dirname, 'fixtures', 'lambda-handlers.ts');
const text = (payload?: Uint8Array) => Buffer.from(payload ?? []).toString('utf8');

describe('local Lambda Invoke stand-in (local/local-lambda.ts)', () => {
  let lambda: LocalLambda;
  let client: LambdaClient;

  beforeAll(async () => {
    lambda = await startLocalLambda({
      functions: {
        echo: { module: HANDLERS, handler: 'echo', environment: { GREETING: 'hello from echo' } },
        other: { module: HANDLERS, handler: 'echo', environment: { OTHER_GREETING: 'hello from other' } },
        fails: { module: HANDLERS, handler: 'fails' },
        sleeps: { module: HANDLERS, handler: 'sleeps', timeoutSeconds: 1 },
        exits: { module: HANDLERS, handler: 'exits' },
        missingExport: { module: HANDLERS, handler: 'nothingHere' },
        invokesOther: { module: HANDLERS, handler: 'invokesOther' },
      },
    });
    // The real SDK, pointed at the stand-in as a handler would be through AWS_ENDPOINT_URL_LAMBDA.
    client = new LambdaClient({ endpoint: lambda.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, maxAttempts: 1 });
  }, 30_000);

  afterAll(async () => {
    client?.destroy();
    const pids = lambda?.pids() ?? [];
    await lambda?.stop();
    for (const pid of pids) expect(processIsAlive(pid)).toBe(false);
  });

  it('answers RequestResponse with the handler result, its context and its own environment', async () => {
    const out = await client.send(new InvokeCommand({ FunctionName: 'echo', Payload: Buffer.from(JSON.stringify({ n: 1 })), LogType: 'Tail' }));
    expect(out.StatusCode).toBe(200);
    expect(out.FunctionError).toBeUndefined();
    expect(out.ExecutedVersion).toBe('$LATEST');
    const result = JSON.parse(text(out.Payload));
    expect(result).toMatchObject({ event: { n: 1 }, functionName: 'echo', greeting: 'hello from echo', otherGreeting: null, lambdaEndpoint: lambda.endpoint });
    expect(result.remainingMs).toBeGreaterThan(0);
    expect(result.remainingMs).toBeLessThanOrEqual(30_000);
    expect(Buffer.from(out.LogResult!, 'base64').toString('utf8')).toContain('echo {"n":1}');

    const other = JSON.parse(text((await client.send(new InvokeCommand({ FunctionName: 'other', Payload: Buffer.from('{}') }))).Payload));
    expect(other).toMatchObject({ greeting: null, otherGreeting: 'hello from other' });
    expect(other.pid).not.toBe(result.pid);
  });

  it('keeps an execution environment warm between invocations, and accepts ARNs and qualifiers', async () => {
    const first = JSON.parse(text((await client.send(new InvokeCommand({ FunctionName: lambda.functionArn('echo') }))).Payload));
    const second = JSON.parse(text((await client.send(new InvokeCommand({ FunctionName: 'echo', Qualifier: '$LATEST' }))).Payload));
    const third = JSON.parse(text((await client.send(new InvokeCommand({ FunctionName: `${lambda.functionArn('echo')}:$LATEST` }))).Payload));
    expect(second.pid).toBe(first.pid);
    expect(third.pid).toBe(first.pid);
    expect(third.warmCount).toBe(first.warmCount + 2);
  });

  it('reports a thrown error as AWS does: 200, FunctionError Unhandled, errorType/errorMessage/trace', async () => {
    const out = await client.send(new InvokeCommand({ FunctionName: 'fails', Payload: Buffer.from('{}') }));
    expect(out.StatusCode).toBe(200);
    expect(out.FunctionError).toBe('Unhandled');
    const error = JSON.parse(text(out.Payload));
    expect(error).toMatchObject({ errorType: 'ValidationFailed', errorMessage: 'the widget is not blue' });
    expect(error.trace[0]).toContain('ValidationFailed: the widget is not blue');
  });

  it('fails a handler that runs past its timeout (Sandbox.Timedout) and one that exits (Runtime.ExitError), killing their process', async () => {
    const timedOut = await client.send(new InvokeCommand({ FunctionName: 'sleeps' }));
    expect(timedOut.FunctionError).toBe('Unhandled');
    expect(JSON.parse(text(timedOut.Payload))).toMatchObject({ errorType: 'Sandbox.Timedout', errorMessage: expect.stringMatching(/Task timed out after 1\.00 seconds$/) });

    const exited = await client.send(new InvokeCommand({ FunctionName: 'exits' }));
    expect(exited.FunctionError).toBe('Unhandled');
    expect(JSON.parse(text(exited.Payload))).toMatchObject({ errorType: 'Runtime.ExitError', errorMessage: expect.stringContaining('Runtime exited with error: exit status 3') });

    const missing = await client.send(new InvokeCommand({ FunctionName: 'missingExport' }));
    expect(JSON.parse(text(missing.Payload))).toMatchObject({ errorType: 'Runtime.HandlerNotFound' });
    expect(lambda.invocations('sleeps').map((i) => i.status)).toEqual(['failed']);
  });

  it('answers an unknown function with ResourceNotFoundException (404), and bad payloads as AWS does', async () => {
    const error = await client.send(new InvokeCommand({ FunctionName: 'nope' })).catch((e) => e);
    expect(error).toBeInstanceOf(ResourceNotFoundException);
    expect(error.$metadata.httpStatusCode).toBe(404);
    expect(error.message).toBe('Function not found: arn:aws:lambda:us-east-1:000000000000:function:nope');

    const invalid = await client.send(new InvokeCommand({ FunctionName: 'echo', Payload: Buffer.from('{not json') })).catch((e) => e);
    expect(invalid.name).toBe('InvalidRequestContentException');
    expect(invalid.$metadata.httpStatusCode).toBe(400);

    const tooLarge = await client.send(new InvokeCommand({ FunctionName: 'echo', InvocationType: 'Event', Payload: Buffer.from(JSON.stringify({ pad: 'x'.repeat(1024 * 1024) })) })).catch((e) => e);
    expect(tooLarge.name).toBe('RequestTooLargeException');
    expect(tooLarge.$metadata.httpStatusCode).toBe(413);
  });

  it('answers Event with 202 at once and runs the handler afterwards; DryRun with 204', async () => {
    const before = lambda.invocations('other').length;
    const out = await client.send(new InvokeCommand({ FunctionName: 'other', InvocationType: 'Event', Payload: Buffer.from(JSON.stringify({ async: true })) }));
    expect(out.StatusCode).toBe(202);
    expect(text(out.Payload)).toBe('');
    const done = await lambda.waitForInvocations('other', before + 1, 15_000);
    expect(done[before]).toMatchObject({ invocationType: 'Event', status: 'succeeded' });
    expect(JSON.parse(done[before].result!).event).toEqual({ async: true });

    const dry = await client.send(new InvokeCommand({ FunctionName: 'echo', InvocationType: 'DryRun' }));
    expect(dry.StatusCode).toBe(204);
  });

  it('lets a function invoke another through the SDK with no endpoint in its code (AWS_ENDPOINT_URL_LAMBDA)', async () => {
    const out = await client.send(new InvokeCommand({ FunctionName: 'invokesOther', Payload: Buffer.from(JSON.stringify({ target: 'echo' })) }));
    expect(out.FunctionError).toBeUndefined();
    expect(JSON.parse(text(out.Payload))).toMatchObject({ event: { from: 'invokesOther' }, greeting: 'hello from echo' });
  });

  it('runs a bundled asset by name (as PrebundledFunction deploys it), checking the bundle is current', async () => {
    lambda.register('tableTrigger', { asset: 'table-trigger', environment: {} });
    const out = await client.send(new InvokeCommand({ FunctionName: 'tableTrigger', Payload: Buffer.from(JSON.stringify({ Records: [] })) }));
    // The real handler started and judged the event: without its configuration it refuses it, loudly.
    expect(out.StatusCode).toBe(200);
    expect(text(out.Payload).length).toBeGreaterThan(0);
    expect(() => lambda.register('x', { asset: 'no-such-pattern' })).toThrow(/no bundle target named no-such-pattern/);
    expect(() => lambda.register('y', {})).toThrow(/exactly one of asset or module/);
  });
});
