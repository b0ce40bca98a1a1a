export * from './core';
export * from './lambda-ecs-worker';
export * from './table-trigger';
export * from './spot-fleet-autoscaler';
export * from './image-processing-api';
