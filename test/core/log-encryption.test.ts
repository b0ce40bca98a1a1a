// `logEncryptionKey`: every pattern hands it to lib/core's one log-group builder. Here the builder's own
// behaviour, through PrebundledFunction (the log group every pattern's functions get); the strict example
// (test/bin/example-app.test.ts) proves each pattern's every log group gets the key (CT.CLOUDWATCH.PR.3).
import * as path from 'path';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { LambdaEcsWorker, LambdaTestHarness, PrebundledFunction } from '../../lib';
import { newTestStack, templateOf } from '../helpers/cdk';

const ECHO_ASSET = path.join(__dirname, '..', 'fixtures', 'echo-handler');
const echo = (scope: import('constructs').Construct, id: string, logEncryptionKey?: kms.IKey) =>
  new PrebundledFunction(scope, id, { assetName: 'echo', assetDirectory: ECHO_ASSET, description: 'echoes its event', logEncryptionKey });

const LOGS_STATEMENT = {
  Sid: 'AllowCloudWatchLogsOfThisAccount',
  Effect: 'Allow',
  Principal: { Service: 'logs.us-east-1.amazonaws.com' },
  Action: ['kms:Decrypt*', 'kms:Describe*', 'kms:Encrypt*', 'kms:GenerateDataKey*', 'kms:ReEncrypt*'],
  Resource: '*',
  Condition: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': 'arn:aws:logs:us-east-1:123456789012:log-group:*' } },
};

describe('logEncryptionKey', () => {
  it("encrypts the log group with a key of the app and opens the key's policy to CloudWatch Logs of its region, once per key", () => {
    const stack = newTestStack('LogKey');
    const key = new kms.Key(stack, 'LogKey', { enableKeyRotation: true });
    echo(stack, 'One', key);
    echo(stack, 'Two', key);
    const template = templateOf(stack);
    const keyArn = { 'Fn::GetAtt': [stack.getLogicalId(key.node.defaultChild as kms.CfnKey), 'Arn'] };
    template.resourcePropertiesCountIs('AWS::Logs::LogGroup', { KmsKeyId: keyArn }, 2);
    const statements: unknown[] = Object.values(template.findResources('AWS::KMS::Key'))[0].Properties.KeyPolicy.Statement;
    expect(statements.filter((s) => (s as { Sid?: string }).Sid === LOGS_STATEMENT.Sid)).toEqual([LOGS_STATEMENT]);
  });

  it('leaves the log group as it was without a key', () => {
    const stack = newTestStack('NoLogKey');
    echo(stack, 'One');
    templateOf(stack).hasResourceProperties('AWS::Logs::LogGroup', { KmsKeyId: Match.absent(), RetentionInDays: 30 });
  });

  it("uses an imported key as it is and warns what its policy must allow", () => {
    const stack = newTestStack('ImportedLogKey');
    const key = kms.Key.fromKeyArn(stack, 'Imported', 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab');
    echo(stack, 'One', key);
    templateOf(stack).hasResourceProperties('AWS::Logs::LogGroup', { KmsKeyId: key.keyArn });
    Annotations.fromStack(stack).hasWarning('/ImportedLogKey/One', Match.stringLikeRegexp('logEncryptionKey.*logs\\.<region>\\.amazonaws\\.com.*kms:EncryptionContext:aws:logs:arn'));
  });

  it('refuses a key of another region, naming the prop', () => {
    const stack = newTestStack('OtherRegionLogKey');
    const key = kms.Key.fromKeyArn(stack, 'Imported', 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab');
    expect(() => echo(stack, 'One', key)).toThrow(/`logEncryptionKey` \(arn:aws:kms:eu-west-1:.*\) is in eu-west-1, but stack OtherRegionLogKey deploys to us-east-1: CloudWatch Logs encrypts a log group only with a KMS key of its own region/);
  });

  it("reaches every log group of a LambdaEcsWorker that makes its own VPC (flow logs and deploy canary too), with its logRetention", () => {
    const stack = newTestStack('WorkerLogKey');
    const key = new kms.Key(stack, 'LogKey', { enableKeyRotation: true });
    new LambdaEcsWorker(stack, 'Render', { logEncryptionKey: key, logRetention: logs.RetentionDays.ONE_YEAR });
    const logGroups = Object.entries(templateOf(stack).findResources('AWS::Logs::LogGroup'));
    expect(logGroups.map(([id]) => id.replace(/[0-9A-F]{8}$/, '')).sort()).toEqual(['RenderDeployCanaryFunctionLogGroup', 'RenderLauncherLogGroup', 'RenderVpcFlowLogs', 'RenderWorkerLogs']);
    const keyArn = { 'Fn::GetAtt': [stack.getLogicalId(key.node.defaultChild as kms.CfnKey), 'Arn'] };
    for (const [, logGroup] of logGroups) expect(logGroup.Properties).toMatchObject({ KmsKeyId: keyArn, RetentionInDays: 365 });
  });

  it('reaches the log groups of every LambdaTestHarness function (harness, invoker, gate)', () => {
    const stack = newTestStack('HarnessLogKey');
    const key = new kms.Key(stack, 'LogKey', { enableKeyRotation: true });
    const target = echo(stack, 'Target').function;
    new LambdaTestHarness(stack, 'Tests', {
      functions: [target],
      allowedHosts: ['api.example.com'],
      deployGate: { testId: 'gate', tests: [{ name: 'echo', target, payload: {} }] },
      logEncryptionKey: key,
    });
    const keyArn = { 'Fn::GetAtt': [stack.getLogicalId(key.node.defaultChild as kms.CfnKey), 'Arn'] };
    const encrypted = Object.keys(templateOf(stack).findResources('AWS::Logs::LogGroup', { Properties: { KmsKeyId: keyArn } }));
    expect(encrypted.map((id) => id.replace(/[0-9A-F]{8}$/, '')).sort()).toEqual(['TestsGateLogGroup', 'TestsHarnessLogGroup', 'TestsInvokerLogGroup']);
  });
});
