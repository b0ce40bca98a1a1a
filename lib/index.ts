export * from './core';
export * from './lambda-ecs-worker';
export * from './table-trigger';
export * from './spot-fleet-autoscaler';
export * from './image-processing-api';
// The contract a custom worker image needs (its environment, the job message and record shapes).
export * from '../contracts/lambda-ecs-worker/render-job';
