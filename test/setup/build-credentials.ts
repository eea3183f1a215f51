/**
 * Jest global set-up: `rekey credentials` runs compiled JavaScript from dist/ (the `prepare`
 * build), and the tests spawn it as the AWS CLI does. Rebuild dist/ when any credentials/
 * source is newer than its output, so that a test never exercises stale code.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sources(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

function stale(): boolean {
  return sources(path.join(ROOT, 'credentials')).some((source) => {
    const relative = path.relative(path.join(ROOT, 'credentials'), source);
    const built = path.join(ROOT, 'dist', 'credentials', relative.replace(/\.ts$/, '.js'));
    return !existsSync(built) || statSync(built).mtimeMs < statSync(source).mtimeMs;
  });
}

export default function buildCredentials(): void {
  if (!stale()) return;
  const tsc = require.resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', path.join(ROOT, 'tsconfig.credentials.json')], {
    cwd: ROOT,
    stdio: 'inherit',
  });
}
