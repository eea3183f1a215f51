import { SFNClient, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { Sandbox } from '../../sandbox/sandbox';
import { seedUser } from '../e2e/helpers';
import {
  advanceClock,
  currentState,
  json,
  rekey,
  sandboxEnv,
  secretAccessKeys,
  Transcript,
  type CliRun,
} from './helpers';

/**
 * The CLI's rough edges a review found: names in another case, rollback at every phase, a
 * stopped rotation, a skipped user, two starts at once, a huge user name in `rekey status`.
 * The sandbox clock is manual here, so each rotation stays where the test put it.
 */
describe('rekey CLI: names, phases and edges', () => {
  let sb: Sandbox;
  let env: Record<string, string>;
  const transcript = new Transcript();
  const cli = (...args: string[]): Promise<CliRun> =>
    rekey(['--endpoint-url', sb.endpoint, ...args], { env, transcript });

  /** Moves sandbox time `step` seconds at a time until the execution is in `state`. */
  const advanceUntil = async (executionArn: string, state: string, step: number) => {
    for (let i = 0; i < 500 && currentState(sb, executionArn) !== state; i++) {
      await advanceClock(sb, { advanceSeconds: step });
    }
    expect(currentState(sb, executionArn)).toBe(state);
  };
  const current = (userName: string): string | undefined => {
    const secret = sb.emulator.state.secrets.find((s) => s.name === `rekey/${userName}`);
    const version = secret?.versions.find((v) => v.stages.includes('AWSCURRENT'));
    return version && (JSON.parse(version.value) as { AccessKeyId: string }).AccessKeyId;
  };
  const statusOf = (id: string) =>
    sb.emulator.state.accessKeys.find((k) => k.accessKeyId === id)?.status;

  beforeAll(async () => {
    sb = await Sandbox.start();
    env = sandboxEnv(sb);
    await advanceClock(sb, { mode: 'manual' });
  }, 60_000);

  afterAll(async () => {
    await sb.stop();
    console.log(transcript.timings());
  });

  it('resolves a name typed in another case to the IAM user, says so, and keys everything by it', async () => {
    const { oldKey } = seedUser(sb, 'mixed-case');

    const run = await cli('--output', 'json', 'rotate', 'MIXED-Case');

    expect(run.code).toBe(0);
    const started = json<{ userName: string; requestedUserName: string; name: string }>(run);
    expect(started).toMatchObject({ userName: 'mixed-case', requestedUserName: 'MIXED-Case' });
    expect(started.name).toMatch(/^rekey-mixed-case-\d{17}$/);
    const text = await cli('status', 'MIXED-CASE');
    expect(text.stdout).toContain('"MIXED-CASE" is IAM user mixed-case.');
    expect(text.stdout).toContain('mixed-case  ');
    await advanceClock(sb, { advanceSeconds: 60 });
    expect(sb.emulator.state.secrets.map((s) => s.name)).toContain('rekey/mixed-case');
    expect(sb.emulator.state.secrets.map((s) => s.name)).not.toContain('rekey/MIXED-Case');
    expect(statusOf(oldKey.accessKeyId)).toBe('Active');
  });

  it('refuses a rollback before promotion without claiming applications have the new key', async () => {
    seedUser(sb, 'early-rollback');
    const started = json<{ executionArn: string }>(
      await cli('--output', 'json', 'rotate', 'early-rollback'),
    );
    expect(currentState(sb, started.executionArn)).toMatch(/Inspect|StageKey|VerifyKey/);

    const run = await cli('rollback', 'early-rollback');

    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/has not promoted its new key yet \(phase \w+\)/);
    expect(run.stderr).toContain('applications still read the old key');
    expect(run.stderr).not.toContain('already have the new key');
  });

  it('rolls back a rotation that was stopped during its recovery window: its old key is still restorable', async () => {
    const { oldKey } = seedUser(sb, 'stopped-in-window', { lastUsedDaysAgo: null });
    const started = json<{ executionArn: string }>(
      await cli('--output', 'json', 'rotate', 'stopped-in-window'),
    );
    await advanceUntil(started.executionArn, 'RecoveryWindow', 3600);
    expect(statusOf(oldKey.accessKeyId)).toBe('Inactive');
    const sfn = new SFNClient(sb.clientConfig());
    await sfn.send(new StopExecutionCommand({ executionArn: started.executionArn }));
    sfn.destroy();

    const run = await cli('--output', 'json', 'rollback', 'stopped-in-window', '--reason', 'test');

    expect(run.code).toBe(0);
    expect(json(run)).toMatchObject({ status: 'ROLLED_BACK', restoredKeyId: oldKey.accessKeyId });
    expect(statusOf(oldKey.accessKeyId)).toBe('Active');
    expect(current('stopped-in-window')).toBe(oldKey.accessKeyId);
  });

  it('says a skipped rotation changed nothing, never that the old key was deleted', async () => {
    seedUser(sb, 'skipped-user', {
      tags: [
        { Key: 'rekey:exempt-until', Value: '2099-12-31' },
        { Key: 'rekey:exempt-reason', Value: 'test' },
      ],
    });
    const started = json<{ executionArn: string }>(
      await cli('--output', 'json', 'rotate', 'skipped-user'),
    );
    await advanceUntil(started.executionArn, 'Skipped', 60);

    const run = await cli('rollback', 'skipped-user');

    expect(run.code).toBe(1);
    expect(run.stderr).toContain('was skipped and changed nothing. Nothing to roll back.');
    expect(run.stderr).not.toContain('deleted');
  });

  it('starts two executions for two `rekey rotate` in the same second, and only one rotates', async () => {
    const { oldKey } = seedUser(sb, 'twice');

    const [a, b] = await Promise.all([
      cli('--output', 'json', 'rotate', 'twice'),
      cli('--output', 'json', 'rotate', 'twice'),
    ]);
    const arns = [a, b]
      .filter((r) => r.code === 0)
      .map((r) => json<{ executionArn: string }>(r).executionArn);
    for (let i = 0; i < 200 && arns.some((arn) => sb.execution(arn).status === 'RUNNING'); i++) {
      if (arns.every((arn) => currentState(sb, arn) === 'WaitForCutover')) break;
      await advanceClock(sb, { advanceSeconds: 60 });
    }

    // Each run reports its own execution; the workflow lets one of them rotate.
    expect(new Set(arns).size).toBe(arns.length);
    const refused = [a, b].filter((r) => r.code !== 0);
    for (const r of refused) expect(r.stderr).toContain('already being rotated');
    const keys = sb.emulator.state.accessKeys.filter((k) => k.userName === 'twice' && !k.deletedAt);
    expect(keys.map((k) => k.accessKeyId)).toContain(oldKey.accessKeyId);
    expect(keys.length).toBeLessThanOrEqual(2);
  });

  it('cuts a huge user name short in `rekey status`, never padding rows to it', async () => {
    const sfn = new SFNClient(sb.clientConfig());
    await sfn.send(
      new (await import('@aws-sdk/client-sfn')).StartExecutionCommand({
        stateMachineArn: sb.stateMachineArn('rotation'),
        input: JSON.stringify({ userName: 'z'.repeat(200_000) }),
      }),
    );
    sfn.destroy();
    await advanceClock(sb, { advanceSeconds: 60 });

    const run = await cli('status');

    expect(run.code).toBe(0);
    expect(run.stdout.length).toBeLessThan(20_000);
    expect(Math.max(...run.stdout.split('\n').map((l) => l.length))).toBeLessThan(400);
  });

  it("never prints a secret access key, in any command's output", () => {
    const text = transcript.text();
    for (const secret of secretAccessKeys(sb)) expect(text).not.toContain(secret);
  });
});
