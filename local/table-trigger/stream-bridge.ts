import { AttributeValue as SdkAttributeValue, DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { AttributeValue, DynamoDBRecord } from 'aws-lambda';

type Image = Record<string, AttributeValue>;

/**
 * DynamoDB Streams for dynalite, which has none: remembers the last image it saw of each item and, when
 * asked, reads the items back and emits the record a NEW_AND_OLD_IMAGES stream would have carried for
 * each change since (INSERT, MODIFY or REMOVE). Like the real stream, a write that changed nothing
 * produces no record. Records are built only from what dynalite returns.
 */
export class StreamBridge {
  private readonly known = new Map<string, Image>();
  private sequence = 0;

  constructor(
    private readonly dynamodb: DynamoDBClient,
    private readonly tableName: string,
    private readonly keyNames: readonly string[],
    private readonly region = 'us-east-1',
  ) {}

  /** The records for every change to the items with these keys since the last capture. */
  async capture(keys: Image[]): Promise<DynamoDBRecord[]> {
    const records: DynamoDBRecord[] = [];
    for (const key of keys) {
      const id = JSON.stringify(this.keyNames.map((name) => key[name]));
      const current = await this.read(key);
      const previous = this.known.get(id);
      if (current) this.known.set(id, current);
      else this.known.delete(id);
      if (!current && !previous) continue;
      if (current && previous && JSON.stringify(sortKeys(current)) === JSON.stringify(sortKeys(previous))) continue;
      const eventName = !previous ? 'INSERT' : !current ? 'REMOVE' : 'MODIFY';
      records.push(this.record(eventName, key, current, previous));
    }
    return records;
  }

  private async read(key: Image): Promise<Image | undefined> {
    const result = await this.dynamodb.send(
      new GetItemCommand({ TableName: this.tableName, Key: key as Record<string, SdkAttributeValue>, ConsistentRead: true }),
    );
    return result.Item as Image | undefined;
  }

  private record(eventName: 'INSERT' | 'MODIFY' | 'REMOVE', key: Image, newImage?: Image, oldImage?: Image): DynamoDBRecord {
    this.sequence += 1;
    const keys = Object.fromEntries(this.keyNames.map((name) => [name, key[name]]));
    return {
      eventID: `bridge-${this.sequence}`,
      eventName,
      eventVersion: '1.1',
      eventSource: 'aws:dynamodb',
      awsRegion: this.region,
      eventSourceARN: `arn:aws:dynamodb:${this.region}:000000000000:table/${this.tableName}/stream/2026-11-22T00:00:00.000`,
      dynamodb: {
        ApproximateCreationDateTime: Math.floor(Date.now() / 1000),
        Keys: keys,
        ...(newImage ? { NewImage: newImage } : {}),
        ...(oldImage ? { OldImage: oldImage } : {}),
        SequenceNumber: String(100_000_000_000 + this.sequence).padStart(21, '0'),
        SizeBytes: JSON.stringify(newImage ?? oldImage ?? keys).length,
        StreamViewType: 'NEW_AND_OLD_IMAGES',
      },
    };
  }
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value).sort().map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]));
  }
  return value;
}
