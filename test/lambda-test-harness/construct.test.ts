import { CfnParameter, Duration, Size, Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as path from 'path';
import { Construct } from 'constructs';
import { LambdaTestHarness, LambdaTestHarnessProps, NagAcknowledgements } from '../../lib';
import { HARNESS_ENV, INVOKER_ENV } from '../../contracts/lambda-test-harness/config';
import { parseSuite } from '../../contracts/lambda-test-harness/events';
import { expectNoNagFindings, newTestStack, templateOf } from '../helpers/cdk';

const ECHO_ASSET = path.join(__dirname, '..', 'fixtures', 'echo-handler');
/** A function under test: the user's, so its own findings (the basic execution role) are the user's to acknowledge. */
const echo = (stack: Stack, id: string) => {
  const fn = new lambda.Function(stack, id, { runtime: lambda.Runtime.NODEJS_24_X, handler: 'index.handler', code: lambda.Code.fromAsset(ECHO_ASSET) });
  NagAcknowledgements.acknowledge(fn, {
    id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    reason: "The test's function under test is the user's, outside the harness; its role is not the harness's concern.",
  });
  return fn;
};

describe('LambdaTestHarness with functions, an HTTPS invoker, a gate and monitoring', () => {
  const stack = newTestStack('HarnessTest');
  const underTest = echo(stack, 'UnderTest');
  const other = lambda.Function.fromFunctionArn(stack, 'Other', 'arn:aws:lambda:us-east-1:123456789012:function:other');
  const harness = new LambdaTestHarness(stack, 'Tests', {
    functions: [underTest, other],
    allowedHosts: ['api.example.com', '*.execute-api.us-east-1.amazonaws.com'],
    deployGate: {
      testId: 'gate',
      tests: [
        { name: 'echo', target: underTest, payload: { ping: 1 }, expectedJson: [{ path: '$.ping', equalTo: 1 }] },
        { name: 'https', https: { host: 'api.example.com', path: '/prod/', data: { operation: 'ping' } }, expectedStatusCode: 200, maxLatency: Duration.millis(1500) },
      ],
      monitoringSchedule: events.Schedule.rate(Duration.hours(1)),
    },
  });
  const template = templateOf(stack);
  const envOf = (fn: lambda.Function) => template.toJSON().Resources[stack.getLogicalId(fn.node.defaultChild as lambda.CfnFunction)].Properties.Environment.Variables;

  it('creates an on-demand, encrypted results table with testId/sk keys, TTL and point-in-time recovery, retained', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: 'testId', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
    });
    template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain' });
  });

  it('lets the harness and the gate invoke exactly the given functions (no qualifier wildcard) and write only their table', () => {
    const arn = (fn: lambda.IFunction) => stack.resolve(fn.functionArn);
    const table = stack.resolve(harness.table.tableArn);
    const statementsOf = (policy: { node: { defaultChild?: unknown } }) =>
      stack.resolve((policy.node.defaultChild as any).policyDocument).Statement;
    const [invoke, items] = statementsOf(harness.harnessPolicy);
    expect(invoke).toEqual({ Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: expect.any(Array) });
    expect(invoke.Resource).toHaveLength(4);
    expect(invoke.Resource).toEqual(expect.arrayContaining([arn(underTest), arn(other), arn(harness.invokerFunction!), arn(harness.harnessFunction)]));
    expect(items).toEqual({ Effect: 'Allow', Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'], Resource: table });
    expect(JSON.stringify(template.findResources('AWS::IAM::Policy'))).not.toMatch(/lambda:InvokeFunction[^\]]*:\*/);
    const gatePolicy = Object.values(template.findResources('AWS::IAM::Policy', { Properties: { PolicyName: Match.stringLikeRegexp('TestsGatePolicy') } }))[0];
    const gateResources = gatePolicy.Properties.PolicyDocument.Statement[0].Resource;
    expect(gateResources).toHaveLength(3);
    expect(gateResources).toEqual(expect.arrayContaining([arn(underTest), arn(other), arn(harness.invokerFunction!)]));
  });

  it('hands each function its contract: the table, the allowed ARNs, the caps; the invoker its hosts, and never the test-only hatch', () => {
    const harnessEnv = envOf(harness.harnessFunction);
    expect(harnessEnv[HARNESS_ENV.resultsTable]).toEqual(stack.resolve(harness.table.tableName));
    expect(JSON.parse(harnessEnv[HARNESS_ENV.limits])).toMatchObject({ maxIterations: 1000, maxRate: 100, ratePerWorker: 50 });
    const invokerEnv = envOf(harness.invokerFunction!);
    expect(JSON.parse(invokerEnv[INVOKER_ENV.allowedHosts])).toEqual(['api.example.com', '*.execute-api.us-east-1.amazonaws.com']);
    expect(invokerEnv[INVOKER_ENV.timeoutMs]).toBe('10000');
    expect(JSON.stringify(template.toJSON())).not.toContain(INVOKER_ENV.testOnlyAllowLoopback);
  });

  it("gives the gate a suite its own parser accepts, with the invoker's event for an HTTPS test", () => {
    const suiteJson = envOf(harness.gateFunction!)[HARNESS_ENV.suite];
    const text = JSON.stringify(suiteJson).replace(/\\+"/g, '"');
    expect(text).toContain('"operation":"ping"');
    expect(text).toContain('"maxLatencyMs":1500');
  });

  it('runs the gate as a trigger after the functions under test, and on the monitoring schedule without retries', () => {
    template.hasResourceProperties('Custom::Trigger', { HandlerArn: Match.anyValue(), InvocationType: 'RequestResponse' });
    const trigger = Object.values(template.findResources('Custom::Trigger'))[0];
    expect(trigger.DependsOn).toEqual(expect.arrayContaining([stack.getLogicalId(underTest.node.defaultChild as lambda.CfnFunction)]));
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(1 hour)', Targets: [Match.objectLike({ Input: '{"mode":"monitor"}', RetryPolicy: { MaximumRetryAttempts: 0 } })] });
    template.resourcePropertiesCountIs('AWS::Lambda::EventInvokeConfig', { MaximumRetryAttempts: 0 }, 2);
  });

  it('alarms on failed tests, harness errors and throttles, invoker throttles and gate errors, lists them all in alarms, and has a dashboard', () => {
    const ids = (alarms: readonly unknown[]) => alarms.map((alarm) => (alarm as { node: { id: string } }).node.id);
    expect(ids(harness.alarms)).toEqual(['TestFailureAlarm', 'HarnessErrorAlarm', 'HarnessThrottleAlarm', 'InvokerThrottleAlarm', 'GateErrorAlarm']);
    expect(ids([harness.testFailureAlarm, harness.harnessErrorAlarm, harness.harnessThrottleAlarm, harness.invokerThrottleAlarm!, harness.gateErrorAlarm!])).toEqual(ids(harness.alarms));
    template.resourceCountIs('AWS::CloudWatch::Alarm', 5);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'CdkComputePatterns/LambdaTestHarness',
      MetricName: 'TestsFailed',
      Dimensions: [{ Name: 'service', Value: harness.serviceName }],
      Threshold: 1,
    });
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  });

  it('has no cdk-nag findings', () => {
    expectNoNagFindings(stack);
  });

  it('matches the snapshot', () => {
    expect(template.toJSON()).toMatchSnapshot();
  });
});

describe('LambdaTestHarness with your table', () => {
  it('uses it, checks its keys, and creates no table', () => {
    const stack = newTestStack('Byo');
    const table = new dynamodb.Table(stack, 'Mine', {
      partitionKey: { name: 'testId', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
    });
    const harness = new LambdaTestHarness(stack, 'Tests', { functions: [echo(stack, 'F')], table });
    expect(harness.table).toBe(table);
    templateOf(stack).resourceCountIs('AWS::DynamoDB::Table', 1);
    const wrong = new dynamodb.Table(stack, 'Wrong', { partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING } });
    expect(() => new LambdaTestHarness(stack, 'Bad', { functions: [echo(stack, 'G')], table: wrong })).toThrow(
      "`table` must have partition key 'testId' and sort key 'sk', both strings (got pk HASH)",
    );
  });
});

describe('LambdaTestHarness alarms without an invoker or a gate', () => {
  it('makes only the alarms of what it created, and refuses alarmOverrides for the others', () => {
    const stack = newTestStack('Plain');
    const harness = new LambdaTestHarness(stack, 'Tests', { functions: [echo(stack, 'F')], dashboard: false });
    expect(harness.alarms.map((alarm) => (alarm as { node: { id: string } }).node.id)).toEqual(['TestFailureAlarm', 'HarnessErrorAlarm', 'HarnessThrottleAlarm']);
    expect(harness.invokerThrottleAlarm).toBeUndefined();
    expect(harness.gateErrorAlarm).toBeUndefined();
    expect(() => new LambdaTestHarness(stack, 'Other', { functions: [echo(stack, 'G')], alarmOverrides: { GateErrorAlarm: { threshold: 2 } } })).toThrow(
      "LambdaTestHarness 'Plain/Other': `alarmOverrides` names no alarm of this construct: GateErrorAlarm (its alarms: TestFailureAlarm, HarnessErrorAlarm, HarnessThrottleAlarm)",
    );
  });

  it('returns the default test-failure alarm when addTestFailureAlarm() is called again as before', () => {
    const stack = newTestStack('Again');
    const harness = new LambdaTestHarness(stack, 'Tests', { functions: [echo(stack, 'F')], dashboard: false });
    expect(harness.addTestFailureAlarm()).toBe(harness.testFailureAlarm);
    expect(() => harness.addTestFailureAlarm('TestFailureAlarm', { threshold: 3 })).toThrow(/alarmOverrides: \{ TestFailureAlarm/);
  });
});

describe('LambdaTestHarness under a very deep construct path', () => {
  it('cuts its descriptions to AWS limits (alarms name the path, the gate its suite)', () => {
    const stack = newTestStack('Deep');
    let scope: Construct = stack;
    for (let i = 0; i < 20; i++) scope = new Construct(scope, `AVeryLongConstructIdThatUsersReallyWrite${String(i).padStart(2, '0')}`);
    new LambdaTestHarness(scope, 'Tests', {
      allowedHosts: ['api.example.com'],
      deployGate: { testId: 't'.repeat(128), tests: [{ https: { host: 'api.example.com', path: '/' } }], monitoringSchedule: events.Schedule.rate(Duration.hours(1)) },
    });
    const resources = Object.values(templateOf(stack).toJSON().Resources) as Array<{ Type: string; Properties: { Description?: string; AlarmDescription?: string } }>;
    const alarms = resources.filter((r) => r.Type === 'AWS::CloudWatch::Alarm').map((r) => r.Properties.AlarmDescription ?? '');
    const functions = resources.filter((r) => r.Type === 'AWS::Lambda::Function').map((r) => r.Properties.Description ?? '');
    expect(alarms).toHaveLength(5);
    expect(alarms.filter((d) => d.length > 1024)).toEqual([]);
    expect(alarms.some((d) => d.endsWith('...'))).toBe(true);
    expect(functions.filter((d) => d.length > 256)).toEqual([]);
  });
});

describe('LambdaTestHarness props validation', () => {
  const make = (props: (stack: Stack) => LambdaTestHarnessProps) => () => {
    const stack = newTestStack();
    return new LambdaTestHarness(stack, 'H', props(stack));
  };

  it.each<[string, (stack: Stack) => LambdaTestHarnessProps, string]>([
    ['neither functions nor hosts', () => ({}), 'give `functions` (the functions the harness may invoke) and/or `allowedHosts`'],
    ['a URL as a host', () => ({ allowedHosts: ['https://api.example.com'] }), "allowed host 'https://api.example.com' must be a lower-case host name"],
    ['a rate beyond the bound', () => ({ allowedHosts: ['a.example.com'], maxRate: 20000 }), '`maxRate` must be a whole number from 1 to 10000 (got 20000)'],
    ['a fractional duration', () => ({ allowedHosts: ['a.example.com'], maxDuration: Duration.millis(1500) }), '`maxDuration` must be a whole number of seconds'],
    ['a huge response bound', () => ({ allowedHosts: ['a.example.com'], maxResponseSize: Size.mebibytes(10) }), '`maxResponseSize` must be from 1 to 5000000 bytes'],
    [
      'a gate test of a function the harness may not invoke',
      (stack) => ({ allowedHosts: ['a.example.com'], deployGate: { testId: 'g', tests: [{ target: echo(stack, 'X') }] } }),
      '`deployGate.tests[0]`.target TestStack/X is not among `functions`',
    ],
    ['a reserved environment variable', () => ({ allowedHosts: ['a.example.com'], harnessFunctionProps: { environment: { HARNESS_LIMITS: '{}' } } }), 'must not set HARNESS_LIMITS'],
  ])('refuses %s', (_, props, message) => {
    expect(make(props)).toThrow(message);
  });

  it('lists every problem at once', () => {
    expect(make(() => ({ allowedHosts: ['A B'], maxIterations: 0, ratePerWorker: 0 }))).toThrow(/allowedHosts[\s\S]*maxIterations[\s\S]*ratePerWorker/);
  });

  it('accepts tokens', () => {
    expect(
      make((stack) => ({ allowedHosts: [new CfnParameter(stack, 'Host').valueAsString], maxRate: new CfnParameter(stack, 'Rate', { type: 'Number' }).valueAsNumber })),
    ).not.toThrow();
  });
});

describe('the suite parser at synth', () => {
  it('is the handler parser', () => {
    expect(() => parseSuite({ testId: 'g', tests: [] })).toThrow('tests must list 1 to 100 unit test events');
  });
});
