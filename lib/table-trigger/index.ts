// The table-trigger pattern's public exports.
export * from './props';
export * from './table-trigger';
export {
  MAX_TRIGGER_CONFIG_BYTES,
  TABLE_NAME_ENV,
  TOPIC_ARN_ENV,
  TRIGGER_CONFIG_ENV,
  triggerConfigErrors,
} from './rule-config';
export type { FormatConfig, MaskingConfig, RuleConfig, TriggerConfig } from './rule-config';
export * from './build-config';
