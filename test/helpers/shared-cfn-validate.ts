// What `require('@aws/cloudformation-validate')` returns inside a test (jest.config.js, moduleNameMapper): the
// worker's one copy of aws-cdk-lib's CloudFormation validator, from test/helpers/cdk-test-environment.ts.
import { SHARED_VALIDATOR_GLOBAL } from './shared-validator-global';

const validator = (globalThis as Record<string, unknown>)[SHARED_VALIDATOR_GLOBAL];
if (!validator) throw new Error(`${SHARED_VALIDATOR_GLOBAL} is not set: jest.config.js must set testEnvironment to test/helpers/cdk-test-environment.ts`);
module.exports = validator;
