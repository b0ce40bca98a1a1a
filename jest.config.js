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
  // (several times faster); `npm test` runs `tsc --noEmit` alongside jest for that (scripts/test.mjs).
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  snapshotSerializers: ['<rootDir>/test/helpers/asset-hash-serializer.ts'],
  // Heavy e2e files start emulators and real renderers, and mostly wait on them: three workers keep two
  // cores busy (two left them ~40% idle).
  maxWorkers: 3,
  // Slowest first, on a fresh clone too (no cached durations there).
  testSequencer: '<rootDir>/test/helpers/slow-first-sequencer.js',
  testTimeout: 60_000,
  globalSetup: '<rootDir>/test/helpers/global-setup.ts',
  setupFiles: ['<rootDir>/test/helpers/setup-env.ts'],
};
