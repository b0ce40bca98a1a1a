import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { acknowledgeCompliancePackFindings, acknowledgeNag, acknowledgePolicyWildcards } from '../core';
import { IConstruct } from 'constructs';
import type { LambdaEcsWorker } from './lambda-ecs-worker';

/** Least privilege for the worker: read scenes, write outputs, consume this queue, update this table. */
export function grantWorkerAccess(worker: LambdaEcsWorker, role: iam.IRole): void {
  const policy = new iam.Policy(worker, 'WorkerPolicy', {
    roles: [role],
    statements: [
      new iam.PolicyStatement({
        sid: 'ReadScenes',
        actions: ['s3:GetObject', 's3:GetObjectVersion'],
        resources: [worker.bucket.arnForObjects(`${worker.inputPrefix}*`)],
      }),
      new iam.PolicyStatement({
        sid: 'WriteOutputs',
        actions: ['s3:PutObject'],
        resources: [worker.bucket.arnForObjects(`${worker.outputPrefix}*`)],
      }),
      new iam.PolicyStatement({
        sid: 'ConsumeJobs',
        actions: ['sqs:ReceiveMessage', 'sqs:ChangeMessageVisibility', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'],
        resources: [worker.queue.queueArn],
      }),
      ...(worker.jobTable
        ? [new iam.PolicyStatement({ sid: 'UpdateJobs', actions: ['dynamodb:UpdateItem'], resources: [worker.jobTable.tableArn] })]
        : []),
    ],
  });
  // Exactly what reading and writing SSE-KMS objects needs (grantEncrypt/grantDecrypt add kms:ReEncrypt* and
  // kms:GenerateDataKey* wildcards).
  worker.bucket.encryptionKey?.grant(role, 'kms:Decrypt', 'kms:GenerateDataKey');
  // Your own queue or table may have a KMS key: receiving needs Decrypt, UpdateItem the table key's data keys.
  worker.queue.encryptionMasterKey?.grant(role, 'kms:Decrypt');
  worker.jobTable?.encryptionKey?.grant(role, ...TABLE_KEY_ACTIONS);
  // Finding ids are built from the resolved policy, so imported buckets (token ARNs) work too.
  acknowledgePolicyWildcards(
    policy,
    `The worker reads only scene objects under the input prefix '${worker.inputPrefix}' and writes only outputs under ` +
      `the output prefix '${worker.outputPrefix}' of this bucket; object keys are chosen by uploaders, hence the trailing '*'.`,
  );
}

/** What reading and writing items of a table encrypted with a customer-managed key needs. */
const TABLE_KEY_ACTIONS = ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'];

/** Least privilege for the launcher: queue jobs, record them, read the DLQ, start this task definition. */
/** Running the worker task (launcher and deploy canary alike): RunTask in this cluster, PassRole of its two roles to ECS. */
export function runWorkerTaskStatements(worker: LambdaEcsWorker, taskDefinitionArn: string): iam.PolicyStatement[] {
  return [
    new iam.PolicyStatement({
      sid: 'StartWorkers',
      actions: ['ecs:RunTask'],
      resources: [taskDefinitionArn],
      conditions: { ArnEquals: { 'ecs:cluster': worker.cluster.clusterArn } },
    }),
    new iam.PolicyStatement({
      sid: 'PassWorkerRoles',
      actions: ['iam:PassRole'],
      resources: [worker.taskDefinition.taskRole.roleArn, ...(worker.taskDefinition.executionRole ? [worker.taskDefinition.executionRole.roleArn] : [])],
      conditions: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
    }),
  ];
}

export function grantLauncherAccess(worker: LambdaEcsWorker, role: iam.IRole, taskDefinitionArn: string): void {
  const statements = [
    new iam.PolicyStatement({ sid: 'QueueJobs', actions: ['sqs:SendMessage', 'sqs:GetQueueAttributes'], resources: [worker.queue.queueArn] }),
    // Received with visibility 0 and never deleted: dead letters stay as evidence.
    new iam.PolicyStatement({ sid: 'ReadDeadLetters', actions: ['sqs:ReceiveMessage'], resources: [worker.deadLetterQueue.queueArn] }),
    ...runWorkerTaskStatements(worker, taskDefinitionArn),
  ];
  if (worker.jobTable) {
    statements.push(new iam.PolicyStatement({ sid: 'RecordJobs', actions: ['dynamodb:PutItem', 'dynamodb:UpdateItem'], resources: [worker.jobTable.tableArn] }));
  }
  new iam.Policy(worker, 'LauncherPolicy', { roles: [role], statements });
  // Your own queue, dead-letter queue or table may have a KMS key (SendMessage needs GenerateDataKey and Decrypt).
  worker.queue.encryptionMasterKey?.grant(role, 'kms:Decrypt', 'kms:GenerateDataKey');
  worker.deadLetterQueue.encryptionMasterKey?.grant(role, 'kms:Decrypt');
  worker.jobTable?.encryptionKey?.grant(role, ...TABLE_KEY_ACTIONS);
  // ListTasks takes no resource ARN; it lives in a policy of its own so its "*" is acknowledged alone.
  const listTasks = new iam.Policy(worker, 'LauncherListTasksPolicy', {
    roles: [role],
    statements: [
      new iam.PolicyStatement({
        sid: 'CountWorkers',
        actions: ['ecs:ListTasks'],
        resources: ['*'],
        conditions: { ArnEquals: { 'ecs:cluster': worker.cluster.clusterArn } },
      }),
    ],
  });
  acknowledgeNag(listTasks, {
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason: 'ecs:ListTasks supports no resource ARN; the grant is limited to this cluster by the ecs:cluster condition.',
  });
}

/** CDK's stack-wide BucketNotificationsHandler singletons in the bucket's stack. */
export function bucketNotificationsHandlers(bucket: s3.IBucket): IConstruct[] {
  return Stack.of(bucket).node.children.filter((c) => c.node.id.startsWith('BucketNotificationsHandler'));
}

/**
 * S3 notifications (bucket notifications and EventBridge delivery alike) are configured by CDK's stack-wide
 * BucketNotificationsHandler custom resource, which CDK puts in the bucket's stack and shares with every other
 * notification there, the user's included: its findings are acknowledged only on a handler this pattern brought
 * into the stack (`before`: the handlers that were there already), never on one the user's own notifications made.
 */
export function acknowledgeBucketNotificationsHandler(bucket: s3.IBucket, before: ReadonlySet<IConstruct>): void {
  for (const handler of bucketNotificationsHandlers(bucket).filter((h) => !before.has(h))) {
    acknowledgeCompliancePackFindings(handler);
    acknowledgeNag(
      handler,
      {
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason: "CDK's BucketNotificationsHandler custom resource uses the basic execution role to write its own deployment logs.",
      },
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: "CDK's BucketNotificationsHandler sets s3:PutBucketNotification at deploy time; CDK's own policy uses '*' for it.",
      },
    );
  }
}

/** s3:PutObject on the input prefix (and the bucket key's data keys for SSE-KMS uploads). */
export function grantSubmitScenes(worker: LambdaEcsWorker, grantee: iam.IGrantable): iam.Grant {
  worker.bucket.encryptionKey?.grant(grantee, 'kms:GenerateDataKey', 'kms:Decrypt');
  return iam.Grant.addToPrincipalOrResource({
    grantee,
    actions: ['s3:PutObject'],
    resourceArns: [worker.bucket.arnForObjects(`${worker.inputPrefix}*`)],
    resource: worker.bucket,
  });
}

/** s3:GetObject on the output prefix (and decrypt with the bucket key). */
export function grantReadResults(worker: LambdaEcsWorker, grantee: iam.IGrantable): iam.Grant {
  worker.bucket.encryptionKey?.grant(grantee, 'kms:Decrypt');
  return iam.Grant.addToPrincipalOrResource({
    grantee,
    actions: ['s3:GetObject', 's3:GetObjectVersion'],
    resourceArns: [worker.bucket.arnForObjects(`${worker.outputPrefix}*`)],
    resource: worker.bucket,
  });
}

/** dynamodb:GetItem and Query on the job table (and decrypt with its key). */
export function grantReadJobStatus(worker: LambdaEcsWorker, grantee: iam.IGrantable): iam.Grant {
  const table = worker.jobTable;
  if (!table) {
    throw new Error(`${worker.node.path} has no job table (jobTable: false), so there is no job status to read: remove jobTable: false or this grant`);
  }
  table.encryptionKey?.grant(grantee, 'kms:Decrypt', 'kms:DescribeKey');
  return iam.Grant.addToPrincipal({ grantee, actions: ['dynamodb:GetItem', 'dynamodb:Query'], resourceArns: [table.tableArn] });
}
