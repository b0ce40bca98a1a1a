/** The global through which test/helpers/cdk-test-environment.ts hands its validator to shared-cfn-validate.ts. */
export const SHARED_VALIDATOR_GLOBAL = '__cdkComputePatternsSharedCfnValidate';
