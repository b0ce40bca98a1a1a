import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { ECSClient, ListTasksCommand, RunTaskCommand } from '@aws-sdk/client-ecs';
import { DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { RenderJobMessage } from '../../contracts/lambda-ecs-worker/render-job';

/**
 * Mocked SQS, DynamoDB (document client) and ECS for the launcher handler tests, and `reset()`, which
 * restores the healthy defaults: sends succeed, the queue reports `visibleMessages` waiting, nothing runs,
 * job records are written, RunTask places every task asked for.
 */
export function mockLauncherClients(visibleMessages = 0) {
  const sqs = mockClient(SQSClient);
  const ddb = mockClient(DynamoDBDocumentClient);
  const ecs = mockClient(ECSClient);
  const reset = () => {
    sqs.reset();
    ddb.reset();
    ecs.reset();
    sqs.on(SendMessageCommand).callsFake(() => ({ MessageId: `m-${Math.random()}` }));
    sqs.on(GetQueueAttributesCommand).resolves({ Attributes: { ApproximateNumberOfMessages: String(visibleMessages), ApproximateNumberOfMessagesNotVisible: '0' } });
    sqs.on(ReceiveMessageCommand).resolves({ Messages: [] });
    ddb.on(PutCommand).resolves({});
    ddb.on(UpdateCommand).resolves({});
    ecs.on(ListTasksCommand).resolves({ taskArns: [] });
    ecs.on(RunTaskCommand).callsFake((input) => ({ tasks: Array.from({ length: input.count }, (_, i) => ({ taskArn: `task-${i}` })), failures: [] }));
  };
  /** The job messages sent so far, parsed. */
  const sentMessages = () => sqs.commandCalls(SendMessageCommand).map((c) => JSON.parse(c.args[0].input.MessageBody!) as RenderJobMessage);
  return { sqs, ddb, ecs, reset, sentMessages };
}

/** What DynamoDB answers when a condition fails (the job exists, or its message was sent already). */
export const conditionFailed = () => new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
