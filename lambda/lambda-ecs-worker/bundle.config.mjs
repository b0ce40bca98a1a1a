// The pattern's second function: the deploy-time canary (lambda/lambda-ecs-worker/canary.ts), bundled into
// assets/lambda-ecs-worker-canary/ and deployed by lib/lambda-ecs-worker/canary.ts. The launcher (index.ts)
// is the default role, with the default options.
export const roles = {
  canary: {},
};
