import { Duration } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { FunctionOptions, regionMismatches } from '../core';
import { validateFunctionOptions } from '../core/builders';
import { PropsValidator } from '../core/props-validator';
import { describeTable } from '../core/table-shape';
import { buildTriggerConfig, TABLE_TRIGGER_DEFAULTS } from './build-config';
import { TableTriggerProps, TriggerEventName } from './props';
import {
  MAX_TRIGGER_CONFIG_BYTES,
  STREAM_ARN_ENV,
  TABLE_NAME_ENV,
  TOPIC_ARN_ENV,
  TRIGGER_CONFIG_ENV,
  triggerConfigErrors,
} from '../../contracts/table-trigger/rule-config';

/** Checks every prop (one error listing every problem); returns the built-in handler's settings. */
export function validateProps(scope: Construct, props: TableTriggerProps): FunctionOptions {
  const v = new PropsValidator(scope, 'TableTrigger');
  v.problems(
    regionMismatches(scope, [
      { prop: 'table', arn: props.table?.tableStreamArn, why: "Lambda reads a DynamoDB stream only in the function's own region" },
      {
        prop: 'deadLetterQueue',
        arn: props.deadLetterQueue?.queueArn,
        why: "the trigger's dead-letter alarm watches the queue's metrics in the stack's region, where a queue of another region has none",
      },
    ]),
  );
  if (props.rules && props.handler) v.problem('give either rules (built-in handler) or handler (your own function), not both');
  if (!props.rules && !props.handler) v.problem('give rules (to use the built-in handler) or handler (your own function)');
  if (props.table) {
    for (const name of ['partitionKey', 'sortKey', 'removalPolicy'] as const) {
      if (props[name] !== undefined) v.problem(`${name} applies only to a new table; remove it or remove table`);
    }
  }
  if (props.handler && !props.handler.role) {
    v.problem(
      `handler ${props.handler.node.path} has no role this construct can grant stream, table and topic access to (an imported function ` +
        "without one): import it with lambda.Function.fromFunctionAttributes(this, 'Handler', { functionArn, role: iam.Role.fromRoleArn(...) })",
    );
  }
  if (props.handler) {
    for (const name of ['triggerFunctionProps', 'memorySize', 'timeout', 'alertMasking', 'invalidValue'] as const) {
      if (props[name] !== undefined) v.problem(`${name} configures the built-in handler; with your own handler, configure your function instead`);
    }
  }
  if (props.alertTopic && props.alertTopicKey) v.problem('alertTopicKey applies only to a new topic; remove it or remove alertTopic');
  if (props.invalidValue !== undefined && props.invalidValue.length === 0) v.problem("invalidValue must not be empty (default 'INVALID')");
  const eventNames = props.eventNames;
  if (eventNames !== undefined) {
    if (eventNames.length === 0) v.problem('eventNames must name at least one event (INSERT, MODIFY, REMOVE)');
    if (new Set(eventNames).size !== eventNames.length) v.problem('eventNames lists an event twice');
    if (eventNames.includes(TriggerEventName.REMOVE) && props.rules) {
      v.problem('eventNames includes REMOVE, but a deleted item has nothing to validate; REMOVE is only for your own handler');
    }
  }
  v.wholeNumber('batchSize', props.batchSize, 1, 10000);
  v.wholeNumber('retryAttempts', props.retryAttempts, 0, 10000);
  v.wholeNumber('parallelizationFactor', props.parallelizationFactor, 1, 10);
  v.duration('maxRecordAge', props.maxRecordAge, { min: Duration.minutes(1), max: Duration.days(7) });
  const options = props.triggerFunctionProps ?? {};
  validateFunctionOptions(v, 'triggerFunctionProps', props.triggerFunctionProps, {
    reservedEnvironment: [TABLE_NAME_ENV, STREAM_ARN_ENV, TOPIC_ARN_ENV, TRIGGER_CONFIG_ENV, 'POWERTOOLS_SERVICE_NAME'],
  });
  v.wholeNumber('memorySize', props.memorySize, 128, 10240);
  v.duration('timeout', props.timeout, { min: Duration.seconds(1), max: Duration.minutes(15) });
  const resolved: FunctionOptions = {
    ...options,
    memorySize: v.renamed({ name: 'triggerFunctionProps.memorySize', value: options.memorySize }, { name: 'memorySize', value: props.memorySize }),
    timeout: v.renamed({ name: 'triggerFunctionProps.timeout', value: options.timeout }, { name: 'timeout', value: props.timeout }),
  };
  v.throwIfInvalid();
  return resolved;
}

/**
 * The checks that need the table (created or given): it must have a stream, carrying new images for rules
 * to judge, and the rules must be valid for its key and fit the function's environment. Returns the rule
 * set as the built-in handler reads it (undefined with your own handler).
 */
export function validateTableAndRules(scope: Construct, props: TableTriggerProps, table: dynamodb.ITable, invalidValue: string): string | undefined {
  if (!table.tableStreamArn) {
    throw new Error(
      `TableTrigger '${scope.node.path}': table ${table.node.path} has no stream. Enable one (stream: StreamViewType.NEW_AND_OLD_IMAGES), ` +
        'or import the table with Table.fromTableAttributes({ tableName, tableStreamArn }).',
    );
  }
  const tableShape = describeTable(table);
  if (props.rules && tableShape.streamViewType && !['NEW_IMAGE', 'NEW_AND_OLD_IMAGES'].includes(tableShape.streamViewType)) {
    throw new Error(
      `TableTrigger '${scope.node.path}': the stream of table ${table.node.path} is ${tableShape.streamViewType}, which carries no new item image to validate. ` +
        'Use StreamViewType.NEW_AND_OLD_IMAGES (or NEW_IMAGE).',
    );
  }
  if (!props.rules) return undefined;
  const config = buildTriggerConfig(props.rules, invalidValue, props.alertMasking);
  const keyAttributes = props.table ? tableShape.keySchema.map((key) => key.name) : [props.partitionKey ?? TABLE_TRIGGER_DEFAULTS.partitionKey, props.sortKey].flatMap((k) => (k ? [k.name] : []));
  const errors = triggerConfigErrors(config, keyAttributes);
  if (errors.length > 0) throw new Error(`TableTrigger '${scope.node.path}': invalid rules:\n- ${errors.join('\n- ')}`);
  const handlerConfiguration = JSON.stringify(config);
  const bytes = Buffer.byteLength(handlerConfiguration);
  if (bytes > MAX_TRIGGER_CONFIG_BYTES) {
    throw new Error(
      `TableTrigger '${scope.node.path}': the rules serialize to ${bytes} bytes, more than the ${MAX_TRIGGER_CONFIG_BYTES} bytes of Lambda environment ` +
        'they may use. Shorten the patterns or split the rules over two triggers (with your own handler for the rest).',
    );
  }
  return handlerConfiguration;
}
