import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { seedDemoAccount } from '../../sandbox/demo/seed';
import { Sandbox } from '../../sandbox/sandbox';
import { json, rekey, sandboxEnv, secretAccessKeys, Transcript, type CliRun } from './helpers';

/**
 * Every command of the `rekey` CLI, spawned as its own process against a sandbox running in
 * this test process (auto clock: a rotation's days of waiting pass in moments), seeded with
 * the demo account: alice (due), bob (exempt), carol (two active keys), dave (due, never used),
 * erin (young key), frank (expired exemption), gina (opted out).
 */
describe('rekey CLI against the sandbox', () => {
  let sb: Sandbox;
  let env: Record<string, string>;
  const transcript = new Transcript();
  const cli = (...args: string[]): Promise<CliRun> =>
    rekey(['--endpoint-url', sb.endpoint, ...args], { env, transcript });

  beforeAll(async () => {
    sb = await Sandbox.start();
    seedDemoAccount(sb);
    env = sandboxEnv(sb);
  }, 60_000);

  afterAll(async () => {
    await sb.stop();
    console.log(transcript.timings());
  });

  describe('clear errors before anything changes', () => {
    it('names the missing stack and region, and the fix (exit 3), in text and in JSON', async () => {
      const text = await cli('--stack', 'Nope', 'status');
      const machine = await cli('--stack', 'Nope', '--output', 'json', 'rotate', 'alice');

      expect(text.code).toBe(3);
      expect(text.stderr).toContain('stack Nope not found in us-east-1 at http://127.0.0.1:');
      expect(text.stderr).toContain('deploy it with npx cdk deploy or pass --stack');
      expect(machine.code).toBe(3);
      expect(json(machine)).toEqual({
        error: {
          code: 'StackNotFound',
          message: expect.stringContaining('stack Nope not found') as unknown,
          exitCode: 3,
        },
      });
    });

    it.each([['rotate'], ['status'], ['rollback']])(
      'refuses an unknown user in `rekey %s` (exit 4) and starts nothing',
      async (command) => {
        const before = sb.emulator.state.executions.length;

        const run = await cli(command, 'zed');

        expect(run.code).toBe(4);
        expect(run.stderr).toContain('IAM user "zed" not found');
        expect(sb.emulator.state.executions).toHaveLength(before);
      },
    );
  });

  describe('the sandbox stack', () => {
    it('publishes the synthesized stack and its outputs through DescribeStacks', async () => {
      const cfn = new CloudFormationClient(sb.clientConfig());
      const out = await cfn.send(new DescribeStacksCommand({ StackName: 'Rekey' }));
      cfn.destroy();

      const outputs = Object.fromEntries(
        (out.Stacks?.[0]?.Outputs ?? []).map((o): [string, string] => [
          o.OutputKey ?? '',
          o.OutputValue ?? '',
        ]),
      );
      const { RotationPolicy: policyJson, ...others } = outputs;
      expect(others).toEqual({
        RotationStateMachineArn: sb.stateMachineArn('rotation'),
        FleetScanStateMachineArn: sb.stateMachineArn('fleet-scan'),
        NotificationTopicArn: expect.stringMatching(
          /^arn:aws:sns:us-east-1:123456789012:/,
        ) as unknown,
        SecretPrefix: 'rekey/',
        EncryptionKeyArn: expect.stringMatching(
          /^arn:aws:kms:us-east-1:123456789012:key\//,
        ) as unknown,
      });
      // The policy as the functions run with it (the same JSON as their environment).
      const functionPolicy: unknown = JSON.parse(
        sb.stack.functions[0]?.environment.REKEY_POLICY ?? '',
      );
      expect(JSON.parse(policyJson ?? '')).toEqual({
        policy: functionPolicy,
        selection: { mode: 'opt-out', minRotateAfterDays: 80 },
        managedPath: '/',
      });
    });
  });

  describe('rekey report', () => {
    const expected: Record<string, string> = {
      alice: 'due',
      bob: 'exempt',
      carol: 'two-active-keys',
      dave: 'due',
      erin: 'compliant',
      frank: 'due',
      gina: 'opted-out',
    };

    it("lists every seeded user with its keys and the fleet scan's decision (--format json)", async () => {
      const run = await cli('report', '--format', 'json');

      expect(run.code).toBe(0);
      const report = json<{
        users: {
          userName: string;
          decision: string;
          keys: { ageDays: number; active: boolean }[];
          dueDate?: string;
          exemption?: { until: string };
          noncompliant: boolean;
        }[];
        summary: { users: number; noncompliant: string[]; decisions: Record<string, number> };
        settings: { source: string; maxKeyAgeDays: number; rotateAfterDays: number };
      }>(run);
      expect(Object.fromEntries(report.users.map((u) => [u.userName, u.decision]))).toEqual(
        expected,
      );
      const carol = report.users.find((u) => u.userName === 'carol');
      expect(carol?.keys.map((k) => [k.ageDays, k.active])).toEqual([
        [95, true],
        [30, true],
      ]);
      expect(report.users.find((u) => u.userName === 'bob')?.exemption?.until).toMatch(
        /^\d{4}-\d{2}-\d{2}$/,
      );
      expect(report.users.every((u) => u.dueDate !== undefined)).toBe(true);
      expect(report.settings).toMatchObject({
        source: 'stack Rekey',
        maxKeyAgeDays: 90,
        rotateAfterDays: 80,
      });
      expect(report.summary.users).toBe(7);
      expect(report.summary.noncompliant.sort()).toEqual(['carol', 'dave', 'gina']);
    });

    it('prints a table and a summary by default, and the same JSON with --output json', async () => {
      const [table, global] = await Promise.all([cli('report'), cli('--output', 'json', 'report')]);

      expect(table.code).toBe(0);
      expect(table.stdout).toMatch(
        /^user\s+key\s+status\s+age\s+last used\s+exemption\s+due\s+decision/,
      );
      for (const user of Object.keys(expected))
        expect(table.stdout).toMatch(new RegExp(`^${user}\\s`, 'm'));
      expect(table.stdout).toContain('noncompliant: 3 user(s)');
      expect(json<{ users: unknown[] }>(global).users).toHaveLength(7);
    });

    it('writes one CSV row per key', async () => {
      const run = await cli('report', '--format', 'csv');

      const lines = run.stdout.trim().split('\n');
      expect(lines[0]).toBe(
        'user,path,managed,key_slot,key_status,key_age_days,key_created,key_last_used,key_last_used_service,exempt_until,exempt_reason,due_date,decision,noncompliant,reason',
      );
      expect(lines).toHaveLength(1 + 8); // carol has two keys
      expect(lines.filter((l) => l.startsWith('carol,'))).toHaveLength(2);
    });

    it('fails the compliance gate (exit 1) naming the users past the maximum age', async () => {
      const run = await cli('report', '--fail-on-noncompliant');

      expect(run.code).toBe(1);
      expect(run.stderr).toContain(
        '3 managed user(s) have an active key older than 90 days and no exemption: ',
      );
      expect(run.stderr).toMatch(/carol/);
    });

    it('passes the gate (exit 0) when --max-age is above every key not exempted', async () => {
      const run = await cli('report', '--fail-on-noncompliant', '--max-age', '101');

      expect(run.code).toBe(0);
      expect(run.stdout).toContain(
        'compliant: no managed user has an active key older than 101 days',
      );
    });
  });

  describe('rekey rotate', () => {
    it('rotates a due user with --wait, showing every step, and exits 0', async () => {
      const oldKey = sb.emulator.state.accessKeys.find(
        (k) => k.userName === 'dave' && !k.deletedAt,
      );

      const run = await cli('rotate', 'dave', '--wait');

      expect(run.code).toBe(0);
      const steps = [
        'Inspect',
        'StageKey',
        'VerifyKey',
        'PromoteKey',
        'WaitForCutover',
        'CheckCutover',
        'DeactivateOldKey',
        'RecoveryWindow',
        'CheckRecoveryWindow',
        'DeleteOldKey',
        'Report',
        'Rotated',
      ];
      const lines = run.stdout.split('\n');
      let at = -1;
      for (const step of steps) {
        const next = lines.findIndex((l, i) => i > at && new RegExp(`\\bok\\s+${step}\\s`).test(l));
        expect({ step, found: next > at }).toEqual({ step, found: true });
        at = next;
      }
      expect(run.stdout).toMatch(/VerifyKey\s+\d+ s\s+.*\(2 retries: KeyNotYetValidError\)/);
      // The 7-day recovery window: waits of three, three and one day. A check of the secret
      // follows each but the last, after which DeleteOldKey reads the secret itself.
      const waits = run.stdout.match(/\bok\s+RecoveryWindow\s+\S+ \S+\s*$/gm) ?? [];
      expect(waits.map((l) => /(\d+d \d+h)\s*$/.exec(l)?.[1])).toEqual(['3d 0h', '3d 0h', '1d 0h']);
      const checks = run.stdout.match(/\bok\s+CheckRecoveryWindow\s.*$/gm) ?? [];
      expect(checks).toHaveLength(2);
      expect(
        checks.every((l) =>
          /secret still there; the recovery window ends \d{4}-\d\d-\d\d \d\d:\d\d UTC$/.test(l),
        ),
      ).toBe(true);
      expect(run.stdout).toMatch(/^dave rotated in \d+d \d+h: AKIA…\w{4} -> AKIA…\w{4}$/m);
      const keys = sb.emulator.state.accessKeys.filter((k) => k.userName === 'dave');
      expect(keys.find((k) => k.accessKeyId === oldKey?.accessKeyId)?.deletedAt).toBeDefined();
      expect(keys.filter((k) => !k.deletedAt && k.status === 'Active')).toHaveLength(1);
    });

    it("exits 1 with the execution's error and cause when the workflow refuses", async () => {
      const run = await cli('rotate', 'carol', '--wait');

      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(/FAIL Inspect\s.*TwoActiveKeysError/);
      expect(run.stderr).toContain(
        'rotation of carol FAILED: TwoActiveKeysError: carol has two active access keys',
      );
    });

    it('explains a dry run in JSON and changes nothing', async () => {
      const before = JSON.stringify(
        sb.emulator.state.accessKeys.filter((k) => k.userName === 'erin'),
      );

      const run = await cli('--output', 'json', 'rotate', 'erin', '--dry-run', '--wait');

      expect(run.code).toBe(0);
      const result = json<
        Record<string, unknown> & { steps: { name: string; status: string; durationMs?: number }[] }
      >(run);
      expect(result).toMatchObject({
        userName: 'erin',
        dryRun: true,
        status: 'SUCCEEDED',
        outcome: 'DryRunComplete',
        decision: 'rotate',
        requestedBy: expect.stringMatching(
          /^rekey-cli:arn:aws:sts::123456789012:assumed-role\/sandbox-admin\//,
        ) as unknown,
      });
      expect(result.steps.map((s) => s.name)).toEqual(['Inspect', 'Decide', 'DryRunComplete']);
      expect(result.steps[0]).toMatchObject({ status: 'succeeded', durationMs: 0 });
      expect(
        JSON.stringify(sb.emulator.state.accessKeys.filter((k) => k.userName === 'erin')),
      ).toBe(before);
    });

    it('starts without --wait: prints the execution and the input it was given', async () => {
      const run = await cli('--output', 'json', 'rotate', 'bob');

      expect(run.code).toBe(0);
      const started = json<{ executionArn: string; name: string; status: string }>(run);
      expect(started).toMatchObject({ userName: 'bob', dryRun: false, status: 'RUNNING' });
      expect(started.name).toMatch(/^rekey-bob-\d{17}$/);
      const input = JSON.parse(sb.execution(started.executionArn).input) as unknown;
      expect(input).toEqual({
        userName: 'bob',
        requestedBy: expect.stringMatching(/^rekey-cli:arn:aws:sts::/) as unknown,
      });
      await sb.settle();
      expect(sb.execution(started.executionArn).status).toBe('SUCCEEDED'); // bob is exempt: skipped
    });
  });

  describe('rekey status', () => {
    it('lists recent rotations with their outcome in JSON', async () => {
      const run = await cli('--output', 'json', 'status');

      expect(run.code).toBe(0);
      const status = json<{ running: unknown[]; recent: { userName: string }[] }>(run);
      expect(status.running).toEqual([]);
      const byUser = Object.fromEntries(status.recent.map((r) => [r.userName, r]));
      expect(byUser.dave).toMatchObject({ status: 'SUCCEEDED', phase: 'Rotated' });
      expect(byUser.carol).toMatchObject({
        status: 'FAILED',
        phase: 'Refused',
        error: 'TwoActiveKeysError',
      });
      expect(byUser.bob).toMatchObject({ status: 'SUCCEEDED', phase: 'Skipped' });
      expect(byUser.erin).toMatchObject({
        status: 'SUCCEEDED',
        phase: 'DryRunComplete',
        dryRun: true,
      });
    });

    it('shows one user in text', async () => {
      const run = await cli('status', 'dave');

      expect(run.code).toBe(0);
      expect(run.stdout).toContain('No rotation of dave is running.');
      expect(run.stdout).toMatch(/^\s+dave\s+SUCCEEDED\s+Rotated\s/m);
      expect(run.stdout).not.toMatch(/carol/);
    });
  });

  describe('rekey rollback outside the recovery window', () => {
    it('refuses a user who has never been rotated, and changes nothing', async () => {
      const before = JSON.stringify(sb.emulator.state.accessKeys);

      const run = await cli('rollback', 'gina');

      expect(run.code).toBe(1);
      expect(run.stderr).toContain('gina has no running rotation: there is nothing to roll back.');
      expect(JSON.stringify(sb.emulator.state.accessKeys)).toBe(before);
    });

    it('refuses after the rotation completed: the old key is already deleted', async () => {
      const run = await cli('--output', 'json', 'rollback', 'dave');

      expect(run.code).toBe(1);
      expect(run.stderr).toContain(
        'its old key was deleted after the recovery window. Rollback is no longer possible',
      );
      expect(json(run)).toMatchObject({ error: { code: 'RollbackRefused', exitCode: 1 } });
    });
  });

  it("never prints a secret access key, in any command's output", () => {
    const secrets = secretAccessKeys(sb);
    const text = transcript.text();

    expect(secrets.length).toBeGreaterThan(8);
    expect(transcript.runs.length).toBeGreaterThan(15);
    expect(secrets.filter((s) => text.includes(s))).toEqual([]);
  });
});
