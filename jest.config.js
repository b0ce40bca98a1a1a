/** @type {import('jest').Config} */
module.exports = {
  // Node, plus one CloudFormation validator engine per worker instead of one per test file (~3 s each).
  testEnvironment: '<rootDir>/test/helpers/cdk-test-environment.ts',
  moduleNameMapper: { '^@aws/cloudformation-validate$': '<rootDir>/test/helpers/shared-cfn-validate.ts' },
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // test/image builds and runs the worker image with podman: `npm run test:image` (jest.image.config.js).
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/image/'],
  // tsconfig.json sets isolatedModules, so ts-jest transpiles file by file without type-checking
  // (several times faster); `npm test` runs `tsc --noEmit` first for that.
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  snapshotSerializers: ['<rootDir>/test/helpers/asset-hash-serializer.ts'],
  // Heavy e2e files start emulators and real renderers; two workers match the two cores.
  maxWorkers: 3,
  testTimeout: 60_000,
  globalSetup: '<rootDir>/test/helpers/global-setup.ts',
  setupFiles: ['<rootDir>/test/helpers/setup-env.ts'],
};
