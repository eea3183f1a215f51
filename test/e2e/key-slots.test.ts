/**
 * The key-slot table of docs/design.md, row by row, end to end: the synthesized workflow and the real
 * handlers on the sandbox, with the invariants watched throughout.
 */
import type { Mutation } from '../../sandbox/emulator';
import type { InvariantMonitor } from '../../sandbox/invariants';
import { Sandbox } from '../../sandbox/sandbox';
import {
  accountSnapshot,
  advanceUntil,
  allKeys,
  checkSecrecy,
  currentState,
  DAY,
  eventsOf,
  keyById,
  liveKeys,
  notificationsAbout,
  output,
  rotate,
  seedRekeySecret,
  seedUser,
  staged,
  statesEntered,
  stopExecution,
  watch,
} from './helpers';

let sb: Sandbox;
let monitor: InvariantMonitor | undefined;

beforeAll(async () => {
  sb = await Sandbox.start();
}, 60_000);

afterAll(async () => {
  await sb?.stop();
});

afterEach(() => {
  monitor?.stop();
  monitor = undefined;
  sb.scheduler.setMode('auto');
});

/** Watches `users` from now on; the test checks `violations` at the end. */
function watchUsers(...users: string[]): InvariantMonitor {
  monitor = watch(sb, users);
  return monitor;
}

const HAPPY_PATH = [
  'Inspect',
  'Decide',
  'StageKey',
  'VerifyKey',
  'PromoteKey',
  'WaitForCutover',
  'CheckCutover',
  'CutoverDone',
  'DeactivateOldKey',
  // The 7-day recovery window: waits of three, three and one day. A check of the secret follows
  // each but the last; DeleteOldKey, which reads the secret itself, follows the last.
  ...Array.from({ length: 2 }, () => [
    'RecoveryWindow',
    'RecoveryWindowEnded',
    'CheckRecoveryWindow',
  ]).flat(),
  'RecoveryWindow',
  'RecoveryWindowEnded',
  'DeleteOldKey',
  'Report',
  'Rotated',
];

describe('one active key', () => {
  it('rotates it: the old key is deleted and the new key is AWSCURRENT with the full value', async () => {
    const user = seedUser(sb, 'slot-one-active');
    const watcher = watchUsers(user.userName);

    const execution = await rotate(sb, { userName: user.userName });

    expect(execution.status).toBe('SUCCEEDED');
    expect(statesEntered(execution)).toEqual(HAPPY_PATH);
    expect(keyById(sb, user.oldKey.accessKeyId)).toMatchObject({ status: 'Inactive' });
    expect(keyById(sb, user.oldKey.accessKeyId)?.deletedAt).toBeInstanceOf(Date);
    const [newKey, ...others] = liveKeys(sb, user.userName);
    expect(others).toEqual([]);
    expect(newKey).toMatchObject({ status: 'Active' });
    expect(staged(sb, user.userName, 'AWSCURRENT')?.value).toEqual({
      UserName: user.userName,
      AccessKeyId: newKey?.accessKeyId,
      SecretAccessKey: newKey?.secretAccessKey,
      CreateDate: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/) as unknown,
    });
    expect(staged(sb, user.userName, 'AWSPREVIOUS')?.value.AccessKeyId).toBe(
      user.oldKey.accessKeyId,
    );
    expect(staged(sb, user.userName, 'AWSPENDING')).toBeUndefined();
    expect(output(execution)).toMatchObject({
      decision: 'rotate',
      oldKey: { accessKeyId: user.oldKey.accessKeyId },
      newKey: { accessKeyId: newKey?.accessKeyId },
      cutover: { verdict: 'idle' },
    });
    expect(eventsOf(sb, user.userName)).toEqual([
      'Rotation Started',
      'Key Staged',
      'Key Verified',
      'Key Promoted',
      'Cutover Complete',
      'Old Key Deactivated',
      'Old Key Deleted',
      'Rotation Completed',
    ]);
    watcher.checkNoOrphans();
    checkSecrecy(sb, watcher, [execution]);
    expect(watcher.violations).toEqual([]);
  });
});

describe('one active key and one inactive key', () => {
  it('deletes the inactive key first, then rotates the active one', async () => {
    const user = seedUser(sb, 'slot-active-inactive');
    const inactive = sb.emulator.seed.accessKey({
      userName: user.userName,
      status: 'Inactive',
      createDate: new Date(sb.clock.now().getTime() - 200 * DAY),
    });
    const watcher = watchUsers(user.userName);
    const changes: Mutation[] = [];
    const unsubscribe = sb.emulator.onMutation((m) => {
      if (m.service === 'iam' && m.userName === user.userName) changes.push(m);
    });

    const execution = await rotate(sb, { userName: user.userName });
    unsubscribe();

    expect(execution.status).toBe('SUCCEEDED');
    const created = changes.find((m) => m.operation === 'CreateAccessKey');
    expect(changes.map((m) => `${m.operation} ${m.accessKeyId ?? ''}`).slice(0, 2)).toEqual([
      `DeleteAccessKey ${inactive.accessKeyId}`,
      `CreateAccessKey ${created?.accessKeyId ?? '(none)'}`,
    ]);
    expect(output(execution)).toMatchObject({ inactiveKeyToDelete: inactive.accessKeyId });
    expect(liveKeys(sb, user.userName).map((k) => k.accessKeyId)).toEqual([created?.accessKeyId]);
    expect(staged(sb, user.userName, 'AWSCURRENT')?.value.AccessKeyId).toBe(created?.accessKeyId);
    watcher.checkNoOrphans();
    checkSecrecy(sb, watcher, [execution]);
    expect(watcher.violations).toEqual([]);
  });

  it('refuses, changing nothing, when the secret names the inactive key as AWSCURRENT', async () => {
    const user = seedUser(sb, 'slot-inactive-current');
    const inactive = sb.emulator.seed.accessKey({ userName: user.userName, status: 'Inactive' });
    seedRekeySecret(sb, user.userName, {
      UserName: user.userName,
      AccessKeyId: inactive.accessKeyId,
    });
    const before = accountSnapshot(sb);

    const execution = await rotate(sb, { userName: user.userName });

    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('InactiveKeyPresentError');
    expect(execution.cause).toContain(
      `names the inactive key ${inactive.accessKeyId} as AWSCURRENT`,
    );
    expect(execution.cause).toMatch(/Reactivate it or move AWSCURRENT/);
    expect(accountSnapshot(sb)).toBe(before);
  });
});

describe('two active keys from an interrupted rotation', () => {
  it('resumes a rotation stopped while it waited for the cutover: no third key, and it completes', async () => {
    const user = seedUser(sb, 'slot-resume-promoted');
    const watcher = watchUsers(user.userName);
    sb.scheduler.setMode('manual');
    const firstArn = await sb.startRotation({ userName: user.userName });
    await advanceUntil(sb, () => currentState(sb.execution(firstArn)) === 'WaitForCutover');
    const [, newKey] = liveKeys(sb, user.userName);
    expect(staged(sb, user.userName, 'AWSCURRENT')?.value.AccessKeyId).toBe(newKey?.accessKeyId);

    await stopExecution(sb, firstArn);
    expect(sb.execution(firstArn).status).toBe('ABORTED');
    expect(liveKeys(sb, user.userName).map((k) => k.status)).toEqual(['Active', 'Active']);
    sb.scheduler.setMode('auto');
    const resumed = await rotate(sb, { userName: user.userName });

    expect(resumed.status).toBe('SUCCEEDED');
    expect(output(resumed)).toMatchObject({
      resumed: 'promoted',
      newKey: { accessKeyId: newKey?.accessKeyId },
    });
    expect(allKeys(sb, user.userName).map((k) => k.accessKeyId)).toEqual([
      user.oldKey.accessKeyId,
      newKey?.accessKeyId,
    ]);
    expect(liveKeys(sb, user.userName).map((k) => k.accessKeyId)).toEqual([newKey?.accessKeyId]);
    expect(staged(sb, user.userName, 'AWSCURRENT')?.value.AccessKeyId).toBe(newKey?.accessKeyId);
    watcher.checkNoOrphans();
    checkSecrecy(sb, watcher, [sb.execution(firstArn), resumed]);
    expect(watcher.violations).toEqual([]);
  });

  it('resumes a rotation stopped before promotion (new key AWSPENDING) and promotes that key', async () => {
    const user = seedUser(sb, 'slot-resume-staged');
    const watcher = watchUsers(user.userName);
    sb.scheduler.setMode('manual');
    const firstArn = await sb.startRotation({ userName: user.userName });
    // The new key is not accepted yet (IAM propagation): VerifyKey waits to retry.
    await advanceUntil(sb, () => liveKeys(sb, user.userName).length === 2, {
      stepMs: 0,
      maxSteps: 5,
    });
    expect(currentState(sb.execution(firstArn))).toBe('VerifyKey');
    const [, newKey] = liveKeys(sb, user.userName);
    expect(staged(sb, user.userName, 'AWSPENDING')?.value.AccessKeyId).toBe(newKey?.accessKeyId);

    await stopExecution(sb, firstArn);
    sb.scheduler.setMode('auto');
    const resumed = await rotate(sb, { userName: user.userName });

    expect(resumed.status).toBe('SUCCEEDED');
    expect(output(resumed)).toMatchObject({
      resumed: 'staged',
      newKey: { accessKeyId: newKey?.accessKeyId },
    });
    expect(allKeys(sb, user.userName)).toHaveLength(2);
    expect(liveKeys(sb, user.userName).map((k) => k.accessKeyId)).toEqual([newKey?.accessKeyId]);
    expect(staged(sb, user.userName, 'AWSCURRENT')?.value.AccessKeyId).toBe(newKey?.accessKeyId);
    watcher.checkNoOrphans();
    checkSecrecy(sb, watcher, [sb.execution(firstArn), resumed]);
    expect(watcher.violations).toEqual([]);
  });
});

describe('two active keys otherwise', () => {
  it('refuses with TwoActiveKeysError, changes nothing and notifies the operators', async () => {
    const user = seedUser(sb, 'slot-two-active');
    const second = sb.emulator.seed.accessKey({
      userName: user.userName,
      createDate: new Date(sb.clock.now().getTime() - 10 * DAY),
    });
    const watcher = watchUsers(user.userName);
    const before = accountSnapshot(sb);

    const execution = await rotate(sb, { userName: user.userName });

    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('TwoActiveKeysError');
    expect(execution.cause).toContain(user.oldKey.accessKeyId);
    expect(execution.cause).toContain(second.accessKeyId);
    expect(execution.cause).toMatch(/never deletes an active key/);
    expect(execution.cause).toMatch(/deactivate the key no longer in use/);
    expect(statesEntered(execution)).toEqual([
      'Inspect',
      'RefusedCause',
      'RefusedParseCause',
      'Refused',
    ]);
    expect(accountSnapshot(sb)).toBe(before);
    const [notification, ...more] = notificationsAbout(sb, user.userName);
    expect(more).toEqual([]);
    expect(notification).toContain(`rekey refused to rotate ${user.userName}`);
    expect(notification).toContain(second.accessKeyId);
    expect(eventsOf(sb, user.userName)).toEqual(['Rotation Refused']);
    checkSecrecy(sb, watcher, [execution]);
    expect(watcher.violations).toEqual([]);
  });
});

describe('no active key', () => {
  it.each([
    ['no key at all', 'slot-no-key', false],
    ['only an inactive key', 'slot-only-inactive', true],
  ])(
    'skips a user with %s: SUCCEEDED, decision skip, nothing created',
    async (_, name, withKey) => {
      sb.emulator.seed.user({ userName: name });
      if (withKey) sb.emulator.seed.accessKey({ userName: name, status: 'Inactive' });
      const before = accountSnapshot(sb);

      const execution = await rotate(sb, { userName: name });

      expect(execution.status).toBe('SUCCEEDED');
      expect(statesEntered(execution)).toEqual(['Inspect', 'Decide', 'Skipped']);
      expect(output(execution)).toMatchObject({
        decision: 'skip',
        reason: expect.stringContaining('no active access key') as unknown,
      });
      expect(accountSnapshot(sb)).toBe(before);
      expect(eventsOf(sb, name)).toEqual(['Rotation Skipped']);
    },
  );
});
