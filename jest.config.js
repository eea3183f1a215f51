const os = require('node:os');

/**
 * Three projects, so that a change is checked in the time its kind of test needs:
 * - unit: pure code and in-process fakes (seconds): `npx jest --selectProjects unit`
 * - construct: CDK synthesis of lib/ (test/lib)
 * - e2e: the sandbox (emulator + runner), the CLI and credential process against it, the package
 * `npm test` runs all three.
 */

// Test files that start a sandbox, spawn the CLI against one, or pack the package.
const E2E = [
  '<rootDir>/test/e2e/**/*.test.ts',
  '<rootDir>/test/package/**/*.test.ts',
  '<rootDir>/test/sandbox/*.test.ts',
  '<rootDir>/test/cli/{commands,emergency,report-policy,rollback,safety,sandbox-command,usage}.test.ts',
  '<rootDir>/test/credentials/{credential-process,credential-process-errors,provider-in-rotation}.test.ts',
  '<rootDir>/test/lambdas/secrecy.test.ts',
];
const CONSTRUCT = ['<rootDir>/test/lib/**/*.test.ts'];

/** What every project shares: the transform, the polyfills and the matchers. */
const shared = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  transform: {
    '^.+\\.ts$': ['ts-jest', {}],
  },
  setupFiles: ['<rootDir>/test/setup/polyfills.ts'],
  setupFilesAfterEnv: ['<rootDir>/test/setup/matchers.ts'],
};

/** @type {import('jest').Config} */
module.exports = {
  // One worker per core, not jest's default of one fewer: the main process only collects results
  // (on 2 cores, one worker left a core idle and the suite took about twice as long).
  maxWorkers: os.availableParallelism(),
  // A worker that grew past this (a synthesis holds hundreds of MB) is replaced between files
  // instead of carrying its heap into the next one.
  workerIdleMemoryLimit: '1GB',
  // Slowest files first (last run's durations, else e2e before construct before unit), so the
  // workers finish together instead of one running the fault matrix alone at the end.
  testSequencer: '<rootDir>/test/setup/sequencer.js',
  // Builds dist/credentials when stale and synthesizes the default app once for every project
  // (REKEY_DEFAULT_ASSEMBLY).
  globalSetup: '<rootDir>/test/setup/global-setup.ts',
  globalTeardown: '<rootDir>/test/setup/global-teardown.ts',
  testTimeout: 60000,
  // On CI a handle that a failed test left open (a server it never reached stop() for) must
  // end the run with the failure reported, not hang it until the job times out. Locally jest
  // still waits and names the leak.
  forceExit: process.env.CI === 'true',
  projects: [
    {
      ...shared,
      displayName: 'unit',
      // Every test file that is in neither of the other projects (jest has no negated testMatch
      // across projects; these regexes mirror the globs above).
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      testPathIgnorePatterns: [
        '/test/lib/',
        '/test/e2e/',
        '/test/package/',
        '/test/sandbox/[^/]+\\.test\\.ts$',
        '/test/cli/(commands|emergency|report-policy|rollback|safety|sandbox-command|usage)\\.test\\.ts$',
        '/test/credentials/(credential-process|credential-process-errors|provider-in-rotation)\\.test\\.ts$',
        '/test/lambdas/secrecy\\.test\\.ts$',
      ],
    },
    { ...shared, displayName: 'construct', testMatch: CONSTRUCT },
    { ...shared, displayName: 'e2e', testMatch: E2E },
  ],
};
