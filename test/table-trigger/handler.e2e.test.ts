import {
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { AttributeValue, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { TableTrigger } from '../../lib';
import { TABLE_NAME_ENV, TOPIC_ARN_ENV, TRIGGER_CONFIG_ENV } from '../../contracts/table-trigger/rule-config';
import { useLocalAws } from '../../local/local-aws';
import { newTestStack } from '../helpers/cdk';
import { SSN_RULE } from './fixtures';
import { createTriggerResources } from '../../local/table-trigger/local-resources';
import { StreamBridge } from '../../local/table-trigger/stream-bridge';

type Image = Record<string, AttributeValue>;
type Handler = (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse>;

const TABLE = 'People';
const local = useLocalAws(['dynamodb', 'sns', 'sqs']);

describe('TableTrigger handler on local AWS (dynalite + fauxqs SNS)', () => {
  let dynamodb: DynamoDBClient;
  let sqs: SQSClient;
  let queueUrl: string;
  let stream: StreamBridge;
  let handler: Handler;
  const savedEnv = { ...process.env };

  beforeAll(async () => {
    // Alerts are read back through an SQS subscription of the topic.
    let TopicArn: string;
    ({ dynamodb, sqs, topicArn: TopicArn, alertQueueUrl: queueUrl } = await createTriggerResources(local(), { table: TABLE, topic: 'invalid-items', queue: 'alerts' }));

    // The rule set exactly as the construct hands it to the function.
    const trigger = new TableTrigger(newTestStack('E2e'), 'Trigger', { rules: [{ ...SSN_RULE, required: false }] });
    Object.assign(process.env, local().env(), {
      [TABLE_NAME_ENV]: TABLE,
      [TOPIC_ARN_ENV]: TopicArn,
      [TRIGGER_CONFIG_ENV]: trigger.handlerConfiguration,
      POWERTOOLS_LOG_LEVEL: 'SILENT',
    });
    handler = (await import('../../lambda/table-trigger/index')).handler as Handler;
    stream = new StreamBridge(dynamodb, TABLE, ['pk']);
  });

  afterAll(() => {
    dynamodb?.destroy();
    sqs?.destroy();
    process.env = savedEnv;
  });

  const key = (pk: string): Image => ({ pk: { S: pk } });
  const put = (item: Image) => dynamodb.send(new PutItemCommand({ TableName: TABLE, Item: item as never }));
  const get = async (pk: string) => (await dynamodb.send(new GetItemCommand({ TableName: TABLE, Key: key(pk) as never, ConsistentRead: true }))).Item as Image | undefined;
  const invoke = (records: DynamoDBRecord[]) => handler({ Records: records });
  /** UpdateItem requests dynalite has received from anyone (the handler's own client included). */
  const updateItems = async () => (await local().requestCounts('dynamodb')).UpdateItem ?? 0;

  /**
   * Every alert published since the last call about items whose key starts with `prefix` (the SNS envelopes'
   * Subject and Message). Alerts about other keys (a test that failed half-way) are drained and dropped.
   */
  async function drainAlerts(prefix = ''): Promise<Array<{ Subject: string; Message: string }>> {
    const alerts: Array<{ Subject: string; Message: string }> = [];
    for (;;) {
      const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
      if (Messages.length === 0) return alerts.filter((a) => a.Message.includes(`pk = "${prefix}`));
      for (const message of Messages) alerts.push(JSON.parse(message.Body!));
      await sqs.send(
        new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }),
      );
    }
  }

  const people: Record<string, Image> = {
    nine: { SocialSecurityNumber: { S: '123456789' }, Name: { S: 'Ana' } },
    eleven: { SocialSecurityNumber: { S: '987-65-4321' } },
    short: { SocialSecurityNumber: { S: '123-45-678' }, Name: { S: 'Bo' } },
    number: { SocialSecurityNumber: { N: '555443333' } },
    fullwidth: { SocialSecurityNumber: { S: '１２３４５６７８９' } },
    none: { Name: { S: 'No SSN' } },
  };
  const NAMES = Object.keys(people);

  /**
   * The people, under keys of this test's own (`<prefix>-nine`, ...), so no test depends on another's items,
   * order or alerts: writes them, runs the trigger on their INSERT records, and says what happened.
   */
  async function insertPeople(prefix: string) {
    const pk = (name: string) => `${prefix}-${name}`;
    for (const name of NAMES) await put({ ...key(pk(name)), ...people[name] });
    const records = await stream.capture(NAMES.map((name) => key(pk(name))));
    const updatesBefore = await updateItems();
    const response = await invoke(records);
    return { pk, records, response, updates: (await updateItems()) - updatesBefore };
  }

  /** Runs the trigger on the write-back records of `prefix`'s people, as the stream delivers them next. */
  async function settle(prefix: string): Promise<DynamoDBRecord[]> {
    const writeBacks = await stream.capture(NAMES.map((name) => key(`${prefix}-${name}`)));
    expect(await invoke(writeBacks)).toEqual({ batchItemFailures: [] });
    return writeBacks;
  }

  it('writes the format of valid items and INVALID on invalid ones, with exactly one masked alert each', async () => {
    const { pk, records, response, updates } = await insertPeople('insert');
    expect(records.map((r) => r.eventName)).toEqual(Array(6).fill('INSERT'));
    expect(response).toEqual({ batchItemFailures: [] });
    // One write-back per item with an SSN; none for the item without one.
    expect(updates).toBe(5);

    const formats = Object.fromEntries(await Promise.all(NAMES.map(async (name) => [name, (await get(pk(name)))?.['SSN Format']?.S])));
    expect(formats).toEqual({ nine: '9', eleven: '11', short: 'INVALID', number: 'INVALID', fullwidth: 'INVALID', none: undefined });
    // Nothing else of the items changed.
    expect(await get(pk('nine'))).toEqual({ ...key(pk('nine')), ...people.nine, 'SSN Format': { S: '9' } });

    const alerts = await drainAlerts('insert-');
    const byKey = (name: string) => alerts.filter((a) => a.Message.includes(`pk = "${pk(name)}"`));
    expect(alerts).toHaveLength(3);
    for (const name of ['short', 'number', 'fullwidth']) expect(byKey(name)).toHaveLength(1);
    expect(byKey('short')[0].Subject).toBe('Invalid item in People: SocialSecurityNumber');
    expect(byKey('short')[0].Message).toContain('SocialSecurityNumber: value "******-678" matches none of the formats');
    expect(byKey('number')[0].Message).toContain('expected a string, got a number');
    expect(byKey('fullwidth')[0].Message).toContain('"*****６７８９"');
    const everything = alerts.map((a) => `${a.Subject}\n${a.Message}`).join('\n');
    for (const secret of ['123-45', '555443333', '１２３４５', 'Bo', 'Ana']) expect(everything).not.toContain(secret);
  });

  it('changes nothing and publishes nothing when run on its own write-back records (loop safety)', async () => {
    const { pk } = await insertPeople('loop');
    await drainAlerts('loop-');
    const before = (await dynamodb.send(new ScanCommand({ TableName: TABLE, ConsistentRead: true }))).Items;
    const writeBacks = await stream.capture(NAMES.map((name) => key(pk(name))));
    // One MODIFY per computed attribute written; the item without an SSN was not touched.
    expect(writeBacks.map((r) => [r.dynamodb!.Keys!.pk.S, r.eventName])).toEqual(['nine', 'eleven', 'short', 'number', 'fullwidth'].map((name) => [pk(name), 'MODIFY']));

    const updatesBefore = await updateItems();
    expect(await invoke(writeBacks)).toEqual({ batchItemFailures: [] });
    // Not a single write: a rewrite of the same value would leave the table and the stream unchanged, but
    // still costs a write per record, for ever.
    expect((await updateItems()) - updatesBefore).toBe(0);

    expect((await dynamodb.send(new ScanCommand({ TableName: TABLE, ConsistentRead: true }))).Items).toEqual(before);
    expect(await drainAlerts('loop-')).toEqual([]);
    // The stream would carry nothing more: the loop has ended.
    expect(await stream.capture(NAMES.map((name) => key(pk(name))))).toEqual([]);
  });

  it('alerts again only when a new invalid value is written', async () => {
    const { pk } = await insertPeople('again');
    await settle('again');
    await drainAlerts('again-');
    await dynamodb.send(
      new UpdateItemCommand({ TableName: TABLE, Key: key(pk('short')) as never, UpdateExpression: 'SET City = :c', ExpressionAttributeValues: { ':c': { S: 'Oslo' } } }),
    );
    await dynamodb.send(
      new UpdateItemCommand({ TableName: TABLE, Key: key(pk('number')) as never, UpdateExpression: 'SET SocialSecurityNumber = :s', ExpressionAttributeValues: { ':s': { S: '12' } } }),
    );
    const records = await stream.capture([key(pk('short')), key(pk('number'))]);
    expect(await invoke(records)).toEqual({ batchItemFailures: [] });
    const alerts = await drainAlerts('again-');
    expect(alerts).toHaveLength(1);
    expect(alerts[0].Message).toContain(`pk = "${pk('number')}"`);
    expect(alerts[0].Message).toContain('value "*2"');
  });

  it('removes the computed attribute when an optional attribute is removed or set to NULL', async () => {
    const { pk } = await insertPeople('remove');
    await settle('remove');
    await drainAlerts('remove-');
    await dynamodb.send(new UpdateItemCommand({ TableName: TABLE, Key: key(pk('nine')) as never, UpdateExpression: 'REMOVE SocialSecurityNumber' }));
    await dynamodb.send(
      new UpdateItemCommand({ TableName: TABLE, Key: key(pk('eleven')) as never, UpdateExpression: 'SET SocialSecurityNumber = :n', ExpressionAttributeValues: { ':n': { NULL: true } } }),
    );
    const records = await stream.capture([key(pk('nine')), key(pk('eleven'))]);
    expect(await invoke(records)).toEqual({ batchItemFailures: [] });
    expect(await get(pk('nine'))).toEqual({ ...key(pk('nine')), Name: { S: 'Ana' } });
    expect(await get(pk('eleven'))).toEqual({ ...key(pk('eleven')), SocialSecurityNumber: { NULL: true } });
    expect(await drainAlerts('remove-')).toEqual([]);
  });

  it('reports only the poison record of a batch as failed', async () => {
    await put({ ...key('p1'), SocialSecurityNumber: { S: '111223333' } });
    await put({ ...key('p2'), SocialSecurityNumber: { S: 'nope' } });
    await put({ ...key('p3'), SocialSecurityNumber: { S: '111-22-3333' } });
    const [r1, r2, r3] = await stream.capture([key('p1'), key('p2'), key('p3')]);
    // A record whose key does not match the table's schema: DynamoDB rejects its write-back.
    const poison: DynamoDBRecord = { ...r2, dynamodb: { ...r2.dynamodb!, Keys: { pk: { N: '2' } } } };

    const response = await invoke([r1, poison, r3]);

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: r2.dynamodb!.SequenceNumber }] });
    expect((await get('p1'))?.['SSN Format']).toEqual({ S: '9' });
    expect((await get('p3'))?.['SSN Format']).toEqual({ S: '11' });
    expect((await get('p2'))?.['SSN Format']).toBeUndefined();
    expect(await drainAlerts('p')).toEqual([]);
    // The retried record (Lambda resends it after the partial failure) succeeds on its own.
    expect(await invoke([r2])).toEqual({ batchItemFailures: [] });
    expect((await get('p2'))?.['SSN Format']).toEqual({ S: 'INVALID' });
    expect(await drainAlerts('p')).toHaveLength(1);
  });

  it('reports a malformed record as failed and fails a batch that is entirely poison, so Lambda retries and bisects it', async () => {
    await put({ ...key('m1'), SocialSecurityNumber: { S: '000112222' } });
    const [good] = await stream.capture([key('m1')]);
    const malformed: DynamoDBRecord = { ...good, dynamodb: { ...good.dynamodb!, SequenceNumber: '999', NewImage: { ...key('m1'), SocialSecurityNumber: { Z: '1' } } as never } };
    expect(await invoke([good, malformed])).toEqual({ batchItemFailures: [{ itemIdentifier: '999' }] });
    await expect(invoke([malformed])).rejects.toThrow(/All records failed/);
    // A failed record that cannot be named by sequence number fails the whole batch rather than being lost.
    const remove: DynamoDBRecord = { ...good, eventName: 'REMOVE' };
    await expect(invoke([remove, { eventName: 'INSERT' } as DynamoDBRecord])).rejects.toThrow(/have no dynamodb.SequenceNumber/);
  });

  it('never lets a stale record overwrite the verdict on a newer version of the item', async () => {
    await put({ ...key('stale'), SocialSecurityNumber: { S: '222334444' } });
    const [v1] = await stream.capture([key('stale')]);
    await put({ ...key('stale'), SocialSecurityNumber: { S: 'bad value' } });
    const [v2] = await stream.capture([key('stale')]);

    expect(await invoke([v2])).toEqual({ batchItemFailures: [] });
    expect((await get('stale'))?.['SSN Format']).toEqual({ S: 'INVALID' });
    expect(await drainAlerts('stale')).toHaveLength(1);

    // v1 arrives late (a retry, or another batch): its conditional write is refused.
    expect(await invoke([v1])).toEqual({ batchItemFailures: [] });
    expect(await get('stale')).toEqual({ ...key('stale'), SocialSecurityNumber: { S: 'bad value' }, 'SSN Format': { S: 'INVALID' } });
  });

  it('never recreates an item that was deleted after its record was written', async () => {
    await put({ ...key('gone'), SocialSecurityNumber: { S: '333445555' } });
    const [insert] = await stream.capture([key('gone')]);
    await dynamodb.send(new DeleteItemCommand({ TableName: TABLE, Key: key('gone') as never }));
    const [remove] = await stream.capture([key('gone')]);
    expect(remove.eventName).toBe('REMOVE');
    expect(await invoke([insert, remove])).toEqual({ batchItemFailures: [] });
    expect(await get('gone')).toBeUndefined();
  });
});
