import { App, CfnOutput, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { MaskingMode, TableTrigger, TableTriggerProps } from '../../lib';
import { exampleAlarmActions } from './alarm-topic';

/** The SSN table's key and its one rule (shared with the strict example). */
export const SSN_TRIGGER: Pick<TableTriggerProps, 'partitionKey' | 'rules'> = {
  partitionKey: { name: 'personId', type: dynamodb.AttributeType.STRING },
  rules: [
    {
      attribute: 'SocialSecurityNumber',
      formats: [
        { name: '9', pattern: '\\d{9}' },
        { name: '11', pattern: '\\d{3}-\\d{2}-\\d{4}' },
      ],
      computedAttribute: 'SSN Format',
      masking: { mode: MaskingMode.LAST_CHARACTERS, visibleCharacters: 4 },
    },
  ],
};

/**
 * The classic NoSQL trigger: a `SocialSecurityNumber` is valid as 9 digits or as nnn-nn-nnnn, and the
 * trigger keeps `SSN Format` = `9`, `11` or `INVALID` on every item. Invalid items are announced on the
 * alert topic with the SSN masked to its last 4 digits.
 */
export function addTableTriggerExample(app: App): Stack {
  const stack = new Stack(app, 'TableTriggerExample', { description: 'cdk-compute-patterns: DynamoDB stream trigger (SSN validation)' });
  const trigger = new TableTrigger(stack, 'People', {
    alarmActions: exampleAlarmActions(stack),
    ...SSN_TRIGGER,
  });
  new CfnOutput(stack, 'TableName', { value: trigger.table.tableName });
  new CfnOutput(stack, 'AlertTopicArn', { value: trigger.topic.topicArn, description: 'Subscribe to receive alerts about invalid items' });
  new CfnOutput(stack, 'DeadLetterQueueUrl', { value: trigger.deadLetterQueue.queueUrl });
  return stack;
}
