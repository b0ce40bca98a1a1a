import { Duration } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';

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
