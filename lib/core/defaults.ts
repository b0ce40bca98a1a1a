import { Duration } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';

/**
 * House defaults shared by every pattern. Change them here, never per construct, so the
 * patterns stay consistent with each other.
 */
export const HOUSE_DEFAULTS = {
  /**
   * Node 20 is deprecated on Lambda and flagged by cdk-nag AwsSolutions-L1. aws-cdk-lib names Node 24 from
   * 2.2xx on; before that the same runtime is built from its identifier, so users on an older CDK get it too.
   */
  runtime: (lambda.Runtime.NODEJS_24_X as lambda.Runtime | undefined) ??
    new lambda.Runtime('nodejs24.x', lambda.RuntimeFamily.NODEJS, { supportsInlineCode: true }),
  /** Graviton is ~20% cheaper per GB-second; handlers are pure JS unless a pattern says otherwise. */
  architecture: lambda.Architecture.ARM_64,
  memorySizeMiB: 256,
  timeout: Duration.seconds(30),
  logRetention: logs.RetentionDays.ONE_MONTH,
  /** SQS's own maximum: a dead letter should outlive the investigation of why it died. */
  deadLetterRetention: Duration.days(14),
  queueRetention: Duration.days(4),
  maxReceiveCount: 3,
} as const;
