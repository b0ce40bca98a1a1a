import type { DynamoDBRecord } from 'aws-lambda';
import { buildAlert, maskValue, subjectSafe } from '../../lambda/table-trigger/alert';
import { compileConfig, evaluateRecord, ItemEvaluation } from '../../lambda/table-trigger/rules-engine';
import { planWriteBack } from '../../lambda/table-trigger/write-back';
import { buildTriggerConfig } from '../../lib/table-trigger/build-config';
import { MaskingMode } from '../../lib/table-trigger/props';
import { SSN_CONFIG, SSN_RULE, streamRecord } from './fixtures';

const ssn = compileConfig(SSN_CONFIG);
const key = { pk: { S: 'person-1' } };

function evaluation(record: DynamoDBRecord, config = ssn): ItemEvaluation {
  const decision = evaluateRecord(record, config);
  if (decision.action !== 'evaluate') throw new Error(`expected an evaluation, got ${decision.reason}`);
  return decision.evaluation;
}

describe('write-back plan', () => {
  it('sets the computed attribute, conditional on the validated value and the item still existing', () => {
    const plan = planWriteBack('People', evaluation(streamRecord('INSERT', key, { ...key, SocialSecurityNumber: { S: '123-45-6789' } })));
    expect(plan.changes).toEqual([{ attribute: 'SocialSecurityNumber', computedAttribute: 'SSN Format', value: '11' }]);
    expect(plan.request).toEqual({
      TableName: 'People',
      Key: key,
      UpdateExpression: 'SET #c0 = :c0',
      ConditionExpression: 'attribute_exists(#key) AND #v0 = :v0',
      ExpressionAttributeNames: { '#key': 'pk', '#c0': 'SSN Format', '#v0': 'SocialSecurityNumber' },
      ExpressionAttributeValues: { ':c0': { S: '11' }, ':v0': { S: '123-45-6789' } },
    });
  });

  it('plans nothing when the computed value is already right (its own write-back record)', () => {
    const image = { ...key, SocialSecurityNumber: { S: '123456789' }, 'SSN Format': { S: '9' } };
    const plan = planWriteBack('People', evaluation(streamRecord('MODIFY', key, image, { ...key, SocialSecurityNumber: { S: '123456789' } })));
    expect(plan).toEqual({ changes: [] });
  });

  it('corrects a stale or forged computed value', () => {
    const plan = planWriteBack('People', evaluation(streamRecord('MODIFY', key, { ...key, SocialSecurityNumber: { S: 'bad' }, 'SSN Format': { S: '9' } })));
    expect(plan.changes).toEqual([{ attribute: 'SocialSecurityNumber', computedAttribute: 'SSN Format', value: 'INVALID' }]);
  });

  it('removes the computed attribute when an optional attribute was removed', () => {
    const plan = planWriteBack('People', evaluation(streamRecord('MODIFY', key, { ...key, 'SSN Format': { S: '9' } })));
    expect(plan.request).toMatchObject({
      UpdateExpression: 'REMOVE #c0',
      ConditionExpression: 'attribute_exists(#key) AND (attribute_not_exists(#v0) OR attribute_type(#v0, :null))',
      ExpressionAttributeValues: { ':null': { S: 'NULL' } },
    });
  });

  it('conditions on the type when the verdict depends only on the type', () => {
    const plan = planWriteBack('People', evaluation(streamRecord('INSERT', key, { ...key, SocialSecurityNumber: { M: { a: { S: '1' } } } })));
    expect(plan.request).toMatchObject({
      UpdateExpression: 'SET #c0 = :c0',
      ConditionExpression: 'attribute_exists(#key) AND attribute_type(#v0, :t0)',
      ExpressionAttributeValues: { ':c0': { S: 'INVALID' }, ':t0': { S: 'M' } },
    });
  });

  it('writes several computed attributes in one update and leaves rules without one alone', () => {
    const config = compileConfig(
      buildTriggerConfig(
        [SSN_RULE, { attribute: 'Zip', formats: [{ name: '5', pattern: '\\d{5}' }], computedAttribute: 'Zip Format' }, { attribute: 'Nick', formats: [{ name: 'x', pattern: 'x' }] }],
        'INVALID',
      ),
    );
    const keys = { pk: { S: 'p' }, sk: { N: '1' } };
    const plan = planWriteBack('People', evaluation(streamRecord('INSERT', keys, { ...keys, SocialSecurityNumber: { S: '123456789' }, Zip: { S: '1234' }, Nick: { S: 'y' } }), config));
    expect(plan.request?.UpdateExpression).toBe('SET #c0 = :c0, #c1 = :c1');
    expect(plan.request?.ConditionExpression).toBe('attribute_exists(#key) AND #v0 = :v0 AND #v1 = :v1');
    expect(plan.request?.ExpressionAttributeNames).toMatchObject({ '#key': 'pk', '#c1': 'Zip Format' });
    expect(plan.request?.Key).toEqual(keys);
  });
});

describe('alert masking', () => {
  const last4 = { mode: MaskingMode.LAST_CHARACTERS, visibleCharacters: 4 } as const;
  it.each([
    ['123-45-6789', last4, '"*******6789"'],
    ['12345678', last4, '"****5678"'],
    ['12345', last4, '"***45"'],
    ['1', last4, '"*"'],
    ['', last4, '""'],
    ['1234567890', { mode: MaskingMode.LAST_CHARACTERS, visibleCharacters: 0 }, '"**********"'],
    ['😀😀😀😀😀😀1234', last4, '"******1234"'],
    ['x'.repeat(1000) + '6789', last4, `"…${'*'.repeat(20)}6789"`],
    ['123\n45\u0000', { mode: MaskingMode.NONE, visibleCharacters: 4 }, '"123\\n45\\u0000"'],
    ['123-45-6789', { mode: MaskingMode.REDACT, visibleCharacters: 4 }, '[redacted, 11 characters]'],
  ] as const)('%j with %j → %s', (text, masking, expected) => {
    expect(maskValue(text, masking)).toBe(expected);
  });

  it('never shows more than half of a value', () => {
    for (let length = 0; length <= 20; length++) {
      const masked = JSON.parse(maskValue('9'.repeat(length), last4)) as string;
      expect(masked.replace(/\*/g, '').length).toBeLessThanOrEqual(length / 2);
    }
  });
});

describe('alert message', () => {
  it('names the table, the key and the failed rule, and shows only the last 4 digits of an SSN', () => {
    const record = streamRecord('INSERT', key, { ...key, SocialSecurityNumber: { S: '123-45-67890' }, Name: { S: 'Ana Lima' }, Phone: { S: '555-0100' } });
    const alert = buildAlert('People', evaluation(record));
    expect(alert.subject).toBe('Invalid item in People: SocialSecurityNumber');
    expect(alert.message).toBe(
      [
        'An item in DynamoDB table People failed validation.',
        '',
        'Key: pk = "person-1"',
        `Change: INSERT (stream event ${record.eventID})`,
        'Failed rules:',
        '  - SocialSecurityNumber: value "********7890" matches none of the formats 9 (/\\d{9}/), 11 (/\\d{3}-\\d{2}-\\d{4}/)',
      ].join('\n'),
    );
    expect(alert.message).not.toMatch(/123-45|Ana|555/);
    expect(alert.attributes).toEqual({ table: 'People', attributes: 'SocialSecurityNumber' });
  });

  it('describes values of the wrong type without showing them, and missing required values', () => {
    const config = compileConfig(
      buildTriggerConfig([SSN_RULE, { attribute: 'Email', required: true, formats: [{ name: 'any', pattern: '.+@.+' }], masking: { mode: MaskingMode.NONE } }], 'INVALID'),
    );
    const keys = { pk: { S: 'p' }, version: { N: '7' } };
    const alert = buildAlert('People', evaluation(streamRecord('INSERT', keys, { ...keys, SocialSecurityNumber: { N: '123456789' } }), config));
    expect(alert.message).toContain('Key: pk = "p", version = 7');
    expect(alert.message).toContain('  - SocialSecurityNumber: expected a string, got a number');
    expect(alert.message).toContain('  - Email: required, but the item has no value');
    expect(alert.message).not.toContain('123456789');
    expect(alert.subject).toBe('Invalid item in People: SocialSecurityNumber, Email');
  });

  it('keeps the subject within SNS limits', () => {
    expect(subjectSafe('Invalid item in T: Zoë\nx')).toBe('Invalid item in T: Zo??x');
    expect(subjectSafe('x'.repeat(300))).toHaveLength(100);
  });

  it('refuses to build an alert without a violation', () => {
    expect(() => buildAlert('People', evaluation(streamRecord('INSERT', key, { ...key, SocialSecurityNumber: { S: '123456789' } })))).toThrow(/at least one violation/);
  });
});
