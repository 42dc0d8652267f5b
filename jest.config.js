/** Jest runs the TypeScript sources as native ES modules (see the `test` script for the Node flag). */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }] },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  testTimeout: 60000,
  globalSetup: '<rootDir>/test/support/sweep.ts',
  // Tests that start Open vSwitch or hold namespaces run one file at a time: two cores, real processes.
  maxWorkers: 2,
};
