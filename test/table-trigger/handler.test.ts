/**
 * The TableTrigger handler (lambda/table-trigger/index.ts) with mocked DynamoDB and SNS clients: what it
 * writes, what it publishes, and which records it reports as failed. The same handler against emulated AWS
 * is in handler.e2e.test.ts; its bundle in asset.test.ts.
 */
import { ConditionalCheckFailedException, DynamoDBClient, GetItemCommand, ProvisionedThroughputExceededException, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import type { DynamoDBStreamEvent } from 'aws-lambda';
// First: the handler's environment, as the construct sets it, before the handler (and its Logger) load.
import './handler-checks-env';
import { handler } from '../../lambda/table-trigger/index';
import { streamRecord } from './fixtures';

const dynamodb = mockClient(DynamoDBClient);
const sns = mockClient(SNSClient);
const TOPIC = 'arn:aws:sns:us-east-1:123456789012:alerts'; // as handler-checks-env sets it

const person = (id: string, ssn: string) => streamRecord('INSERT', { pk: { S: id } }, { pk: { S: id }, SocialSecurityNumber: { S: ssn } });
const eventOf = (...records: ReturnType<typeof person>[]): DynamoDBStreamEvent => ({ Records: records });

beforeEach(() => {
  dynamodb.reset();
  sns.reset();
  dynamodb.on(UpdateItemCommand).resolves({});
  // A refused write-back is followed by a read-back: the item still exists, so its alert is due.
  dynamodb.on(GetItemCommand).callsFake((input) => ({ Item: input.Key }));
  sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
});

describe('TableTrigger handler', () => {
  it('writes the matching format back and publishes nothing for a valid item', async () => {
    await expect(handler(eventOf(person('p1', '123-45-6789')))).resolves.toEqual({ batchItemFailures: [] });
    const [update] = dynamodb.commandCalls(UpdateItemCommand);
    expect(update.args[0].input).toMatchObject({ TableName: 'People', Key: { pk: { S: 'p1' } } });
    expect(JSON.stringify(update.args[0].input.ExpressionAttributeValues)).toContain('"11"');
    expect(sns.commandCalls(PublishCommand)).toHaveLength(0);
  });

  it('marks an invalid item INVALID and publishes one alert without the raw value', async () => {
    await expect(handler(eventOf(person('p2', '12345678999')))).resolves.toEqual({ batchItemFailures: [] });
    expect(JSON.stringify(dynamodb.commandCalls(UpdateItemCommand)[0].args[0].input.ExpressionAttributeValues)).toContain('"INVALID"');
    const publishes = sns.commandCalls(PublishCommand);
    expect(publishes).toHaveLength(1);
    expect(publishes[0].args[0].input.TopicArn).toBe(TOPIC);
    expect(JSON.stringify(publishes[0].args[0].input)).not.toContain('12345678999');
  });

  it('treats a refused conditional write as stale (a newer record follows), not as a failure', async () => {
    dynamodb.on(UpdateItemCommand).rejects(new ConditionalCheckFailedException({ message: 'changed', $metadata: {} }));
    await expect(handler(eventOf(person('p3', '12345678999')))).resolves.toEqual({ batchItemFailures: [] });
    expect(sns.commandCalls(PublishCommand)).toHaveLength(1);
  });

  it('reports only the record whose write failed, by sequence number, so Lambda retries it alone', async () => {
    const ok = person('p4', '123456789');
    const throttled = person('p5', '987654321');
    dynamodb.on(UpdateItemCommand, { Key: { pk: { S: 'p5' } } }).rejects(new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: {} }));
    await expect(handler(eventOf(ok, throttled))).resolves.toEqual({ batchItemFailures: [{ itemIdentifier: throttled.dynamodb!.SequenceNumber }] });
  });

  it('reports a record whose alert could not be published (the retry finds the write done and only publishes)', async () => {
    sns.on(PublishCommand).rejects(new Error('SNS is down'));
    const invalid = person('p6', 'nope');
    await expect(handler(eventOf(person('p7', '123456789'), invalid))).resolves.toEqual({
      batchItemFailures: [{ itemIdentifier: invalid.dynamodb!.SequenceNumber }],
    });
  });

  it('fails the whole batch when every record failed, so Lambda retries and bisects it', async () => {
    dynamodb.on(UpdateItemCommand).rejects(new Error('DynamoDB is down'));
    await expect(handler(eventOf(person('p8', '123456789'), person('p9', '123456789')))).rejects.toThrow(/All records failed processing/);
  });
});
