// The lambda-ecs-worker pattern's public exports.
export {};
