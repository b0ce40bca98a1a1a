import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { deadLetterAlarm, PrebundledFunction, regionMismatches } from '../core';
import { newOnFailureQueue, validateFunctionOptions, withFunctionOptions } from '../core/builders';
import { FunctionOptions } from '../core/function-options';
import { describeTable } from '../core/table-shape';
import { AlarmTuning, applyAlarmActions, boundAlarm, countAlarm, functionThrottleAlarm, wantsDashboard } from '../core/monitoring';
import { PropsValidator } from '../core/props-validator';
import { newTableTriggerDashboard } from './dashboard';
import { buildTriggerConfig, DEFAULT_MASKING } from './build-config';
import { TableTriggerProps, TriggerEventName } from './props';
import {
  MAX_TRIGGER_CONFIG_BYTES,
  STREAM_ARN_ENV,
  TABLE_NAME_ENV,
  TOPIC_ARN_ENV,
  TRIGGER_CONFIG_ENV,
  triggerConfigErrors,
} from '../../contracts/table-trigger/rule-config';

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

/**
 * A DynamoDB "database trigger": every item written to the table is checked against declarative rules
 * (or handed to your own function), invalid items are reported on an SNS topic with their sensitive
 * values masked, and a computed attribute on the item records which format matched (or `INVALID`).
 *
 * The stream is consumed with partial batch responses, bisect-on-error, bounded retries and record age,
 * an event filter and an SQS on-failure destination with an alarm. Writing the computed attribute is
 * loop-safe: the handler skips items whose computed value is already right, and its conditional update
 * never overwrites a newer version of the item.
 */
export class TableTrigger extends Construct {
  /** The table whose stream drives the trigger (created or given). */
  public readonly table: dynamodb.ITable;
  /** Where alerts about invalid items are published (created or given). */
  public readonly topic: sns.ITopic;
  /** The function the stream invokes: the built-in handler or yours. */
  public readonly triggerFunction: lambda.IFunction;
  /**
   * The function the stream invokes.
   * @deprecated the same function as `triggerFunction`; use `triggerFunction`
   */
  public readonly function: lambda.IFunction;
  /**
   * The built-in handler with its role and log group (mode a only).
   * @deprecated the same function as `triggerFunction`; use `triggerFunction` (its `role`, and `logGroup` on a `lambda.Function`)
   */
  public readonly builtInHandler?: PrebundledFunction;
  /** Every alarm this construct created; all get `alarmActions`. */
  public readonly alarms: cloudwatch.IAlarm[];
  /** Fires when the trigger lags more than `maxIteratorAge` behind the table's writes. */
  public readonly iteratorAgeAlarm: cloudwatch.Alarm;
  /** Fires when whole invocations fail three 5-minute periods in a row. */
  public readonly errorAlarm: cloudwatch.Alarm;
  /** Fires when the trigger function is throttled (the stream backs up). */
  public readonly throttleAlarm: cloudwatch.Alarm;
  /** The pattern's dashboard, unless `dashboard` is false. */
  public readonly dashboard?: cloudwatch.Dashboard;
  /** The mapping from the table's stream to the function. */
  public readonly eventSourceMapping: lambda.EventSourceMapping;
  /** On-failure destination of the event source mapping (created or given). */
  public readonly deadLetterQueue: sqs.IQueue;
  /** Fires as soon as one record's metadata lands in the on-failure queue. */
  public readonly deadLetterAlarm: cloudwatch.Alarm;
  /** What computed attributes receive for an invalid value. */
  public readonly invalidValue: string;
  /** The rule set handed to the built-in handler, as the JSON it reads at cold start (mode a only). */
  public readonly handlerConfiguration?: string;

  constructor(scope: Construct, id: string, props: TableTriggerProps) {
    super(scope, id);
    const tuning = new AlarmTuning(`TableTrigger '${this.node.path}'`, props.alarmOverrides);
    const triggerFunctionOptions = validateProps(this, props);
    this.invalidValue = props.invalidValue ?? TABLE_TRIGGER_DEFAULTS.invalidValue;

    this.table = props.table ?? this.createTable(props);
    if (!this.table.tableStreamArn) {
      throw new Error(
        `TableTrigger '${this.node.path}': table ${this.table.node.path} has no stream. Enable one (stream: StreamViewType.NEW_AND_OLD_IMAGES), ` +
          'or import the table with Table.fromTableAttributes({ tableName, tableStreamArn }).',
      );
    }
    const tableShape = describeTable(this.table);
    if (props.rules && tableShape.streamViewType && !['NEW_IMAGE', 'NEW_AND_OLD_IMAGES'].includes(tableShape.streamViewType)) {
      throw new Error(
        `TableTrigger '${this.node.path}': the stream of table ${this.table.node.path} is ${tableShape.streamViewType}, which carries no new item image to validate. ` +
          'Use StreamViewType.NEW_AND_OLD_IMAGES (or NEW_IMAGE).',
      );
    }

    if (props.rules) {
      const config = buildTriggerConfig(props.rules, this.invalidValue, props.alertMasking);
      const keyAttributes = props.table ? tableShape.keySchema.map((key) => key.name) : [props.partitionKey ?? TABLE_TRIGGER_DEFAULTS.partitionKey, props.sortKey].flatMap((k) => (k ? [k.name] : []));
      const errors = triggerConfigErrors(config, keyAttributes);
      if (errors.length > 0) throw new Error(`TableTrigger '${this.node.path}': invalid rules:\n- ${errors.join('\n- ')}`);
      this.handlerConfiguration = JSON.stringify(config);
      const bytes = Buffer.byteLength(this.handlerConfiguration);
      if (bytes > MAX_TRIGGER_CONFIG_BYTES) {
        throw new Error(
          `TableTrigger '${this.node.path}': the rules serialize to ${bytes} bytes, more than the ${MAX_TRIGGER_CONFIG_BYTES} bytes of Lambda environment ` +
            'they may use. Shorten the patterns or split the rules over two triggers (with your own handler for the rest).',
        );
      }
    }

    this.topic = props.alertTopic ?? this.createTopic(props.alertTopicKey);

    if (props.deadLetterQueue) {
      this.deadLetterQueue = props.deadLetterQueue;
    } else {
      this.deadLetterQueue = newOnFailureQueue(
        this,
        'DeadLetterQueue',
        'This queue is itself the on-failure destination of the stream trigger; a dead-letter queue of it would have no consumer.',
      );
    }
    this.deadLetterAlarm = deadLetterAlarm(this, 'DeadLetterAlarm', this.deadLetterQueue, {
      alarmDescription: `Stream records of ${this.table.node.path} failed every retry of TableTrigger ${this.node.path}; their shard and sequence numbers are in the on-failure queue.`,
      ...tuning.for('DeadLetterAlarm'),
    });

    if (props.handler) {
      this.triggerFunction = props.handler;
    } else {
      this.builtInHandler = new PrebundledFunction(this, 'Handler', withFunctionOptions({
        assetName: 'table-trigger',
        description: `Validates items of ${this.table.node.path}, writes computed attributes, alerts on invalid items`,
        environment: {
          [TABLE_NAME_ENV]: this.table.tableName,
          [STREAM_ARN_ENV]: this.table.tableStreamArn,
          [TOPIC_ARN_ENV]: this.topic.topicArn,
          [TRIGGER_CONFIG_ENV]: this.handlerConfiguration!,
          POWERTOOLS_SERVICE_NAME: 'table-trigger',
        },
      }, triggerFunctionOptions));
      this.triggerFunction = this.builtInHandler.function;
    }
    this.function = this.triggerFunction;

    this.grantLeastPrivilege(props);

    const eventNames = props.eventNames ?? TABLE_TRIGGER_DEFAULTS.eventNames;
    // An EventSourceMapping rather than DynamoEventSource: the latter grants dynamodb:ListStreams on "*",
    // while Lambda needs it on this table's stream only (granted above).
    this.eventSourceMapping = new lambda.EventSourceMapping(this, 'StreamMapping', {
      target: this.triggerFunction,
      eventSourceArn: this.table.tableStreamArn,
      startingPosition: props.startingPosition ?? lambda.StartingPosition.TRIM_HORIZON,
      batchSize: props.batchSize ?? TABLE_TRIGGER_DEFAULTS.batchSize,
      maxBatchingWindow: props.maxBatchingWindow,
      bisectBatchOnError: true,
      reportBatchItemFailures: true,
      retryAttempts: props.retryAttempts ?? TABLE_TRIGGER_DEFAULTS.retryAttempts,
      maxRecordAge: props.maxRecordAge ?? TABLE_TRIGGER_DEFAULTS.maxRecordAge,
      parallelizationFactor: props.parallelizationFactor ?? TABLE_TRIGGER_DEFAULTS.parallelizationFactor,
      onFailure: new SqsDlq(this.deadLetterQueue),
      filters: [lambda.FilterCriteria.filter({ eventName: lambda.FilterRule.or(...eventNames) })],
    });

    const maxIteratorAge = props.maxIteratorAge ?? Duration.minutes(5);
    this.iteratorAgeAlarm = boundAlarm(this, 'IteratorAgeAlarm', this.metricIteratorAge({ period: Duration.minutes(1) }),
      `TableTrigger ${this.node.path} lags more than ${maxIteratorAge.toHumanString()} behind writes to ${this.table.node.path}.`,
      maxIteratorAge.toMilliseconds(), tuning.for('IteratorAgeAlarm'));
    this.errorAlarm = countAlarm(this, 'ErrorAlarm', this.metricErrors({ statistic: 'Sum', period: Duration.minutes(5) }),
      `TableTrigger ${this.node.path} fails whole batches: records are retried, then sent to the on-failure queue.`, { evaluationPeriods: 3 }, tuning.for('ErrorAlarm'));
    this.throttleAlarm = functionThrottleAlarm(this, 'ThrottleAlarm', this.triggerFunction, tuning.for('ThrottleAlarm'));
    tuning.assertAllKnown();
    this.alarms = [this.deadLetterAlarm, this.iteratorAgeAlarm, this.errorAlarm, this.throttleAlarm];
    applyAlarmActions(this, props.alarmActions);
    if (wantsDashboard(props)) this.dashboard = newTableTriggerDashboard(this);
  }

  /**
   * Stream read on this table's stream, UpdateItem on this table, Publish on this topic, and the KMS
   * actions those need when a customer-managed key is involved; nothing else, and no wildcards.
   */
  private grantLeastPrivilege(props: TableTriggerProps): void {
    const grantee = this.triggerFunction;
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:ListStreams'],
      resourceArns: [this.table.tableStreamArn!],
    });
    // GetItem: before alerting, the built-in handler reads the item's key back to skip items deleted since their record.
    const tableActions = this.builtInHandler ? ['dynamodb:GetItem', 'dynamodb:UpdateItem'] : ['dynamodb:UpdateItem'];
    iam.Grant.addToPrincipal({ grantee, actions: tableActions, resourceArns: [this.table.tableArn] });
    this.table.encryptionKey?.grant(grantee, 'kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:DescribeKey');
    iam.Grant.addToPrincipal({ grantee, actions: ['sns:Publish'], resourceArns: [this.topic.topicArn] });
    // The AWS-managed alias/aws/sns key needs no grant (its key policy admits SNS callers of this account).
    const topicKey = props.alertTopic ? props.alertTopic.masterKey : props.alertTopicKey;
    topicKey?.grant(grantee, 'kms:Decrypt', 'kms:GenerateDataKey');
  }

  /** Age of the newest record read from the stream: how far the trigger lags behind writes. */
  public metricIteratorAge(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.triggerFunction.metric('IteratorAge', { statistic: 'Maximum', ...props });
  }

  /** Invocations that failed as a whole (records that failed alone are reported as partial failures). */
  public metricErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.triggerFunction.metricErrors(props);
  }

  /** Alerts published to the topic (one per invalid write). */
  public metricAlertsPublished(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.topic.metricNumberOfMessagesPublished(props);
  }

  /** Records whose metadata sits in the on-failure queue. */
  public metricDeadLetters(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', ...props });
  }

  private createTable(props: TableTriggerProps): dynamodb.Table {
    return new dynamodb.Table(this, 'Table', {
      partitionKey: props.partitionKey ?? TABLE_TRIGGER_DEFAULTS.partitionKey,
      sortKey: props.sortKey,
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      stream: dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
  }

  private createTopic(key?: kms.IKey): sns.Topic {
    return new sns.Topic(this, 'AlertTopic', {
      displayName: 'Invalid items',
      enforceSSL: true,
      masterKey: key ?? kms.Alias.fromAliasName(this, 'AwsManagedSnsKey', 'alias/aws/sns'),
    });
  }
}

/** Checks every prop (one error listing every problem); returns the built-in handler's settings. */
function validateProps(scope: Construct, props: TableTriggerProps): FunctionOptions {
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
