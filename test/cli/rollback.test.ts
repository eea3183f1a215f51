import { seedDemoAccount } from '../../sandbox/demo/seed';
import { Sandbox } from '../../sandbox/sandbox';
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

const HOUR = 3600;

/**
 * `rekey rollback` on a manual clock: the rotation is stepped forward through the control route
 * until it waits in the recovery window, rolled back there, then left to run past the window.
 */
describe('rekey rollback during the recovery window', () => {
  let sb: Sandbox;
  let env: Record<string, string>;
  let executionArn: string;
  let oldKeyId: string;
  let newKeyId: string;
  const transcript = new Transcript();
  const cli = (...args: string[]): Promise<CliRun> =>
    rekey(['--endpoint-url', sb.endpoint, ...args], { env, transcript });

  const keyOf = (id: string) => sb.emulator.state.accessKeys.find((k) => k.accessKeyId === id);
  const current = (): string | undefined => {
    const secret = sb.emulator.state.secrets.find((s) => s.name === 'rekey/dave');
    const version = secret?.versions.find((v) => v.stages.includes('AWSCURRENT'));
    return version && (JSON.parse(version.value) as { AccessKeyId: string }).AccessKeyId;
  };
  /** Advances sandbox time by `step` seconds at a time until the execution is in `state`. */
  const advanceUntil = async (state: string, step: number): Promise<void> => {
    for (let i = 0; i < 500 && currentState(sb, executionArn) !== state; i++) {
      await advanceClock(sb, { advanceSeconds: step });
    }
    expect(currentState(sb, executionArn)).toBe(state);
  };

  beforeAll(async () => {
    sb = await Sandbox.start();
    seedDemoAccount(sb);
    env = sandboxEnv(sb);
    await advanceClock(sb, { mode: 'manual' });
  }, 60_000);

  afterAll(async () => {
    await sb.stop();
    console.log(transcript.timings());
  });

  it('starts a rotation of dave and follows it into the cutover wait', async () => {
    oldKeyId = sb.emulator.state.accessKeys.find((k) => k.userName === 'dave')?.accessKeyId ?? '';

    const run = await cli('--output', 'json', 'rotate', 'dave');

    expect(run.code).toBe(0);
    executionArn = json<{ executionArn: string }>(run).executionArn;
    await advanceUntil('WaitForCutover', 60);
    newKeyId =
      sb.emulator.state.accessKeys.find((k) => k.userName === 'dave' && k.accessKeyId !== oldKeyId)
        ?.accessKeyId ?? '';
    expect(current()).toBe(newKeyId);
  });

  it('shows the phase, the deadline and both keys in `rekey status`', async () => {
    const run = await cli('--output', 'json', 'status', 'dave');

    expect(run.code).toBe(0);
    const [rotation] = json<{ running: Record<string, unknown>[] }>(run).running;
    expect(rotation).toMatchObject({
      userName: 'dave',
      status: 'RUNNING',
      phase: 'WaitForCutover',
      phaseSince: expect.any(String) as unknown,
      waitingUntil: expect.any(String) as unknown,
      deadlineAt: expect.any(String) as unknown,
      oldKey: { accessKeyId: oldKeyId, status: 'Active' },
      newKey: { accessKeyId: newKeyId, status: 'Active' },
    });
    const deadline = Date.parse(String(rotation?.deadlineAt));
    expect(deadline - sb.clock.now().getTime()).toBeGreaterThan(6 * 24 * HOUR * 1000);
  });

  it('prints the running rotation for people too', async () => {
    const run = await cli('status');

    expect(run.stdout).toMatch(
      /dave\s+WaitForCutover since .* UTC \(.*\), next check .* UTC \(in /,
    );
    expect(run.stdout).toMatch(/old key AKIA…\w{4}\s+Active\s+never used/);
    expect(run.stdout).toMatch(/cutover deadline .* UTC \(in 6d \d+h\)/);
  });

  it('refuses to roll back while still in cutover, and changes nothing', async () => {
    const run = await cli('rollback', 'dave');

    expect(run.code).toBe(1);
    expect(run.stderr).toContain("dave's rotation is still in cutover (phase WaitForCutover)");
    expect(run.stderr).toContain('aws stepfunctions stop-execution --execution-arn');
    expect(keyOf(oldKeyId)?.status).toBe('Active');
    expect(current()).toBe(newKeyId);
    expect(sb.execution(executionArn).status).toBe('RUNNING');
  });

  it('stops following on Ctrl-C (exit 130) and leaves the rotation running', async () => {
    const run = await rekey(['--endpoint-url', sb.endpoint, 'rotate', 'erin', '--wait'], {
      env,
      transcript,
      interruptWhen: /Rotation of erin: rekey-erin-\d+\n/,
    });

    expect(run.code).toBe(130);
    expect(run.stderr).toContain(
      'stopped following; the rotation goes on. See it with `rekey status erin`',
    );
    const erin = sb.emulator.state.executions.find((e) => e.name.startsWith('rekey-erin-'));
    expect(erin?.status).toBe('RUNNING');
  });

  it('refuses a second rotation of a user already being rotated', async () => {
    const run = await cli('rotate', 'dave');

    expect(run.code).toBe(1);
    expect(run.stderr).toContain('dave is already being rotated by rekey-dave-');
  });

  it("shows the recovery window's end, not the next check of the secret, in `rekey status`", async () => {
    await advanceUntil('RecoveryWindow', HOUR);
    const deactivated = sb
      .execution(executionArn)
      .events.findLast((e) => e.stateExitedEventDetails?.name === 'DeactivateOldKey')?.timestamp;
    const windowEnds = new Date((deactivated?.getTime() ?? NaN) + 7 * 24 * HOUR * 1000);
    // 80 hours in: past the first check of the secret (after three days), still in the window.
    await advanceClock(sb, { advanceSeconds: 80 * HOUR });
    expect(currentState(sb, executionArn)).toBe('RecoveryWindow');

    const run = await cli('--output', 'json', 'status', 'dave');

    expect(run.code).toBe(0);
    const [rotation] = json<{ running: Record<string, unknown>[] }>(run).running;
    expect(rotation).toMatchObject({
      phase: 'RecoveryWindow',
      recoveryWindowEndsAt: windowEnds.toISOString(),
      oldKey: { accessKeyId: oldKeyId, status: 'Inactive' },
    });
    const nextCheck = Date.parse(String(rotation?.waitingUntil));
    const now = sb.clock.now().getTime();
    expect(nextCheck).toBeGreaterThan(now);
    expect(nextCheck - now).toBeLessThanOrEqual(3 * 24 * HOUR * 1000);
    const text = await cli('status', 'dave');
    expect(text.stdout).toMatch(
      /dave\s+RecoveryWindow since .* UTC \(.*\), window ends .* UTC \(in 3d \d+h\), next check of the secret .* UTC \(in 2d \d+h/,
    );
  });

  it('announces no check of the secret during the last wait of the window, but DeleteOldKey', async () => {
    // 150 hours in: past the second check (after six days), in the last wait of the window.
    await advanceClock(sb, { advanceSeconds: 70 * HOUR });
    expect(currentState(sb, executionArn)).toBe('RecoveryWindow');

    const run = await cli('--output', 'json', 'status', 'dave');
    const text = await cli('status', 'dave');

    const [rotation] = json<{ running: Record<string, unknown>[] }>(run).running;
    expect(rotation).toMatchObject({ phase: 'RecoveryWindow', lastWait: true });
    expect(text.stdout).toMatch(
      /dave\s+RecoveryWindow since .* UTC \(.*\), window ends .* UTC \(in \d+h \d+m\), then DeleteOldKey/,
    );
    expect(text.stdout).not.toContain('next check');
  });

  it('rolls back in the recovery window: old key active and current, rotation stopped', async () => {
    expect(currentState(sb, executionArn)).toBe('RecoveryWindow');
    expect(keyOf(oldKeyId)?.status).toBe('Inactive');

    const run = await cli('--output', 'json', 'rollback', 'dave', '--reason', 'billing-app broke');

    expect(run.code).toBe(0);
    expect(json(run)).toMatchObject({
      status: 'ROLLED_BACK',
      userName: 'dave',
      executionArn,
      secretId: 'rekey/dave',
      restoredKeyId: oldKeyId,
      newKeyId,
    });
    expect(keyOf(oldKeyId)?.status).toBe('Active');
    expect(keyOf(newKeyId)?.status).toBe('Active');
    expect(current()).toBe(oldKeyId);
    const execution = sb.execution(executionArn);
    expect(execution).toMatchObject({ status: 'ABORTED', error: 'RolledBack' });
    expect(execution.cause).toMatch(
      /^Rolled back by arn:aws:sts::123456789012:assumed-role\/sandbox-admin\/\S+ with rekey rollback: billing-app broke\./,
    );
  });

  it('leaves the reactivated key alone after the recovery window would have ended', async () => {
    await advanceClock(sb, { advanceSeconds: 10 * 24 * HOUR });
    await sb.settle();

    expect(keyOf(oldKeyId)).toMatchObject({ status: 'Active', deletedAt: undefined });
    expect(keyOf(newKeyId)).toMatchObject({ status: 'Active', deletedAt: undefined });
    expect(current()).toBe(oldKeyId);
    const states = sb.execution(executionArn).events.map((e) => e.stateEnteredEventDetails?.name);
    expect(states).not.toContain('DeleteOldKey');
  });

  it('refuses a second rollback: the rotation is already rolled back', async () => {
    const run = await cli('rollback', 'dave');

    expect(run.code).toBe(1);
    expect(run.stderr).toContain('was already rolled back');
  });

  it('never prints a secret access key', () => {
    const text = transcript.text();

    expect(secretAccessKeys(sb).filter((s) => text.includes(s))).toEqual([]);
  });
});
