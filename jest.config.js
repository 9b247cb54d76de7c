/** Unit tests run without servers; integration tests share one SecantusDB and one Kafka started by globalSetup. */
const swc = [
  '@swc/jest',
  { jsc: { parser: { syntax: 'typescript', decorators: true }, transform: { legacyDecorator: true, decoratorMetadata: true }, target: 'es2022' } },
];
// jose is published as ES modules only: Node requires it natively, Jest's module loader needs it compiled to CommonJS.
const esmOnly = ['@swc/jest', { jsc: { parser: { syntax: 'ecmascript' }, target: 'es2022' }, module: { type: 'commonjs' } }];
const transform = { '^.+\\.ts$': swc, '/node_modules/jose/.+\\.js$': esmOnly };
const transformIgnorePatterns = ['/node_modules/(?!jose/)'];
module.exports = {
  // Integration files share one broker, and some stop it on purpose: they must never run side by side.
  maxWorkers: 1,
  // Applies to hooks too (the project-level setting does not reach them).
  testTimeout: 60000,
  testEnvironment: 'node',
  transform,
  transformIgnorePatterns,
  projects: [
    { displayName: 'unit', testEnvironment: 'node', transform, transformIgnorePatterns, testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    {
      displayName: 'integration',
      testEnvironment: 'node',
      transform,
      transformIgnorePatterns,
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
      setupFiles: ['reflect-metadata'],
      testTimeout: 60000,
    },
    {
      // The supervisors' console in Debian's Chromium (playwright-core), against services on the integration servers.
      displayName: 'browser',
      testEnvironment: 'node',
      transform,
      transformIgnorePatterns,
      testMatch: ['<rootDir>/test/browser/**/*.test.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
      setupFiles: ['reflect-metadata'],
      testTimeout: 60000,
    },
  ],
};
