import childProcess from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { RekeyFunction } from '../../lib/rekey-function';

describe('bundling a rotation step', () => {
  let outdir: string;
  beforeAll(() => {
    outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'rekey-bundle-'));
  });
  afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

  // The one test that bundles for real; every other construct test skips esbuild.
  it('builds a nodejs22.x arm64 asset with the local esbuild, leaving the AWS SDK to the runtime', () => {
    const spawn = jest.spyOn(childProcess, 'spawnSync');
    const app = new App({ outdir });
    const stack = new Stack(app, 'Bundled');
    new RekeyFunction(stack, 'CheckCutover', {
      step: 'check-cutover',
      description: "compare the keys' last use",
      environment: {},
      encryptionKey: new kms.Key(stack, 'Key', { enableKeyRotation: true }),
      logRetention: RetentionDays.ONE_WEEK,
    });

    const assembly = app.synth();
    const commands = spawn.mock.calls.map(([cmd, args]) => [cmd, ...(args ?? [])].join(' '));
    spawn.mockRestore();

    const esbuild = commands.filter((c) => /esbuild/.test(c));
    expect(esbuild).toHaveLength(1);
    expect(esbuild[0]).toContain('lambdas/check-cutover/handler.ts');
    expect(esbuild[0]).toContain('--target=node22');
    expect(esbuild[0]).toContain('--external:@aws-sdk/*');
    expect(commands.filter((c) => /^docker\b/.test(c))).toEqual([]);

    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
    });
    const manifest = JSON.parse(
      fs.readFileSync(path.join(assembly.directory, `${stack.artifactId}.assets.json`), 'utf8'),
    ) as { files: Record<string, { source: { path: string; packaging?: string } }> };
    const zips = Object.values(manifest.files).filter((f) => f.source.packaging === 'zip');
    expect(zips).toHaveLength(1);
    const bundle = path.join(assembly.directory, zips[0]?.source.path ?? '', 'index.js');
    const code = fs.readFileSync(bundle, 'utf8');
    expect(code).toMatch(/require\("@aws-sdk\/client-iam"\)/);
    expect(fs.existsSync(`${bundle}.map`)).toBe(true);
  });
});
