import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { handlerAssetPath } from '../../lib';
import { TABLE_NAME_ENV, TOPIC_ARN_ENV, TRIGGER_CONFIG_ENV } from '../../lib/table-trigger/rule-config';
import { assertBundleCurrent } from '../harness/bundles';
import { SSN_CONFIG } from './fixtures';

describe('the prebundled table-trigger asset', () => {
  beforeAll(() => assertBundleCurrent('table-trigger'));
  it('runs in a fresh process without node_modules: skips REMOVE records and fails a malformed one by sequence number', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'table-trigger-asset-'));
    try {
      fs.copyFileSync(path.join(handlerAssetPath('table-trigger'), 'index.js'), path.join(dir, 'index.js'));
      const event = {
        Records: [
          { eventName: 'REMOVE', dynamodb: { Keys: { pk: { S: 'a' } }, SequenceNumber: '1' } },
          { eventName: 'INSERT', dynamodb: { Keys: { pk: { S: 'b' } }, SequenceNumber: '2' } },
        ],
      };
      const script = `require('./index.js').handler(${JSON.stringify(event)}).then((r) => process.stdout.write(JSON.stringify(r)), (e) => { console.error(e); process.exit(1); });`;
      const output = execFileSync(process.execPath, ['-e', script], {
        cwd: dir,
        env: {
          PATH: process.env.PATH ?? '',
          AWS_REGION: 'us-east-1',
          [TABLE_NAME_ENV]: 'People',
          [TOPIC_ARN_ENV]: 'arn:aws:sns:us-east-1:123456789012:alerts',
          [TRIGGER_CONFIG_ENV]: JSON.stringify(SSN_CONFIG),
          POWERTOOLS_LOG_LEVEL: 'SILENT',
        },
      }).toString();
      // The INSERT without a NewImage is malformed: reported, not dropped; the REMOVE is skipped.
      expect(JSON.parse(output)).toEqual({ batchItemFailures: [{ itemIdentifier: '2' }] });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
