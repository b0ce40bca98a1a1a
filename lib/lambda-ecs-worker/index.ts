// The lambda-ecs-worker pattern's public exports.
export * from './lambda-ecs-worker';
export * from './props';
export { DeployCanary } from './canary';
export type { CanaryPlacement } from './canary';
