import type { AttributeValue, DynamoDBRecord } from 'aws-lambda';
import { compileFormat, FormatConfig, RuleConfig, TriggerConfig } from '../../contracts/table-trigger/rule-config';

/** A DynamoDB item image as a stream record carries it (typed attribute values). */
export type Image = Record<string, AttributeValue>;

/** DynamoDB's type descriptors. */
export type AttributeType = 'S' | 'N' | 'B' | 'SS' | 'NS' | 'BS' | 'M' | 'L' | 'BOOL' | 'NULL';
const ATTRIBUTE_TYPES: readonly AttributeType[] = ['S', 'N', 'B', 'SS', 'NS', 'BS', 'M', 'L', 'BOOL', 'NULL'];

/** A record that cannot be processed as it is; it must be reported as failed, never dropped. */
export class MalformedRecordError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MalformedRecordError';
  }
}

export interface CompiledFormat extends FormatConfig {
  readonly regex: RegExp;
}

export interface CompiledRule extends Omit<RuleConfig, 'formats'> {
  readonly formats: readonly CompiledFormat[];
}

export interface CompiledConfig {
  readonly invalidValue: string;
  readonly rules: readonly CompiledRule[];
  /** Computed attribute names, which must never be key attributes. */
  readonly computedAttributes: ReadonlySet<string>;
}

/** Compiles a (validated) configuration once per cold start. */
export function compileConfig(config: TriggerConfig): CompiledConfig {
  const rules = config.rules.map((rule) => ({
    ...rule,
    formats: rule.formats.map((format) => ({ ...format, regex: compileFormat(format.pattern) })),
  }));
  return {
    invalidValue: config.invalidValue,
    rules,
    computedAttributes: new Set(rules.flatMap((rule) => (rule.computedAttribute ? [rule.computedAttribute] : []))),
  };
}

export type ViolationReason = 'MISSING' | 'NO_FORMAT_MATCHED' | 'WRONG_TYPE';

/** The outcome of one rule on one item image. */
export interface RuleOutcome {
  readonly rule: CompiledRule;
  /** The attribute's value, when present (a NULL value counts as absent). */
  readonly value?: AttributeValue;
  readonly valueType?: AttributeType;
  /** Name of the first format that matched. */
  readonly matchedFormat?: string;
  readonly violation?: ViolationReason;
  /**
   * What the computed attribute should hold: the format name, the invalid marker, or undefined when it
   * should be absent (an optional attribute that is absent). Undefined too when the rule computes nothing.
   */
  readonly computedValue?: string;
}

/** The type descriptor of a well-formed attribute value; throws MalformedRecordError otherwise. */
export function attributeType(value: unknown, where: string): AttributeType {
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new MalformedRecordError(`${where} is not a DynamoDB attribute value`);
  const keys = Object.keys(value);
  if (keys.length !== 1 || !ATTRIBUTE_TYPES.includes(keys[0] as AttributeType)) {
    throw new MalformedRecordError(`${where} is not a DynamoDB attribute value (keys: ${keys.join(', ') || 'none'})`);
  }
  const type = keys[0] as AttributeType;
  const inner = (value as Record<string, unknown>)[type];
  const ok =
    type === 'S' || type === 'N' || type === 'B'
      ? typeof inner === 'string'
      : type === 'SS' || type === 'NS' || type === 'BS'
        ? Array.isArray(inner) && inner.every((entry) => typeof entry === 'string')
        : type === 'L'
          ? Array.isArray(inner)
          : type === 'M'
            ? !!inner && typeof inner === 'object' && !Array.isArray(inner)
            : typeof inner === 'boolean';
  if (!ok) throw new MalformedRecordError(`${where} has a malformed ${type} value`);
  return type;
}

/** Applies every rule to one item image. Pure; throws MalformedRecordError on malformed values. */
export function evaluateImage(image: Image, config: CompiledConfig): RuleOutcome[] {
  return config.rules.map((rule) => {
    const value = image[rule.attribute];
    const type = value === undefined ? undefined : attributeType(value, `attribute '${rule.attribute}'`);
    if (type === undefined || type === 'NULL') {
      if (rule.required) return { rule, violation: 'MISSING', computedValue: rule.computedAttribute ? config.invalidValue : undefined };
      return { rule };
    }
    const text = type === 'S' ? value!.S : type === 'N' && rule.matchNumbers ? value!.N : undefined;
    const computed = (result: string) => (rule.computedAttribute ? result : undefined);
    if (text === undefined) return { rule, value, valueType: type, violation: 'WRONG_TYPE', computedValue: computed(config.invalidValue) };
    const match = rule.formats.find((format) => format.regex.test(text));
    if (!match) return { rule, value, valueType: type, violation: 'NO_FORMAT_MATCHED', computedValue: computed(config.invalidValue) };
    return { rule, value, valueType: type, matchedFormat: match.name, computedValue: computed(match.name) };
  });
}

/** Deep equality of two attribute values (or both absent). Set order does not matter. */
export function sameValue(a: AttributeValue | undefined, b: AttributeValue | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  const ta = Object.keys(a)[0] as AttributeType;
  const tb = Object.keys(b)[0] as AttributeType;
  if (ta !== tb) return false;
  const va = (a as Record<string, unknown>)[ta];
  const vb = (b as Record<string, unknown>)[tb];
  switch (ta) {
    case 'SS':
    case 'NS':
    case 'BS': {
      const sa = [...(va as string[])].sort();
      const sb = [...(vb as string[])].sort();
      return sa.length === sb.length && sa.every((entry, i) => entry === sb[i]);
    }
    case 'L': {
      const la = va as AttributeValue[];
      const lb = vb as AttributeValue[];
      return la.length === lb.length && la.every((entry, i) => sameValue(entry, lb[i]));
    }
    case 'M': {
      const ma = va as Record<string, AttributeValue>;
      const mb = vb as Record<string, AttributeValue>;
      const keys = Object.keys(ma);
      return keys.length === Object.keys(mb).length && keys.every((key) => key in mb && sameValue(ma[key], mb[key]));
    }
    default:
      return va === vb;
  }
}

/** What to do about one stream record. */
export type RecordDecision =
  | { readonly action: 'skip'; readonly reason: string }
  | { readonly action: 'evaluate'; readonly evaluation: ItemEvaluation };

export interface ItemEvaluation {
  readonly eventName: 'INSERT' | 'MODIFY';
  readonly eventId?: string;
  readonly key: Image;
  readonly newImage: Image;
  readonly outcomes: readonly RuleOutcome[];
  /** The outcomes with a violation that this record introduced, and so must be alerted (once). */
  readonly newViolations: readonly RuleOutcome[];
}

/**
 * Decides what one stream record means: skip it (REMOVE), or evaluate the new image. Throws
 * MalformedRecordError when the record cannot be processed, so the batch reports it as failed.
 */
export function evaluateRecord(record: DynamoDBRecord, config: CompiledConfig): RecordDecision {
  if (!record || typeof record !== 'object') throw new MalformedRecordError('the record is not an object');
  const eventName = record.eventName;
  if (eventName === 'REMOVE') return { action: 'skip', reason: 'REMOVE: a deleted item has nothing to validate' };
  if (eventName !== 'INSERT' && eventName !== 'MODIFY') throw new MalformedRecordError(`unknown eventName '${String(eventName)}'`);
  const stream = record.dynamodb;
  if (!stream || typeof stream !== 'object') throw new MalformedRecordError('the record has no dynamodb section');
  const key = stream.Keys;
  if (!key || typeof key !== 'object' || Object.keys(key).length === 0) throw new MalformedRecordError('the record has no Keys');
  for (const [name, value] of Object.entries(key)) {
    attributeType(value, `key attribute '${name}'`);
    if (config.computedAttributes.has(name)) {
      throw new MalformedRecordError(`computed attribute '${name}' is a key attribute of the table; fix the TableTrigger rules`);
    }
  }
  const newImage = stream.NewImage;
  if (!newImage || typeof newImage !== 'object') {
    throw new MalformedRecordError(
      `the ${eventName} record has no NewImage: the table's stream must use NEW_IMAGE or NEW_AND_OLD_IMAGES (it uses ${stream.StreamViewType ?? 'an unknown view type'})`,
    );
  }
  const outcomes = evaluateImage(newImage, config);
  const oldImage = stream.OldImage;
  const newViolations = outcomes.filter((outcome) => {
    if (!outcome.violation) return false;
    if (eventName === 'INSERT') return true;
    // The same value was already there before this write: it was alerted when it was written.
    if (oldImage && typeof oldImage === 'object') return !sameValue(oldImage[outcome.rule.attribute], newImage[outcome.rule.attribute]);
    // No old image (NEW_IMAGE stream): a computed attribute already showing the verdict means this
    // item was processed before; without one there is no way to tell, so alert.
    const computed = outcome.rule.computedAttribute;
    return !(computed && sameValue(newImage[computed], { S: config.invalidValue }));
  });
  return { action: 'evaluate', evaluation: { eventName, eventId: record.eventID, key, newImage, outcomes, newViolations } };
}
