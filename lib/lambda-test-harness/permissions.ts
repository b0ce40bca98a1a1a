import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { acknowledgeNag } from '../core';

/**
 * What the harness (and the gate) may do: invoke exactly the given functions' ARNs (no qualifier, no
 * `:*`, which `grantInvoke` would add), and read and write items of its own table only. It is a policy of
 * its own rather than the role's default policy: the harness invokes itself (load tests), and a function
 * waits for its default policy, so naming its own ARN there would be a circular dependency.
 */
export function grantHarnessRights(scope: Construct, id: string, role: iam.IRole, functions: readonly lambda.IFunction[], table: dynamodb.ITable): iam.Policy {
  const policy = new iam.Policy(scope, id, { roles: [role] });
  if (functions.length > 0) {
    policy.addStatements(new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: functions.map((f) => f.functionArn) }));
  }
  policy.addStatements(
    new iam.PolicyStatement({
      actions: ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:GetItem', 'dynamodb:Query'],
      resources: [table.tableArn],
    }),
  );
  if (table.encryptionKey) {
    policy.addStatements(
      new iam.PolicyStatement({ actions: ['kms:Decrypt', 'kms:Encrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*'], resources: [table.encryptionKey.keyArn] }),
    );
    acknowledgeNag(policy, {
      id: 'AwsSolutions-IAM5[Action::kms:ReEncrypt*]',
      reason: "The results table's customer-managed key: DynamoDB needs ReEncrypt* and GenerateDataKey* on exactly that key to write encrypted items.",
    });
    acknowledgeNag(policy, {
      id: 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
      reason: "The results table's customer-managed key: DynamoDB needs ReEncrypt* and GenerateDataKey* on exactly that key to write encrypted items.",
    });
  }
  return policy;
}

/**
 * The aws-cdk-lib `triggers` provider is a stack-wide singleton CDK builds (its own role with the basic
 * execution managed policy and an invoke grant on the trigger's function versions); acknowledged on it.
 */
export function acknowledgeTriggerProvider(scope: Construct): void {
  for (const child of scope.node.findAll()) {
    if (!child.node.path.includes('AWSCDK.TriggerCustomResourceProvider')) continue;
    if (child.node.id !== 'AWSCDK.TriggerCustomResourceProviderCustomResourceProvider') continue;
    acknowledgeNag(
      child,
      {
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason: "aws-cdk-lib's triggers provider (a CDK singleton) uses AWSLambdaBasicExecutionRole for its own logs; it is not the harness's role.",
      },
      {
        id: 'AwsSolutions-IAM5',
        reason: "aws-cdk-lib's triggers provider may invoke the versions of the gate function it runs (function ARN with a version wildcard), nothing else.",
      },
      { id: 'AwsSolutions-L1', reason: "aws-cdk-lib's triggers provider pins its own Node runtime; CDK moves it forward with aws-cdk-lib releases." },
    );
  }
}
