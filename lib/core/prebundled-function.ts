import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { handlerAssetPath } from './assets';
import { newLogOnlyLambdaRole } from './builders';
import { HOUSE_DEFAULTS } from './defaults';
import { acknowledgeNag } from './nag';
import { DESCRIPTION_LIMITS, fitToLimit } from './limits';
import { newPatternLogGroup } from './log-groups';

/** Props for {@link PrebundledFunction}. */
export interface PrebundledFunctionProps {
  /**
   * Name of the asset directory under `assets/` that `npm run build` produced, e.g. `table-trigger`.
   * Ignored when `assetDirectory` is given.
   */
  readonly assetName: string;
  /**
   * Which of the pattern's functions: a role other than the default is `lambda/<assetName>/<role>.ts`
   * (exporting `handler`, listed in `roles` of `lambda/<assetName>/bundle.config.mjs`), bundled into
   * `assets/<assetName>-<role>/index.js`. Ignored when `assetDirectory` is given.
   * @default - the default role: `lambda/<assetName>/index.ts`, bundled into `assets/<assetName>/index.js`
   */
  readonly role?: string;
  /**
   * Absolute path of a directory holding a prebundled `index.js` (exporting `handler`), for code
   * bundled outside this package.
   * @default - the package's own `assets/<assetName>`
   */
  readonly assetDirectory?: string;
  /** What the function does, shown in the console. */
  readonly description: string;
  /**
   * Memory in MiB.
   * @default 256
   */
  readonly memorySize?: number;
  /**
   * Maximum run time of one invocation.
   * @default Duration.seconds(30)
   */
  readonly timeout?: Duration;
  /**
   * Instruction set. Pure-JS handlers run on Graviton; a handler with native modules must match
   * the binaries its asset ships.
   * @default lambda.Architecture.ARM_64
   */
  readonly architecture?: lambda.Architecture;
  /**
   * Environment variables for the handler.
   * @default - none besides the house's NODE_OPTIONS
   */
  readonly environment?: { [key: string]: string };
  /**
   * How long the function's log group keeps events.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * What happens to the function's log group when it leaves the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly logRemovalPolicy?: RemovalPolicy;
  /**
   * A customer-managed KMS key (in the stack's region) that CloudWatch Logs encrypts the function's log group
   * with. A `kms.Key` of your app gets the key-policy statement CloudWatch Logs needs; for an imported key, add
   * it yourself (docs/compliance.md, "Encrypting the log groups").
   * @default - CloudWatch Logs' own encryption (service-owned keys)
   */
  readonly logEncryptionKey?: kms.IKey;
  /**
   * X-Ray tracing mode.
   * @default lambda.Tracing.ACTIVE
   */
  readonly tracing?: lambda.Tracing;
  /**
   * Reserved concurrency, to protect downstream services or the account's pool.
   * @default - unreserved
   */
  readonly reservedConcurrentExecutions?: number;
  /**
   * Further function options merged last (VPC, layers, dead-letter settings, ...); the code, handler and
   * runtime are the asset's.
   * @default - none
   */
  readonly functionProps?: lambda.FunctionOptions;
}

/**
 * A Lambda function whose code is a handler bundled at build time (`assets/<assetName>/index.js`, or
 * `assets/<assetName>-<role>/index.js` for a pattern's further function `role`),
 * with the house defaults: Node 24, Graviton, its own log group with retention, active tracing and
 * a role that may write only to that log group.
 */
export class PrebundledFunction extends Construct {
  /** The function. */
  public readonly function: lambda.Function;
  /** Its execution role. */
  public readonly role: iam.Role;
  /** Its log group. */
  public readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: PrebundledFunctionProps) {
    super(scope, id);
    this.logGroup = newPatternLogGroup(this, 'LogGroup', {
      retention: props.logRetention ?? HOUSE_DEFAULTS.logRetention,
      removalPolicy: props.logRemovalPolicy,
      encryptionKey: props.logEncryptionKey,
    });
    // Descriptions name construct paths, which can be deep: cut to Lambda's 256 characters (which the Function
    // constructor enforces) rather than fail the user's synth.
    const description = fitToLimit(props.description, DESCRIPTION_LIMITS.function);
    this.role = newLogOnlyLambdaRole(this, 'Role', this.logGroup, description);
    const tracing = props.tracing ?? lambda.Tracing.ACTIVE;
    this.function = new lambda.Function(this, 'Function', {
      description,
      code: lambda.Code.fromAsset(props.assetDirectory ?? handlerAssetPath(props.assetName, props.role)),
      handler: 'index.handler',
      runtime: HOUSE_DEFAULTS.runtime,
      architecture: props.architecture ?? HOUSE_DEFAULTS.architecture,
      memorySize: props.memorySize ?? HOUSE_DEFAULTS.memorySizeMiB,
      timeout: props.timeout ?? HOUSE_DEFAULTS.timeout,
      // Tracing is switched on below, so its wildcard grant lives in a policy of its own.
      tracing: lambda.Tracing.DISABLED,
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        ...props.environment,
      },
      ...props.functionProps,
    });
    if (tracing !== lambda.Tracing.DISABLED) {
      // CDK would add the X-Ray grant to the role's default policy, where acknowledging its "*" would
      // also hide any other wildcard a pattern adds later. A separate policy keeps the exception narrow.
      (this.function.node.defaultChild as lambda.CfnFunction).tracingConfig = { mode: tracing };
      const tracingPolicy = new iam.Policy(this, 'TracingPolicy', {
        roles: [this.role],
        statements: [
          new iam.PolicyStatement({ actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], resources: ['*'] }),
        ],
      });
      acknowledgeNag(tracingPolicy, {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions (AWS requires "*").',
      });
    }
  }
}
