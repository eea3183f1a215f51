#!/usr/bin/env node
// The `rekey` command: loads the TypeScript CLI through tsx (no build step), runs it, exits.
require('tsx/cjs');
const { main } = require('../cli/main.ts');

main(process.argv).then((code) => {
  process.exitCode = code;
});
