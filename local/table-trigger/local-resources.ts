import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { LocalAws } from '../local-aws';

/** What a TableTrigger handler needs on local AWS, plus the queue its alerts can be read back from. */
export interface TriggerResources {
  readonly dynamodb: DynamoDBClient;
  readonly sqs: SQSClient;
  readonly topicArn: string;
  /** An SQS queue subscribed to the alert topic. */
  readonly alertQueueUrl: string;
}

/**
 * Creates a table keyed by `pk`, an alert topic and an SQS queue subscribed to it (fauxqs delivers SNS
 * to SQS), for the e2e tests and the benchmark alike. The caller destroys the returned clients.
 */
export async function createTriggerResources(local: LocalAws, names: { table: string; topic: string; queue: string }): Promise<TriggerResources> {
  const dynamodb = new DynamoDBClient(local.clientConfig('dynamodb'));
  const sqs = new SQSClient(local.clientConfig('sqs'));
  const sns = new SNSClient(local.clientConfig('sns'));
  try {
    await dynamodb.send(
      new CreateTableCommand({
        TableName: names.table,
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: names.topic }));
    const alertQueueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: names.queue }))).QueueUrl!;
    const queueArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: alertQueueUrl, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn;
    await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: queueArn }));
    return { dynamodb, sqs, topicArn: TopicArn!, alertQueueUrl };
  } finally {
    sns.destroy();
  }
}
