import { MaskingMode, MaskingOptions, ValidationRule } from './props';
import { TriggerConfig } from '../../contracts/table-trigger/rule-config';

/** Alerts show stars and the last 4 characters (at most half the value) unless told otherwise. */
export const DEFAULT_MASKING = { mode: MaskingMode.LAST_CHARACTERS, visibleCharacters: 4 } as const;

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

