/**
 * The harness's ports on AWS: Lambda Invoke (sync and Event), the results table through the DynamoDB
 * document client, EMF metrics through Powertools. Clients are created once per execution environment,
 * after the environment is read, so AWS_ENDPOINT_URL_LAMBDA / _DYNAMODB reach them (local stand-ins).
 */
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, QueryCommandOutput, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { randomUUID } from 'crypto';
import type { Context } from 'aws-lambda';
import type { HarnessConfig } from '../../contracts/lambda-test-harness/config';
import type { HarnessPorts } from './harness';

let clients: { lambda: LambdaClient; documents: DynamoDBDocumentClient } | undefined;

function awsClients() {
  clients ??= {
    lambda: new LambdaClient({}),
    documents: DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } }),
  };
  return clients;
}

/** Sorted, time-prefixed run ids: runs of a test list in the order they started. */
export const newRunId = (now = Date.now()) => `${new Date(now).toISOString().replace(/[-:.]/g, '')}-${randomUUID().slice(0, 8)}`;

export function awsPorts(config: HarnessConfig, metrics: Metrics, context?: Context): HarnessPorts {
  const { lambda, documents } = awsClients();
  const TableName = config.resultsTable;
  const selfArn = context?.invokedFunctionArn ?? process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'unknown';
  return {
    config,
    selfArn,
    invokeSync: async (functionName, payload) => {
      const answer = await lambda.send(new InvokeCommand({ FunctionName: functionName, InvocationType: 'RequestResponse', Payload: Buffer.from(payload) }));
      return {
        statusCode: answer.StatusCode,
        ...(answer.FunctionError ? { functionError: answer.FunctionError } : {}),
        payload: answer.Payload ? Buffer.from(answer.Payload).toString('utf8') : '',
      };
    },
    invokeAsync: async (functionName, payload) => {
      await lambda.send(new InvokeCommand({ FunctionName: functionName, InvocationType: 'Event', Payload: Buffer.from(payload) }));
    },
    put: async (item) => {
      await documents.send(new PutCommand({ TableName, Item: item }));
    },
    get: async (key) => (await documents.send(new GetCommand({ TableName, Key: key, ConsistentRead: true }))).Item,
    addPending: async (key, delta) => {
      const out = await documents.send(
        new UpdateCommand({ TableName, Key: key, UpdateExpression: 'ADD pending :d', ExpressionAttributeValues: { ':d': delta }, ReturnValues: 'UPDATED_NEW' }),
      );
      return Number(out.Attributes?.pending ?? 0);
    },
    requestStop: async (key) => {
      try {
        await documents.send(
          new UpdateCommand({ TableName, Key: key, UpdateExpression: 'SET stopRequested = :t', ConditionExpression: 'attribute_exists(sk)', ExpressionAttributeValues: { ':t': true } }),
        );
        return true;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException || (error as Error).name === 'ConditionalCheckFailedException') return false;
        throw error;
      }
    },
    query: async (testId, prefix) => {
      const items: Record<string, any>[] = [];
      let start: QueryCommandOutput['LastEvaluatedKey'];
      do {
        const page: QueryCommandOutput = await documents.send(
          new QueryCommand({
            TableName,
            KeyConditionExpression: 'testId = :t AND begins_with(sk, :p)',
            ExpressionAttributeValues: { ':t': testId, ':p': prefix },
            ConsistentRead: true,
            ExclusiveStartKey: start,
          }),
        );
        items.push(...(page.Items ?? []));
        start = page.LastEvaluatedKey;
      } while (start);
      return items;
    },
    metric: (name, unit, value) => metrics.addMetric(name, unit === 'Count' ? MetricUnit.Count : MetricUnit.Milliseconds, value),
    now: () => Date.now(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    remainingMs: () => (context?.getRemainingTimeInMillis ? context.getRemainingTimeInMillis() : undefined),
    newRunId: () => newRunId(),
  };
}
