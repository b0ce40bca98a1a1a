import { App, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';

const STACK_ID = 'ExampleAlarms';

/**
 * The example app's one alarm topic, in a small stack of its own that every example stack refers to
 * (subscribe your e-mail, chat or pager to it once). Encrypted with a customer-managed key because
 * CloudWatch cannot publish to a topic under the AWS-managed SNS key (its policy cannot grant CloudWatch).
 */
export function exampleAlarmTopic(app: App): sns.ITopic {
  const existing = app.node.tryFindChild(STACK_ID) as Stack | undefined;
  if (existing) return existing.node.findChild('AlarmTopic') as sns.Topic;
  const stack = new Stack(app, STACK_ID, { description: 'cdk-compute-patterns: the alarm topic every example stack notifies' });
  const key = new kms.Key(stack, 'AlarmTopicKey', { enableKeyRotation: true, description: 'Encrypts the example alarm topic' });
  return newEncryptedAlarmTopic(stack, key);
}

/**
 * A topic alarms can publish to, encrypted with `key` (created in the app): CloudWatch, which publishes, may use
 * the key for this account's alarms.
 */
export function newEncryptedAlarmTopic(stack: Stack, key: kms.Key): sns.Topic {
  key.addToResourcePolicy(new iam.PolicyStatement({
    principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
    actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
    resources: ['*'],
    conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
  }));
  return new sns.Topic(stack, 'AlarmTopic', { displayName: 'cdk-compute-patterns alarms', enforceSSL: true, masterKey: key });
}

/** The alarm actions every example construct gets: notify the app's alarm topic. */
export function exampleAlarmActions(stack: Stack): cloudwatch.IAlarmAction[] {
  return [new cloudwatchActions.SnsAction(exampleAlarmTopic(stack.node.root as App))];
}
