import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { FunctionOptions, MonitoringProps } from '../core';
import { MaskingMode } from '../../contracts/table-trigger/rule-config';

// Re-exported with `from`: jsii does not follow a re-export of an imported name.
export { MaskingMode } from '../../contracts/table-trigger/rule-config';

/** A named format of a validated attribute. */
export interface AttributeFormat {
  /** What the computed attribute receives when this format matches, e.g. `9` or `11`. */
  readonly name: string;
  /**
   * A JavaScript regular expression (compiled with the `u` flag) that must match the WHOLE value; it is
   * anchored for you, so `\d{9}` means exactly nine digits.
   */
  readonly pattern: string;
}

/** Masking of invalid values in alerts. */
export interface MaskingOptions {
  /**
   * How the value is shown.
   * @default MaskingMode.LAST_CHARACTERS
   */
  readonly mode?: MaskingMode;
  /**
   * For `LAST_CHARACTERS`: trailing characters left visible (0 to 16), never more than half the value.
   * @default 4
   */
  readonly visibleCharacters?: number;
}

/** The rule for one attribute. */
export interface ValidationRule {
  /** The attribute to validate, e.g. `SocialSecurityNumber`. */
  readonly attribute: string;
  /** Its valid formats, tried in order; the first that matches names the result. At least one. */
  readonly formats: AttributeFormat[];
  /**
   * Whether an item without the attribute (or with a NULL value) is invalid.
   * @default false
   */
  readonly required?: boolean;
  /**
   * An attribute that the trigger keeps up to date with the name of the matching format, or with the
   * invalid marker (`invalidValue`). Removed when an optional attribute is absent. Must not be a key
   * attribute nor a validated attribute.
   * @default - nothing is written back
   */
  readonly computedAttribute?: string;
  /**
   * Also accept numbers (type N), matched against their decimal text. Leading zeros are lost in numbers,
   * so identifiers such as SSNs should stay strings.
   * @default false - a number is invalid ("wrong type")
   */
  readonly matchNumbers?: boolean;
  /**
   * How this attribute's invalid values appear in alerts.
   * @default - the construct's `alertMasking`
   */
  readonly masking?: MaskingOptions;
}

/** Stream event names that can invoke the trigger. */
export enum TriggerEventName {
  INSERT = 'INSERT',
  MODIFY = 'MODIFY',
  REMOVE = 'REMOVE',
}

/** Props for {@link TableTrigger}. */
export interface TableTriggerProps extends MonitoringProps {
  /**
   * Alarm when the trigger lags this far behind the table's writes (the stream's iterator age, maximum
   * over 3 minutes in a row). Records older than `maxRecordAge` are given up on, so keep it well below that.
   * @default Duration.minutes(5)
   */
  readonly maxIteratorAge?: Duration;
  /**
   * An existing table with a stream (NEW_IMAGE or NEW_AND_OLD_IMAGES). An imported table must be imported
   * with its `tableStreamArn` (`Table.fromTableAttributes`).
   * @default - a new table: on-demand, point-in-time recovery, AWS-managed encryption, NEW_AND_OLD_IMAGES stream
   */
  readonly table?: dynamodb.ITable;
  /**
   * Partition key of the new table. Only when `table` is not given.
   * @default { name: 'pk', type: AttributeType.STRING }
   */
  readonly partitionKey?: dynamodb.Attribute;
  /**
   * Sort key of the new table. Only when `table` is not given.
   * @default - none
   */
  readonly sortKey?: dynamodb.Attribute;
  /**
   * What happens to the new table when it leaves the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Built-in validation (mode a): one rule per attribute. Give either `rules` or `handler`.
   * @default - none; `handler` must be given
   */
  readonly rules?: ValidationRule[];
  /**
   * Your own function (mode b), wired to the stream with the same event-source settings (filters,
   * partial batch responses, bisect, retry bounds, on-failure queue). It is granted UpdateItem on the
   * table and Publish on the alert topic. Give either `rules` or `handler`.
   * @default - the built-in handler, driven by `rules`
   */
  readonly handler?: lambda.IFunction;
  /**
   * What the computed attributes receive for an invalid value.
   * @default 'INVALID'
   */
  readonly invalidValue?: string;
  /**
   * How invalid values appear in alerts, unless a rule says otherwise.
   * @default { mode: MaskingMode.LAST_CHARACTERS, visibleCharacters: 4 }
   */
  readonly alertMasking?: MaskingOptions;
  /**
   * Where alerts about invalid items go.
   * @default - a new SNS topic, encrypted with the AWS-managed SNS key and SSL-only
   */
  readonly alertTopic?: sns.ITopic;
  /**
   * KMS key for the new alert topic. Subscribers that are AWS services (SQS, for instance) need a
   * customer-managed key whose policy lets them use it.
   * @default - the AWS-managed key alias/aws/sns
   */
  readonly alertTopicKey?: kms.IKey;
  /**
   * The stream event names that invoke the function (an event filter: other records never reach it).
   * REMOVE carries no new image and is only allowed with your own `handler`.
   * @default [INSERT, MODIFY]
   */
  readonly eventNames?: TriggerEventName[];
  /**
   * Records per invocation (1 to 10000).
   * @default 100
   */
  readonly batchSize?: number;
  /**
   * How long Lambda gathers records before invoking.
   * @default - no batching window
   */
  readonly maxBatchingWindow?: Duration;
  /**
   * Retries of a failed batch (after bisecting) before its records go to the on-failure queue (0 to 10000).
   * @default 3
   */
  readonly retryAttempts?: number;
  /**
   * Records older than this are sent to the on-failure queue instead of being processed (60 s to 7 days).
   * @default Duration.hours(1)
   */
  readonly maxRecordAge?: Duration;
  /**
   * Concurrent batches per shard (1 to 10). Records of one item always stay in order.
   * @default 1
   */
  readonly parallelizationFactor?: number;
  /**
   * Where to start reading the stream when the mapping is created.
   * @default lambda.StartingPosition.TRIM_HORIZON
   */
  readonly startingPosition?: lambda.StartingPosition;
  /**
   * On-failure destination: receives the metadata (shard, sequence numbers) of records that failed every
   * retry or grew too old.
   * @default - a new SQS queue, encrypted and SSL-only, keeping messages 14 days, with an alarm
   */
  readonly deadLetterQueue?: sqs.IQueue;
  /**
   * Settings of the built-in handler, merged over its defaults (256 MiB, 30 s, Graviton). Not with your own `handler`.
   * @default - the defaults
   */
  readonly triggerFunctionProps?: FunctionOptions;
  /**
   * A customer-managed KMS key that CloudWatch Logs encrypts the built-in handler's log group with (Control Tower's
   * CT.CLOUDWATCH.PR.3). It must be a symmetric key in the stack's region. A `kms.Key` of your app gets the
   * key-policy statement CloudWatch Logs needs (`logs.<region>.amazonaws.com`, for log groups of the key's
   * account); an imported key's policy must already have it (docs/compliance.md, "Encrypting the log groups").
   * @default - CloudWatch Logs' own encryption (service-owned keys)
   */
  readonly logEncryptionKey?: kms.IKey;
  /**
   * Memory of the built-in handler, in MiB.
   * @deprecated use `triggerFunctionProps.memorySize`; giving both with different values is an error
   * @default 256
   */
  readonly memorySize?: number;
  /**
   * Time limit of one invocation of the built-in handler.
   * @deprecated use `triggerFunctionProps.timeout`; giving both with different values is an error
   * @default Duration.seconds(30)
   */
  readonly timeout?: Duration;
}
