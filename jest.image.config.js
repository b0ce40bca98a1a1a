/**
 * `npm run test:image`: builds docker/povray-worker/Dockerfile with podman and runs the image the way the
 * task definition runs it. Slow (a base image on first run, real containers), so not part of `npm test`.
 * @type {import('jest').Config}
 */
const base = require('./jest.config');

module.exports = {
  ...base,
  roots: ['<rootDir>/test/image'],
  testPathIgnorePatterns: ['/node_modules/'],
  // One container at a time: each gets the task's full CPU share, and two cores are all there is.
  maxWorkers: 1,
  testTimeout: 120_000,
  globalSetup: '<rootDir>/test/image/global-setup.ts',
  globalTeardown: '<rootDir>/test/image/global-teardown.ts',
};
