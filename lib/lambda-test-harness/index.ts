// The lambda-test-harness pattern's public exports (the construct, its props and structs).
export * from './props';
export { LambdaTestHarness } from './lambda-test-harness';
