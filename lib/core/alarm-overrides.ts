import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';

/**
 * Changes to an alarm a construct offers (`addDeadLetterAlarm()`, `addErrorAlarm()`, ...). Every field is
 * optional: what is left out keeps the construct's choice, which the method's documentation states.
 * (The fields of `cloudwatch.CreateAlarmOptions`, all optional, as a struct every jsii language can pass.)
 */
export interface AlarmOverrides {
  /**
   * Name of the alarm.
   * @default - a name CloudFormation generates
   */
  readonly alarmName?: string;
  /**
   * Description of the alarm.
   * @default - the construct's description, saying what the alarm means
   */
  readonly alarmDescription?: string;
  /**
   * The value the metric is compared with.
   * @default - the construct's threshold
   */
  readonly threshold?: number;
  /**
   * How the metric is compared with the threshold.
   * @default - the construct's operator
   */
  readonly comparisonOperator?: cloudwatch.ComparisonOperator;
  /**
   * Periods over which the metric is compared with the threshold.
   * @default - the construct's number of periods
   */
  readonly evaluationPeriods?: number;
  /**
   * Breaching datapoints, out of `evaluationPeriods`, that set the alarm off.
   * @default - `evaluationPeriods`
   */
  readonly datapointsToAlarm?: number;
  /**
   * How missing data is treated.
   * @default - the construct's choice
   */
  readonly treatMissingData?: cloudwatch.TreatMissingData;
  /**
   * Whether the alarm's actions run.
   * @default true
   */
  readonly actionsEnabled?: boolean;
  /**
   * For percentile statistics: `evaluate` or `ignore` when there are too few data points.
   * @default - CloudWatch's behaviour
   */
  readonly evaluateLowSampleCountPercentile?: string;
}
