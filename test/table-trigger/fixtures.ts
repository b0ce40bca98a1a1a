import type { AttributeValue, DynamoDBRecord } from 'aws-lambda';
import { buildTriggerConfig } from '../../lib/table-trigger/build-config';
import { ValidationRule } from '../../lib/table-trigger/props';
import { TriggerConfig } from '../../contracts/table-trigger/rule-config';

/** The classic example: an SSN is valid as 9 digits or as nnn-nn-nnnn. */
export const SSN_RULE: ValidationRule = {
  attribute: 'SocialSecurityNumber',
  formats: [
    { name: '9', pattern: '\\d{9}' },
    { name: '11', pattern: '\\d{3}-\\d{2}-\\d{4}' },
  ],
  computedAttribute: 'SSN Format',
};

export const SSN_CONFIG: TriggerConfig = buildTriggerConfig([SSN_RULE], 'INVALID');

type Image = Record<string, AttributeValue>;

let sequence = 1000;

/** A stream record as Lambda delivers it for a NEW_AND_OLD_IMAGES stream. */
export function streamRecord(
  eventName: 'INSERT' | 'MODIFY' | 'REMOVE',
  keys: Image,
  newImage?: Image,
  oldImage?: Image,
  tableName = 'People',
): DynamoDBRecord {
  sequence += 1;
  return {
    eventID: `event-${sequence}`,
    eventName,
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: 'us-east-1',
    eventSourceARN: `arn:aws:dynamodb:us-east-1:123456789012:table/${tableName}/stream/2026-11-22T00:00:00.000`,
    dynamodb: {
      ApproximateCreationDateTime: 1_795_000_000,
      Keys: keys,
      ...(newImage ? { NewImage: newImage } : {}),
      ...(oldImage ? { OldImage: oldImage } : {}),
      SequenceNumber: String(sequence).padStart(21, '0'),
      SizeBytes: 100,
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    },
  };
}
