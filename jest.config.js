/** Unit tests run without servers; integration tests share one SecantusDB and one Kafka started by globalSetup. */
const swc = ['@swc/jest', { jsc: { parser: { syntax: 'typescript', decorators: true }, transform: { legacyDecorator: true, decoratorMetadata: true }, target: 'es2022' } }];
module.exports = {
  // Integration files share one broker, and some stop it on purpose: they must never run side by side.
  maxWorkers: 1,
  // Applies to hooks too (the project-level setting does not reach them).
  testTimeout: 60000,
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': swc },
  projects: [
    { displayName: 'unit', testEnvironment: 'node', transform: { '^.+\\.ts$': swc }, testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    {
      displayName: 'integration',
      testEnvironment: 'node',
      transform: { '^.+\\.ts$': swc },
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
      setupFiles: ['reflect-metadata'],
      testTimeout: 60000,
    },
  ],
};
