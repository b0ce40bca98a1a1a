/**
 * The contract between the TableTrigger construct and its handler (lambda/table-trigger): the rule set,
 * serialized as JSON into one environment variable. The construct validates it at synth time and the
 * handler validates it again at cold start, with the same function, so a rule set that synthesizes is a
 * rule set the handler accepts.
 *
 * Pure TypeScript, no imports (see test/architecture/imports.test.ts): the handler bundle includes this file.
 */

/** Environment variable that carries the JSON-serialized {@link TriggerConfig}. */
export const TRIGGER_CONFIG_ENV = 'TRIGGER_CONFIG';
/** Environment variable with the table's name (the write-back target). */
export const TABLE_NAME_ENV = 'TABLE_NAME';
/** Environment variable with the alert topic's ARN. */
export const TOPIC_ARN_ENV = 'ALERT_TOPIC_ARN';
/** Environment variable with the ARN of the table's stream: records from any other stream are refused. */
export const STREAM_ARN_ENV = 'TABLE_STREAM_ARN';

/**
 * Lambda allows 4 KiB for all environment variables of a function together; the rule set may use this
 * much of it, leaving room for the others.
 */
export const MAX_TRIGGER_CONFIG_BYTES = 3072;

/** How an invalid value is shown in an alert. */
export enum MaskingMode {
  /** Stars, then the last few characters (never more than half the value): `*******6789`. */
  LAST_CHARACTERS = 'LAST_CHARACTERS',
  /** Only the value's length: `[redacted, 11 characters]`. */
  REDACT = 'REDACT',
  /** The value itself. Only for attributes that are not sensitive. */
  NONE = 'NONE',
}

const MASKING_MODES: readonly string[] = Object.values(MaskingMode);

export interface MaskingConfig {
  readonly mode: MaskingMode;
  /** For LAST_CHARACTERS: how many trailing characters stay visible (never more than half the value). */
  readonly visibleCharacters: number;
}

export interface FormatConfig {
  /** Written to the computed attribute when this format matches, e.g. `9`. */
  readonly name: string;
  /** JavaScript regular expression (compiled with the `u` flag) that must match the WHOLE value. */
  readonly pattern: string;
}

export interface RuleConfig {
  /** The attribute to validate, e.g. `SocialSecurityNumber`. */
  readonly attribute: string;
  /** Tried in order; the first that matches names the result. */
  readonly formats: readonly FormatConfig[];
  /** A missing (or NULL) attribute is a violation. */
  readonly required: boolean;
  /** Also match numbers (type N), against their decimal text. */
  readonly matchNumbers: boolean;
  /** Receives the matching format's name or the invalid marker. */
  readonly computedAttribute?: string;
  readonly masking: MaskingConfig;
}

export interface TriggerConfig {
  readonly version: 1;
  /** What the computed attribute receives when no format matches, e.g. `INVALID`. */
  readonly invalidValue: string;
  readonly rules: readonly RuleConfig[];
}

export const MAX_VISIBLE_CHARACTERS = 16;

/** Compiles a format's pattern so that it must match the whole value. Throws SyntaxError if it does not compile. */
export function compileFormat(pattern: string): RegExp {
  return new RegExp(`^(?:${pattern})$`, 'u');
}

/**
 * Every problem with `config`, as messages that tell the user what to change (empty when it is valid).
 * `keyAttributes` are the table's key attribute names when known (a computed attribute must not be one).
 */
export function triggerConfigErrors(config: TriggerConfig, keyAttributes: readonly string[] = []): string[] {
  const errors: string[] = [];
  if (!config || typeof config !== 'object') return ['the trigger configuration must be an object'];
  if (config.version !== 1) errors.push(`unsupported trigger configuration version ${String(config.version)} (expected 1)`);
  if (typeof config.invalidValue !== 'string' || config.invalidValue.length === 0) {
    errors.push('invalidValue must be a non-empty string, e.g. "INVALID"');
  }
  if (!Array.isArray(config.rules) || config.rules.length === 0) {
    errors.push('rules must list at least one attribute to validate');
    return errors;
  }
  const validated = new Set<string>();
  for (const rule of config.rules) {
    if (typeof rule?.attribute !== 'string' || rule.attribute.length === 0) {
      errors.push('every rule needs a non-empty attribute name');
      continue;
    }
    if (validated.has(rule.attribute)) errors.push(`attribute '${rule.attribute}' has more than one rule: merge its formats into one rule`);
    validated.add(rule.attribute);
  }
  const computed = new Set<string>();
  config.rules.forEach((rule, index) => {
    const where = `rule ${index + 1} ('${rule?.attribute}')`;
    if (!rule || typeof rule.attribute !== 'string') return;
    if (!Array.isArray(rule.formats) || rule.formats.length === 0) {
      errors.push(`${where} needs at least one format (a name and a regular expression)`);
    } else {
      const names = new Set<string>();
      for (const format of rule.formats) {
        if (typeof format?.name !== 'string' || format.name.length === 0) {
          errors.push(`${where}: every format needs a non-empty name`);
          continue;
        }
        if (names.has(format.name)) errors.push(`${where}: format name '${format.name}' is used twice; names must be unique`);
        names.add(format.name);
        if (format.name === config.invalidValue) {
          errors.push(
            `${where}: format name '${format.name}' equals the invalid marker, so a valid value would look invalid; rename the format or change invalidValue`,
          );
        }
        if (typeof format.pattern !== 'string' || format.pattern.length === 0) {
          errors.push(`${where}: format '${format.name}' needs a non-empty regular expression`);
          continue;
        }
        try {
          compileFormat(format.pattern);
        } catch (error) {
          errors.push(`${where}: the pattern of format '${format.name}' is not a valid JavaScript regular expression (${(error as Error).message})`);
        }
      }
    }
    if (typeof rule.required !== 'boolean') errors.push(`${where}: required must be true or false`);
    if (typeof rule.matchNumbers !== 'boolean') errors.push(`${where}: matchNumbers must be true or false`);
    if (rule.computedAttribute !== undefined) {
      const target = rule.computedAttribute;
      if (typeof target !== 'string' || target.length === 0) {
        errors.push(`${where}: computedAttribute must be a non-empty attribute name`);
      } else {
        if (validated.has(target)) {
          errors.push(
            `${where}: computedAttribute '${target}' is also a validated attribute; writing it would re-trigger validation without end. Choose another name`,
          );
        }
        if (keyAttributes.includes(target)) {
          errors.push(`${where}: computedAttribute '${target}' is a key attribute of the table; an update cannot change a key. Choose another name`);
        }
        if (computed.has(target)) errors.push(`${where}: computedAttribute '${target}' is written by another rule too; give each rule its own`);
        computed.add(target);
      }
    }
    const masking = rule.masking;
    if (!masking || !MASKING_MODES.includes(masking.mode)) {
      errors.push(`${where}: masking mode must be one of ${MASKING_MODES.join(', ')}`);
    } else if (!Number.isInteger(masking.visibleCharacters) || masking.visibleCharacters < 0 || masking.visibleCharacters > MAX_VISIBLE_CHARACTERS) {
      errors.push(`${where}: masking visibleCharacters must be a whole number from 0 to ${MAX_VISIBLE_CHARACTERS} (got ${masking.visibleCharacters})`);
    }
  });
  return errors;
}

/** Parses and validates the configuration the construct serialized; throws with every problem listed. */
export function parseTriggerConfig(json: string | undefined): TriggerConfig {
  if (!json) throw new Error(`${TRIGGER_CONFIG_ENV} is not set: the function must be deployed by the TableTrigger construct`);
  let config: TriggerConfig;
  try {
    config = JSON.parse(json) as TriggerConfig;
  } catch (error) {
    throw new Error(`${TRIGGER_CONFIG_ENV} is not valid JSON: ${(error as Error).message}`);
  }
  const errors = triggerConfigErrors(config);
  if (errors.length > 0) throw new Error(`invalid ${TRIGGER_CONFIG_ENV}:\n- ${errors.join('\n- ')}`);
  return config;
}
