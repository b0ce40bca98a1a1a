import { Lazy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Construct } from 'constructs';
import { fitToLimit } from '../../lib/core/limits';
import { TableTrigger } from '../../lib';
import { newTestStack } from '../helpers/cdk';

describe('descriptions cut to AWS limits', () => {
  it('a TableTrigger under a deep construct path synthesizes, its descriptions within the limits', () => {
    const stack: Stack = newTestStack('Deep');
    let scope: Construct = stack;
    for (let i = 0; i < 8; i++) scope = new Construct(scope, `AVeryLongConstructIdThatUsersReallyWrite${i}`);
    new TableTrigger(scope, 'People', { rules: [{ attribute: 'ssn', formats: [{ name: '9', pattern: '\\d{9}' }], computedAttribute: 'ssnFormat' }] });
    const template = Template.fromStack(stack);
    const functions = Object.values(template.findResources('AWS::Lambda::Function')) as Array<{ Properties: { Description?: string } }>;
    expect(functions.length).toBeGreaterThan(0);
    for (const fn of functions) expect((fn.Properties.Description ?? '').length).toBeLessThanOrEqual(256);
    expect(functions.some((fn) => fn.Properties.Description?.endsWith('...'))).toBe(true);
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')) as Array<{ Properties: { AlarmDescription?: string } }>;
    for (const alarm of alarms) expect((alarm.Properties.AlarmDescription ?? '').length).toBeLessThanOrEqual(1024);
  });

  it('cuts only what is too long, and leaves tokens alone', () => {
    expect(fitToLimit('short', 256)).toBe('short');
    expect(fitToLimit('x'.repeat(300), 256)).toHaveLength(256);
    const token = Lazy.string({ produce: () => 'x'.repeat(10) });
    expect(fitToLimit(token, 3)).toBe(token);
  });
});
