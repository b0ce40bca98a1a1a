// TableTrigger with the user's own resources and tokens. One entry per situation; add new props here.
import { CfnParameter, Duration, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { TableTrigger, TableTriggerProps, ValidationRule } from 'cdk-compute-patterns';
import { AppKind, ENV, errorNaming, inOneStack, OTHER_REGION, ResourceUse, Situation, SituationOptions, UserApp } from '../harness';

const RULES: ValidationRule[] = [{ attribute: 'ssn', formats: [{ name: '9', pattern: '\\d{9}' }], computedAttribute: 'ssnFormat' }];
const streamArn = (region: string) => `arn:aws:dynamodb:${region}:${ENV.account}:table/people/stream/2026-01-01T00:00:00.000`;
const queueArn = (region: string) => `arn:aws:sqs:${region}:${ENV.account}:trigger-failures`;
const FUNCTION_ARN = `arn:aws:lambda:${ENV.region}:${ENV.account}:function:people-trigger`;
/** The user's resources of `type` are the only ones: `count` of them, each string of `referenced` in the template. */
const uses = (type: string, count: number, ...referenced: string[]): ResourceUse => ({ type, count, referenced });
const TABLE = 'AWS::DynamoDB::Table';

/** A situation: what the user brings to a TableTrigger (the built-in rules unless they bring a handler). */
const trigger = (name: string, props: (user: UserApp, stack: Stack) => Partial<TableTriggerProps>, options?: SituationOptions): Situation =>
  inOneStack(
    `TableTrigger: ${name}`,
    (user, stack) => {
      const given = props(user, stack);
      new TableTrigger(stack, 'People', (given.handler ? given : { rules: RULES, ...given }) as TableTriggerProps);
    },
    options,
  );

const importedTable = (stack: Stack, region = ENV.region) =>
  dynamodb.Table.fromTableAttributes(stack, 'Table', { tableName: 'people', tableStreamArn: streamArn(region) });

export const TABLE_TRIGGER_SITUATIONS: Situation[] = [
  trigger("the user's table with a stream", (user, stack) => ({
    table: user.own(
      new dynamodb.Table(stack, 'Table', {
        partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
        stream: dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      }),
    ),
  }), { uses: [uses(TABLE, 1)] }),
  trigger("the user's KMS-encrypted table", (user, stack) => ({
    table: user.own(
      new dynamodb.Table(stack, 'Table', {
        partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
        stream: dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
        encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
        encryptionKey: user.own(new kms.Key(stack, 'TableKey', { enableKeyRotation: true })),
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      }),
    ),
  }), { uses: [uses(TABLE, 1)] }),
  trigger('table from Table.fromTableAttributes with its stream', (_u, stack) => ({ table: importedTable(stack) }), { uses: [uses(TABLE, 0, streamArn(ENV.region))] }),
  trigger('table from Table.fromTableAttributes with its stream, new App()', (_u, stack) => ({ table: importedTable(stack) }), {
    app: AppKind.PLAIN,
    uses: [uses(TABLE, 0, streamArn(ENV.region))],
  }),
  trigger(`table whose stream is in another region (${OTHER_REGION})`, (_u, stack) => ({ table: importedTable(stack, OTHER_REGION) }), {
    expect: errorNaming('table', new RegExp(`${OTHER_REGION}.*${ENV.region}|${ENV.region}.*${OTHER_REGION}`)),
  }),
  trigger('deadLetterQueue from Queue.fromQueueArn', (_u, stack) => ({ deadLetterQueue: sqs.Queue.fromQueueArn(stack, 'Failures', queueArn(ENV.region)) }), {
    uses: [uses('AWS::SQS::Queue', 0, queueArn(ENV.region))],
  }),
  trigger(`deadLetterQueue in another region (${OTHER_REGION})`, (_u, stack) => ({ deadLetterQueue: sqs.Queue.fromQueueArn(stack, 'Failures', queueArn(OTHER_REGION)) }), {
    expect: errorNaming('deadLetterQueue', new RegExp(`${OTHER_REGION}.*${ENV.region}|${ENV.region}.*${OTHER_REGION}`)),
  }),
  trigger('alertTopic from Topic.fromTopicArn', (_u, stack) => ({
    alertTopic: sns.Topic.fromTopicArn(stack, 'Alerts', `arn:aws:sns:${ENV.region}:${ENV.account}:alerts`),
  }), { uses: [uses('AWS::SNS::Topic', 0, `arn:aws:sns:${ENV.region}:${ENV.account}:alerts`)] }),
  trigger("the user's own handler function", (user, stack) => ({
    handler: user.own(
      new lambda.Function(stack, 'MyHandler', {
        runtime: lambda.Runtime.NODEJS_22_X,
        handler: 'index.handler',
        code: lambda.Code.fromInline('exports.handler = async () => ({ batchItemFailures: [] });'),
      }),
    ),
  }), { uses: [uses('AWS::Lambda::Function', 1)] }),
  trigger('handler imported with Function.fromFunctionAttributes and its role', (_u, stack) => ({
    handler: lambda.Function.fromFunctionAttributes(stack, 'Handler', {
      functionArn: FUNCTION_ARN,
      role: iam.Role.fromRoleArn(stack, 'HandlerRole', `arn:aws:iam::${ENV.account}:role/people-trigger`),
    }),
  }), { uses: [uses('AWS::Lambda::Function', 0, '"FunctionName":"people-trigger"')] }),
  trigger(
    'handler imported with Function.fromFunctionArn (no role to grant stream access to)',
    (_u, stack) => ({ handler: lambda.Function.fromFunctionArn(stack, 'Handler', `arn:aws:lambda:${ENV.region}:${ENV.account}:function:people-trigger`) }),
    { expect: errorNaming('handler', /fromFunctionAttributes|role/) },
  ),
  trigger('batchSize and parallelizationFactor from CfnParameters', (_u, stack) => ({
    batchSize: new CfnParameter(stack, 'BatchSize', { type: 'Number', default: 100 }).valueAsNumber,
    parallelizationFactor: new CfnParameter(stack, 'Parallel', { type: 'Number', default: 1 }).valueAsNumber,
  })),
  trigger('triggerFunctionProps', () => ({ triggerFunctionProps: { memorySize: 512, timeout: Duration.seconds(60), environment: { POWERTOOLS_LOG_LEVEL: 'DEBUG' } } })),
];
