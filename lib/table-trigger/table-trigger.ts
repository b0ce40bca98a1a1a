import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { acknowledgeCompliancePackFindings, AlarmTuning, applyAlarmActions, boundAlarm, countAlarm, deadLetterAlarm, functionThrottleAlarm, PrebundledFunction, wantsDashboard } from '../core';
import { newOnFailureQueue, withFunctionOptions } from '../core/builders';
import { TABLE_TRIGGER_DEFAULTS } from './build-config';
import { grantTriggerAccess } from './permissions';
import { TableTriggerProps } from './props';
import { validateProps, validateTableAndRules } from './validation';
import { STREAM_ARN_ENV, TABLE_NAME_ENV, TOPIC_ARN_ENV, TRIGGER_CONFIG_ENV } from '../../contracts/table-trigger/rule-config';
import { fitDescriptionsToAwsLimits } from '../core/limits';
import { newTableTriggerDashboard } from './dashboard';

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
    this.handlerConfiguration = validateTableAndRules(this, props, this.table, this.invalidValue);

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
          [STREAM_ARN_ENV]: this.table.tableStreamArn!,
          [TOPIC_ARN_ENV]: this.topic.topicArn,
          [TRIGGER_CONFIG_ENV]: this.handlerConfiguration!,
          POWERTOOLS_SERVICE_NAME: 'table-trigger',
        },
        logEncryptionKey: props.logEncryptionKey,
      }, triggerFunctionOptions));
      this.triggerFunction = this.builtInHandler.function;
    }
    this.function = this.triggerFunction;

    grantTriggerAccess(this.triggerFunction, {
      table: this.table,
      topic: this.topic,
      builtInHandler: this.builtInHandler !== undefined,
      topicKey: props.alertTopic ? props.alertTopic.masterKey : props.alertTopicKey,
    });

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
    // HIPAA, NIST 800-53 r5, PCI DSS 3.2.1 and Serverless findings on what this construct created (docs/compliance.md).
    acknowledgeCompliancePackFindings(this);
    fitDescriptionsToAwsLimits(this);
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
