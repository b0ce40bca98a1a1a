// LambdaTestHarness in users' apps: their table, several harnesses in one stack, a function of another stack,
// an imported function, a deploy gate, tokens. One entry per situation.
import { CfnParameter, Duration, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { LambdaTestHarness } from 'cdk-compute-patterns';
import { AppKind, ENV, errorNaming, inOneStack, Situation, UserApp } from '../harness';

/** A function of the user's (their findings are theirs). */
const usersFunction = (user: UserApp, stack: Stack, id = 'UnderTest') =>
  user.own(
    new lambda.Function(stack, id, {
      runtime: lambda.Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async (e) => ({ statusCode: 200, body: JSON.stringify(e) });'),
    }),
  );

const resultsTable = (user: UserApp, stack: Stack, encryptionKey?: kms.IKey) =>
  user.own(
    new dynamodb.Table(stack, 'Results', {
      partitionKey: { name: 'testId', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      timeToLiveAttribute: 'expiresAt',
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      ...(encryptionKey ? { encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED, encryptionKey } : {}),
    }),
  );

export const LAMBDA_TEST_HARNESS_SITUATIONS: Situation[] = [
  inOneStack("LambdaTestHarness: the user's results table", (user, stack) => {
    new LambdaTestHarness(stack, 'Tests', { functions: [usersFunction(user, stack)], table: resultsTable(user, stack) });
  }),
  inOneStack("LambdaTestHarness: the user's KMS-encrypted results table", (user, stack) => {
    const key = user.own(new kms.Key(stack, 'Key', { enableKeyRotation: true }));
    new LambdaTestHarness(stack, 'Tests', { functions: [usersFunction(user, stack)], table: resultsTable(user, stack, key) });
  }),
  inOneStack('LambdaTestHarness: results table from Table.fromTableName', (user, stack) => {
    new LambdaTestHarness(stack, 'Tests', { functions: [usersFunction(user, stack)], table: dynamodb.Table.fromTableName(stack, 'Results', 'test-results') });
  }),
  inOneStack("LambdaTestHarness: a table with the wrong keys", (user, stack) => {
    const table = user.own(new dynamodb.Table(stack, 'Results', { partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING } }));
    new LambdaTestHarness(stack, 'Tests', { functions: [usersFunction(user, stack)], table });
  }, { expect: errorNaming('table', /partition key 'testId' and sort key 'sk'/) }),
  inOneStack('LambdaTestHarness: several harnesses in one stack, each with a gate', (user, stack) => {
    const fn = usersFunction(user, stack);
    for (const id of ['Smoke', 'Load']) {
      new LambdaTestHarness(stack, id, {
        functions: [fn],
        allowedHosts: ['api.example.com'],
        deployGate: { testId: `${id.toLowerCase()}-gate`, tests: [{ target: fn, payload: { ping: 1 }, expectedJson: [{ path: '$.body', contains: 'ping' }] }] },
      });
    }
  }),
  inOneStack('LambdaTestHarness: new App() with a gate and a monitoring schedule', (user, stack) => {
    const fn = usersFunction(user, stack);
    new LambdaTestHarness(stack, 'Tests', {
      functions: [fn],
      deployGate: { testId: 'gate', tests: [{ target: fn, maxLatency: Duration.seconds(2) }], monitoringSchedule: events.Schedule.rate(Duration.minutes(15)) },
    });
  }, { app: AppKind.PLAIN }),
  {
    name: 'LambdaTestHarness: a function of another stack',
    build: (user) => {
      const apiStack = user.stack('Api', { env: ENV });
      const testStack = user.stack('Tests', { env: ENV });
      const fn = usersFunction(user, apiStack);
      new LambdaTestHarness(testStack, 'Tests', { functions: [fn], deployGate: { testId: 'gate', tests: [{ target: fn }], executeAfter: [fn] } });
    },
  },
  inOneStack('LambdaTestHarness: a function from Function.fromFunctionArn', (_u, stack) => {
    new LambdaTestHarness(stack, 'Tests', { functions: [lambda.Function.fromFunctionArn(stack, 'Fn', `arn:aws:lambda:${ENV.region}:${ENV.account}:function:orders`)] });
  }),
  inOneStack('LambdaTestHarness: hosts and caps from CfnParameters', (_u, stack) => {
    new LambdaTestHarness(stack, 'Tests', {
      allowedHosts: [new CfnParameter(stack, 'Host').valueAsString],
      maxRate: new CfnParameter(stack, 'MaxRate', { type: 'Number' }).valueAsNumber,
    });
  }),
  inOneStack('LambdaTestHarness: an allowed host with a scheme', (_u, stack) => {
    new LambdaTestHarness(stack, 'Tests', { allowedHosts: ['https://api.example.com'] });
  }, { expect: errorNaming('allowedHosts', /lower-case host name/) }),
];
