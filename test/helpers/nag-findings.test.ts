/**
 * nagFindings / expectNoNagFindings (test/helpers/cdk.ts): each finding names its rule id and construct
 * path, and the test's own scaffolding (resources under no library construct) is left out unless asked for.
 */
import { Stack } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { SecureBucket } from '../../lib';
import { expectNoNagFindings, isTestScaffolding, nagFindings, newTestStack } from './cdk';

const SQS3 = 'AwsSolutions-SQS3';

describe('nag findings in tests', () => {
  let stack: Stack;
  let library: SecureBucket;

  beforeAll(() => {
    stack = newTestStack('NagStack');
    // Scaffolding: the test's own queue, straight in the stack (no DLQ, no SSL: several findings).
    new sqs.Queue(stack, 'TestQueue');
    // The library's: a construct of the package, and (as if the library had made it) a queue under it.
    library = new SecureBucket(stack, 'Bucket');
    new sqs.Queue(library, 'InsideTheLibrary');
  });

  it('reports a finding on a library resource with its rule id and construct path', () => {
    const findings = nagFindings(stack);
    expect(findings).toContain(`${SQS3} at NagStack/Bucket/InsideTheLibrary/Resource: The SQS queue is not used as a dead-letter queue (DLQ) and does not have a DLQ enabled.`);
    expect(() => expectNoNagFindings(stack)).toThrow(/AwsSolutions-SQS3 at NagStack\/Bucket\/InsideTheLibrary\/Resource/);
  });

  it("leaves out the test's own scaffolding, unless asked for", () => {
    expect(nagFindings(stack).filter((f) => f.includes('TestQueue'))).toEqual([]);
    expect(nagFindings(stack, { includeScaffolding: true })).toContain(`${SQS3} at NagStack/TestQueue/Resource: The SQS queue is not used as a dead-letter queue (DLQ) and does not have a DLQ enabled.`);
  });

  it('counts stack-level singletons CDK makes for a construct as the library', () => {
    const other = newTestStack('Singletons');
    expect(isTestScaffolding(new sqs.Queue(other, 'Mine'))).toBe(true);
    expect(isTestScaffolding(new Construct(other, 'BucketNotificationsHandler050a0587b7544547bf325f094a3db834'))).toBe(false);
    expect(isTestScaffolding(new Construct(other, 'Custom::CDKBucketDeployment8693BB64968944B69AAFB0CC9EB8756C'))).toBe(false);
    expect(isTestScaffolding(new sqs.Queue(new SecureBucket(other, 'Lib'), 'Nested'))).toBe(false);
    expect(isTestScaffolding(other)).toBe(false);
  });
});
