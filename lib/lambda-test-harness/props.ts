import { Duration, RemovalPolicy, Size } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { FunctionOptions, MonitoringProps } from '../core';

/** A check on the JSON a test's answer holds (an HTTP-shaped answer's JSON body is parsed in place). */
export interface JsonExpectation {
  /** A JSON path: `$`, `$.body.message`, `$.items[0].id`. */
  readonly path: string;
  /**
   * The value there must equal this (deep equality). Give `equalTo` or `contains`.
   * @default - not checked
   */
  readonly equalTo?: any;
  /**
   * The value there must contain this (a substring, an array element, an object subset). Give `equalTo` or `contains`.
   * @default - not checked
   */
  readonly contains?: any;
}

/** An HTTPS request the test makes through the harness's HTTPS invoker. */
export interface HttpsTestRequest {
  /** Host name (a token is fine, e.g. `${api.restApiId}.execute-api.${region}.${urlSuffix}`); it must be allowed by `allowedHosts`. */
  readonly host: string;
  /** Path, starting with `/`, e.g. `/prod/`. */
  readonly path: string;
  /**
   * HTTP method.
   * @default 'POST'
   */
  readonly method?: string;
  /**
   * Sent as the JSON body.
   * @default - no body
   */
  readonly data?: any;
}

/** One unit test of a suite (the deploy gate, the monitoring schedule). Give `target` or `https`. */
export interface UnitTestDefinition {
  /**
   * Name of the test within its suite (shown in failure reasons).
   * @default - the target's name and the test's position
   */
  readonly name?: string;
  /**
   * The function under test; it must be one of the harness's `functions`.
   * @default - none: give `https`
   */
  readonly target?: lambda.IFunction;
  /**
   * The event (payload) the function receives.
   * @default {}
   */
  readonly payload?: any;
  /**
   * An HTTPS request made by the invoker instead of invoking a function.
   * @default - none: give `target`
   */
  readonly https?: HttpsTestRequest;
  /**
   * The status code the answer must have (an HTTP-shaped answer's `statusCode`, else Lambda's).
   * @default - any status below 400
   */
  readonly expectedStatusCode?: number;
  /**
   * Checks on the answer's JSON.
   * @default - none
   */
  readonly expectedJson?: JsonExpectation[];
  /**
   * The test fails when it takes longer.
   * @default - no bound
   */
  readonly maxLatency?: Duration;
}

/** A suite of unit tests run after every deployment that changes it, failing the deployment when one fails. */
export interface DeployGateOptions {
  /** The suite's test id (its partition in the results table). */
  readonly testId: string;
  /** The tests (1 to 100). */
  readonly tests: UnitTestDefinition[];
  /**
   * The resources under test: the gate runs only once they are deployed (aws-cdk-lib `triggers` executeAfter).
   * @default - the tests' target functions
   */
  readonly executeAfter?: Construct[];
  /**
   * Also run the suite on this schedule (monitoring mode); a failure sets off `testFailureAlarm` instead of failing anything.
   * @default - no schedule
   */
  readonly monitoringSchedule?: events.Schedule;
  /**
   * Run the suite at deploy time. Turn it off to keep only the monitoring schedule.
   * @default true
   */
  readonly runOnDeploy?: boolean;
}

/** Props for {@link LambdaTestHarness}. */
export interface LambdaTestHarnessProps extends MonitoringProps {
  /**
   * The functions the harness may invoke (unit and load tests). It gets `lambda:InvokeFunction` on exactly
   * their ARNs (no qualifiers, no wildcard). At least one of `functions` and `allowedHosts`.
   * @default - none
   */
  readonly functions?: lambda.IFunction[];
  /**
   * Host names the HTTPS invoker may call (`api.example.com`, or `*.example.com` for its subdomains). The
   * invoker is created only when given. It also refuses private, loopback, link-local and metadata addresses
   * after DNS resolution, and redirects to them.
   * @default - no HTTPS invoker
   */
  readonly allowedHosts?: string[];
  /**
   * Your results table: partition key `testId` (string), sort key `sk` (string); enable TTL on `expiresAt`.
   * @default - a new table: on-demand, encrypted, point-in-time recovery, TTL on `expiresAt`
   */
  readonly table?: dynamodb.ITable;
  /**
   * What happens to the new table when it leaves the stack. Only without `table`.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * How long result items live (whole days) before DynamoDB's TTL removes them.
   * @default Duration.days(30)
   */
  readonly resultRetention?: Duration;
  /**
   * Most iterations of a load test by count (1 to 100000).
   * @default 1000
   */
  readonly maxIterations?: number;
  /**
   * Highest target rate of a load test by rate, requests per second (1 to 10000).
   * @default 100
   */
  readonly maxRate?: number;
  /**
   * Longest load test by rate (whole seconds, up to 24 hours).
   * @default Duration.hours(1)
   */
  readonly maxDuration?: Duration;
  /**
   * Requests per second one harness invocation sends; a higher rate is fanned out over more (1 to 500).
   * @default 50
   */
  readonly ratePerWorker?: number;
  /**
   * How long the HTTPS invoker waits for a complete answer (whole seconds, 1 s to 5 min).
   * @default Duration.seconds(10)
   */
  readonly invokerTimeout?: Duration;
  /**
   * Largest response body the HTTPS invoker accepts (whole bytes, up to 5 MB).
   * @default Size.mebibytes(1)
   */
  readonly maxResponseSize?: Size;
  /**
   * A suite run right after deployment (fails the deployment when a test fails) and/or on a schedule.
   * @default - no gate
   */
  readonly deployGate?: DeployGateOptions;
  /**
   * A customer-managed KMS key that CloudWatch Logs encrypts the log groups of its functions (harness, invoker, gate) with (Control Tower's
   * CT.CLOUDWATCH.PR.3). It must be a symmetric key in the stack's region. A `kms.Key` of your app gets the
   * key-policy statement CloudWatch Logs needs (`logs.<region>.amazonaws.com`, for log groups of the key's
   * account); an imported key's policy must already have it (docs/compliance.md, "Encrypting the log groups").
   * @default - CloudWatch Logs' own encryption (service-owned keys)
   */
  readonly logEncryptionKey?: kms.IKey;
  /**
   * The `service` dimension of the harness's metrics (keeps several harnesses apart on one dashboard).
   * @default - the construct's unique id
   */
  readonly serviceName?: string;
  /**
   * Settings of the harness function, merged over its defaults (512 MiB, 15 minutes, Graviton).
   * @default - the defaults
   */
  readonly harnessFunctionProps?: FunctionOptions;
  /**
   * Settings of the HTTPS invoker, merged over its defaults (256 MiB, invokerTimeout + 5 s, Graviton).
   * @default - the defaults
   */
  readonly invokerFunctionProps?: FunctionOptions;
  /**
   * Settings of the gate function, merged over its defaults (256 MiB, 5 minutes, Graviton).
   * @default - the defaults
   */
  readonly gateFunctionProps?: FunctionOptions;
}
