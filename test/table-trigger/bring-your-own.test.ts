// TableTrigger: the built-in handler's function props, its function and alarms under one name each; the
// deprecated names still work.
import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { TableTrigger, TableTriggerProps, ValidationRule } from '../../lib';
import { expectNoNagFindings, newTestStack, templateOf } from '../helpers/cdk';

const RULE: ValidationRule = { attribute: 'ssn', formats: [{ name: '9', pattern: '\\d{9}' }], computedAttribute: 'ssnFormat' };

describe('TableTrigger with triggerFunctionProps', () => {
  const stack = newTestStack('TriggerYours');
  const trigger = new TableTrigger(stack, 'Trigger', {
    rules: [RULE],
    triggerFunctionProps: { memorySize: 512, timeout: Duration.seconds(60), reservedConcurrentExecutions: 2, environment: { POWERTOOLS_LOG_LEVEL: 'DEBUG' } },
  });
  const template = templateOf(stack);

  it('merges them over the built-in handler defaults and keeps its own environment', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      MemorySize: 512,
      Timeout: 60,
      ReservedConcurrentExecutions: 2,
      Environment: { Variables: Match.objectLike({ POWERTOOLS_LOG_LEVEL: 'DEBUG', POWERTOOLS_SERVICE_NAME: 'table-trigger' }) },
    });
  });

  it('exposes its function and alarms under one name each', () => {
    expect(trigger.triggerFunction).toBe(trigger.function);
    expect(trigger.alarms).toEqual([trigger.deadLetterAlarm, trigger.iteratorAgeAlarm, trigger.errorAlarm, trigger.throttleAlarm]);
  });

  it('has no unacknowledged cdk-nag findings', () => {
    expectNoNagFindings(stack);
  });
});

describe('TableTrigger validation of the function props', () => {
  const attempt = (props: Partial<TableTriggerProps>) => () => {
    const stack = newTestStack();
    return new TableTrigger(stack, 'Trigger', { rules: [RULE], ...props } as TableTriggerProps);
  };

  it.each<[string, Partial<TableTriggerProps>, RegExp]>([
    ['an environment variable of the handler', { triggerFunctionProps: { environment: { TRIGGER_CONFIG: '{}' } } }, /must not set TRIGGER_CONFIG/],
    ['memorySize and triggerFunctionProps.memorySize that differ', { memorySize: 256, triggerFunctionProps: { memorySize: 512 } }, /`memorySize` is the deprecated name of `triggerFunctionProps.memorySize`/],
    ['a timeout above 15 minutes', { triggerFunctionProps: { timeout: Duration.minutes(16) } }, /`triggerFunctionProps.timeout` must be from 1 second to 15 minutes/],
  ])('refuses %s', (_name, props, message) => {
    expect(attempt(props)).toThrow(message);
  });

  it('refuses triggerFunctionProps with your own handler', () => {
    const stack = newTestStack();
    const handler = new lambda.Function(stack, 'Mine', { runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler=()=>{}') });
    expect(() => new TableTrigger(stack, 'Trigger', { handler, triggerFunctionProps: { memorySize: 512 } })).toThrow(
      /triggerFunctionProps configures the built-in handler; with your own handler, configure your function instead/,
    );
  });

  it('still accepts the deprecated memorySize and timeout', () => {
    const trigger = attempt({ memorySize: 384, timeout: Duration.seconds(45) })();
    Template.fromStack(trigger.node.scope as never).hasResourceProperties('AWS::Lambda::Function', { MemorySize: 384, Timeout: 45 });
  });
});
