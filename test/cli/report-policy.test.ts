/**
 * `rekey report` decides with the policy the stack was deployed with (its RotationPolicy
 * output), not with the cdk.json beside the CLI, which may say something else.
 */
import { seedDemoAccount } from '../../sandbox/demo/seed';
import { Sandbox } from '../../sandbox/sandbox';
import { json, rekey, sandboxEnv, type CliRun } from './helpers';

let sb: Sandbox;
let env: Record<string, string>;
const cli = (...args: string[]): Promise<CliRun> =>
  rekey(['--endpoint-url', sb.endpoint, ...args], { env });

beforeAll(async () => {
  // Deployed with another policy than cdk.json's (rotate after 80 days, opt-out).
  sb = await Sandbox.start({
    context: { 'rekey:rotateAfterDays': 100, 'rekey:userSelection': 'opt-in' },
  });
  seedDemoAccount(sb);
  env = sandboxEnv(sb);
}, 60_000);

afterAll(async () => {
  await sb?.stop();
});

it('reports with the deployed rotateAfter and user selection, and says where they came from', async () => {
  const run = await cli('report', '--format', 'json');

  expect(run.code).toBe(0);
  const report = json<{
    settings: Record<string, unknown>;
    users: { userName: string; decision: string }[];
  }>(run);
  expect(report.settings).toEqual({
    source: 'stack Rekey',
    rotateAfterDays: 100,
    maxKeyAgeDays: 90,
    managedPath: '/',
    userSelection: 'opt-in',
  });
  // Under cdk.json's policy (80 days, opt-out) alice, dave and frank are due; under this one none is.
  expect(new Set(report.users.map((u) => u.decision))).not.toContain('due');
});

it('falls back to cdk.json, saying so, when no rekey stack of that name is deployed', async () => {
  const run = await cli('--stack', 'Elsewhere', 'report', '--format', 'json');

  expect(run.code).toBe(0);
  expect(json<{ settings: { source: string; rotateAfterDays: number } }>(run).settings).toEqual(
    expect.objectContaining({
      source: 'cdk.json (no stack Elsewhere deployed)',
      rotateAfterDays: 80,
    }),
  );
});

it('falls back to cdk.json, saying so, for an operator who may read IAM but not describe the stack', async () => {
  sb.emulator.seed.user({ userName: 'auditor' });
  const key = sb.emulator.seed.accessKey({ userName: 'auditor' });
  sb.emulator.seed.userPolicy('auditor', 'iam-read', {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: ['iam:Get*', 'iam:List*', 'iam:GenerateCredentialReport'],
        Resource: '*',
      },
    ],
  });
  await sb.scheduler.advance(10_000); // past IAM's propagation of a new key
  const run = await rekey(['--endpoint-url', sb.endpoint, 'report', '--format', 'json'], {
    env: { ...env, AWS_ACCESS_KEY_ID: key.accessKeyId, AWS_SECRET_ACCESS_KEY: key.secretAccessKey },
  });

  expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
  expect(json<{ settings: { source: string } }>(run).settings.source).toBe(
    'cdk.json (not allowed to describe stack Rekey)',
  );
});
