#!/usr/bin/env node
// The `rekey` command. `rekey credentials` runs compiled JavaScript from dist/ (built by
// `npm run prepare`) without loading the CLI, because the AWS CLI starts it before every command.
// Every other command runs the CLI: from its TypeScript sources through tsx in a clone of the
// repository (no build step, never a stale build), from the compiled dist/cli/ in the installed
// package, which ships no sources and no tsx.
const { existsSync } = require('node:fs');
const path = require('node:path');

if (process.argv[2] === 'credentials') {
  require('../dist/credentials/process/main.js').run(process.argv.slice(3));
} else {
  let cli;
  if (existsSync(path.join(__dirname, '..', 'cli', 'main.ts'))) {
    require('tsx/cjs');
    cli = require('../cli/main.ts');
  } else {
    cli = require('../dist/cli/main.js');
  }
  cli.main(process.argv).then((code) => {
    process.exitCode = code;
  });
}
