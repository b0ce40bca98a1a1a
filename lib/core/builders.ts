/**
 * Builders for resources several patterns need, so each is built one way (internal: not exported from the
 * package; constructs import this file directly).
 */
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { HOUSE_DEFAULTS } from './defaults';
import { acknowledgeNag } from './nag';

/** Every queue of the house: SQS-managed encryption, SSL only. */
export const SECURE_QUEUE_PROPS: sqs.QueueProps = { encryption: sqs.QueueEncryption.SQS_MANAGED, enforceSSL: true };

/**
 * A queue that is itself the last stop of failed work (a function's dead-letter queue, an event source's
 * on-failure destination): secure, kept 14 days, and without a dead-letter queue of its own, which
 * cdk-nag's AwsSolutions-SQS3 is told with `why` (what lands in it).
 */
export function newOnFailureQueue(scope: Construct, id: string, why: string): sqs.Queue {
  const queue = new sqs.Queue(scope, id, { ...SECURE_QUEUE_PROPS, retentionPeriod: HOUSE_DEFAULTS.deadLetterRetention });
  acknowledgeNag(queue, { id: 'AwsSolutions-SQS3', reason: why });
  return queue;
}

/**
 * A role Lambda assumes that may write only to `logGroup`: instead of the AWSLambdaBasicExecutionRole
 * managed policy, whose logs:* grant covers every log group in the account.
 */
export function newLogOnlyLambdaRole(scope: Construct, id: string, logGroup: logs.ILogGroup, description: string): iam.Role {
  const role = new iam.Role(scope, id, { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'), description });
  role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }));
  return role;
}
