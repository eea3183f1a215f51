/**
 * The template as `cdk synth` writes it, checked by the two validators the other construct tests
 * skip for speed: CDK's built-in CloudFormation validation (run at synthesis) and cfn-lint (the
 * CloudFormation linter, from this machine's Python; CI=true requires it).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createRekeyApp } from '../../lib/app';
import { requireTool } from '../setup/tools';
import { cdkJsonContext } from './support';

/**
 * cfn-lint's W3005 (a DependsOn a GetAtt already implies) is how CDK orders every function after
 * its role's policy: CDK writes it on purpose, and it is harmless.
 */
const IGNORED = ['W3005'];

const outdir = mkdtempSync(path.join(tmpdir(), 'rekey-validation-'));
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

/** Synthesizes the app with built-in validation on, as `cdk synth` does; returns its template. */
function synth(name: string, context: Record<string, unknown>): string {
  const dir = path.join(outdir, name);
  const { app, stack } = createRekeyApp({ outdir: dir, context: cdkJsonContext(context) });
  const assembly = app.synth();
  return assembly.getStackArtifact(stack.artifactId).templateFullPath;
}

const variants: Record<string, Record<string, unknown>> = {
  default: {},
  everything: {
    'rekey:notificationEmail': 'ops@example.com',
    'rekey:consumerAccess': 'none',
    'rekey:deadlineAction': 'enforce',
    'rekey:scanAuditOnly': true,
  },
};
const templates = Object.fromEntries(
  Object.entries(variants).map(([name, context]) => [name, synth(name, context)]),
);

it("passes CDK's built-in CloudFormation validation with nothing to report", () => {
  for (const name of Object.keys(variants)) {
    const report = JSON.parse(
      readFileSync(path.join(outdir, name, 'validation-report.json'), 'utf8'),
    ) as { pluginReports: { violations: unknown[] }[] };
    expect({ name, violations: report.pluginReports.flatMap((r) => r.violations) }).toEqual({
      name,
      violations: [],
    });
  }
});

it('passes cfn-lint with no error and no warning but the one CDK writes on purpose', () => {
  const cfnLint = requireTool('cfn-lint');
  if (!cfnLint) return;
  const run = spawnSync(
    cfnLint,
    ['--format', 'parseable', '--ignore-checks', ...IGNORED, '--', ...Object.values(templates)],
    { encoding: 'utf8' },
  );
  expect({ status: run.status, findings: run.stdout.trim().split('\n').filter(Boolean) }).toEqual({
    status: 0,
    findings: [],
  });
  // The linter does look: the same run without the ignore finds CDK's W3005.
  const unfiltered = spawnSync(cfnLint, ['--format', 'parseable', '--', templates.default ?? ''], {
    encoding: 'utf8',
  });
  expect(unfiltered.stdout).toMatch(/W3005/);
});
