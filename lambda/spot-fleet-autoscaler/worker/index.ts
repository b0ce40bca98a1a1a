/**
 * Worker-side helpers for workers that a SpotFleetAutoscaler sizes. Bundled at build time into
 * `assets/spot-fleet-worker/index.js` (CommonJS, Node ≥ 20, `@aws-sdk/*` left to the worker's own
 * dependencies), so a worker can `require('cdk-compute-patterns/assets/spot-fleet-worker')`.
 */
export * from './idle-exit';
export * from './spot-interruption';
