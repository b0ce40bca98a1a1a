import { STREAM_ARN_ENV, TABLE_NAME_ENV, TOPIC_ARN_ENV, TRIGGER_CONFIG_ENV } from '../../contracts/table-trigger/rule-config';
import { SSN_CONFIG } from './fixtures';

/** The stream of table People that fixtures.streamRecord reports records from. */
export const PEOPLE_STREAM_ARN = 'arn:aws:dynamodb:us-east-1:123456789012:table/People/stream/2026-11-22T00:00:00.000';

// The handler's environment as the construct sets it; imported first, before the handler (and its Logger) load.
Object.assign(process.env, {
  POWERTOOLS_LOG_LEVEL: 'SILENT',
  AWS_REGION: 'us-east-1',
  [TABLE_NAME_ENV]: 'People',
  [STREAM_ARN_ENV]: PEOPLE_STREAM_ARN,
  [TOPIC_ARN_ENV]: 'arn:aws:sns:us-east-1:123456789012:alerts',
  [TRIGGER_CONFIG_ENV]: JSON.stringify(SSN_CONFIG),
});
