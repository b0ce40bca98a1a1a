import { CfnElement, Duration, Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as path from 'path';
import { MaskingMode, TableTrigger, TableTriggerProps, TriggerEventName } from '../../lib';
import { parseTriggerConfig } from '../../contracts/table-trigger/rule-config';
import { expectNoNagFindings, newTestStack, templateOf } from '../helpers/cdk';
import { SSN_RULE } from './fixtures';

const ECHO_ASSET = path.join(__dirname, '..', 'fixtures', 'echo-handler');

describe('TableTrigger with built-in rules and a new table', () => {
  const stack = newTestStack('TableTriggerTest');
  const trigger = new TableTrigger(stack, 'Ssn', { rules: [SSN_RULE], alertMasking: { mode: MaskingMode.LAST_CHARACTERS, visibleCharacters: 4 } });
  const template = templateOf(stack);

  it('creates an on-demand, encrypted table with point-in-time recovery and a NEW_AND_OLD_IMAGES stream', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
      StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    });
    template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain' });
  });

  it('wires the stream with filters, partial batch responses, bisect, bounded retries and an on-failure queue', () => {
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', 1);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('SsnTable'), 'StreamArn'] },
      FunctionName: { Ref: Match.stringLikeRegexp('SsnHandlerFunction') },
      FilterCriteria: { Filters: [{ Pattern: JSON.stringify({ eventName: ['INSERT', 'MODIFY'] }) }] },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 3,
      MaximumRecordAgeInSeconds: 3600,
      BatchSize: 100,
      ParallelizationFactor: 1,
      StartingPosition: 'TRIM_HORIZON',
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [Match.stringLikeRegexp('SsnDeadLetterQueue'), 'Arn'] } } },
    });
  });

  it('keeps the on-failure queue encrypted, SSL-only and for 14 days, with an alarm', () => {
    template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 24 * 3600 });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
    // The alarm the construct exposes is the one watching its on-failure queue.
    const alarm = template.toJSON().Resources[stack.getLogicalId(trigger.deadLetterAlarm.node.defaultChild as CfnElement)];
    expect(alarm).toMatchObject({
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: stack.resolve(trigger.deadLetterQueue.queueName) }],
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      },
    });
    expect(stack.resolve(trigger.deadLetterQueue.queueName)).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/SsnDeadLetterQueue/), 'QueueName'] });
  });

  it('creates an encrypted, SSL-only alert topic', () => {
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.stringLikeRegexp('alias/aws/sns') });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: { Statement: [Match.objectLike({ Effect: 'Deny', Action: 'sns:Publish', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })] },
    });
  });

  it('grants exactly stream read on this stream, GetItem and UpdateItem on this table, Publish on this topic and SendMessage to its queue', () => {
    const policies = template.findResources('AWS::IAM::Policy', { Properties: { PolicyName: Match.stringLikeRegexp('SsnHandlerRoleDefaultPolicy') } });
    const [policy] = Object.values(policies);
    expect(policy.Properties.PolicyDocument.Statement).toEqual([
      { Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: { 'Fn::GetAtt': [expect.stringMatching(/SsnHandlerLogGroup/), 'Arn'] } },
      {
        Effect: 'Allow',
        Action: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:ListStreams'],
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/SsnTable/), 'StreamArn'] },
      },
      { Effect: 'Allow', Action: ['dynamodb:GetItem', 'dynamodb:UpdateItem'], Resource: { 'Fn::GetAtt': [expect.stringMatching(/SsnTable/), 'Arn'] } },
      { Effect: 'Allow', Action: 'sns:Publish', Resource: { Ref: expect.stringMatching(/SsnAlertTopic/) } },
      {
        Effect: 'Allow',
        Action: ['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage'],
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/SsnDeadLetterQueue/), 'Arn'] },
      },
    ]);
    // The only wildcard is X-Ray's, in its own acknowledged policy.
    const wildcards = Object.entries(template.findResources('AWS::IAM::Policy')).filter(([, p]) =>
      JSON.stringify(p.Properties.PolicyDocument).includes('"*"'),
    );
    expect(wildcards.map(([id]) => id)).toEqual([expect.stringMatching(/TracingPolicy/)]);
  });

  it('hands the handler its table, topic and the validated rule set', () => {
    const [fn] = Object.values(template.findResources('AWS::Lambda::Function'));
    const env = fn.Properties.Environment.Variables;
    expect(env.TABLE_NAME).toEqual({ Ref: expect.stringMatching(/SsnTable/) });
    expect(env.ALERT_TOPIC_ARN).toEqual({ Ref: expect.stringMatching(/SsnAlertTopic/) });
    expect(env.TABLE_STREAM_ARN).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/SsnTable/), 'StreamArn'] });
    expect(parseTriggerConfig(env.TRIGGER_CONFIG)).toEqual({
      version: 1,
      invalidValue: 'INVALID',
      rules: [
        {
          attribute: 'SocialSecurityNumber',
          formats: [
            { name: '9', pattern: '\\d{9}' },
            { name: '11', pattern: '\\d{3}-\\d{2}-\\d{4}' },
          ],
          required: false,
          matchNumbers: false,
          computedAttribute: 'SSN Format',
          masking: { mode: 'LAST_CHARACTERS', visibleCharacters: 4 },
        },
      ],
    });
    expect(env.TRIGGER_CONFIG).toBe(trigger.handlerConfiguration);
    expect(fn.Properties.Runtime).toBe(lambda.Runtime.NODEJS_24_X.name);
  });

  it('exposes its resources and metric helpers', () => {
    expect(trigger.builtInHandler?.function).toBe(trigger.function);
    expect(trigger.table).toBeInstanceOf(dynamodb.Table);
    expect(trigger.topic).toBeInstanceOf(sns.Topic);
    expect(trigger.deadLetterQueue).toBeInstanceOf(sqs.Queue);
    expect(stack.resolve(trigger.metricIteratorAge().metricName)).toBe('IteratorAge');
    expect(trigger.metricErrors().metricName).toBe('Errors');
    expect(trigger.metricAlertsPublished().metricName).toBe('NumberOfMessagesPublished');
    expect(trigger.metricDeadLetters().metricName).toBe('ApproximateNumberOfMessagesVisible');
  });

  it('matches the snapshot', () => {
    expect(template.toJSON()).toMatchSnapshot();
  });

  it('has no unacknowledged cdk-nag findings', () => {
    expectNoNagFindings(stack);
  });
});

describe('TableTrigger with your own function on an imported table', () => {
  const stack = newTestStack('OwnHandler');
  const table = dynamodb.Table.fromTableAttributes(stack, 'Existing', {
    tableName: 'Customers',
    tableStreamArn: 'arn:aws:dynamodb:us-east-1:123456789012:table/Customers/stream/2026-01-01T00:00:00.000',
  });
  const fn = new lambda.Function(stack, 'Mine', {
    runtime: lambda.Runtime.NODEJS_24_X,
    handler: 'index.handler',
    code: lambda.Code.fromAsset(ECHO_ASSET),
  });
  const topicKey = new kms.Key(stack, 'TopicKey', { enableKeyRotation: true });
  const topic = new sns.Topic(stack, 'Alerts', { masterKey: topicKey, enforceSSL: true });
  new TableTrigger(stack, 'Trigger', {
    table,
    handler: fn,
    alertTopic: topic,
    eventNames: [TriggerEventName.INSERT, TriggerEventName.MODIFY, TriggerEventName.REMOVE],
    batchSize: 10,
    retryAttempts: 1,
    maxRecordAge: Duration.minutes(5),
  });
  const template = templateOf(stack);

  it('wires your function with the same event-source defaults', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: table.tableStreamArn,
      FunctionName: { Ref: Match.stringLikeRegexp('Mine') },
      FilterCriteria: { Filters: [{ Pattern: JSON.stringify({ eventName: ['INSERT', 'MODIFY', 'REMOVE'] }) }] },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 1,
      MaximumRecordAgeInSeconds: 300,
      BatchSize: 10,
      DestinationConfig: { OnFailure: { Destination: Match.anyValue() } },
    });
    template.resourceCountIs('AWS::Lambda::Function', 1);
  });

  it('grants your function the same least privilege, including the topic key', () => {
    const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap((p) => p.Properties.PolicyDocument.Statement);
    expect(statements).toEqual([
      {
        Effect: 'Allow',
        Action: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:ListStreams'],
        Resource: table.tableStreamArn,
      },
      { Effect: 'Allow', Action: 'dynamodb:UpdateItem', Resource: 'arn:aws:dynamodb:us-east-1:123456789012:table/Customers' },
      { Effect: 'Allow', Action: 'sns:Publish', Resource: { Ref: expect.stringMatching(/Alerts/) } },
      { Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: { 'Fn::GetAtt': [expect.stringMatching(/TopicKey/), 'Arn'] } },
      { Effect: 'Allow', Action: ['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage'], Resource: { 'Fn::GetAtt': [expect.stringMatching(/DeadLetterQueue/), 'Arn'] } },
    ]);
    expect(JSON.stringify(statements)).not.toMatch(/"Resource":"\*"/);
  });
});

describe('TableTrigger prop validation', () => {
  const make = (props: TableTriggerProps, prepare?: (stack: Stack) => Partial<TableTriggerProps>) => () => {
    const stack = newTestStack();
    return new TableTrigger(stack, 'T', { ...props, ...prepare?.(stack) });
  };
  const rules = [SSN_RULE];
  const fnOf = (stack: Stack) =>
    new lambda.Function(stack, 'Fn', { runtime: lambda.Runtime.NODEJS_24_X, handler: 'index.handler', code: lambda.Code.fromAsset(ECHO_ASSET) });

  it.each<[string, TableTriggerProps, ((stack: Stack) => Partial<TableTriggerProps>) | undefined, RegExp]>([
    ['neither rules nor handler', {}, undefined, /give rules .* or handler/],
    ['both rules and handler', { rules }, (s) => ({ handler: fnOf(s) }), /either rules .* or handler .*, not both/],
    [
      'a table without a stream',
      { rules },
      (s) => ({ table: new dynamodb.Table(s, 'NoStream', { partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING } }) }),
      /has no stream\. Enable one/,
    ],
    ['an imported table without tableStreamArn', { rules }, (s) => ({ table: dynamodb.Table.fromTableName(s, 'Imp', 'Customers') }), /tableStreamArn/],
    [
      'a KEYS_ONLY stream',
      { rules },
      (s) => ({
        table: new dynamodb.Table(s, 'Keys', { partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING }, stream: dynamodb.StreamViewType.KEYS_ONLY }),
      }),
      /KEYS_ONLY, which carries no new item image/,
    ],
    [
      'a computed attribute that is a key of an existing table',
      { rules: [{ ...SSN_RULE, computedAttribute: 'id' }] },
      (s) => ({
        table: new dynamodb.Table(s, 'Tbl', { partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING }, stream: dynamodb.StreamViewType.NEW_AND_OLD_IMAGES }),
      }),
      /computedAttribute 'id' is a key attribute/,
    ],
    ['a computed attribute that is the new table key', { rules: [{ ...SSN_RULE, computedAttribute: 'pk' }] }, undefined, /'pk' is a key attribute/],
    ['a computed attribute that is validated', { rules: [SSN_RULE, { attribute: 'SSN Format', formats: [{ name: 'x', pattern: '.*' }] }] }, undefined, /also a validated attribute/],
    ['two rules writing one computed attribute', { rules: [SSN_RULE, { ...SSN_RULE, attribute: 'Other' }] }, undefined, /written by another rule/],
    ['a regular expression that does not compile', { rules: [{ ...SSN_RULE, formats: [{ name: '9', pattern: '\\d{9' }] }] }, undefined, /format '9' is not a valid JavaScript regular expression/],
    ['duplicate format names', { rules: [{ ...SSN_RULE, formats: [{ name: 'a', pattern: 'a' }, { name: 'a', pattern: 'b' }] }] }, undefined, /format name 'a' is used twice/],
    ['a rule without formats', { rules: [{ ...SSN_RULE, formats: [] }] }, undefined, /needs at least one format/],
    ['two rules for one attribute', { rules: [SSN_RULE, { ...SSN_RULE, computedAttribute: 'Other' }] }, undefined, /has more than one rule/],
    ['a format named like the invalid marker', { rules: [{ ...SSN_RULE, formats: [{ name: 'INVALID', pattern: 'x' }] }] }, undefined, /equals the invalid marker/],
    ['no rules', { rules: [] }, undefined, /at least one attribute/],
    ['REMOVE with built-in rules', { rules, eventNames: [TriggerEventName.REMOVE] }, undefined, /REMOVE is only for your own handler/],
    ['no event names', { rules, eventNames: [] }, undefined, /at least one event/],
    ['a batch size of 0', { rules, batchSize: 0 }, undefined, /`batchSize` must be a whole number from 1 to 10000/],
    ['a max record age under a minute', { rules, maxRecordAge: Duration.seconds(30) }, undefined, /`maxRecordAge` must be from 1 minute to 7 days \(got 30 seconds\)/],
    ['parallelization over 10', { rules, parallelizationFactor: 11 }, undefined, /parallelizationFactor/],
    ['too many visible characters', { rules, alertMasking: { visibleCharacters: 99 } }, undefined, /visibleCharacters must be a whole number from 0 to 16/],
    ['partitionKey with an existing table', { rules, partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING } }, (s) => ({ table: dynamodb.Table.fromTableName(s, 'I', 'x') }), /partitionKey applies only to a new table/],
    ['memorySize with your own handler', { memorySize: 512 }, (s) => ({ handler: fnOf(s) }), /memorySize configures the built-in handler/],
    [
      'a topic key with an existing topic',
      { rules },
      (s) => ({ alertTopic: new sns.Topic(s, 'Given'), alertTopicKey: new kms.Key(s, 'K') }),
      /alertTopicKey applies only to a new topic/,
    ],
    ['an empty invalid marker', { rules, invalidValue: '' }, undefined, /invalidValue must not be empty/],
    [
      'a table whose stream is in another region',
      { rules },
      (s) => ({ table: dynamodb.Table.fromTableAttributes(s, 'I', { tableName: 't', tableStreamArn: 'arn:aws:dynamodb:eu-west-1:123456789012:table/t/stream/2026-01-01T00:00:00.000' }) }),
      /`table` \(arn:aws:dynamodb:eu-west-1:.*\) is in eu-west-1, but stack TestStack deploys to us-east-1/,
    ],
    ['an on-failure queue in another region', { rules }, (s) => ({ deadLetterQueue: sqs.Queue.fromQueueArn(s, 'Q', 'arn:aws:sqs:eu-west-1:123456789012:f') }), /`deadLetterQueue` .* is in eu-west-1/],
    [
      'an imported handler without a role',
      {},
      (s) => ({ handler: lambda.Function.fromFunctionArn(s, 'H', 'arn:aws:lambda:us-east-1:123456789012:function:f') }),
      /handler .* has no role .*fromFunctionAttributes/,
    ],
    [
      'a rule set too large for the Lambda environment',
      { rules: Array.from({ length: 30 }, (_, i) => ({ ...SSN_RULE, attribute: `Attribute${i}`, computedAttribute: `Computed${i}` })) },
      undefined,
      /serialize to \d+ bytes, more than the 3072 bytes/,
    ],
  ])('rejects %s', (_name, props, prepare, message) => {
    expect(make(props, prepare)).toThrow(message);
  });

  it('lists every problem at once', () => {
    expect(make({ rules, batchSize: 0, retryAttempts: -1 })).toThrow(/batchSize[\s\S]*retryAttempts/);
  });
});
