#!/usr/bin/env node
// `rekey-credentials`, the same as `rekey credentials`: compiled JavaScript from dist/ (built by
// `npm run prepare`), without tsx, because the AWS CLI starts it before every command.
require('../dist/credentials/process/main.js').run(process.argv.slice(2));
