import type { AttributeValue, DynamoDBRecord } from 'aws-lambda';
import { compileConfig, evaluateImage, evaluateRecord, MalformedRecordError, sameValue } from '../../lambda/table-trigger/rules-engine';
import { buildTriggerConfig } from '../../lib/table-trigger/build-config';
import { SSN_CONFIG, SSN_RULE, streamRecord } from './fixtures';

const ssn = compileConfig(SSN_CONFIG);
const key = { pk: { S: 'person-1' } };

describe('rules engine: formats of a string attribute', () => {
  // [description, value, expected computed value, expected violation]
  const cases: Array<[string, AttributeValue, string, string | undefined]> = [
    ['9 digits', { S: '123456789' }, '9', undefined],
    ['nnn-nn-nnnn', { S: '123-45-6789' }, '11', undefined],
    ['leading zeros kept in a string', { S: '012345678' }, '9', undefined],
    ['8 digits', { S: '12345678' }, 'INVALID', 'NO_FORMAT_MATCHED'],
    ['10 digits (the pattern is anchored)', { S: '1234567890' }, 'INVALID', 'NO_FORMAT_MATCHED'],
    ['dashes in the wrong places', { S: '12-345-6789' }, 'INVALID', 'NO_FORMAT_MATCHED'],
    ['surrounding space', { S: ' 123456789' }, 'INVALID', 'NO_FORMAT_MATCHED'],
    ['trailing newline', { S: '123456789\n' }, 'INVALID', 'NO_FORMAT_MATCHED'],
    ['empty string', { S: '' }, 'INVALID', 'NO_FORMAT_MATCHED'],
    ['letters', { S: 'abc-de-fghi' }, 'INVALID', 'NO_FORMAT_MATCHED'],
    ['full-width digits (\\d is ASCII only)', { S: '１２３４５６７８９' }, 'INVALID', 'NO_FORMAT_MATCHED'],
    ['Arabic-Indic digits', { S: '١٢٣٤٥٦٧٨٩' }, 'INVALID', 'NO_FORMAT_MATCHED'],
    ['emoji', { S: '123-45-678😀' }, 'INVALID', 'NO_FORMAT_MATCHED'],
    ['an alternation cannot escape the anchors', { S: 'x123456789' }, 'INVALID', 'NO_FORMAT_MATCHED'],
  ];
  it.each(cases)('%s', (_name, value, computed, violation) => {
    const [outcome] = evaluateImage({ ...key, SocialSecurityNumber: value }, ssn);
    expect(outcome.computedValue).toBe(computed);
    expect(outcome.violation).toBe(violation);
    expect(outcome.matchedFormat).toBe(violation ? undefined : computed);
  });
});

describe('rules engine: non-string types', () => {
  const cases: Array<[string, AttributeValue, string]> = [
    ['number', { N: '123456789' }, 'N'],
    ['string set', { SS: ['123456789'] }, 'SS'],
    ['number set', { NS: ['123456789'] }, 'NS'],
    ['binary', { B: 'MTIzNDU2Nzg5' }, 'B'],
    ['binary set', { BS: ['MTIzNDU2Nzg5'] }, 'BS'],
    ['map', { M: { value: { S: '123456789' } } }, 'M'],
    ['list', { L: [{ S: '123456789' }] }, 'L'],
    ['boolean', { BOOL: true }, 'BOOL'],
  ];
  it.each(cases)('a %s is the wrong type, so INVALID whatever it holds', (_name, value, type) => {
    const [outcome] = evaluateImage({ ...key, SocialSecurityNumber: value }, ssn);
    expect(outcome).toMatchObject({ violation: 'WRONG_TYPE', valueType: type, computedValue: 'INVALID' });
  });

  it('matches numbers against their decimal text when matchNumbers is on', () => {
    const config = compileConfig(buildTriggerConfig([{ ...SSN_RULE, matchNumbers: true }], 'INVALID'));
    expect(evaluateImage({ SocialSecurityNumber: { N: '123456789' } }, config)[0]).toMatchObject({ computedValue: '9', matchedFormat: '9' });
    expect(evaluateImage({ SocialSecurityNumber: { N: '123456789' } }, config)[0].violation).toBeUndefined();
    expect(evaluateImage({ SocialSecurityNumber: { N: '12345' } }, config)[0]).toMatchObject({ computedValue: 'INVALID', violation: 'NO_FORMAT_MATCHED' });
    expect(evaluateImage({ SocialSecurityNumber: { SS: ['123456789'] } }, config)[0]).toMatchObject({ violation: 'WRONG_TYPE' });
  });
});

describe('rules engine: required and missing attributes', () => {
  const required = compileConfig(buildTriggerConfig([{ ...SSN_RULE, required: true }], 'INVALID'));
  it.each([
    ['absent, optional', ssn, {}, { violation: undefined, computedValue: undefined }],
    ['NULL, optional', ssn, { SocialSecurityNumber: { NULL: true } }, { violation: undefined, computedValue: undefined }],
    ['absent, required', required, {}, { violation: 'MISSING', computedValue: 'INVALID' }],
    ['NULL, required', required, { SocialSecurityNumber: { NULL: true } }, { violation: 'MISSING', computedValue: 'INVALID' }],
    ['present, required', required, { SocialSecurityNumber: { S: '123456789' } }, { violation: undefined, computedValue: '9' }],
  ] as const)('%s', (_name, config, image, expected) => {
    const [outcome] = evaluateImage({ ...key, ...image }, config);
    expect({ violation: outcome.violation, computedValue: outcome.computedValue }).toEqual(expected);
  });

  it('evaluates several rules independently, first matching format wins', () => {
    const config = compileConfig(
      buildTriggerConfig(
        [
          SSN_RULE,
          { attribute: 'Email', required: true, formats: [{ name: 'work', pattern: '[^@\\s]+@example\\.com' }, { name: 'any', pattern: '[^@\\s]+@[^@\\s]+' }] },
          { attribute: 'Name', formats: [{ name: 'letters', pattern: '\\p{L}+(?: \\p{L}+)*' }], computedAttribute: 'Name Check' },
        ],
        'INVALID',
      ),
    );
    const outcomes = evaluateImage({ ...key, SocialSecurityNumber: { S: '123' }, Email: { S: 'ana@example.com' }, Name: { S: 'Zoë Ångström' } }, config);
    expect(outcomes.map((o) => [o.rule.attribute, o.matchedFormat ?? o.violation, o.computedValue])).toEqual([
      ['SocialSecurityNumber', 'NO_FORMAT_MATCHED', 'INVALID'],
      ['Email', 'work', undefined],
      ['Name', 'letters', 'letters'],
    ]);
  });
});

describe('rules engine: stream records', () => {
  it('skips REMOVE records: a deleted item has nothing to validate', () => {
    const decision = evaluateRecord(streamRecord('REMOVE', key, undefined, { ...key, SocialSecurityNumber: { S: 'bad' } }), ssn);
    expect(decision).toEqual({ action: 'skip', reason: expect.stringMatching(/REMOVE/) });
  });

  it('alerts every violation of an INSERT', () => {
    const decision = evaluateRecord(streamRecord('INSERT', key, { ...key, SocialSecurityNumber: { S: 'bad' } }), ssn);
    expect(decision.action).toBe('evaluate');
    if (decision.action !== 'evaluate') return;
    expect(decision.evaluation.newViolations.map((o) => o.rule.attribute)).toEqual(['SocialSecurityNumber']);
    expect(decision.evaluation.key).toEqual(key);
  });

  it('alerts a MODIFY only when it changed the invalid value (so its own write-back never re-alerts)', () => {
    const before = { ...key, SocialSecurityNumber: { S: 'bad' } };
    const writeBack = evaluateRecord(streamRecord('MODIFY', key, { ...before, 'SSN Format': { S: 'INVALID' } }, before), ssn);
    const otherAttribute = evaluateRecord(streamRecord('MODIFY', key, { ...before, City: { S: 'Oslo' } }, before), ssn);
    const newBadValue = evaluateRecord(streamRecord('MODIFY', key, { ...key, SocialSecurityNumber: { S: 'worse' } }, before), ssn);
    const becameInvalid = evaluateRecord(
      streamRecord('MODIFY', key, { ...key, SocialSecurityNumber: { S: 'bad' } }, { ...key, SocialSecurityNumber: { S: '123456789' } }),
      ssn,
    );
    const violations = (d: ReturnType<typeof evaluateRecord>) => (d.action === 'evaluate' ? d.evaluation.newViolations.length : -1);
    expect([writeBack, otherAttribute, newBadValue, becameInvalid].map(violations)).toEqual([0, 0, 1, 1]);
  });

  it('without an old image, trusts an INVALID computed attribute as proof the value was already alerted', () => {
    const image = { ...key, SocialSecurityNumber: { S: 'bad' } };
    const first = evaluateRecord(streamRecord('MODIFY', key, image), ssn);
    const after = evaluateRecord(streamRecord('MODIFY', key, { ...image, 'SSN Format': { S: 'INVALID' } }), ssn);
    expect(first.action === 'evaluate' && first.evaluation.newViolations).toHaveLength(1);
    expect(after.action === 'evaluate' && after.evaluation.newViolations).toHaveLength(0);
  });

  const malformed: Array<[string, unknown, RegExp]> = [
    ['not an object', null, /not an object/],
    ['unknown event name', { ...streamRecord('INSERT', key, key), eventName: 'UPSERT' }, /unknown eventName/],
    ['no dynamodb section', { eventName: 'INSERT', eventID: '1' }, /no dynamodb section/],
    ['no Keys', { ...streamRecord('INSERT', key, key), dynamodb: { NewImage: key, SequenceNumber: '1' } }, /no Keys/],
    ['empty Keys', streamRecord('INSERT', {}, key), /no Keys/],
    ['a malformed key value', streamRecord('INSERT', { pk: { X: 'a' } } as never, key), /key attribute 'pk'/],
    ['no NewImage (KEYS_ONLY stream)', streamRecord('MODIFY', key), /no NewImage/],
    ['a value with two types', streamRecord('INSERT', key, { ...key, SocialSecurityNumber: { S: '1', N: '1' } as never }), /SocialSecurityNumber/],
    ['a value that is not an object', streamRecord('INSERT', key, { ...key, SocialSecurityNumber: '123456789' as never }), /SocialSecurityNumber/],
    ['a string value that is not a string', streamRecord('INSERT', key, { ...key, SocialSecurityNumber: { S: 123456789 } as never }), /malformed S/],
    ['a set with a non-string entry', streamRecord('INSERT', key, { ...key, SocialSecurityNumber: { SS: [1] } as never }), /malformed SS/],
    ['the computed attribute as a key', streamRecord('INSERT', { 'SSN Format': { S: '9' } }, { 'SSN Format': { S: '9' } }), /key attribute/],
  ];
  it.each(malformed)('throws MalformedRecordError for %s, so the record is reported as failed', (_name, record, message) => {
    expect(() => evaluateRecord(record as DynamoDBRecord, ssn)).toThrow(MalformedRecordError);
    expect(() => evaluateRecord(record as DynamoDBRecord, ssn)).toThrow(message);
  });
});

describe('sameValue', () => {
  it.each([
    [{ S: 'a' }, { S: 'a' }, true],
    [{ S: 'a' }, { S: 'b' }, false],
    [{ S: '1' }, { N: '1' }, false],
    [{ SS: ['a', 'b'] }, { SS: ['b', 'a'] }, true],
    [{ L: [{ S: 'a' }, { S: 'b' }] }, { L: [{ S: 'b' }, { S: 'a' }] }, false],
    [{ M: { a: { N: '1' }, b: { S: 'x' } } }, { M: { b: { S: 'x' }, a: { N: '1' } } }, true],
    [{ M: { a: { N: '1' } } }, { M: { a: { N: '2' } } }, false],
    [{ M: { a: { N: '1' } } }, { M: { b: { N: '1' } } }, false],
    [undefined, undefined, true],
    [{ S: 'a' }, undefined, false],
  ] as Array<[AttributeValue | undefined, AttributeValue | undefined, boolean]>)('%j vs %j', (a, b, expected) => {
    expect(sameValue(a, b)).toBe(expected);
  });
});
