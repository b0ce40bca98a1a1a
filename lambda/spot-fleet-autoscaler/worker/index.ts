/**
 * Worker-side helpers for workers that a SpotFleetAutoscaler sizes. Bundled at build time, with the AWS
 * SDK clients they use, into `assets/spot-fleet-worker/index.js` (CommonJS, Node ≥ 20, no dependencies), so
 * a worker can `require('cdk-compute-patterns/assets/spot-fleet-worker')`; `queue-worker.js` beside it is a
 * ready command-line worker (see docs/spot-fleet-autoscaler.md).
 */
export * from './idle-exit';
export * from './imds';
export * from './queue-worker';
export * from './scale-in-protection';
export * from './spot-interruption';
