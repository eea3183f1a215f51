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

/**
 * `rekey rotate --emergency`, `rekey status` and `rekey rollback` of an emergency, on a manual
 * clock: the demo account's dave (one key, never used) has his key exposed, erin's dry run
 * changes nothing, and frank's planned rotation is taken over.
 */
describe('rekey and an emergency rotation', () => {
  let sb: Sandbox;
  let env: Record<string, string>;
  let executionArn: string;
  let exposed: string;
  const exposedAt = '2026-11-30T08:15:00Z';
  const transcript = new Transcript();
  const cli = (...args: string[]): Promise<CliRun> =>
    rekey(['--endpoint-url', sb.endpoint, ...args], { env, transcript });

  const short = (id: string): string => `${id.slice(0, 4)}…${id.slice(-4)}`;
  const keyOf = (id: string) => sb.emulator.state.accessKeys.find((k) => k.accessKeyId === id);
  const keyOfUser = (userName: string): string =>
    sb.emulator.state.accessKeys.find((k) => k.userName === userName && !k.deletedAt)
      ?.accessKeyId ?? '';
  const current = (userName: string): string | undefined => {
    const secret = sb.emulator.state.secrets.find((s) => s.name === `rekey/${userName}`);
    const version = secret?.versions.find((v) => v.stages.includes('AWSCURRENT'));
    return version && (JSON.parse(version.value) as { AccessKeyId: string }).AccessKeyId;
  };
  /** Advances sandbox time `step` seconds at a time until the execution is in `state`. */
  const advanceUntil = async (arn: string, state: string, step: number): Promise<void> => {
    for (let i = 0; i < 500 && currentState(sb, arn) !== state; i++) {
      await advanceClock(sb, { advanceSeconds: step });
    }
    expect(currentState(sb, arn)).toBe(state);
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

  it('starts the execution with the emergency input, and warns that the key is cut off', async () => {
    exposed = keyOfUser('dave');
    const before = sb.emulator.state.executions.length;

    const run = await cli(
      '--output',
      'json',
      'rotate',
      'dave',
      '--emergency',
      '--key',
      exposed,
      '--reason',
      'pasted in the team chat',
      '--exposed-at',
      exposedAt,
    );

    expect(run.code).toBe(0);
    expect(run.stderr).toBe(
      `rekey: EMERGENCY: ${exposed} is deactivated as soon as the new key is current (after the ` +
        'grace, if the deployment has one); applications whose only identity is that key are cut off with it.\n',
    );
    const out = json<{ executionArn: string; emergency: unknown }>(run);
    executionArn = out.executionArn;
    expect(sb.emulator.state.executions).toHaveLength(before + 1);
    expect(JSON.parse(sb.execution(executionArn).input)).toEqual({
      userName: 'dave',
      requestedBy: expect.stringMatching(/^rekey-cli:arn:aws:/) as unknown,
      emergency: {
        accessKeyId: exposed,
        reason: 'pasted in the team chat',
        exposedAt: '2026-11-30T08:15:00.000Z',
      },
    });
    const input = JSON.parse(sb.execution(executionArn).input) as { emergency: unknown };
    expect(out.emergency).toEqual(input.emergency);
  });

  it('cuts the exposed key off with no cutover wait, and runs the forensics', async () => {
    await advanceUntil(executionArn, 'RecoveryWindow', 60);

    expect(keyOf(exposed)?.status).toBe('Inactive');
    const states = sb
      .execution(executionArn)
      .events.flatMap((e) => e.stateEnteredEventDetails?.name ?? []);
    // One check, no waiting for applications: the exposed key is cut off, then looked up.
    expect(states.slice(states.indexOf('PromoteKey'))).toEqual([
      'PromoteKey',
      'WaitForCutover',
      'CheckCutover',
      'CutoverDone',
      'DeactivateExposedKey',
      'Forensics',
      'RecoveryWindow',
    ]);
  });

  it('shows the emergency, the cut-off and the forensics in `rekey status`', async () => {
    const [text, machine] = await Promise.all([
      cli('status', 'dave'),
      cli('--output', 'json', 'status', 'dave'),
    ]);

    expect(text.code).toBe(0);
    const lines = text.stdout.split('\n').map((l) => l.trim());
    expect(lines).toContain(
      `EMERGENCY: exposed key ${short(exposed)} (pasted in the team chat), exposed 2026-11-30 08:15 UTC`,
    );
    expect(text.stdout).toMatch(
      /exposed key cut off \d{4}-\d\d-\d\d \d\d:\d\d UTC; rekey rollback reactivates it only with --force/,
    );
    expect(text.stdout).toContain(
      'Forensics since 2026-11-30T08:15:00.000Z (the exposure), from 24 hours before:',
    );
    // The emergency comes before the keys, so it is the first thing read.
    const first = lines.findIndex((l) => l.startsWith('EMERGENCY'));
    expect(first).toBeGreaterThan(0);
    expect(first).toBeLessThan(lines.findIndex((l) => l.startsWith('old key')));

    const [rotation] = json<{ running: Record<string, unknown>[] }>(machine).running;
    expect(rotation).toMatchObject({
      phase: 'RecoveryWindow',
      emergency: {
        accessKeyId: exposed,
        reason: 'pasted in the team chat',
        exposedAt: '2026-11-30T08:15:00.000Z',
        deactivatedAt: expect.any(String) as unknown,
        forensics: { since: '2026-11-30T08:15:00.000Z', sinceSource: 'exposure' },
      },
      oldKey: { accessKeyId: exposed, status: 'Inactive' },
    });
  });

  it('refuses to roll back to the exposed key without --force, and changes nothing', async () => {
    const newKey = current('dave');

    const run = await cli('rollback', 'dave');

    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      `${exposed} is the key dave's emergency rotation cut off because it was exposed (pasted in the team chat): ` +
        'reactivating it gives whoever found it access again.',
    );
    expect(run.stderr).toContain('run rekey rollback dave --force');
    expect(keyOf(exposed)?.status).toBe('Inactive');
    expect(current('dave')).toBe(newKey);
    expect(newKey).not.toBe(exposed);
    expect(sb.execution(executionArn).status).toBe('RUNNING');
  });

  it('rolls back with --force, warning on stderr, and says so in JSON and the stop cause', async () => {
    const run = await cli('--output', 'json', 'rollback', 'dave', '--force', '--reason', 'test');

    expect(run.code).toBe(0);
    expect(run.stderr).toContain(`rekey: WARNING: ${exposed} is the key dave's emergency rotation`);
    expect(run.stderr).toContain('Rolling back anyway (--force).');
    expect(json(run)).toMatchObject({
      status: 'ROLLED_BACK',
      restoredKeyId: exposed,
      exposedKeyReactivated: true,
    });
    expect(keyOf(exposed)?.status).toBe('Active');
    expect(current('dave')).toBe(exposed);
    const execution = sb.execution(executionArn);
    expect(execution).toMatchObject({ status: 'ABORTED', error: 'RolledBack' });
    expect(execution.cause).toContain('with rekey rollback --force: test');
    expect(execution.cause).toContain(`The old key ${exposed}, the EXPOSED key, is active`);
  });

  it('marks the emergency among the recent rotations, with its forensics, once it is over', async () => {
    const run = await cli('status', 'dave');

    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/dave\s+ABORTED EMERGENCY\s+RecoveryWindow/);
    expect(run.stdout).toMatch(/Last emergency rekey-dave-\d+ \(ABORTED\):/);
    expect(run.stdout).toContain('Forensics since 2026-11-30T08:15:00.000Z (the exposure)');
  });

  it('runs an emergency dry run that changes nothing, and says so', async () => {
    const key = keyOfUser('erin');

    const run = await cli(
      'rotate',
      'erin',
      '--emergency',
      '--dry-run',
      '--wait',
      '--key',
      key,
      '--reason',
      'drill',
    );

    expect(run.code).toBe(0);
    expect(run.stderr).toContain(`dry run: ${key} is not deactivated`);
    expect(run.stderr).not.toContain('EMERGENCY:');
    expect(run.stdout).toMatch(/^Dry run of the emergency rotation of erin: rekey-erin-\d+$/m);
    expect(run.stdout).toContain('dry run of erin, nothing changed: would rotate (emergency:');
    expect(keyOf(key)?.status).toBe('Active');
    const started = sb.emulator.state.executions.at(-1);
    expect(JSON.parse(started?.input ?? '{}')).toMatchObject({
      userName: 'erin',
      dryRun: true,
      emergency: { accessKeyId: key, reason: 'drill' },
    });
  });

  it('is not refused for a planned rotation already running, and shows the take-over', async () => {
    const planned = json<{ executionArn: string }>(
      await cli('--output', 'json', 'rotate', 'frank'),
    ).executionArn;
    await advanceUntil(planned, 'WaitForCutover', 60);
    const again = await cli('rotate', 'frank');
    expect(again.code).toBe(1);

    const run = await cli(
      '--output',
      'json',
      'rotate',
      'frank',
      '--emergency',
      '--key',
      keyOfUser('frank'),
      '--reason',
      'in a screenshot',
    );

    expect(run.code).toBe(0);
    const arn = json<{ executionArn: string }>(run).executionArn;
    await advanceUntil(arn, 'RecoveryWindow', 60);
    expect(sb.execution(planned).status).toBe('ABORTED');
    const status = await cli('status', 'frank');
    const lines = status.stdout.split('\n').map((l) => l.trim());
    expect(lines).toContain(`took over the planned rotation ${planned.split(':').at(-1) ?? ''}`);
    // The planned rotation's new key was already current: kept, and no third key created.
    expect(lines).toContain(
      `kept the other active key ${short(current('frank') ?? '')} (already AWSCURRENT): no key created`,
    );
    expect(status.stdout).not.toContain('cutover deadline');
  });

  it('follows an emergency to its end with --wait and sums it up (auto clock)', async () => {
    await advanceClock(sb, { mode: 'auto' });
    const key = keyOfUser('alice');

    const run = await cli(
      'rotate',
      'alice',
      '--emergency',
      '--wait',
      '--key',
      key,
      '--reason',
      'leaked',
    );

    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Emergency rotation of alice: rekey-alice-\d+$/m);
    expect(run.stdout).toMatch(
      /DeactivateExposedKey +\S+( ms| s)? +exposed key AKIA…\w{4} deactivated \(cut off\)/,
    );
    expect(run.stdout).toMatch(/Forensics +.*Forensics since /);
    const now = current('alice') ?? '';
    expect(run.stdout).toContain(
      `alice's exposed key ${short(key)} was cut off and deleted after the recovery window (`,
    );
    expect(run.stdout).toContain(`; new key ${short(now)} is current`);
    expect(keyOf(key)?.deletedAt).toBeDefined();
  });

  it('never prints a secret access key', () => {
    const text = transcript.text();

    expect(secretAccessKeys(sb).filter((s) => text.includes(s))).toEqual([]);
  });
});
