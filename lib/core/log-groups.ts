import { Annotations, ArnFormat, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { regionMismatches } from './placement';

/** Settings of a log group a pattern creates (internal: the patterns' one way to make a log group). */
export interface PatternLogGroupProps {
  /** How long it keeps events. */
  readonly retention: logs.RetentionDays;
  /** What happens to it when it leaves the stack (CDK's default: RETAIN). */
  readonly removalPolicy?: RemovalPolicy;
  /** The pattern's `logEncryptionKey`: a customer-managed KMS key CloudWatch Logs encrypts it with. */
  readonly encryptionKey?: kms.IKey;
}

/** Keys whose policy already lets CloudWatch Logs use them (one statement per key, however many log groups). */
const keysOpenedToLogs = new WeakSet<kms.IKey>();

/**
 * A log group of a pattern: retention, removal policy and, with `encryptionKey`, KMS encryption (Control
 * Tower's CT.CLOUDWATCH.PR.3). Without a key the log group is exactly what it was before the prop existed.
 */
export function newPatternLogGroup(scope: Construct, id: string, props: PatternLogGroupProps): logs.LogGroup {
  if (props.encryptionKey) allowCloudWatchLogsToUse(scope, props.encryptionKey);
  return new logs.LogGroup(scope, id, {
    retention: props.retention,
    removalPolicy: props.removalPolicy,
    ...(props.encryptionKey ? { encryptionKey: props.encryptionKey } : {}),
  });
}

/**
 * CloudWatch Logs encrypts with the key itself (not the writers' roles), so the key's policy must let the
 * service principal of the key's region use it, for log groups of the key's account (AWS's documented
 * statement, docs/compliance.md). A key created in the app (`kms.Key`) gets the statement; an imported key's
 * policy is the owner's: a warning says what to add. A key of another region cannot work and is refused.
 */
function allowCloudWatchLogsToUse(scope: Construct, key: kms.IKey): void {
  const mismatch = regionMismatches(scope, [
    { prop: 'logEncryptionKey', arn: key.keyArn, why: 'CloudWatch Logs encrypts a log group only with a KMS key of its own region' },
  ]);
  if (mismatch.length > 0) throw new Error(`${scope.node.path}: ${mismatch.join('; ')}`);
  if (keysOpenedToLogs.has(key)) return;
  keysOpenedToLogs.add(key);
  const { statementAdded } = key.addToResourcePolicy(logsKeyPolicyStatement(Stack.of(key)));
  if (!statementAdded) {
    Annotations.of(scope).addWarningV2(
      'cdk-compute-patterns:logEncryptionKeyPolicy',
      `\`logEncryptionKey\` (${key.node.path}) is imported, so its key policy cannot be changed here: it must allow the principal ` +
        'logs.<region>.amazonaws.com kms:Encrypt*, kms:Decrypt*, kms:ReEncrypt*, kms:GenerateDataKey*, kms:Describe* with the condition ' +
        'ArnLike kms:EncryptionContext:aws:logs:arn = arn:<partition>:logs:<region>:<account>:log-group:*, or the log groups fail to ' +
        'create (docs/compliance.md, "Encrypting the log groups").',
    );
  }
}

/** The key-policy statement CloudWatch Logs needs, for log groups in `stack`'s account and region. */
function logsKeyPolicyStatement(stack: Stack): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: 'AllowCloudWatchLogsOfThisAccount',
    principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
    actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
    resources: ['*'],
    conditions: {
      ArnLike: { 'kms:EncryptionContext:aws:logs:arn': stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }) },
    },
  });
}
