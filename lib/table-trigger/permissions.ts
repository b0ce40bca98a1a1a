import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';

/** What the trigger function is granted access to. */
export interface TriggerAccess {
  readonly table: dynamodb.ITable;
  readonly topic: sns.ITopic;
  /** The built-in handler also reads items back (GetItem). */
  readonly builtInHandler: boolean;
  /** The alert topic's customer-managed key, if any. */
  readonly topicKey?: kms.IKey;
}

/**
 * Stream read on this table's stream, UpdateItem on this table, Publish on this topic, and the KMS
 * actions those need when a customer-managed key is involved; nothing else, and no wildcards.
 */
export function grantTriggerAccess(grantee: iam.IGrantable, access: TriggerAccess): void {
  iam.Grant.addToPrincipal({
    grantee,
    actions: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:ListStreams'],
    resourceArns: [access.table.tableStreamArn!],
  });
  // GetItem: before alerting, the built-in handler reads the item's key back to skip items deleted since their record.
  const tableActions = access.builtInHandler ? ['dynamodb:GetItem', 'dynamodb:UpdateItem'] : ['dynamodb:UpdateItem'];
  iam.Grant.addToPrincipal({ grantee, actions: tableActions, resourceArns: [access.table.tableArn] });
  access.table.encryptionKey?.grant(grantee, 'kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:DescribeKey');
  iam.Grant.addToPrincipal({ grantee, actions: ['sns:Publish'], resourceArns: [access.topic.topicArn] });
  // The AWS-managed alias/aws/sns key needs no grant (its key policy admits SNS callers of this account).
  access.topicKey?.grant(grantee, 'kms:Decrypt', 'kms:GenerateDataKey');
}
