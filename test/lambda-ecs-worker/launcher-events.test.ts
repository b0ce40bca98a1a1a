import { Metrics } from '@aws-lambda-powertools/metrics';
import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { createHash } from 'crypto';
// First: the launcher's environment must be in place before its module (and its Logger) loads.
import './launcher-test-env';
import { classifyEvent } from '../../lambda/lambda-ecs-worker/events';
import { handler } from '../../lambda/lambda-ecs-worker/index';
import { classifyObjectCreated, classifyRecord, KeyFilter, RecordDecision } from '../../lambda/lambda-ecs-worker/s3-records';
import { renderJobId } from '../../contracts/lambda-ecs-worker/render-job';
import { conditionFailed, mockLauncherClients } from './launcher-mocks';
import { objectCreatedEvent, s3Record, s3TestEvent } from './s3-record';

// Every shape of event the launcher can be handed: S3's test event, EventBridge 'Object Created',
// null and malformed records, and batches mixing them. Bad input is logged and counted, never fatal to
// the other records, and never the reason an invocation fails.

const FILTER: KeyFilter = { inputPrefix: 'scenes/', outputPrefix: 'renders/', inputSuffixes: ['.zip'] };
const sha256Hex = (input: string) => createHash('sha256').update(input, 'utf8').digest('hex');
const submitted = (decision: RecordDecision) => (decision.action === 'submit' ? decision.object : undefined);

/** Records no S3 notification should hold, each with what the launcher must say about it. */
const MALFORMED_RECORDS: Array<[string, unknown, RegExp]> = [
  ['null', null, /record is null/],
  ['a number', 42, /record is a number/],
  ['a string', 'scenes/a.zip', /record is a string/],
  ['an array', [s3Record('scenes/a.zip')], /record is an array/],
  ['an empty object', {}, /no eventName/],
  ['a record of another service', { eventSource: 'aws:sqs', eventName: 'ObjectCreated:Put' }, /eventSource is 'aws:sqs'/],
  ['a record without s3', { ...s3Record('scenes/a.zip'), s3: undefined }, /names no bucket/],
  ['a record with s3: null', { ...s3Record('scenes/a.zip'), s3: null }, /names no bucket/],
  ['a record without a bucket', { ...s3Record('scenes/a.zip'), s3: { ...s3Record('x').s3, bucket: {} } }, /names no bucket/],
  ['a record without an object', { ...s3Record('scenes/a.zip'), s3: { ...s3Record('x').s3, object: null } }, /names no object key/],
  ['a record whose key is a number', { ...s3Record('scenes/a.zip'), s3: { ...s3Record('x').s3, object: { key: 7 } } }, /names no object key/],
  ['a record with an empty key', s3Record(''), /names no object key/],
];

describe('event dispatch: every shape the launcher can receive', () => {
  it("acknowledges S3's s3:TestEvent as its own kind, naming the bucket", () => {
    expect(classifyEvent(s3TestEvent('my-bucket'))).toEqual({ kind: 's3-test-event', bucket: 'my-bucket' });
  });

  it("tells an EventBridge 'Object Created' event from the scheduled reconcile event", () => {
    expect(classifyEvent(objectCreatedEvent('scenes/a.zip')).kind).toBe('object-created');
    expect(classifyEvent({ source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} }).kind).toBe('schedule');
  });

  it('keeps a notification with null or malformed records an S3 notification, to be read record by record', () => {
    expect(classifyEvent({ Records: [null] })).toEqual({ kind: 's3', records: [null] });
    expect(classifyEvent({ Records: [null, s3Record('scenes/a.zip'), 'x'] }).kind).toBe('s3');
    // One stray record of another service among S3 records is a malformed record, not a foreign batch.
    expect(classifyEvent({ Records: [{ eventSource: 'aws:sqs' }, s3Record('scenes/a.zip')] }).kind).toBe('s3');
  });

  it('still rejects a batch of another service and shapes it cannot read, saying what it got', () => {
    expect(() => classifyEvent({ Records: [{ eventSource: 'aws:sqs' }, { eventSource: 'aws:sns' }] })).toThrow(/got keys: Records/);
    expect(() => classifyEvent({ source: 'aws.s3', 'detail-type': 'Object Deleted' })).toThrow(/got keys: source, detail-type/);
    expect(() => classifyEvent({ Event: 's3:TestEvent' })).toThrow(/got keys: Event/);
    expect(() => classifyEvent(undefined)).toThrow(/got a undefined/);
    expect(() => classifyEvent([])).toThrow(/got a array/);
  });
});

describe('notification records: null and malformed records are skipped with a reason, never thrown', () => {
  it.each(MALFORMED_RECORDS)('%s is malformed', (_name, record, reason) => {
    const decision = classifyRecord(record, FILTER);
    expect(decision).toEqual({ action: 'malformed', reason: expect.stringMatching(reason) });
  });

  it('skips (not malformed) a well-formed record that is not an object creation', () => {
    expect(classifyRecord(s3Record('scenes/a.zip', { eventName: 'ObjectRemoved:Delete' }), FILTER)).toMatchObject({ action: 'skip', key: 'scenes/a.zip' });
  });

  it('ignores version and eTag fields that are not strings instead of putting them in the job', () => {
    const record = s3Record('scenes/a.zip');
    (record.s3.object as unknown as Record<string, unknown>).versionId = null;
    (record.s3.object as unknown as Record<string, unknown>).eTag = { x: 1 };
    expect(classifyRecord(record, FILTER)).toEqual({ action: 'submit', object: { bucket: 'render-bucket', key: 'scenes/a.zip' } });
  });
});

describe("EventBridge 'Object Created' events", () => {
  it('becomes the same job request as a notification record, reading the key as it is (EventBridge does not encode it)', () => {
    const decision = classifyObjectCreated(objectCreatedEvent('scenes/my scene+1 ü 10:47 a=b%41.zip', { versionId: 'v7', etag: 'e7' }), FILTER);
    expect(decision).toEqual({ action: 'submit', object: { bucket: 'render-bucket', key: 'scenes/my scene+1 ü 10:47 a=b%41.zip', versionId: 'v7', eTag: 'e7' } });
  });

  it('gives an object the same job id whichever trigger reported it, so both cannot create two jobs', () => {
    // The same upload, `scenes/a+b c.zip`: form-encoded in the notification, as it is in the EventBridge event.
    const viaNotification = submitted(classifyRecord(s3Record('scenes/a%2Bb+c.zip', { versionId: 'v1', eTag: 'e1' }), FILTER))!;
    const viaEventBridge = submitted(classifyObjectCreated(objectCreatedEvent('scenes/a+b c.zip', { versionId: 'v1', etag: 'e1' }), FILTER))!;
    expect(viaEventBridge).toEqual({ bucket: 'render-bucket', key: 'scenes/a+b c.zip', versionId: 'v1', eTag: 'e1' });
    expect(viaEventBridge).toEqual(viaNotification);
    expect(renderJobId(sha256Hex, viaEventBridge)).toBe(renderJobId(sha256Hex, viaNotification));
    // Unversioned buckets: the eTag is the identity, from either trigger.
    const unversioned = submitted(classifyObjectCreated(objectCreatedEvent('scenes/c.zip', { etag: 'e2' }), FILTER))!;
    expect(renderJobId(sha256Hex, unversioned)).toBe(renderJobId(sha256Hex, submitted(classifyRecord(s3Record('scenes/c.zip', { eTag: 'e2' }), FILTER))!));
  });

  it('applies the same key filters: outputs never start jobs, other suffixes and prefixes are skipped', () => {
    expect(classifyObjectCreated(objectCreatedEvent('renders/a.zip'), FILTER)).toMatchObject({ action: 'skip', reason: expect.stringMatching(/output prefix/) });
    expect(classifyObjectCreated(objectCreatedEvent('scenes/a.txt'), FILTER)).toMatchObject({ action: 'skip', reason: expect.stringMatching(/suffix/) });
    // Not decoded, so a `%` in a key is just a character, not an encoding error.
    expect(classifyObjectCreated(objectCreatedEvent('scenes/100%.zip'), FILTER)).toMatchObject({ action: 'submit', object: { key: 'scenes/100%.zip' } });
  });

  it.each<[string, unknown]>([
    ['no detail', { source: 'aws.s3', 'detail-type': 'Object Created' }],
    ['detail: null', { ...objectCreatedEvent('scenes/a.zip'), detail: null }],
    ['no bucket', { ...objectCreatedEvent('scenes/a.zip'), detail: { object: { key: 'scenes/a.zip' } } }],
    ['no object', { ...objectCreatedEvent('scenes/a.zip'), detail: { bucket: { name: 'b' } } }],
    ['a key that is not a string', { ...objectCreatedEvent('scenes/a.zip'), detail: { bucket: { name: 'b' }, object: { key: ['scenes/a.zip'] } } }],
  ])('an event with %s is malformed', (_name, event) => {
    expect(classifyObjectCreated(event, FILTER)).toMatchObject({ action: 'malformed', reason: expect.any(String) });
  });
});

describe('launcher handler with every event shape (mocked AWS clients)', () => {
  // One message waiting: the launcher wakes one worker for it.
  const { sqs, ddb, ecs, reset, sentMessages } = mockLauncherClients(1);
  const awsCalls = () => sqs.calls().length + ddb.calls().length + ecs.calls().length;
  let addMetric: jest.SpyInstance;
  const metric = (name: string) => addMetric.mock.calls.filter(([metricName]) => metricName === name).map(([, , value]) => value);

  beforeEach(() => {
    reset();
    addMetric = jest.spyOn(Metrics.prototype, 'addMetric');
  });
  afterEach(() => addMetric.mockRestore());

  it("acknowledges S3's test event without failing and without touching the queue, the table or ECS", async () => {
    const result = await handler(s3TestEvent());
    expect(result).toMatchObject({ kind: 's3-test-event', submitted: [], malformed: [], workersStarted: 0 });
    expect(awsCalls()).toBe(0);
  });

  it('queues the good records of a batch holding null and malformed ones, and counts the malformed in a metric', async () => {
    const event = { Records: [null, s3Record('scenes/a.zip', { versionId: 'v1' }), { eventName: 'ObjectCreated:Put', s3: {} }, 17, s3Record('scenes/b.zip', { versionId: 'v2' })] };
    const result = await handler(event);
    expect(sentMessages().map((m) => m.key)).toEqual(['scenes/a.zip', 'scenes/b.zip']);
    expect(result.submitted).toHaveLength(2);
    expect(result.malformed).toEqual([expect.stringMatching(/record is null/), expect.stringMatching(/names no bucket/), expect.stringMatching(/record is a number/)]);
    expect(metric('MalformedRecords')).toEqual([3]);
    expect(metric('JobsSubmitted')).toEqual([2]);
  });

  it('handles a mixed batch record by record: queued, duplicate, skipped, malformed, removal', async () => {
    ddb.on(PutCommand, { Item: { key: 'scenes/dup.zip' } } as never).rejects(conditionFailed());
    ddb.on(UpdateCommand, { Key: { jobId: renderJobId(sha256Hex, { bucket: 'render-bucket', key: 'scenes/dup.zip', versionId: 'v2' }) } } as never).rejects(
      conditionFailed(),
    );
    const result = await handler({
      Records: [
        s3Record('scenes/new.zip', { versionId: 'v1' }),
        s3Record('scenes/dup.zip', { versionId: 'v2' }),
        s3Record('scenes/notes.txt'),
        { eventSource: 'aws:s3' },
        s3Record('scenes/gone.zip', { eventName: 'ObjectRemoved:Delete' }),
      ],
    });
    expect(sentMessages().map((m) => m.key)).toEqual(['scenes/new.zip']);
    expect(result.duplicates).toHaveLength(1);
    expect(result.skipped.map((s) => s.key)).toEqual(['scenes/notes.txt', 'scenes/gone.zip']);
    expect(result.malformed).toEqual([expect.stringMatching(/no eventName/)]);
  });

  it('fails the invocation only for a record it could not queue, never for a malformed one', async () => {
    sqs.on(SendMessageCommand).callsFake((input) => {
      if (input.MessageBody.includes('scenes/bad.zip')) throw new Error('throttled');
      return { MessageId: 'm' };
    });
    await expect(handler({ Records: [null, s3Record('scenes/bad.zip'), s3Record('scenes/good.zip')] })).rejects.toThrow(
      'Could not queue 1 of 3 scene(s): scenes/bad.zip',
    );
    expect(sentMessages().map((m) => m.key)).toEqual(['scenes/bad.zip', 'scenes/good.zip']);
  });

  it("queues the object of an EventBridge 'Object Created' event and wakes a worker", async () => {
    const result = await handler(objectCreatedEvent('scenes/my scene+1.zip', { versionId: 'v9', etag: 'e9' }));
    expect(result.kind).toBe('object-created');
    const [message] = sentMessages();
    expect(message).toMatchObject({ bucket: 'render-bucket', key: 'scenes/my scene+1.zip', versionId: 'v9', eTag: 'e9' });
    expect(result.submitted).toEqual([message.jobId]);
    expect(result.workersStarted).toBe(1);
    expect(ddb.commandCalls(PutCommand)[0].args[0].input.Item).toMatchObject({ jobId: message.jobId, status: 'QUEUED' });
  });

  it('records one job when the same upload arrives by notification and by EventBridge', async () => {
    const first = await handler({ Records: [s3Record('scenes/a.zip', { versionId: 'v1', eTag: 'e1' })] });
    ddb.on(PutCommand).rejects(conditionFailed());
    ddb.on(UpdateCommand).rejects(conditionFailed());
    const second = await handler(objectCreatedEvent('scenes/a.zip', { versionId: 'v1', etag: 'e1' }));
    expect(second.duplicates).toEqual(first.submitted);
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(1);
  });

  it("skips a malformed 'Object Created' event with a metric instead of failing into the dead-letter queue", async () => {
    const result = await handler({ source: 'aws.s3', 'detail-type': 'Object Created', detail: { bucket: { name: 'render-bucket' } } });
    expect(result.malformed).toEqual([expect.stringMatching(/names no object key/)]);
    expect(metric('MalformedRecords')).toEqual([1]);
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(0);
  });
});
