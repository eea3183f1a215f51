#!/usr/bin/env node
import { runDemo } from '../sandbox/demo/main';

runDemo().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`rekey demo failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
