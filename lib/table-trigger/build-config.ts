import { Duration } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { MaskingMode, MaskingOptions, TriggerEventName, ValidationRule } from './props';
import { TriggerConfig } from '../../contracts/table-trigger/rule-config';

/** Alerts show stars and the last 4 characters (at most half the value) unless told otherwise. */
export const DEFAULT_MASKING = { mode: MaskingMode.LAST_CHARACTERS, visibleCharacters: 4 } as const;

/** The defaults the event source mapping gets, in one place for the docs and the tests. */
export const TABLE_TRIGGER_DEFAULTS = {
  invalidValue: 'INVALID',
  partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING } as dynamodb.Attribute,
  eventNames: [TriggerEventName.INSERT, TriggerEventName.MODIFY],
  batchSize: 100,
  retryAttempts: 3,
  maxRecordAge: Duration.hours(1),
  parallelizationFactor: 1,
  masking: DEFAULT_MASKING,
} as const;

/** The rule set as the handler reads it, with every default filled in. */
export function buildTriggerConfig(rules: ValidationRule[], invalidValue: string, alertMasking: MaskingOptions = {}): TriggerConfig {
  return {
    version: 1,
    invalidValue,
    rules: rules.map((rule) => ({
      attribute: rule.attribute,
      formats: (rule.formats ?? []).map((format) => ({ name: format.name, pattern: format.pattern })),
      required: rule.required ?? false,
      matchNumbers: rule.matchNumbers ?? false,
      ...(rule.computedAttribute !== undefined ? { computedAttribute: rule.computedAttribute } : {}),
      masking: {
        mode: rule.masking?.mode ?? alertMasking.mode ?? DEFAULT_MASKING.mode,
        visibleCharacters: rule.masking?.visibleCharacters ?? alertMasking.visibleCharacters ?? DEFAULT_MASKING.visibleCharacters,
      },
    })),
  };
}

