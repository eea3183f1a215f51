/**
 * The default app (cdk.json's context, as `cdk synth` builds it, bundling skipped) synthesized
 * once per jest run into a temporary cloud assembly, whose directory the workers find in
 * REKEY_DEFAULT_ASSEMBLY (they inherit the environment of the process that runs the global
 * set-up). Tests that only read the default template load it (test/lib/support.ts
 * `defaultTemplate()`) instead of synthesizing it again, about 5 s each under load.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRekeyApp } from '../../lib/app';
import { cdkJsonContext, NO_VALIDATION } from '../lib/support';

export const ASSEMBLY_ENV = 'REKEY_DEFAULT_ASSEMBLY';

export function synthesizeDefaultAssembly(): string {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'rekey-default-assembly-'));
  const { app, stack } = createRekeyApp({ context: cdkJsonContext(), ...NO_VALIDATION, outdir });
  const assembly = app.synth();
  const artifact = assembly.getStackByName(stack.stackName);
  fs.writeFileSync(
    path.join(outdir, 'rekey-default.json'),
    JSON.stringify({ stackName: stack.stackName, templateFile: artifact.templateFile }),
  );
  process.env[ASSEMBLY_ENV] = outdir;
  return outdir;
}

export function removeDefaultAssembly(): void {
  const outdir = process.env[ASSEMBLY_ENV];
  if (outdir?.includes('rekey-default-assembly-'))
    fs.rmSync(outdir, { recursive: true, force: true });
}
