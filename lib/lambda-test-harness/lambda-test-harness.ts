import { Duration, Names, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as triggers from 'aws-cdk-lib/triggers';
import { Construct } from 'constructs';
import {
  acknowledgeCompliancePackFindings,
  AlarmOverrides,
  AlarmTuning,
  applyAlarmActions,
  countAlarm,
  defaultAlarmAgain,
  functionThrottleAlarm,
  PrebundledFunction,
  wantsDashboard,
} from '../core';
import { withFunctionOptions } from '../core/builders';
import { fitDescriptionsToAwsLimits } from '../core/limits';
import { HARNESS_ENV, HARNESS_METRIC_NAMESPACE, HARNESS_METRICS, INVOKER_ENV } from '../../contracts/lambda-test-harness/config';
import { parseSuite, TestSuite } from '../../contracts/lambda-test-harness/events';
import { RESULTS_TABLE_KEY, RESULTS_TTL_ATTRIBUTE } from '../../contracts/lambda-test-harness/results';
import { newLambdaTestHarnessDashboard } from './dashboard';
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
  /** Fires when a test fails (unit, suite, gate or monitoring run): any failed test in 5 minutes. */
  public readonly testFailureAlarm: cloudwatch.Alarm;
  /**
   * Fires when the harness function fails (any error in 5 minutes): an event was refused (every problem is in
   * the error), or a load worker crashed, so its run gets no summary. A failing function under test is a failed
   * test (`testFailureAlarm`), not a harness error.
   */
  public readonly harnessErrorAlarm: cloudwatch.Alarm;
  /** Fires when the harness function is throttled: a load test's workers (or their successors) did not start, so its rate falls short. */
  public readonly harnessThrottleAlarm: cloudwatch.Alarm;
  /**
   * Fires when the HTTPS invoker is throttled (with `allowedHosts`): requests of a load test fail in the harness,
   * not at the endpoint. The invoker's own errors are not alarmed: a refused or failing endpoint is a failed test.
   */
  public readonly invokerThrottleAlarm?: cloudwatch.Alarm;
  /**
   * Fires when the gate function fails (with `deployGate`): a deploy-time suite failed, or a monitoring run
   * crashed before it could record its tests (without this alarm a broken monitor would be silent: no
   * `TestsFailed` datapoint is not a breach).
   */
  public readonly gateErrorAlarm?: cloudwatch.Alarm;
  /** Every alarm this construct created (`addTestFailureAlarm` adds to it); all get `alarmActions`. */
  public readonly alarms: cloudwatch.IAlarm[] = [];
  /** The pattern's dashboard (tests, latency, load, function health, what is billed), unless `dashboard` is false. */
  public readonly dashboard?: cloudwatch.Dashboard;
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

    if (props.deployGate) this.createGate(props.deployGate, functions, harnessEnvironment, props);

    const tuning = new AlarmTuning(`LambdaTestHarness '${this.node.path}'`, props.alarmOverrides);
    this.testFailureAlarm = this.addTestFailureAlarm('TestFailureAlarm', tuning.for('TestFailureAlarm'));
    const fiveMinutes = Duration.minutes(5);
    this.harnessErrorAlarm = countAlarm(this, 'HarnessErrorAlarm', this.harnessFunction.metricErrors({ statistic: 'Sum', period: fiveMinutes }),
      `The harness function of ${this.node.path} failed: an event was refused (the error lists why) or a load worker crashed and its run has no summary (see its logs).`,
      {}, tuning.for('HarnessErrorAlarm'));
    this.harnessThrottleAlarm = functionThrottleAlarm(this, 'HarnessThrottleAlarm', this.harnessFunction, tuning.for('HarnessThrottleAlarm'));
    this.alarms.push(this.harnessErrorAlarm, this.harnessThrottleAlarm);
    if (this.invokerFunction) {
      this.invokerThrottleAlarm = functionThrottleAlarm(this, 'InvokerThrottleAlarm', this.invokerFunction, tuning.for('InvokerThrottleAlarm'));
      this.alarms.push(this.invokerThrottleAlarm);
    }
    if (this.gateFunction) {
      this.gateErrorAlarm = countAlarm(this, 'GateErrorAlarm', this.gateFunction.metricErrors({ statistic: 'Sum', period: fiveMinutes }),
        `The gate of ${this.node.path} failed: a test of suite '${props.deployGate!.testId}' failed at deploy time, or a monitoring run crashed before recording its tests (see its logs).`,
        {}, tuning.for('GateErrorAlarm'));
      this.alarms.push(this.gateErrorAlarm);
    }
    tuning.assertAllKnown();
    applyAlarmActions(this, props.alarmActions);
    if (wantsDashboard(props)) this.dashboard = newLambdaTestHarnessDashboard(this);
    // HIPAA, NIST 800-53 r5, PCI DSS 3.2.1 and Serverless findings on what this construct created (docs/compliance.md).
    acknowledgeCompliancePackFindings(this);
    fitDescriptionsToAwsLimits(this);
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

  /** Requests load tests sent. */
  public metricLoadRequests(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(HARNESS_METRICS.loadRequests, props);
  }

  /** Requests of load tests that failed. */
  public metricLoadErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(HARNESS_METRICS.loadErrors, props);
  }

  /**
   * An alarm on failed tests (any by default, in 5-minute periods). The construct makes `TestFailureAlarm` by
   * default (change it with `alarmOverrides`); calling this again with that id and no changes returns it.
   */
  public addTestFailureAlarm(id = 'TestFailureAlarm', props: AlarmOverrides = {}): cloudwatch.Alarm {
    const again = defaultAlarmAgain(this, id, props);
    if (again) return again;
    const alarm = countAlarm(this, id, this.metricTestsFailed({ period: Duration.minutes(5) }),
      `A test of ${this.node.path} failed: read the run's summary and results in its table.`, {}, props);
    this.alarms.push(alarm);
    return alarm;
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
