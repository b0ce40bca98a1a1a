import { Duration, Names, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as triggers from 'aws-cdk-lib/triggers';
import { Construct } from 'constructs';
import { PrebundledFunction } from '../core';
import { AlarmOverrides } from '../core/alarm-overrides';
import { withFunctionOptions } from '../core/builders';
import { HARNESS_ENV, HARNESS_METRIC_NAMESPACE, HARNESS_METRICS, INVOKER_ENV } from '../../contracts/lambda-test-harness/config';
import { parseSuite, TestSuite } from '../../contracts/lambda-test-harness/events';
import { RESULTS_TABLE_KEY, RESULTS_TTL_ATTRIBUTE } from '../../contracts/lambda-test-harness/results';
import { acknowledgeTriggerProvider, grantHarnessRights } from './permissions';
import { DeployGateOptions, LambdaTestHarnessProps, UnitTestDefinition } from './props';
import { ResolvedHarnessSettings, validateProps } from './validation';

const PATTERN = 'lambda-test-harness';

/**
 * "A Simple Serverless Test Harness using AWS Lambda", as a construct: a harness function that runs unit
 * tests (invoke a function, judge the answer, record it in DynamoDB) and load tests (by count, as the
 * original, or by rate with ramp phases fanned out over invocations, stoppable within seconds), an HTTPS
 * invoker that reaches only allow-listed public endpoints, a deploy gate (aws-cdk-lib `triggers`) that fails
 * the deployment when a test fails, a monitoring schedule with an alarm, EMF metrics and a dashboard.
 */
export class LambdaTestHarness extends Construct {
  /** The results table (created or given). */
  public readonly table: dynamodb.ITable;
  /** The harness function: send it the original unit and load events (and load by rate, stop, suite). */
  public readonly harnessFunction: lambda.Function;
  /** The HTTPS invoker, with `allowedHosts`. */
  public readonly invokerFunction?: lambda.Function;
  /** The gate function that runs `deployGate`'s suite, with `deployGate`. */
  public readonly gateFunction?: lambda.Function;
  /** The deploy-time trigger that runs the gate, with `deployGate` (unless runOnDeploy is false). */
  public readonly gateTrigger?: triggers.Trigger;
  /** The monitoring schedule, with `deployGate.monitoringSchedule`. */
  public readonly monitoringRule?: events.Rule;
  /** The policy granting invoke on the tested functions and writes to the table. */
  public readonly harnessPolicy: iam.Policy;
  /** Fires when a test fails (unit, suite, gate or monitoring run). */
  public readonly testFailureAlarm: cloudwatch.Alarm;
  /** Every alarm this construct created. */
  public readonly alarms: cloudwatch.IAlarm[] = [];
  /** Tests, latency, load and function health in one place. */
  public readonly dashboard: cloudwatch.Dashboard;
  /** The `service` dimension of the harness's metrics. */
  public readonly serviceName: string;
  private readonly settings: ResolvedHarnessSettings;

  constructor(scope: Construct, id: string, props: LambdaTestHarnessProps) {
    super(scope, id);
    this.settings = validateProps(this, props);
    this.serviceName = props.serviceName ?? Names.uniqueResourceName(this, { maxLength: 64 });
    this.table = props.table ?? this.createTable(props.removalPolicy);
    const functions = [...(props.functions ?? [])];
    const hosts = props.allowedHosts ?? [];
    const stack = Stack.of(this);

    if (hosts.length > 0) {
      const invokerTimeout = Duration.millis(this.settings.invokerTimeoutMs);
      this.invokerFunction = new PrebundledFunction(
        this,
        'Invoker',
        withFunctionOptions(
          {
            assetName: PATTERN,
            role: 'invoker',
            description: 'LambdaTestHarness HTTPS invoker: calls allow-listed public HTTPS endpoints only, bounded in time and size',
            timeout: Duration.seconds(Math.ceil(invokerTimeout.toSeconds()) + 5),
            logEncryptionKey: props.logEncryptionKey,
            environment: {
              POWERTOOLS_SERVICE_NAME: this.serviceName,
              [INVOKER_ENV.allowedHosts]: stack.toJsonString(hosts),
              [INVOKER_ENV.timeoutMs]: String(this.settings.invokerTimeoutMs),
              [INVOKER_ENV.maxResponseBytes]: String(this.settings.maxResponseBytes),
            },
          },
          props.invokerFunctionProps,
        ),
      ).function;
      functions.push(this.invokerFunction);
    }

    const harnessEnvironment = {
      POWERTOOLS_SERVICE_NAME: this.serviceName,
      [HARNESS_ENV.resultsTable]: this.table.tableName,
      [HARNESS_ENV.allowedFunctions]: stack.toJsonString(functions.map((f) => f.functionArn)),
      [HARNESS_ENV.limits]: JSON.stringify(this.settings.limits),
      [HARNESS_ENV.resultTtlDays]: String(this.settings.resultTtlDays),
    };
    const harness = new PrebundledFunction(
      this,
      'Harness',
      withFunctionOptions(
        {
          assetName: PATTERN,
          description: 'LambdaTestHarness: unit and load tests of the given functions, results in DynamoDB',
          memorySize: 512,
          // A load worker's slice (at most 13 minutes) plus its wind-down.
          timeout: Duration.minutes(15),
          environment: harnessEnvironment,
          logEncryptionKey: props.logEncryptionKey,
        },
        props.harnessFunctionProps,
      ),
    );
    this.harnessFunction = harness.function;
    // A failed load worker must not be retried: a retry would send its arrivals a second time.
    this.harnessFunction.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: Duration.hours(1) });
    this.harnessPolicy = grantHarnessRights(this, 'HarnessPolicy', harness.role, [...functions, this.harnessFunction], this.table);

    this.testFailureAlarm = this.addTestFailureAlarm();
    if (props.deployGate) this.createGate(props.deployGate, functions, harnessEnvironment, props);
    this.dashboard = this.createDashboard();
  }

  private createTable(removalPolicy: RemovalPolicy | undefined): dynamodb.Table {
    return new dynamodb.Table(this, 'Results', {
      partitionKey: { name: RESULTS_TABLE_KEY.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: RESULTS_TABLE_KEY.sortKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: RESULTS_TTL_ATTRIBUTE,
      removalPolicy: removalPolicy ?? RemovalPolicy.RETAIN,
    });
  }

  /** The suite as the gate reads it (function ARNs and the invoker's events as tokens). */
  private suiteOf(gate: DeployGateOptions): TestSuite {
    const tests = gate.tests.map((test: UnitTestDefinition, i) => {
      const fn = test.https ? this.invokerFunction! : test.target!;
      const event = test.https
        ? { options: { host: test.https.host, path: test.https.path, method: test.https.method ?? 'POST' }, ...(test.https.data !== undefined ? { data: test.https.data } : {}) }
        : (test.payload ?? {});
      const expect = {
        ...(test.expectedStatusCode !== undefined ? { statusCode: test.expectedStatusCode } : {}),
        ...(test.expectedJson ? { json: test.expectedJson.map((j) => ({ path: j.path, ...(j.equalTo !== undefined ? { equals: j.equalTo } : { contains: j.contains }) })) } : {}),
        ...(test.maxLatency ? { maxLatencyMs: test.maxLatency.toMilliseconds() } : {}),
      };
      return {
        operation: 'unit' as const,
        function: fn.functionArn,
        testId: gate.testId,
        event,
        ...(Object.keys(expect).length > 0 ? { expect } : {}),
        includeResponse: false,
        ...(test.name ? { name: test.name } : { name: `test ${i + 1}` }),
      };
    });
    // The handler's own parser, at synth: a gate that synthesizes is one the gate function accepts.
    parseSuite({ testId: gate.testId, tests });
    return { testId: gate.testId, tests };
  }

  private createGate(gate: DeployGateOptions, functions: lambda.IFunction[], harnessEnvironment: Record<string, string>, props: LambdaTestHarnessProps): void {
    const suite = this.suiteOf(gate);
    const timeout = props.gateFunctionProps?.timeout ?? Duration.minutes(5);
    const gateFn = new PrebundledFunction(
      this,
      'Gate',
      withFunctionOptions(
        {
          assetName: PATTERN,
          role: 'gate',
          description: `LambdaTestHarness gate: runs suite '${gate.testId}' after deployment and on its schedule`,
          timeout,
          environment: { ...harnessEnvironment, [HARNESS_ENV.suite]: Stack.of(this).toJsonString(suite) },
          logEncryptionKey: props.logEncryptionKey,
        },
        props.gateFunctionProps,
      ),
    );
    (this as { gateFunction?: lambda.Function }).gateFunction = gateFn.function;
    const gatePolicy = grantHarnessRights(this, 'GatePolicy', gateFn.role, functions, this.table);
    // A scheduled run is asynchronous: no retries, or one failing suite would run three times.
    gateFn.function.configureAsyncInvoke({ retryAttempts: 0 });
    if (gate.runOnDeploy !== false) {
      const after = gate.executeAfter ?? gate.tests.flatMap((t) => (t.target ? [t.target] : []));
      const trigger = new triggers.Trigger(this, 'GateTrigger', {
        handler: gateFn.function,
        timeout,
        invocationType: triggers.InvocationType.REQUEST_RESPONSE,
        executeAfter: [...after, gatePolicy, this.table, ...(this.invokerFunction ? [this.invokerFunction] : [])],
      });
      (this as { gateTrigger?: triggers.Trigger }).gateTrigger = trigger;
      acknowledgeTriggerProvider(Stack.of(this));
    }
    if (gate.monitoringSchedule) {
      const rule = new events.Rule(this, 'Monitoring', {
        schedule: gate.monitoringSchedule,
        description: `Runs the LambdaTestHarness suite '${gate.testId}' (monitoring mode)`,
      });
      rule.addTarget(new targets.LambdaFunction(gateFn.function, { event: events.RuleTargetInput.fromObject({ mode: 'monitor' }), retryAttempts: 0 }));
      (this as { monitoringRule?: events.Rule }).monitoringRule = rule;
    }
  }

  /** A harness metric (EMF, namespace CdkComputePatterns/LambdaTestHarness, dimension `service`). */
  public metric(metricName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({ namespace: HARNESS_METRIC_NAMESPACE, metricName, dimensionsMap: { service: this.serviceName }, statistic: 'Sum', ...props });
  }

  /** Failed tests per period (unit, suite, gate, monitoring). */
  public metricTestsFailed(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(HARNESS_METRICS.testsFailed, props);
  }

  /** Passed tests per period. */
  public metricTestsPassed(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(HARNESS_METRICS.testsPassed, props);
  }

  /** Latency of unit tests (p90 by default). */
  public metricTestLatency(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(HARNESS_METRICS.latency, { statistic: 'p90', ...props });
  }

  /** Requests load tests sent, and how many failed. */
  public metricLoadRequests(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(HARNESS_METRICS.loadRequests, props);
  }

  public metricLoadErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(HARNESS_METRICS.loadErrors, props);
  }

  /** An alarm on any failed test (5-minute periods); the constructor makes one (`testFailureAlarm`). */
  public addTestFailureAlarm(id = 'TestFailureAlarm', props: AlarmOverrides = {}): cloudwatch.Alarm {
    const alarm = this.metricTestsFailed({ period: Duration.minutes(5) }).createAlarm(this, id, {
      alarmDescription: `A test of ${this.node.path} failed: read the run's summary and results in its table.`,
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      ...props,
    });
    this.alarms.push(alarm);
    return alarm;
  }

  private createDashboard(): cloudwatch.Dashboard {
    const dashboard = new cloudwatch.Dashboard(this, 'Dashboard', { defaultInterval: Duration.hours(3) });
    const fns = [this.harnessFunction, ...(this.invokerFunction ? [this.invokerFunction] : []), ...(this.gateFunction ? [this.gateFunction] : [])];
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({ title: 'Tests', left: [this.metricTestsPassed(), this.metricTestsFailed()], width: 8 }),
      new cloudwatch.GraphWidget({
        title: 'Test latency (ms)',
        left: ['p50', 'p95', 'p99'].map((statistic) => this.metricTestLatency({ statistic, label: statistic })),
        width: 8,
      }),
      new cloudwatch.GraphWidget({ title: 'Load requests', left: [this.metricLoadRequests(), this.metricLoadErrors()], width: 8 }),
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 8 }),
      new cloudwatch.GraphWidget({ title: 'Function errors', left: fns.map((f) => f.metricErrors({ label: f.node.scope!.node.id })), width: 8 }),
      new cloudwatch.GraphWidget({ title: 'Function throttles', left: fns.map((f) => f.metricThrottles({ label: f.node.scope!.node.id })), width: 8 }),
    );
    return dashboard;
  }

  /** Lets `grantee` run tests: invoke the harness function. */
  public grantRunTests(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({ grantee, actions: ['lambda:InvokeFunction'], resourceArns: [this.harnessFunction.functionArn] });
  }

  /** Lets `grantee` read the results. */
  public grantReadResults(grantee: iam.IGrantable): iam.Grant {
    return this.table.grantReadData(grantee);
  }
}
