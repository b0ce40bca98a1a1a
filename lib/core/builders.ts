/**
 * Builders for resources several patterns need, so each is built one way (internal: not exported from the
 * package; constructs import this file directly).
 */
import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { HOUSE_DEFAULTS } from './defaults';
import type { FunctionOptions } from './function-options';
import { acknowledgeNag } from './nag';
import type { PrebundledFunctionProps } from './prebundled-function';
import { PropsValidator } from './props-validator';

/** Every queue of the house: SQS-managed encryption, SSL only. */
export const SECURE_QUEUE_PROPS: sqs.QueueProps = { encryption: sqs.QueueEncryption.SQS_MANAGED, enforceSSL: true };

/**
 * A queue that is itself the last stop of failed work (a function's dead-letter queue, an event source's
 * on-failure destination): secure, kept 14 days, and without a dead-letter queue of its own, which
 * cdk-nag's AwsSolutions-SQS3 is told with `why` (what lands in it).
 */
export function newOnFailureQueue(scope: Construct, id: string, why: string): sqs.Queue {
  const queue = new sqs.Queue(scope, id, { ...SECURE_QUEUE_PROPS, retentionPeriod: HOUSE_DEFAULTS.deadLetterRetention });
  acknowledgeNag(queue, { id: 'AwsSolutions-SQS3', reason: why });
  return queue;
}

/**
 * A role Lambda assumes that may write only to `logGroup`: instead of the AWSLambdaBasicExecutionRole
 * managed policy, whose logs:* grant covers every log group in the account.
 */
export function newLogOnlyLambdaRole(scope: Construct, id: string, logGroup: logs.ILogGroup, description: string): iam.Role {
  const role = new iam.Role(scope, id, { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'), description });
  role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }));
  return role;
}

/**
 * The problems with queue props merged over the house's secure defaults: the settings that keep jobs encrypted
 * in transit and at rest, and the redrive to the dead-letter queue, cannot be turned off.
 */
export function secureQueuePropsProblems(propName: string, queueProps: sqs.QueueProps | undefined): string[] {
  if (!queueProps) return [];
  const problems: string[] = [];
  if (queueProps.encryption === sqs.QueueEncryption.UNENCRYPTED) {
    problems.push(`\`${propName}.encryption\` must not be UNENCRYPTED: use SQS_MANAGED (the default) or KMS`);
  }
  if (queueProps.enforceSSL === false) problems.push(`\`${propName}.enforceSSL\` must not be false: the queue accepts only TLS requests`);
  if (queueProps.deadLetterQueue) {
    problems.push(`\`${propName}.deadLetterQueue\` must not be set: the construct makes the dead-letter queue (set maxReceiveCount instead)`);
  }
  return problems;
}

/** What a pattern tells {@link validateFunctionOptions} about its function. */
export interface FunctionOptionsRules {
  /** Environment variables the pattern sets and the user may not override. */
  readonly reservedEnvironment: readonly string[];
  /** Smallest memory the handler works with, and why. */
  readonly minMemoryMiB?: number;
  readonly minMemoryReason?: string;
  /** Longest timeout the caller allows (API Gateway: 29 s), and why. */
  readonly maxTimeout?: Duration;
  readonly maxTimeoutReason?: string;
}

const LAMBDA_ENV_NAME = /^[a-zA-Z][a-zA-Z0-9_]*$/;
/** Lambda sets these itself (reserved runtime variables); a function cannot override them. */
const LAMBDA_RESERVED_ENV = /^(AWS_|LAMBDA_|_HANDLER$|_X_AMZN_TRACE_ID$|TZ$)/;

/** Records every problem with `options`, given as prop `propName`. */
export function validateFunctionOptions(v: PropsValidator, propName: string, options: FunctionOptions | undefined, rules: FunctionOptionsRules): void {
  if (!options) return;
  v.wholeNumber(`${propName}.memorySize`, options.memorySize, rules.minMemoryMiB ?? 128, 10240, rules.minMemoryReason);
  const maxTimeout = rules.maxTimeout ?? Duration.minutes(15);
  v.duration(`${propName}.timeout`, options.timeout, { min: Duration.seconds(1), max: maxTimeout });
  v.wholeNumber(`${propName}.reservedConcurrentExecutions`, options.reservedConcurrentExecutions, 0);
  for (const name of Object.keys(options.environment ?? {})) {
    if (rules.reservedEnvironment.includes(name)) {
      v.problem(`\`${propName}.environment\` must not set ${name}: the pattern sets it for its handler (remove it)`);
    } else if (!LAMBDA_ENV_NAME.test(name) || LAMBDA_RESERVED_ENV.test(name)) {
      v.problem(`\`${propName}.environment\` name '${name}' is not allowed by Lambda: use letters, digits and '_', starting with a letter, and not AWS_/LAMBDA_`);
    }
  }
}

/** `defaults` with the user's options merged over them; the pattern's environment wins. */
export function withFunctionOptions(defaults: PrebundledFunctionProps, options: FunctionOptions = {}): PrebundledFunctionProps {
  return {
    ...defaults,
    memorySize: options.memorySize ?? defaults.memorySize,
    timeout: options.timeout ?? defaults.timeout,
    reservedConcurrentExecutions: options.reservedConcurrentExecutions ?? defaults.reservedConcurrentExecutions,
    architecture: options.architecture ?? defaults.architecture,
    logRetention: options.logRetention ?? defaults.logRetention,
    environment: { ...options.environment, ...defaults.environment },
  };
}
