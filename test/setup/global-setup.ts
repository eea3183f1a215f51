/**
 * Jest global set-up, once per run for every project: dist/credentials rebuilt when stale, and
 * the default app synthesized once (see default-assembly.ts).
 */
import buildCredentials from './build-credentials';
import { synthesizeDefaultAssembly } from './default-assembly';

export default function globalSetup(): void {
  buildCredentials();
  synthesizeDefaultAssembly();
}
