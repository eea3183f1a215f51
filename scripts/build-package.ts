/**
 * The package build, run by `npm pack` (prepack): the construct, the CLI and the credential
 * provider as compiled JavaScript with declarations in dist/, and every Lambda handler
 * pre-bundled in dist/handlers/<step>/ with the settings RekeyFunction deploys with, so that an
 * app that installs the package synthesizes without esbuild or TypeScript.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { buildSync } from 'esbuild';
import { handlerBuildOptions } from '../lib/handler-bundling';

const ROOT = path.resolve(__dirname, '..');
const DIST = path.join(ROOT, 'dist');

/** Every folder under lambdas/ with a handler: the Lambdas a KeyRotation deploys. */
function steps(): string[] {
  return readdirSync(path.join(ROOT, 'lambdas'), { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(path.join(ROOT, 'lambdas', e.name, 'handler.ts')))
    .map((e) => e.name);
}

// From nothing: a handler or module that no longer exists must not ship from an earlier build.
rmSync(DIST, { recursive: true, force: true });
execFileSync(
  process.execPath,
  [require.resolve('typescript/bin/tsc'), '-p', path.join(ROOT, 'tsconfig.package.json')],
  // Its messages to stderr: stdout is `npm pack --json`'s.
  { cwd: ROOT, stdio: ['ignore', 2, 2] },
);
for (const step of steps()) {
  const entry = path.join(ROOT, 'lambdas', step, 'handler.ts');
  buildSync({
    ...handlerBuildOptions(entry, path.join(DIST, 'handlers', step)),
    absWorkingDir: ROOT,
    logLevel: 'warning',
  });
}
console.error(`rekey: built dist/ (${steps().length} handlers pre-bundled in dist/handlers/)`);
