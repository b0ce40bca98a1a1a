import { Duration } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { PrebundledFunctionProps } from './prebundled-function';
import { PropsValidator } from './props-validator';

/**
 * Settings of a function a pattern creates, merged over the pattern's defaults (`<role>FunctionProps`). Your
 * values win, except that the environment variables the handler's contract needs are the pattern's: naming one
 * of them is refused at synth. The role, code, runtime, log group and tracing stay the pattern's.
 */
export interface FunctionOptions {
  /**
   * Memory in MiB (128 to 10240), as in `lambda.FunctionProps`; CPU grows with it.
   * @default - the pattern's default (see its docs)
   */
  readonly memorySize?: number;
  /**
   * Maximum run time of one invocation (whole seconds, at most 15 minutes).
   * @default - the pattern's default (see its docs)
   */
  readonly timeout?: Duration;
  /**
   * Reserved concurrency, to cap cost or protect downstream services.
   * @default - unreserved
   */
  readonly reservedConcurrentExecutions?: number;
  /**
   * Further environment variables (e.g. POWERTOOLS_LOG_LEVEL). The pattern's own variables cannot be overridden.
   * @default - none
   */
  readonly environment?: { [key: string]: string };
  /**
   * Instruction set. Handlers with native modules accept only the architectures their asset ships binaries for.
   * @default - the pattern's default (Graviton, unless the pattern says otherwise)
   */
  readonly architecture?: lambda.Architecture;
  /**
   * How long the function's log group keeps events.
   * @default - the pattern's `logRetention`, or one month
   */
  readonly logRetention?: logs.RetentionDays;
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
