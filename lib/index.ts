// The package's public API, and what jsii compiles for Python, Java, .NET and Go: constructs, their props
// (structs of readonly data), enums and classes. Free functions and constants have no place here (jsii
// languages cannot see them): the patterns' shared helpers stay internal to lib/core, and the contract a
// custom worker image needs is its own entry point, `cdk-compute-patterns/contracts/lambda-ecs-worker/render-job`.
export { NagAcknowledgements, PrebundledFunction, QueueWithDlq, SecureBucket } from './core';
export type { AlarmOverrides, FunctionOptions, MonitoringProps, NagAcknowledgement, PrebundledFunctionProps, QueueWithDlqProps, SecureBucketProps } from './core';
export * from './lambda-ecs-worker';
export * from './table-trigger';
export * from './spot-fleet-autoscaler';
export * from './image-processing-api';
export * from './lambda-test-harness';
