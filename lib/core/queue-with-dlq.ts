import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { AlarmOverrides } from './alarm-overrides';
import { SECURE_QUEUE_PROPS, secureQueuePropsProblems } from './builders';
import { HOUSE_DEFAULTS } from './defaults';
import { PropsValidator } from './props-validator';
import { acknowledgeCompliancePackFindings } from './compliance';

/** Props for {@link QueueWithDlq}. */
export interface QueueWithDlqProps {
  /**
   * How long a received message stays invisible. Must exceed the longest time a consumer needs
   * between heartbeats, or the message is delivered twice.
   * @default Duration.seconds(30)
   */
  readonly visibilityTimeout?: Duration;
  /**
   * Deliveries before a message moves to the dead-letter queue.
   * @default 3
   */
  readonly maxReceiveCount?: number;
  /**
   * How long the main queue keeps an unprocessed message.
   * @default Duration.days(4)
   */
  readonly retentionPeriod?: Duration;
  /**
   * How long the dead-letter queue keeps a message.
   * @default Duration.days(14)
   */
  readonly deadLetterRetentionPeriod?: Duration;
  /**
   * Overrides merged over the main queue's defaults. Turning off encryption or `enforceSSL`, or replacing the
   * dead-letter queue, is refused.
   * @default - none
   */
  readonly queueProps?: sqs.QueueProps;
}

/**
 * An SQS queue with a dead-letter queue, both SSE-encrypted and SSL-only, with a redrive policy.
 */
export class QueueWithDlq extends Construct {
  /** The main queue. */
  public readonly queue: sqs.Queue;
  /** Where messages go after `maxReceiveCount` failed deliveries. */
  public readonly deadLetterQueue: sqs.Queue;
  /** The effective maxReceiveCount. */
  public readonly maxReceiveCount: number;

  constructor(scope: Construct, id: string, props: QueueWithDlqProps = {}) {
    super(scope, id);
    this.maxReceiveCount = props.maxReceiveCount ?? HOUSE_DEFAULTS.maxReceiveCount;
    new PropsValidator(this, 'QueueWithDlq')
      .wholeNumber('maxReceiveCount', props.maxReceiveCount, 1, 1000)
      .problems(secureQueuePropsProblems('queueProps', props.queueProps))
      .throwIfInvalid();
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      ...SECURE_QUEUE_PROPS,
      retentionPeriod: props.deadLetterRetentionPeriod ?? HOUSE_DEFAULTS.deadLetterRetention,
    });
    this.queue = new sqs.Queue(this, 'Queue', {
      ...SECURE_QUEUE_PROPS,
      visibilityTimeout: props.visibilityTimeout,
      retentionPeriod: props.retentionPeriod ?? HOUSE_DEFAULTS.queueRetention,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: this.maxReceiveCount },
      ...props.queueProps,
    });
    // HIPAA, NIST 800-53 r5, PCI DSS 3.2.1 and Serverless findings on what this construct created (docs/compliance.md).
    acknowledgeCompliancePackFindings(this);
  }

  /**
   * An alarm that fires as soon as one message sits in the dead-letter queue: every dead letter
   * is work that was not done.
   */
  public addDeadLetterAlarm(id = 'DeadLetterAlarm', props: AlarmOverrides = {}): cloudwatch.Alarm {
    return deadLetterAlarm(this, id, this.deadLetterQueue, props);
  }
}

/** An alarm on any message being visible in `deadLetterQueue` (works for imported queues too). */
export function deadLetterAlarm(
  scope: Construct,
  id: string,
  deadLetterQueue: sqs.IQueue,
  props: AlarmOverrides = {},
): cloudwatch.Alarm {
  return deadLetterQueue
    .metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' })
    .createAlarm(scope, id, {
      alarmDescription: `Messages in ${deadLetterQueue.node.path}: work failed every retry and needs attention.`,
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      ...props,
    });
}
