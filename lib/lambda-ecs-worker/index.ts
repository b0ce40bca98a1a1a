// The lambda-ecs-worker pattern's public exports.
export * from './lambda-ecs-worker';
export * from './props';
