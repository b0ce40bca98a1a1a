/**
 * The stand-ins asked for like the emulators: useLocalAws(['dynamodb', 'lambda', 'https']) gives a handler,
 * run by the Lambda stand-in, everything it needs to reach the emulators and trust the HTTPS endpoint with no
 * code of its own; the test reaches each through the SDK's standard configuration.
 */
import { CreateTableCommand, DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import * as path from 'path';
import { useLocalAws } from '../../local/local-aws';
import { processIsAlive } from '../helpers/processes';

const HANDLERS = path.join(__dirname, 'fixtures', 'lambda-handlers.ts');

describe('useLocalAws with the Lambda and HTTPS stand-ins', () => {
  const local = useLocalAws(['dynamodb', 'lambda', 'https']);

  it('runs a handler that calls an HTTPS endpoint and writes to DynamoDB, all through standard configuration', async () => {
    local().https.route('/ping', () => ({ status: 200, body: 'pong' }));
    local().lambda.register('checker', { module: HANDLERS, handler: 'recordsCheck' });
    const dynamodb = new DynamoDBClient(local().clientConfig('dynamodb'));
    await dynamodb.send(
      new CreateTableCommand({ TableName: 'results', AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }], BillingMode: 'PAY_PER_REQUEST' }),
    );
    const lambda = new LambdaClient(local().clientConfig('lambda'));
    const out = await lambda.send(new InvokeCommand({ FunctionName: 'checker', Payload: Buffer.from(JSON.stringify({ url: local().https.url('/ping'), table: 'results', id: 'run-1' })) }));
    expect(out.FunctionError).toBeUndefined();
    expect(JSON.parse(Buffer.from(out.Payload!).toString())).toEqual({ status: 200 });
    const item = await dynamodb.send(new GetItemCommand({ TableName: 'results', Key: { id: { S: 'run-1' } } }));
    expect(item.Item).toMatchObject({ status: { N: '200' }, body: { S: 'pong' } });
    expect(local().env()).toMatchObject({ AWS_ENDPOINT_URL_LAMBDA: local().lambda.endpoint, NODE_EXTRA_CA_CERTS: local().https.caFile });
    lambda.destroy();
    dynamodb.destroy();
  });

  it('names the missing stand-in when a test did not ask for it', async () => {
    const { startLocalAws } = await import('../../local/local-aws');
    const bare = await startLocalAws(['sqs']);
    try {
      expect(() => bare.lambda).toThrow("local AWS was started without lambda (started: sqs): useLocalAws([..., 'lambda'])");
      expect(() => bare.https).toThrow(/started without https/);
      expect(bare.env().AWS_ENDPOINT_URL_LAMBDA).toBeUndefined();
    } finally {
      await bare.stop();
    }
    await expect(startLocalAws(['kinesis' as any])).rejects.toThrow('local AWS has no kinesis');
  });

  it('stops the function processes with the rest', async () => {
    const { startLocalAws } = await import('../../local/local-aws');
    const own = await startLocalAws(['lambda']);
    own.lambda.register('echo', { module: HANDLERS, handler: 'echo' });
    const client = new LambdaClient(own.clientConfig('lambda'));
    await client.send(new InvokeCommand({ FunctionName: 'echo' }));
    const pids = own.lambda.pids();
    expect(pids.length).toBe(1);
    client.destroy();
    await own.stop();
    for (const pid of [...pids, own.pid]) expect(processIsAlive(pid)).toBe(false);
  });
});
