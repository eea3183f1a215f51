#!/usr/bin/env node
// The `rekey` command. `rekey credentials` runs compiled JavaScript from dist/ (built by
// `npm run prepare`) without tsx, because the AWS CLI starts it before every command; every
// other command loads the TypeScript CLI through tsx (no build step), runs it, exits.
if (process.argv[2] === 'credentials') {
  require('../dist/credentials/process/main.js').run(process.argv.slice(3));
} else {
  require('tsx/cjs');
  const { main } = require('../cli/main.ts');

  main(process.argv).then((code) => {
    process.exitCode = code;
  });
}
