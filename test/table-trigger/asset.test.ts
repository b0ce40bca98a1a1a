import { STREAM_ARN_ENV, TABLE_NAME_ENV, TOPIC_ARN_ENV, TRIGGER_CONFIG_ENV } from '../../contracts/table-trigger/rule-config';
import { invokeAssetOnce } from '../helpers/fresh-asset';
import { SSN_CONFIG } from './fixtures';

describe('the prebundled table-trigger asset', () => {
  it('runs in a fresh process without node_modules: skips REMOVE records and fails a malformed one by sequence number', () => {
    const eventSourceARN = 'arn:aws:dynamodb:us-east-1:123456789012:table/People/stream/2026-11-22T00:00:00.000';
    const event = {
      Records: [
        { eventName: 'REMOVE', eventSourceARN, dynamodb: { Keys: { pk: { S: 'a' } }, SequenceNumber: '1' } },
        { eventName: 'INSERT', eventSourceARN, dynamodb: { Keys: { pk: { S: 'b' } }, SequenceNumber: '2' } },
      ],
    };
    const outcome = invokeAssetOnce('table-trigger', {
      event,
      env: {
        [TABLE_NAME_ENV]: 'People',
        [STREAM_ARN_ENV]: eventSourceARN,
        [TOPIC_ARN_ENV]: 'arn:aws:sns:us-east-1:123456789012:alerts',
        [TRIGGER_CONFIG_ENV]: JSON.stringify(SSN_CONFIG),
        POWERTOOLS_LOG_LEVEL: 'SILENT',
      },
    });
    // The INSERT without a NewImage is malformed: reported, not dropped; the REMOVE is skipped.
    expect(outcome).toMatchObject({ resolved: { batchItemFailures: [{ itemIdentifier: '2' }] } });
  });
});
