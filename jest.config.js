const os = require('node:os');

/** @type {import('jest').Config} */
module.exports = {
  // One worker per core, not jest's default of one fewer: the main process only collects results
  // (on 2 cores, one worker left a core idle and the suite took about twice as long).
  maxWorkers: os.availableParallelism(),
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', {}],
  },
  // `rekey credentials` runs from dist/: rebuilt first when its sources changed.
  globalSetup: '<rootDir>/test/setup/build-credentials.ts',
  setupFiles: ['<rootDir>/test/setup/polyfills.ts'],
  setupFilesAfterEnv: ['<rootDir>/test/setup/matchers.ts'],
  testTimeout: 60000,
  // On CI a handle that a failed test left open (a server it never reached stop() for) must
  // end the run with the failure reported, not hang it until the job times out. Locally jest
  // still waits and names the leak.
  forceExit: process.env.CI === 'true',
};
