import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { CreateTableCommand, DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import * as net from 'net';
import { startLocalAws, LocalAws } from '../../local/local-aws';
import { processIsAlive } from '../helpers/processes';

const portIsOpen = (url: string) =>
  new Promise<boolean>((resolve) => {
    const { hostname, port } = new URL(url);
    const socket = net.connect({ host: hostname, port: Number(port) });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });


describe('local AWS (local/local-aws.ts)', () => {
  let local: LocalAws;
  let sqs: SQSClient;
  let s3: S3Client;

  beforeAll(async () => {
    local = await startLocalAws();
    sqs = new SQSClient(local.clientConfig('sqs'));
    s3 = new S3Client(local.clientConfig('s3'));
  }, 30_000);

  afterAll(async () => {
    sqs?.destroy();
    s3?.destroy();
    await local?.stop();
  });

  it('binds every emulator to 127.0.0.1 only', () => {
    for (const endpoint of Object.values(local.endpoints)) expect(new URL(endpoint!).hostname).toBe('127.0.0.1');
    expect(Object.keys(local.endpoints).sort()).toEqual(['dynamodb', 's3', 'sns', 'sqs']);
  });

  it('redrives a message to the DLQ after maxReceiveCount receives', async () => {
    const dlq = await sqs.send(new CreateQueueCommand({ QueueName: 'smoke-dlq' }));
    const dlqArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn;
    const queue = await sqs.send(
      new CreateQueueCommand({
        QueueName: 'smoke',
        Attributes: { VisibilityTimeout: '0', RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 2 }) },
      }),
    );
    // Like a real queue URL, it has the endpoint's origin, so the SDK sends to it without complaint.
    expect(new URL(queue.QueueUrl!).origin).toBe(local.endpoints.sqs);
    await sqs.send(new SendMessageCommand({ QueueUrl: queue.QueueUrl, MessageBody: 'poison' }));

    // Two receives without a delete exhaust maxReceiveCount = 2 ...
    for (let attempt = 1; attempt <= 2; attempt++) {
      const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queue.QueueUrl, WaitTimeSeconds: 1, MessageSystemAttributeNames: ['ApproximateReceiveCount'] }));
      expect(received.Messages?.[0]?.Body).toBe('poison');
      expect(received.Messages?.[0]?.Attributes?.ApproximateReceiveCount).toBe(String(attempt));
    }
    // ... so the third receive finds nothing on the queue, and the message is in the DLQ.
    const third = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queue.QueueUrl, WaitTimeSeconds: 1 }));
    expect(third.Messages ?? []).toHaveLength(0);
    const dead = await sqs.send(new ReceiveMessageCommand({ QueueUrl: dlq.QueueUrl, WaitTimeSeconds: 1 }));
    expect(dead.Messages?.[0]?.Body).toBe('poison');
    await sqs.send(new DeleteMessageCommand({ QueueUrl: dlq.QueueUrl, ReceiptHandle: dead.Messages![0].ReceiptHandle }));
  });

  it('emits an S3 event record, shaped as AWS sends it, when an object is put', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'smoke-bucket' }));
    const event = local.nextS3Event((e) => e.Records[0].s3.bucket.name === 'smoke-bucket');
    await s3.send(new PutObjectCommand({ Bucket: 'smoke-bucket', Key: 'scenes/my scene+1 ü.zip', Body: 'zip' }));
    const [record] = (await event).Records;
    expect(record.eventName).toBe('ObjectCreated:Put');
    expect(record.s3.bucket.arn).toBe('arn:aws:s3:::smoke-bucket');
    // Form-style URL encoding, exactly as S3 notifications carry keys.
    expect(record.s3.object.key).toBe('scenes/my+scene%2B1+%C3%BC.zip');
    expect(decodeURIComponent(record.s3.object.key.replace(/\+/g, ' '))).toBe('scenes/my scene+1 ü.zip');
  });

  it('serves DynamoDB', async () => {
    const dynamodb = new DynamoDBClient(local.clientConfig('dynamodb'));
    await dynamodb.send(
      new CreateTableCommand({
        TableName: 'smoke',
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    await dynamodb.send(new PutItemCommand({ TableName: 'smoke', Item: { pk: { S: 'a' }, n: { N: '1' } } }));
    const item = await dynamodb.send(new GetItemCommand({ TableName: 'smoke', Key: { pk: { S: 'a' } } }));
    expect(item.Item?.n).toEqual({ N: '1' });
    dynamodb.destroy();
  });

  it('leaves no process and no listening port behind', async () => {
    const endpoints = Object.values(local.endpoints) as string[];
    const pid = local.pid;
    sqs.destroy();
    s3.destroy();
    await local.stop();
    expect(processIsAlive(pid)).toBe(false);
    for (const endpoint of endpoints) expect(await portIsOpen(endpoint)).toBe(false);
  });
});
