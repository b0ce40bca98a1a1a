import { Duration, Token } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { IConstruct } from 'constructs';
import { validateFunctionOptions } from '../core/builders';
import { PropsValidator } from '../core/props-validator';
import { describeTable } from '../core/table-shape';
import {
  allowedHostsErrors,
  DEFAULT_HARNESS_LIMITS,
  DEFAULT_INVOKER_MAX_RESPONSE_BYTES,
  DEFAULT_INVOKER_TIMEOUT_MS,
  DEFAULT_RESULT_TTL_DAYS,
  HARNESS_ENV,
  HARNESS_LIMIT_BOUNDS,
  HarnessLimits,
  INVOKER_ENV,
  MAX_INVOKER_RESPONSE_BYTES,
} from '../../contracts/lambda-test-harness/config';
import { isJsonPath, isTestId } from '../../contracts/lambda-test-harness/events';
import { RESULTS_TABLE_KEY } from '../../contracts/lambda-test-harness/results';
import { LambdaTestHarnessProps, UnitTestDefinition } from './props';

/** The settings the handlers get, with every default filled in. */
export interface ResolvedHarnessSettings {
  readonly limits: HarnessLimits;
  readonly resultTtlDays: number;
  readonly invokerTimeoutMs: number;
  readonly maxResponseBytes: number;
}

const HARNESS_RESERVED_ENV = [...Object.values(HARNESS_ENV), 'POWERTOOLS_SERVICE_NAME', 'POWERTOOLS_METRICS_NAMESPACE'];

/** Checks every prop (one error listing every problem) and returns the handlers' settings. */
export function validateProps(scope: IConstruct, props: LambdaTestHarnessProps): ResolvedHarnessSettings {
  const v = new PropsValidator(scope, 'LambdaTestHarness');
  const functions = props.functions ?? [];
  const hosts = props.allowedHosts ?? [];
  if (functions.length === 0 && hosts.length === 0) {
    v.problem('give `functions` (the functions the harness may invoke) and/or `allowedHosts` (the hosts its HTTPS invoker may call): a harness with neither can test nothing');
  }
  v.problems(allowedHostsErrors(hosts.filter((h) => !Token.isUnresolved(h))).map((m) => `\`allowedHosts\`: ${m}`));
  for (const [prop, value] of [
    ['maxIterations', props.maxIterations],
    ['maxRate', props.maxRate],
    ['ratePerWorker', props.ratePerWorker],
  ] as const) {
    const [min, max] = HARNESS_LIMIT_BOUNDS[prop];
    v.wholeNumber(prop, value, min, max);
  }
  const [minDuration, maxDuration] = HARNESS_LIMIT_BOUNDS.maxDurationSeconds;
  const maxDurationSeconds = v.duration('maxDuration', props.maxDuration, { min: Duration.seconds(minDuration), max: Duration.seconds(maxDuration) });
  const resultTtlDays = v.duration('resultRetention', props.resultRetention, { min: Duration.days(1), max: Duration.days(3650), unit: 'days' });
  const invokerTimeout = v.duration('invokerTimeout', props.invokerTimeout, { min: Duration.seconds(1), max: Duration.minutes(5) });
  const maxResponseBytes = v.size('maxResponseSize', props.maxResponseSize ?? undefined, { unit: 'bytes', min: 1, max: MAX_INVOKER_RESPONSE_BYTES, hint: "the answer must fit in Lambda's response payload" });
  if (props.table && props.removalPolicy !== undefined) v.problem('`removalPolicy` applies only to a table the construct creates: leave it out with `table`');
  if (props.table) checkTable(v, props.table);
  validateFunctionOptions(v, 'harnessFunctionProps', props.harnessFunctionProps, { reservedEnvironment: HARNESS_RESERVED_ENV });
  validateFunctionOptions(v, 'gateFunctionProps', props.gateFunctionProps, { reservedEnvironment: HARNESS_RESERVED_ENV });
  validateFunctionOptions(v, 'invokerFunctionProps', props.invokerFunctionProps, { reservedEnvironment: [...Object.values(INVOKER_ENV), 'POWERTOOLS_SERVICE_NAME'] });
  if (props.invokerFunctionProps && hosts.length === 0) v.problem('`invokerFunctionProps` needs `allowedHosts`: without them there is no HTTPS invoker');
  if (props.deployGate) checkGate(v, props, functions);
  v.throwIfInvalid();
  return {
    limits: {
      ...DEFAULT_HARNESS_LIMITS,
      ...(props.maxIterations !== undefined ? { maxIterations: props.maxIterations } : {}),
      ...(props.maxRate !== undefined ? { maxRate: props.maxRate } : {}),
      ...(props.ratePerWorker !== undefined ? { ratePerWorker: props.ratePerWorker } : {}),
      ...(maxDurationSeconds !== undefined ? { maxDurationSeconds } : {}),
    },
    resultTtlDays: resultTtlDays ?? DEFAULT_RESULT_TTL_DAYS,
    invokerTimeoutMs: invokerTimeout !== undefined ? invokerTimeout * 1000 : DEFAULT_INVOKER_TIMEOUT_MS,
    maxResponseBytes: maxResponseBytes ?? DEFAULT_INVOKER_MAX_RESPONSE_BYTES,
  };
}

/** A table the app creates must have the harness's keys (an imported one is the user's word). */
function checkTable(v: PropsValidator, table: dynamodb.ITable): void {
  const shape = describeTable(table);
  if (!shape.known) return;
  const want = [
    { name: RESULTS_TABLE_KEY.partitionKey, keyType: 'HASH' },
    { name: RESULTS_TABLE_KEY.sortKey, keyType: 'RANGE' },
  ];
  const same = shape.keySchema.length === 2 && want.every((k, i) => shape.keySchema[i].name === k.name && shape.keySchema[i].keyType === k.keyType);
  const strings = want.every((k) => shape.attributeTypes[k.name] === undefined || shape.attributeTypes[k.name] === 'S');
  if (!same || !strings) {
    v.problem(
      `\`table\` must have partition key '${RESULTS_TABLE_KEY.partitionKey}' and sort key '${RESULTS_TABLE_KEY.sortKey}', both strings ` +
        `(got ${shape.keySchema.map((k) => `${k.name} ${k.keyType}`).join(', ') || 'no keys'})`,
    );
  }
}

function checkGate(v: PropsValidator, props: LambdaTestHarnessProps, functions: readonly unknown[]): void {
  const gate = props.deployGate!;
  if (!isTestId(gate.testId)) v.problem(`\`deployGate.testId\` must be 1 to 128 letters, digits, '.', '_', ':' or '-' (got '${gate.testId}')`);
  if (gate.tests.length === 0 || gate.tests.length > 100) v.problem(`\`deployGate.tests\` must list 1 to 100 tests (got ${gate.tests.length})`);
  if (gate.runOnDeploy === false && !gate.monitoringSchedule) v.problem('`deployGate` with runOnDeploy false needs a monitoringSchedule, or it never runs');
  gate.tests.forEach((test: UnitTestDefinition, i) => {
    const at = `\`deployGate.tests[${i}]\``;
    if ((test.target === undefined) === (test.https === undefined)) v.problem(`${at} needs exactly one of target (a function) or https (a request through the invoker)`);
    if (test.target && !functions.includes(test.target)) v.problem(`${at}.target ${test.target.node.path} is not among \`functions\`: add it there so the harness may invoke it`);
    if (test.https && (props.allowedHosts ?? []).length === 0) v.problem(`${at}.https needs \`allowedHosts\` (the HTTPS invoker is created only with them)`);
    if (test.https && !Token.isUnresolved(test.https.path) && !test.https.path.startsWith('/')) v.problem(`${at}.https.path must start with / (got '${test.https.path}')`);
    v.wholeNumber(`deployGate.tests[${i}].expectedStatusCode`, test.expectedStatusCode, 100, 599);
    if (test.maxLatency && !test.maxLatency.isUnresolved() && test.maxLatency.toMilliseconds() <= 0) v.problem(`${at}.maxLatency must be positive`);
    (test.expectedJson ?? []).forEach((check, j) => {
      if ((check.equalTo === undefined) === (check.contains === undefined)) v.problem(`${at}.expectedJson[${j}] needs exactly one of equalTo or contains`);
      if (!isJsonPath(check.path)) v.problem(`${at}.expectedJson[${j}].path must be a JSON path such as $.body.message (got '${check.path}')`);
    });
  });
}
