// The shared validator engine (test/helpers/cdk-test-environment.ts) must not switch validation off: a synth in
// a test still runs aws-cdk-lib's CloudFormation validator, through the worker's one copy of it.
import { CfnResource } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { newTestStack } from './cdk';
import { SHARED_VALIDATOR_GLOBAL } from './shared-validator-global';

describe("aws-cdk-lib's CloudFormation validator in tests", () => {
  it('is the copy the test environment shares across test files', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const inTest = require(require.resolve('@aws/cloudformation-validate', { paths: [require.resolve('aws-cdk-lib')] }));
    expect(inTest).toBe((globalThis as Record<string, unknown>)[SHARED_VALIDATOR_GLOBAL]);
  });

  it('passes a valid template and fails a synth whose template breaks the resource schema, naming the property', () => {
    const good = newTestStack('Good');
    new sqs.Queue(good, 'Queue');
    expect(() => Template.fromStack(good)).not.toThrow();
    const bad = newTestStack('Bad');
    new CfnResource(bad, 'Queue', { type: 'AWS::SQS::Queue', properties: { VisibilityTimeout: 'ten', NotAProperty: 1 } });
    expect(() => Template.fromStack(bad)).toThrow(/NotAProperty/);
  });
});
