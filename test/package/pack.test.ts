/**
 * The package as another CDK app gets it: `npm pack`, the tarball installed into a new app with
 * nothing else but the peer dependencies, the app written in plain JavaScript and synthesized
 * with neither esbuild nor TypeScript resolvable, and the CLI started from the install.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { installIntoNewApp, packWorkingTree, ROOT, type Manifest, type Packed } from './install';

const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as Manifest;
const STEPS = fs
  .readdirSync(path.join(ROOT, 'lambdas'))
  .filter((step) => fs.existsSync(path.join(ROOT, 'lambdas', step, 'handler.ts')));

const APP_JS = `
const { App, Stack } = require('aws-cdk-lib');
const { KeyRotation, DeadlineAction } = require('${pkg.name}');

const app = new App({ outdir: 'cdk.out' });
const stack = new Stack(app, 'Consumer');
new KeyRotation(stack, 'KeyRotation', { managedPath: '/apps/', deadlineAction: DeadlineAction.ENFORCE });
app.synth();
`;

/** Type-checked against the installed declarations; a wrong prop must be an error. */
const CONSUMER_TS = `
import { App, Stack } from 'aws-cdk-lib';
import { KeyRotation } from '${pkg.name}';
import { fromRekeySecret } from '${pkg.name}/credentials';

const stack = new Stack(new App(), 'Typed');
const rotation: KeyRotation = new KeyRotation(stack, 'KeyRotation', { managedPath: '/apps/' });
rotation.grantStartRotation(rotation.stateMachine.role);
fromRekeySecret({ secretId: 'rekey/alice', refreshInterval: 60_000 });
// @ts-expect-error managedPath is a string
new KeyRotation(stack, 'Wrong', { managedPath: 42 });
`;

describe('the npm package', () => {
  let work: string;
  let app: string;
  let packed: Packed;
  let synth: ReturnType<typeof spawnSync>;

  beforeAll(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'rekey-pack-'));
    packed = packWorkingTree(work);
    app = path.join(work, 'app');
    installIntoNewApp(app, packed.tarball, pkg);
    fs.writeFileSync(path.join(app, 'app.js'), APP_JS);
    synth = spawnSync(process.execPath, ['app.js'], { cwd: app, encoding: 'utf8' });
  }, 300_000);
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  const rekeyBin = (...args: string[]): ReturnType<typeof spawnSync> =>
    spawnSync(path.join(app, 'node_modules', '.bin', 'rekey'), args, {
      cwd: app,
      encoding: 'utf8',
    });

  it('ships compiled JavaScript with declarations and every handler pre-bundled, no sources', () => {
    expect(packed.files).toEqual(
      expect.arrayContaining([
        'dist/lib/index.js',
        'dist/lib/index.d.ts',
        'dist/cli/main.js',
        'dist/credentials/index.d.ts',
        ...STEPS.flatMap((s) => [`dist/handlers/${s}/index.js`, `dist/handlers/${s}/index.js.map`]),
      ]),
    );
    expect(STEPS).toHaveLength(11);
    const sources = packed.files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'));
    expect(sources).toEqual([]);
    expect(packed.files.filter((f) => /^(dist\/)?(sandbox|bench|test)\//.test(f))).toEqual([]);
    console.log(
      `rekey package: ${packed.files.length} files, ${(packed.size / 1024).toFixed(0)} KB packed, ` +
        `${(packed.unpackedSize / 1024).toFixed(0)} KB unpacked`,
    );
  });

  it('installs with aws-cdk-lib and constructs as peers, without esbuild, TypeScript, tsx or the sandbox dependencies', () => {
    expect(Object.keys(pkg.peerDependencies).sort()).toEqual(['aws-cdk-lib', 'constructs']);
    const installed = path.join(app, 'node_modules', ...pkg.name.split('/'));
    expect(fs.existsSync(path.join(installed, 'dist', 'lib', 'index.js'))).toBe(true);
    // Asked of Node in the app, as the app and the installed package would require them.
    const unresolvable = (from: string): string[] => {
      const probe = spawnSync(
        process.execPath,
        [
          '-e',
          `const names = ['esbuild', 'typescript', 'tsx', 'aws-local-stepfunctions', '@cloud-copilot/iam-simulate'];
           console.log(JSON.stringify(names.filter((n) => {
             try { require.resolve(n, { paths: [process.cwd()] }); return false; } catch { return true; }
           })));`,
        ],
        { cwd: from, encoding: 'utf8' },
      );
      return JSON.parse(probe.stdout) as string[];
    };
    for (const from of [app, installed]) {
      expect(unresolvable(from)).toEqual([
        'esbuild',
        'typescript',
        'tsx',
        'aws-local-stepfunctions',
        '@cloud-copilot/iam-simulate',
      ]);
    }
    // The probe can tell: the construct's own dependencies do resolve.
    expect(() =>
      execFileSync(process.execPath, ['-e', "require.resolve('cdk-nag')"], { cwd: installed }),
    ).not.toThrow();
  });

  it('synthesizes a plain JavaScript CDK app with the installed construct', () => {
    expect(synth.stderr).toBe('');
    expect(synth.status).toBe(0);
    const template = Template.fromJSON(
      JSON.parse(
        fs.readFileSync(path.join(app, 'cdk.out', 'Consumer.template.json'), 'utf8'),
      ) as Record<string, unknown>,
    );
    template.resourceCountIs('AWS::Lambda::Function', STEPS.length);
    template.allResourcesProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
    });
    template.resourceCountIs('AWS::StepFunctions::StateMachine', 2);
  });

  it('deploys each handler as its pre-bundled asset, leaving the AWS SDK to the runtime', () => {
    const out = path.join(app, 'cdk.out');
    const manifest = JSON.parse(
      fs.readFileSync(path.join(out, 'Consumer.assets.json'), 'utf8'),
    ) as {
      files: Record<string, { source: { path: string; packaging?: string } }>;
    };
    const zips = Object.values(manifest.files).filter((f) => f.source.packaging === 'zip');
    expect(zips).toHaveLength(STEPS.length);
    for (const zip of zips) {
      const bundle = path.join(out, zip.source.path, 'index.js');
      expect(fs.readFileSync(bundle, 'utf8')).toMatch(/require\("@aws-sdk\/client-[a-z-]+"\)/);
      expect(fs.existsSync(`${bundle}.map`)).toBe(true);
    }
  });

  it('gives TypeScript users the declarations of the construct and of /credentials', () => {
    fs.writeFileSync(path.join(app, 'consumer.ts'), CONSUMER_TS);
    const tsc = spawnSync(
      process.execPath,
      [
        require.resolve('typescript/bin/tsc'),
        '--noEmit',
        '--strict',
        '--skipLibCheck',
        '--module',
        'node16',
        '--moduleResolution',
        'node16',
        '--target',
        'es2022',
        '--typeRoots',
        path.join(ROOT, 'node_modules', '@types'),
        '--types',
        'node',
        'consumer.ts',
      ],
      { cwd: app, encoding: 'utf8' },
    );
    expect(tsc.stdout).toBe('');
    expect(tsc.status).toBe(0);
  }, 60_000);

  it('runs the installed CLI from compiled JavaScript, and npx --no finds it, not the registry', () => {
    const help = rekeyBin('--help');
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/rotate/);
    const npx = path.join(path.dirname(process.execPath), 'npx');
    const version = execFileSync(npx, ['--no', '--', 'rekey', '--version'], {
      cwd: app,
      encoding: 'utf8',
    });
    expect(version.trim()).toBe(pkg.version);
  });

  it('says that rekey sandbox needs a clone of the repository, instead of a missing module', () => {
    const sandbox = rekeyBin('sandbox', '--port', '0');
    expect(sandbox.status).toBe(3);
    expect(sandbox.stderr).toMatch(/rekey sandbox runs from a clone of the rekey repository/);
  });

  it('runs rekey credentials from the install (bad options exit 2)', () => {
    const credentials = rekeyBin('credentials', '--refresh-interval', '1');
    expect(credentials.status).toBe(2);
    expect(credentials.stdout).toBe('');
  });
});
