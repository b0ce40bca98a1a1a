import type { AttributeValue } from 'aws-lambda';
import { MaskingConfig, MaskingMode } from '../../contracts/table-trigger/rule-config';
import type { AttributeType, ItemEvaluation, RuleOutcome } from './rules-engine';

/** An SNS message about one invalid item. */
export interface Alert {
  /** SNS subjects must be ASCII, at most 100 characters, without line breaks. */
  readonly subject: string;
  readonly message: string;
  /** For subscription filter policies. */
  readonly attributes: Record<string, string>;
}

/** Longest stretch of stars a masked value shows; longer values get an ellipsis instead of more stars. */
const MAX_STARS = 20;
/** Longest unmasked value (masking NONE) an alert carries. */
const MAX_PLAIN_CHARACTERS = 256;

/**
 * `text` as an alert may show it. Works on code points, so an emoji is one character.
 * - LAST_CHARACTERS: stars, then the last `visibleCharacters` characters, but never more than half the
 *   value (a 5-character value shows 2): `123-45-6789` → `*******6789`.
 * - REDACT: only the length.
 * - NONE: the value itself (truncated).
 * The result is JSON-quoted, so control characters cannot forge lines in an e-mail or a log.
 */
export function maskValue(text: string, masking: MaskingConfig): string {
  const chars = Array.from(text);
  switch (masking.mode) {
    case MaskingMode.NONE:
      return JSON.stringify(chars.length > MAX_PLAIN_CHARACTERS ? `${chars.slice(0, MAX_PLAIN_CHARACTERS).join('')}…` : text);
    case MaskingMode.REDACT:
      return `[redacted, ${chars.length} character${chars.length === 1 ? '' : 's'}]`;
    case MaskingMode.LAST_CHARACTERS: {
      const visible = Math.min(masking.visibleCharacters, Math.floor(chars.length / 2));
      const hidden = chars.length - visible;
      const stars = hidden > MAX_STARS ? `…${'*'.repeat(MAX_STARS)}` : '*'.repeat(hidden);
      return JSON.stringify(stars + chars.slice(hidden).join(''));
    }
  }
}

const TYPE_NAMES: Record<AttributeType, string> = {
  S: 'a string',
  N: 'a number',
  B: 'binary data',
  SS: 'a string set',
  NS: 'a number set',
  BS: 'a binary set',
  M: 'a map',
  L: 'a list',
  BOOL: 'a boolean',
  NULL: 'null',
};

/** One line about one failed rule. Values of the wrong type are described, never shown. */
export function describeViolation(outcome: RuleOutcome): string {
  const { rule } = outcome;
  const formats = rule.formats.map((format) => `${format.name} (/${format.pattern}/)`).join(', ');
  switch (outcome.violation) {
    case 'MISSING':
      return `${rule.attribute}: required, but the item has no value`;
    case 'WRONG_TYPE':
      return `${rule.attribute}: expected a string${rule.matchNumbers ? ' or a number' : ''}, got ${TYPE_NAMES[outcome.valueType!]}`;
    case 'NO_FORMAT_MATCHED': {
      const text = outcome.value!.S ?? outcome.value!.N!;
      return `${rule.attribute}: value ${maskValue(text, rule.masking)} matches none of the formats ${formats}`;
    }
    default:
      throw new Error(`rule '${rule.attribute}' has no violation to describe`);
  }
}

/** A key attribute as the alert shows it (keys identify the item, so they are not masked). */
export function describeKeyValue(value: AttributeValue): string {
  if (value.S !== undefined) return JSON.stringify(value.S);
  if (value.N !== undefined) return value.N;
  if (value.B !== undefined) return `binary ${String(value.B)}`;
  return JSON.stringify(value);
}

/** Makes a string safe for an SNS subject: printable ASCII only, one line, at most 100 characters. */
export function subjectSafe(text: string): string {
  const ascii = text.replace(/[^\x20-\x7e]/g, '?');
  return ascii.length > 100 ? `${ascii.slice(0, 97)}...` : ascii;
}

/**
 * The alert for the violations a record introduced. It names the table, the key and each failed rule,
 * and carries nothing else of the item.
 */
export function buildAlert(tableName: string, evaluation: ItemEvaluation, violations: readonly RuleOutcome[] = evaluation.newViolations): Alert {
  if (violations.length === 0) throw new Error('buildAlert needs at least one violation');
  const keyText = Object.keys(evaluation.key)
    .sort()
    .map((name) => `${name} = ${describeKeyValue(evaluation.key[name])}`)
    .join(', ');
  const attributes = violations.map((outcome) => outcome.rule.attribute);
  const lines = [
    `An item in DynamoDB table ${tableName} failed validation.`,
    '',
    `Key: ${keyText}`,
    `Change: ${evaluation.eventName}${evaluation.eventId ? ` (stream event ${evaluation.eventId})` : ''}`,
    'Failed rules:',
    ...violations.map((outcome) => `  - ${describeViolation(outcome)}`),
  ];
  return {
    subject: subjectSafe(`Invalid item in ${tableName}: ${attributes.join(', ')}`),
    message: lines.join('\n'),
    attributes: { table: tableName, attributes: attributes.join(',') },
  };
}
