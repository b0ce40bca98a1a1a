import type { AttributeValue } from 'aws-lambda';
import type { UpdateItemCommandInput } from '@aws-sdk/client-dynamodb';
import { ItemEvaluation, RuleOutcome, sameValue } from './rules-engine';

/** One computed attribute that must change. */
export interface ComputedChange {
  readonly attribute: string;
  readonly computedAttribute: string;
  /** The new value, or undefined to remove the computed attribute. */
  readonly value?: string;
}

/** The conditional update that brings the computed attributes up to date, or why none is needed. */
export interface WriteBackPlan {
  readonly changes: readonly ComputedChange[];
  /** Undefined when every computed attribute is already right (loop safety: nothing to write). */
  readonly request?: UpdateItemCommandInput;
}

/**
 * Which computed attributes of `evaluation.newImage` are not what the rules say, and the UpdateItem that
 * fixes them. Pure.
 *
 * Loop safety: the write produces a new stream record whose image already holds the right values, so
 * evaluating that record plans nothing. The update is conditional on every validated value it depends
 * on being unchanged (and on the item still existing), so a stale record never overwrites the verdict
 * of a newer version of the item: that version has its own record, which will be evaluated in turn.
 */
export function planWriteBack(tableName: string, evaluation: ItemEvaluation): WriteBackPlan {
  const relevant = evaluation.outcomes.filter(
    (outcome): outcome is RuleOutcome & { rule: { computedAttribute: string } } =>
      !!outcome.rule.computedAttribute && !sameValue(evaluation.newImage[outcome.rule.computedAttribute!], valueOf(outcome.computedValue)),
  );
  const changes = relevant.map((outcome) => ({
    attribute: outcome.rule.attribute,
    computedAttribute: outcome.rule.computedAttribute,
    value: outcome.computedValue,
  }));
  if (changes.length === 0) return { changes };

  const names: Record<string, string> = {};
  const values: Record<string, AttributeValue> = {};
  const sets: string[] = [];
  const removes: string[] = [];
  const conditions: string[] = [];

  // The item must still exist: UpdateItem would otherwise create a new item holding only the key and
  // the computed attribute.
  const [keyName] = Object.keys(evaluation.key).sort();
  names['#key'] = keyName;
  conditions.push('attribute_exists(#key)');

  relevant.forEach((outcome, i) => {
    names[`#c${i}`] = outcome.rule.computedAttribute;
    names[`#v${i}`] = outcome.rule.attribute;
    if (outcome.computedValue === undefined) {
      removes.push(`#c${i}`);
    } else {
      values[`:c${i}`] = { S: outcome.computedValue };
      sets.push(`#c${i} = :c${i}`);
    }
    // The verdict depends on the value only for strings (and numbers, when matched as text); for every
    // other type it is "wrong type" whatever the value, so the type is the exact condition.
    if (outcome.value === undefined || outcome.valueType === 'NULL') {
      conditions.push(`(attribute_not_exists(#v${i}) OR attribute_type(#v${i}, :null))`);
      values[':null'] = { S: 'NULL' };
    } else if (outcome.valueType === 'S' || (outcome.valueType === 'N' && outcome.rule.matchNumbers)) {
      values[`:v${i}`] = outcome.value;
      conditions.push(`#v${i} = :v${i}`);
    } else {
      values[`:t${i}`] = { S: outcome.valueType! };
      conditions.push(`attribute_type(#v${i}, :t${i})`);
    }
  });

  const update = [sets.length ? `SET ${sets.join(', ')}` : '', removes.length ? `REMOVE ${removes.join(', ')}` : ''].filter(Boolean).join(' ');
  return {
    changes,
    request: {
      TableName: tableName,
      Key: evaluation.key as UpdateItemCommandInput['Key'],
      UpdateExpression: update,
      ConditionExpression: conditions.join(' AND '),
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: Object.keys(values).length ? (values as UpdateItemCommandInput['ExpressionAttributeValues']) : undefined,
    },
  };
}

function valueOf(computed: string | undefined): AttributeValue | undefined {
  return computed === undefined ? undefined : { S: computed };
}
