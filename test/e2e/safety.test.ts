/**
 * The ways a hostile review made rekey break a working key, each driven end to end on the
 * sandbox through the same APIs a person would use, with the invariant monitor watching every
 * change. Sandbox time moves by hand so that the test can act at the moment that matters.
 */
import { DeleteAccessKeyCommand, IAMClient } from '@aws-sdk/client-iam';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  GetSecretValueCommand,
  RestoreSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { SFNClient, StopExecutionCommand } from '@aws-sdk/client-sfn';
import type { InvariantMonitor } from '../../sandbox/invariants';
import { Sandbox } from '../../sandbox/sandbox';
import {
  advanceUntil,
  allKeys,
  checkSecrecy,
  currentState,
  DAY,
  eventsOf,
  failedAttempts,
  HOUR,
  keyById,
  liveKeys,
  MINUTE,
  notificationsAbout,
  secretOf,
  seedUser,
  shortenSdkBackoff,
  staged,
  statesEntered,
  watch,
} from './helpers';

let sb: Sandbox;
let monitor: InvariantMonitor | undefined;

beforeAll(async () => {
  shortenSdkBackoff();
  sb = await Sandbox.start({ clockMode: 'manual' });
}, 60_000);

afterAll(async () => {
  await sb?.stop();
});

afterEach(() => {
  sb.emulator.faults.clear();
  monitor?.stop();
  monitor = undefined;
});

const ended = (arn: string) => (): boolean => sb.execution(arn).status !== 'RUNNING';
const inState = (arn: string, state: string) => (): boolean =>
  currentState(sb.execution(arn)) === state;

async function asAdmin<T>(
  work: (clients: { iam: IAMClient; secrets: SecretsManagerClient; sfn: SFNClient }) => Promise<T>,
): Promise<T> {
  const clients = {
    iam: new IAMClient(sb.clientConfig()),
    secrets: new SecretsManagerClient(sb.clientConfig()),
    sfn: new SFNClient(sb.clientConfig()),
  };
  try {
    return await work(clients);
  } finally {
    Object.values(clients).forEach((c) => c.destroy());
  }
}

const expectNoViolations = (notByRekey: readonly string[] = []): void => {
  monitor?.checkNoOrphans(notByRekey);
  expect(monitor?.violations).toEqual([]);
};

/**
 * A person creates a key for the user at the first change `when` matches: inside the change, so
 * before the state machine can retry the step (its retries are jittered down to nothing).
 */
function keyByHandWhen(userName: string, when: (operation: string) => boolean): () => string {
  let made: string | undefined;
  const stop = sb.emulator.onMutation((m) => {
    if (made !== undefined || m.source !== 'api' || !when(m.operation)) return;
    if (m.userName !== userName && m.secretId !== `rekey/${userName}`) return;
    made = sb.emulator.seed.accessKey({ userName }).accessKeyId;
    stop();
  });
  return () => {
    stop();
    if (made === undefined) throw new Error(`no key was made by hand for ${userName}`);
    return made;
  };
}

describe('canonical names: IAM user names ignore case, secret names do not', () => {
  it('rotates "CASE-ALICE" as case-alice through rekey/case-alice, and refuses another spelling while it runs', async () => {
    const user = seedUser(sb, 'case-alice');
    monitor = watch(sb, ['case-alice']);

    const first = await sb.startRotation({ userName: 'CASE-ALICE' });
    await advanceUntil(sb, inState(first, 'WaitForCutover'));
    const second = await sb.startRotation({ userName: 'Case-Alice' });
    await advanceUntil(sb, ended(second));
    await advanceUntil(sb, ended(first), { stepMs: 15 * MINUTE });

    expect(sb.execution(second)).toMatchObject({
      status: 'FAILED',
      error: 'RotationInProgressError',
    });
    expect(sb.execution(first).status).toBe('SUCCEEDED');
    const secrets = sb.emulator.state.secrets.map((s) => s.name);
    expect(secrets.filter((n) => n.toLowerCase() === 'rekey/case-alice')).toEqual([
      'rekey/case-alice',
    ]);
    const [survivor, ...others] = liveKeys(sb, 'case-alice');
    expect(others).toEqual([]);
    expect(staged(sb, 'case-alice', 'AWSCURRENT')?.value.AccessKeyId).toBe(survivor?.accessKeyId);
    expect(keyById(sb, user.oldKey.accessKeyId)?.deletedAt).toBeDefined();
    expect(JSON.parse(sb.execution(first).output ?? '{}')).toMatchObject({
      userName: 'case-alice',
      requestedUserName: 'CASE-ALICE',
      secretId: 'rekey/case-alice',
    });
    expectNoViolations();
  });
});

describe('proven ownership: rekey discards a key only when it can prove it created it', () => {
  it('never deletes a key a person made while StageKey waited to retry a throttled CreateAccessKey', async () => {
    const user = seedUser(sb, 'own-throttled');
    monitor = watch(sb, [user.userName]);
    sb.emulator.faults.add({
      service: 'iam',
      operation: 'CreateAccessKey',
      kind: 'throttle',
      times: 1,
    });
    // The throttled attempt clears its marker (it created nothing); then a person makes a key.
    const handMade = keyByHandWhen(user.userName, (op) => op === 'UntagResource');

    const arn = await sb.startRotation({ userName: user.userName });
    await advanceUntil(sb, ended(arn), { stepMs: 1000 });

    const execution = sb.execution(arn);
    expect(failedAttempts(execution, 'StageKey')).toBeGreaterThanOrEqual(2);
    expect(execution).toMatchObject({ status: 'FAILED', error: 'UnknownKeyError' });
    expect(execution.cause).toContain(`holds a key rekey cannot prove it created: ${handMade()}`);
    // Nothing the rotation did is left, but a key it cannot account for is: no "Nothing was changed".
    expect(execution.cause).toContain(
      `The old key ${user.oldKey.accessKeyId} is active and current. rekey left alone ${handMade()}, which it cannot prove it created.`,
    );
    // Nor does it end as if the user were as it was: a scheduled rotation would not try again.
    expect(statesEntered(execution).at(-1)).toBe('RotationFailed');
    expect(keyById(sb, handMade())).toMatchObject({ status: 'Active' });
    expect(keyById(sb, handMade())?.deletedAt).toBeUndefined();
    expect(allKeys(sb, user.userName)).toHaveLength(2);
    expectNoViolations([handMade()]);
  });

  it('discards the key an unanswered CreateAccessKey made, but not one a person made after the call ended', async () => {
    const user = seedUser(sb, 'own-lost-answer');
    monitor = watch(sb, [user.userName]);
    sb.emulator.faults.add({
      service: 'iam',
      operation: 'CreateAccessKey',
      kind: 'crash-after-success',
      times: 1,
    });
    // rekey discards its own lost key (after the call ended); then a person makes a key.
    const handMade = keyByHandWhen(user.userName, (op) => op === 'DeleteAccessKey');

    const arn = await sb.startRotation({ userName: user.userName });
    await advanceUntil(sb, ended(arn), { stepMs: 1000 });

    const lost = allKeys(sb, user.userName).find(
      (k) => k.accessKeyId !== user.oldKey.accessKeyId && k.accessKeyId !== handMade(),
    );
    expect(lost?.deletedAt).toBeDefined();
    expect(keyById(sb, handMade())?.deletedAt).toBeUndefined();
    expect(keyById(sb, handMade())?.status).toBe('Active');
    expect(sb.execution(arn)).toMatchObject({ status: 'FAILED', error: 'UnknownKeyError' });
    expectNoViolations([handMade()]);
  });

  it('lets a later rotation finish discarding the orphan a lost answer and an IAM outage left (I3)', async () => {
    const user = seedUser(sb, 'own-outage');
    monitor = watch(sb, [user.userName]);
    sb.emulator.faults.add({
      service: 'iam',
      operation: 'CreateAccessKey',
      kind: 'crash-after-success',
      times: 1,
    });
    const stopOutage = sb.emulator.onMutation((m) => {
      if (m.operation === 'CreateAccessKey' && m.userName === user.userName && m.source === 'api') {
        sb.emulator.faults.add({ service: 'iam', operation: '*', kind: 'server-error' });
      }
    });

    const first = await sb.startRotation({ userName: user.userName });
    await advanceUntil(sb, ended(first), { stepMs: 10 * MINUTE });
    stopOutage();
    sb.emulator.faults.clear();
    const orphan = liveKeys(sb, user.userName).find(
      (k) => k.accessKeyId !== user.oldKey.accessKeyId,
    );
    const second = await sb.startRotation({ userName: user.userName });
    await advanceUntil(sb, ended(second), { stepMs: 15 * MINUTE });

    expect(sb.execution(first).status).toBe('FAILED');
    expect(statesEntered(sb.execution(first))).toContain('ReportCompensationFailure');
    expect(eventsOf(sb, user.userName)).toContain('Rotation Failed');
    expect(notificationsAbout(sb, user.userName).join('\n')).toContain(
      'Restoring a safe state failed too',
    );
    expect(orphan).toBeDefined();
    expect(sb.execution(second).status).toBe('SUCCEEDED');
    expect(JSON.parse(sb.execution(second).output ?? '{}')).toMatchObject({
      orphanKeyIds: [orphan?.accessKeyId],
    });
    expect(keyById(sb, orphan?.accessKeyId ?? '')?.deletedAt).toBeDefined();
    expect(liveKeys(sb, user.userName)).toHaveLength(1);
    expectNoViolations();
  });

  it('is not blocked for 15 minutes by the fresh creating-marker of a stopped execution', async () => {
    const user = seedUser(sb, 'own-stopped');
    monitor = watch(sb, [user.userName]);
    sb.emulator.faults.add({ service: 'iam', operation: 'CreateAccessKey', kind: 'server-error' });
    const stopped = await sb.startRotation({ userName: user.userName });
    await advanceUntil(sb, () => failedAttempts(sb.execution(stopped), 'StageKey') > 0, {
      stepMs: 500,
    });
    await asAdmin(({ sfn }) => sfn.send(new StopExecutionCommand({ executionArn: stopped })));
    sb.emulator.faults.clear();

    const next = await sb.startRotation({ userName: user.userName });
    await advanceUntil(sb, ended(next), { stepMs: 15 * MINUTE });

    expect(sb.execution(stopped).status).toBe('ABORTED');
    expect(sb.execution(next).status).toBe('SUCCEEDED');
    expectNoViolations();
  });
});

describe('the secret is the lifeline: a rotation whose secret goes away stops before its next change', () => {
  const deleteSecret = (userName: string, force: boolean) =>
    asAdmin(({ secrets }) =>
      secrets.send(
        new DeleteSecretCommand({
          SecretId: `rekey/${userName}`,
          ...(force ? { ForceDeleteWithoutRecovery: true } : { RecoveryWindowInDays: 7 }),
        }),
      ),
    );

  it('keeps the old key active when the secret is scheduled for deletion during the cutover, and a restored secret lets a re-run finish', async () => {
    const user = seedUser(sb, 'lifeline-cutover');
    monitor = watch(sb, [user.userName]);
    const arn = await sb.startRotation({ userName: user.userName });
    await advanceUntil(sb, inState(arn, 'WaitForCutover'));
    const newKeyId = staged(sb, user.userName, 'AWSCURRENT')?.value.AccessKeyId;

    await deleteSecret(user.userName, false);
    await advanceUntil(sb, ended(arn), { stepMs: 15 * MINUTE });

    const execution = sb.execution(arn);
    expect(execution).toMatchObject({ status: 'FAILED', error: 'SecretDeletedError' });
    expect(statesEntered(execution)).not.toContain('DeactivateOldKey');
    expect(keyById(sb, user.oldKey.accessKeyId)?.status).toBe('Active');
    expect(execution.cause).toContain('is scheduled for deletion');
    expect(execution.cause).toContain(
      `The new key ${String(newKeyId)} is active, and its secret access key exists only in that secret.`,
    );
    expect(execution.cause).not.toContain('Nothing was changed');

    await asAdmin(({ secrets }) =>
      secrets.send(new RestoreSecretCommand({ SecretId: `rekey/${user.userName}` })),
    );
    const rerun = await sb.startRotation({ userName: user.userName });
    await advanceUntil(sb, ended(rerun), { stepMs: 15 * MINUTE });
    expect(sb.execution(rerun).status).toBe('SUCCEEDED');
    expect(liveKeys(sb, user.userName).map((k) => k.accessKeyId)).toEqual([newKeyId]);
    expectNoViolations();
  });

  it.each([
    ['the default 7-day recovery window', undefined, 0],
    ['a 14-day recovery window (rekey:recovery-window-days)', '14', DAY],
  ])(
    'reports a secret scheduled for deletion during %s while it can be restored, and never deletes the old key',
    async (_, windowDays, into) => {
      const user = seedUser(sb, `lifeline-window-${windowDays ?? '7'}`, {
        tags: windowDays ? [{ Key: 'rekey:recovery-window-days', Value: windowDays }] : [],
      });
      monitor = watch(sb, [user.userName]);
      const arn = await sb.startRotation({ userName: user.userName });
      await advanceUntil(sb, inState(arn, 'RecoveryWindow'), { stepMs: 15 * MINUTE });
      const newKeyId = String(staged(sb, user.userName, 'AWSCURRENT')?.value.AccessKeyId);
      await sb.scheduler.advance(into);

      // Secrets Manager's shortest recovery window: purged 7 days from now, before a 14-day
      // window ends, and at the very end of a 7-day one.
      const deletion = await deleteSecret(user.userName, false);
      const requestedAt = sb.clock.now().getTime();
      await advanceUntil(sb, ended(arn), { stepMs: HOUR });

      const execution = sb.execution(arn);
      expect(execution).toMatchObject({ status: 'FAILED', error: 'SecretDeletedError' });
      // Reported within three days of the request, days before the purge, through compensation.
      expect(execution.stopDate?.getTime()).toBeLessThanOrEqual(requestedAt + 3 * DAY);
      expect(deletion.DeletionDate?.getTime()).toBe(requestedAt + 7 * DAY);
      expect(secretOf(sb, user.userName)?.deletedDate?.getTime()).toBe(requestedAt);
      expect(statesEntered(execution).slice(-4)).toEqual([
        'CheckRecoveryWindow',
        'Compensate',
        'CompensationOutcome',
        'RotationFailed',
      ]);
      expect(statesEntered(execution)).not.toContain('DeleteOldKey');
      const requested = new Date(requestedAt).toISOString();
      expect(execution.cause).toContain(
        `The secret rekey/${user.userName} is scheduled for deletion: its deletion was requested ` +
          `at ${requested}, and Secrets Manager deletes it for good when the recovery window ` +
          `given to DeleteSecret ends, 7 to 30 days later (between ` +
          `${new Date(requestedAt + 7 * DAY).toISOString()} and ` +
          `${new Date(requestedAt + 30 * DAY).toISOString()}).`,
      );
      expect(execution.cause).toContain(
        `Restore the secret before then (aws secretsmanager restore-secret --secret-id rekey/${user.userName})`,
      );
      expect(execution.cause).toContain(
        `The old key ${user.oldKey.accessKeyId} is inactive. The new key ${newKeyId} is active, ` +
          'and its secret access key exists only in that secret.',
      );
      expect(execution.cause).not.toMatch(/no longer exists|without a recovery window/);
      expect(eventsOf(sb, user.userName)).toContain('Rotation Failed');
      expect(notificationsAbout(sb, user.userName).join('\n')).toContain(
        'is scheduled for deletion',
      );
      expect(keyById(sb, user.oldKey.accessKeyId)).toMatchObject({ status: 'Inactive' });
      expect(keyById(sb, user.oldKey.accessKeyId)?.deletedAt).toBeUndefined();

      // Restorable as reported: applications read the new key from the secret again (I1).
      await asAdmin(({ secrets }) =>
        secrets.send(new RestoreSecretCommand({ SecretId: `rekey/${user.userName}` })),
      );
      await sb.scheduler.advance(8 * DAY);
      expect(secretOf(sb, user.userName)?.deletedDate).toBeUndefined();
      expect(staged(sb, user.userName, 'AWSCURRENT')?.value).toMatchObject({
        AccessKeyId: newKeyId,
        SecretAccessKey: keyById(sb, newKeyId)?.secretAccessKey,
      });
      expect(keyById(sb, user.oldKey.accessKeyId)?.deletedAt).toBeUndefined();
      expectNoViolations();
    },
  );

  it('reports a secret scheduled for deletion after the last check of the window at its end, where DeleteOldKey reads it, and keeps the old key', async () => {
    const user = seedUser(sb, 'lifeline-window-end');
    monitor = watch(sb, [user.userName]);
    const arn = await sb.startRotation({ userName: user.userName });
    await advanceUntil(sb, inState(arn, 'RecoveryWindow'), { stepMs: 15 * MINUTE });
    // Past the second check (day 6 of 7): the last wait runs to the end of the window.
    await advanceUntil(
      sb,
      () =>
        statesEntered(sb.execution(arn)).filter((s) => s === 'CheckRecoveryWindow').length === 2,
      { stepMs: HOUR },
    );
    await sb.scheduler.advance(12 * HOUR);

    await deleteSecret(user.userName, false);
    await advanceUntil(sb, ended(arn), { stepMs: HOUR });

    const execution = sb.execution(arn);
    expect(execution).toMatchObject({ status: 'FAILED', error: 'SecretDeletedError' });
    expect(statesEntered(execution).slice(-6)).toEqual([
      'RecoveryWindow',
      'RecoveryWindowEnded',
      'DeleteOldKey',
      'Compensate',
      'CompensationOutcome',
      'RotationFailed',
    ]);
    expect(execution.cause).toContain(
      `The recovery window is over, but rekey will not delete the old key ${user.oldKey.accessKeyId} (inactive). ` +
        `Restore the secret before Secrets Manager deletes it (aws secretsmanager restore-secret --secret-id rekey/${user.userName})`,
    );
    expect(notificationsAbout(sb, user.userName).join('\n')).toContain('is scheduled for deletion');
    expect(keyById(sb, user.oldKey.accessKeyId)).toMatchObject({ status: 'Inactive' });
    expect(keyById(sb, user.oldKey.accessKeyId)?.deletedAt).toBeUndefined();
    expectNoViolations();
  });

  it('says a secret force-deleted during the recovery window is gone, and never that it holds the key', async () => {
    const user = seedUser(sb, 'lifeline-window-forced');
    monitor = watch(sb, [user.userName]);
    const arn = await sb.startRotation({ userName: user.userName });
    await advanceUntil(sb, inState(arn, 'RecoveryWindow'), { stepMs: 15 * MINUTE });
    const newKeyId = String(staged(sb, user.userName, 'AWSCURRENT')?.value.AccessKeyId);

    await deleteSecret(user.userName, true);
    await advanceUntil(sb, ended(arn), { stepMs: HOUR });

    const execution = sb.execution(arn);
    expect(execution).toMatchObject({ status: 'FAILED', error: 'SecretDeletedError' });
    expect(execution.cause).toContain(
      `The secret rekey/${user.userName} no longer exists: it was deleted for good (with ` +
        'ForceDeleteWithoutRecovery, or when its recovery window ended)',
    );
    expect(execution.cause).toContain(
      `The new key ${newKeyId} is active; its secret access key was only in that secret and went with it`,
    );
    expect(execution.cause).not.toMatch(
      /without a recovery window|exists only in that secret|[Rr]estore (it|the secret)/,
    );
    expect(keyById(sb, user.oldKey.accessKeyId)).toMatchObject({ status: 'Inactive' });
    expect(keyById(sb, user.oldKey.accessKeyId)?.deletedAt).toBeUndefined();
    expectNoViolations();
    expect(monitor?.excused).toHaveLength(1);
  });

  it('says the secret is gone when it was force-deleted, and a re-run refuses with the reason, changing nothing', async () => {
    const user = seedUser(sb, 'lifeline-forced');
    monitor = watch(sb, [user.userName]);
    const arn = await sb.startRotation({ userName: user.userName });
    await advanceUntil(sb, inState(arn, 'WaitForCutover'));

    await deleteSecret(user.userName, true);
    await advanceUntil(sb, ended(arn), { stepMs: 15 * MINUTE });
    const rerun = await sb.startRotation({ userName: user.userName });
    await advanceUntil(sb, ended(rerun));

    expect(sb.execution(arn)).toMatchObject({ status: 'FAILED', error: 'SecretDeletedError' });
    expect(sb.execution(arn).cause).toContain(
      `The secret rekey/${user.userName} no longer exists.`,
    );
    expect(liveKeys(sb, user.userName).every((k) => k.status === 'Active')).toBe(true);
    expect(sb.execution(rerun)).toMatchObject({ status: 'FAILED', error: 'TwoActiveKeysError' });
    expect(sb.execution(rerun).cause).toContain(`The secret rekey/${user.userName} does not exist`);
    expectNoViolations();
    expect(monitor?.excused).toHaveLength(1);
  });

  it('deletes the key StageKey just published when the secret is force-deleted before the claim, and a re-run starts afresh', async () => {
    const user = seedUser(sb, 'lifeline-stage');
    monitor = watch(sb, [user.userName]);
    let deletion: Promise<unknown> | undefined;
    let published: unknown;
    const stop = sb.emulator.onMutation((m) => {
      if (deletion || m.source !== 'api' || m.operation !== 'PutSecretValue') return;
      if (m.secretId !== `rekey/${user.userName}`) return;
      published = staged(sb, user.userName, 'AWSPENDING')?.value.AccessKeyId;
      // StageKey's claim waits long enough for the deletion to land first.
      sb.emulator.faults.add({
        service: 'secretsmanager',
        operation: 'TagResource',
        kind: 'latency',
        latencyMs: 500,
        times: 1,
      });
      deletion = deleteSecret(user.userName, true);
    });

    const arn = await sb.startRotation({ userName: user.userName });
    await advanceUntil(sb, ended(arn), { stepMs: 15 * MINUTE });
    stop();
    await deletion;

    const execution = sb.execution(arn);
    expect(published).toBeDefined();
    expect(execution).toMatchObject({ status: 'FAILED', error: 'SecretDeletedError' });
    expect(statesEntered(execution)).not.toContain('VerifyKey');
    expect(execution.cause).toContain(
      `The secret rekey/${user.userName} no longer exists: it was deleted for good (with ` +
        'ForceDeleteWithoutRecovery, or when its recovery window ended), with every version it ' +
        `held. rekey stopped before its next change. The new key ${String(published)} it had ` +
        'just staged there was deleted: its secret access key was only in that secret.',
    );
    expect(execution.cause).not.toContain("can't find");
    expect(keyById(sb, String(published))?.deletedAt).toBeDefined();
    expect(liveKeys(sb, user.userName).map((k) => k.accessKeyId)).toEqual([
      user.oldKey.accessKeyId,
    ]);
    expectNoViolations();

    const rerun = await sb.startRotation({ userName: user.userName });
    await advanceUntil(sb, ended(rerun), { stepMs: 15 * MINUTE });
    expect(sb.execution(rerun).status).toBe('SUCCEEDED');
    expectNoViolations();
  });

  it.each([
    [
      'scheduled for deletion',
      false,
      (u: string) =>
        `The secret rekey/${u} is scheduled for deletion: its deletion was requested at ` +
        `${secretOf(sb, u)?.deletedDate?.toISOString() ?? '?'}, and Secrets Manager deletes it ` +
        'for good when the recovery window given to DeleteSecret ends, 7 to 30 days later',
      (u: string) =>
        `Restore it before then (aws secretsmanager restore-secret --secret-id rekey/${u})`,
    ],
    [
      'deleted for good',
      true,
      (u: string) =>
        `The secret rekey/${u} no longer exists: it was deleted for good (with ` +
        'ForceDeleteWithoutRecovery, or when its recovery window ended)',
      (u: string) => `The secret rekey/${u} no longer exists.`,
    ],
  ])(
    'says the secret is %s when that happens while VerifyKey waits for the new key, not what Secrets Manager said',
    async (_label, force, says, then) => {
      const user = seedUser(sb, `lifeline-verify-${force ? 'forced' : 'window'}`);
      monitor = watch(sb, [user.userName]);
      const arn = await sb.startRotation({ userName: user.userName });
      await advanceUntil(sb, () => failedAttempts(sb.execution(arn), 'VerifyKey') > 0, {
        stepMs: 500,
      });
      const newKeyId = staged(sb, user.userName, 'AWSPENDING')?.value.AccessKeyId;
      expect(newKeyId).toBeDefined();

      await deleteSecret(user.userName, force);
      await advanceUntil(sb, ended(arn), { stepMs: 15 * MINUTE });

      const execution = sb.execution(arn);
      expect(execution).toMatchObject({ status: 'FAILED', error: 'SecretDeletedError' });
      expect(statesEntered(execution)).not.toContain('PromoteKey');
      expect(execution.cause).toContain(says(user.userName));
      expect(execution.cause).toContain(then(user.userName));
      expect(execution.cause).not.toMatch(
        /InvalidRequestException|ResourceNotFoundException|marked for deletion|can't find/,
      );
      expect(keyById(sb, user.oldKey.accessKeyId)?.status).toBe('Active');
      // Never promoted, so no application can hold it: compensation deleted it.
      expect(keyById(sb, String(newKeyId))?.deletedAt).toBeDefined();
      expectNoViolations();
    },
  );
});

describe('truthful outcomes: a new key deleted by hand after promotion', () => {
  it('names the key and what happened, not IAM\'s "cannot be found", and moves AWSCURRENT back to the old key', async () => {
    const user = seedUser(sb, 'truth-new-deleted');
    monitor = watch(sb, [user.userName]);
    const arn = await sb.startRotation({ userName: user.userName });
    await advanceUntil(sb, inState(arn, 'WaitForCutover'));
    const newKeyId = String(staged(sb, user.userName, 'AWSCURRENT')?.value.AccessKeyId);

    await asAdmin(({ iam }) =>
      iam.send(new DeleteAccessKeyCommand({ UserName: user.userName, AccessKeyId: newKeyId })),
    );
    await advanceUntil(sb, ended(arn), { stepMs: 15 * MINUTE });

    const execution = sb.execution(arn);
    expect(execution).toMatchObject({ status: 'FAILED', error: 'RotationStateError' });
    expect(execution.cause).toContain(
      `The new key ${newKeyId} of ${user.userName} was deleted outside rekey after it was verified, while AWSCURRENT of rekey/${user.userName} named it:`,
    );
    expect(execution.cause).toContain('CloudTrail event DeleteAccessKey');
    expect(execution.cause).toContain(
      `The old key ${user.oldKey.accessKeyId} is active and current; the new key ${newKeyId} no longer exists (removed outside rekey).`,
    );
    expect(execution.cause).not.toContain('cannot be found');
    expect(staged(sb, user.userName, 'AWSCURRENT')?.value.AccessKeyId).toBe(
      user.oldKey.accessKeyId,
    );
    expect(keyById(sb, user.oldKey.accessKeyId)?.status).toBe('Active');
    // The person's deletion broke I1 and I2 for a moment; nothing rekey did broke them.
    monitor.checkNoOrphans([]);
    expect(monitor.violations).toEqual([
      `I2 after iam:DeleteAccessKey: active key ${newKeyId} of ${user.userName} was deleted`,
      `I1 after iam:DeleteAccessKey: ${user.userName}'s AWSCURRENT (${newKeyId}) is not an active key`,
    ]);
  });
});

describe('a secret of its own: rekey writes keys only into secrets it created, with its KMS key', () => {
  it('writes nothing into a secret a role without KMS rights created before the first rotation, and says so', async () => {
    const user = seedUser(sb, 'own-squatted');
    monitor = watch(sb, [user.userName]);
    const { region, accountId } = sb.emulator;
    const squatter = sb.emulator.createSystemCredentials(
      'squatter',
      JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: ['secretsmanager:CreateSecret', 'secretsmanager:GetSecretValue'],
            Resource: `arn:aws:secretsmanager:${region}:${accountId}:secret:rekey/*`,
          },
        ],
      }),
    );
    const sm = new SecretsManagerClient(sb.clientConfig(squatter));
    await sm.send(
      new CreateSecretCommand({ Name: `rekey/${user.userName}`, SecretString: '{"note":"mine"}' }),
    );

    const arn = await sb.startRotation({ userName: user.userName });
    await advanceUntil(sb, ended(arn), { stepMs: 15 * MINUTE });
    const read = await sm.send(new GetSecretValueCommand({ SecretId: `rekey/${user.userName}` }));
    sm.destroy();

    expect(sb.execution(arn)).toMatchObject({ status: 'FAILED', error: 'SecretNotOwnedError' });
    expect(sb.execution(arn).cause).toContain('was not created by rekey');
    expect(liveKeys(sb, user.userName).map((k) => k.accessKeyId)).toEqual([
      user.oldKey.accessKeyId,
    ]);
    expect(read.SecretString).toBe('{"note":"mine"}');
    expect(notificationsAbout(sb, user.userName).join('\n')).toContain('was not created by rekey');
    expectNoViolations();
  });

  it('does not create again a secret force-deleted while StageKey waited to retry, and says what it cannot tell', async () => {
    const user = seedUser(sb, 'own-vanished');
    monitor = watch(sb, [user.userName]);
    // The claim (the second TagResource, after the marker) is throttled: StageKey fails after
    // staging its key, and an operator force-deletes the secret before the retry.
    const claim = sb.emulator.faults.add({
      service: 'secretsmanager',
      operation: 'TagResource',
      kind: 'throttle',
      after: 1,
      times: 5,
    });
    const arn = await sb.startRotation({ userName: user.userName });
    // One sandbox millisecond at a time: StageKey's Retry waits 0-5 s (full jitter), and a step
    // as long as its wait would run the retry before the secret is deleted (a jitter under
    // 4% did that with 200 ms steps: CI saw it).
    await advanceUntil(
      sb,
      () => failedAttempts(sb.execution(arn), 'StageKey') > 0 || ended(arn)(),
      { stepMs: 1 },
    );
    sb.emulator.faults.remove(claim);
    await asAdmin(({ secrets }) =>
      secrets.send(
        new DeleteSecretCommand({
          SecretId: `rekey/${user.userName}`,
          ForceDeleteWithoutRecovery: true,
        }),
      ),
    );
    await advanceUntil(sb, ended(arn), { stepMs: 15 * MINUTE });

    const execution = sb.execution(arn);
    expect(execution).toMatchObject({ status: 'FAILED', error: 'UnknownKeyError' });
    const [stranded] = liveKeys(sb, user.userName).filter(
      (k) => k.accessKeyId !== user.oldKey.accessKeyId,
    );
    expect(execution.cause).toContain(
      `holds a key that appeared since this rotation began, ${stranded?.accessKeyId ?? '?'}`,
    );
    expect(execution.cause).not.toContain('Nothing was changed');
    expect(secretOf(sb, user.userName)).toBeUndefined();
    expect(keyById(sb, user.oldKey.accessKeyId)?.status).toBe('Active');
    expectNoViolations();
    expect(monitor?.excused).toEqual([
      `I3: key ${stranded?.accessKeyId ?? '?'} of ${user.userName}: its secret was deleted`,
    ]);
  });

  it('removes the key it staged when its claim could not be written, and says the user is as it was', async () => {
    const user = seedUser(sb, 'own-unclaimed');
    monitor = watch(sb, [user.userName]);
    // The marker goes through; every later TagResource (the claim) is refused.
    sb.emulator.faults.add({
      service: 'secretsmanager',
      operation: 'TagResource',
      kind: 'throttle',
      after: 1,
    });
    const arn = await sb.startRotation({ userName: user.userName });
    await advanceUntil(sb, ended(arn), { stepMs: 1000 });
    sb.emulator.faults.clear();

    const execution = sb.execution(arn);
    expect(execution.status).toBe('FAILED');
    expect(execution.cause).toContain(
      `The user is as it was: the old key ${user.oldKey.accessKeyId} is active and current; the new key`,
    );
    expect(liveKeys(sb, user.userName).map((k) => k.accessKeyId)).toEqual([
      user.oldKey.accessKeyId,
    ]);
    expect(staged(sb, user.userName, 'AWSPENDING')).toBeUndefined();
    const failed = sb.emulator.events.find(
      (e) => e.DetailType === 'Rotation Failed' && e.Detail.userName === user.userName,
    );
    expect(failed?.Detail).toMatchObject({ outcome: 'restored' });
    expect(statesEntered(execution).at(-1)).toBe('RotationFailedUnchanged');
    expectNoViolations();

    const rerun = await sb.startRotation({ userName: user.userName });
    await advanceUntil(sb, ended(rerun), { stepMs: 15 * MINUTE });
    expect(sb.execution(rerun).status).toBe('SUCCEEDED');
  });
});

describe('inputs and tags', () => {
  it('gives requestedBy "rekey-scan" no power: a young key is rotated on demand', async () => {
    const user = seedUser(sb, 'claims-scan', { keyAgeDays: 10 });

    const arn = await sb.startRotation({
      userName: user.userName,
      requestedBy: 'rekey-scan',
      dryRun: true,
    });
    await advanceUntil(sb, ended(arn));

    expect(sb.execution(arn).status).toBe('SUCCEEDED');
    expect(JSON.parse(sb.execution(arn).output ?? '{}')).toMatchObject({
      decision: 'rotate',
      mode: 'on-demand',
      requestedBy: 'rekey-scan',
    });
  });

  it('counts an impossible exemption date (2026-02-30) as unreadable: exempt, with a warning', async () => {
    const user = seedUser(sb, 'impossible-date', {
      tags: [
        { Key: 'rekey:exempt-until', Value: '2026-02-30' },
        { Key: 'rekey:exempt-reason', Value: 'typo' },
      ],
    });

    const arn = await sb.startRotation({ userName: user.userName });
    await advanceUntil(sb, ended(arn));

    expect(statesEntered(sb.execution(arn))).toEqual(['Inspect', 'Decide', 'Skipped']);
    const started = sb.emulator.events.find((e) => e.Detail.userName === user.userName);
    expect(started?.Detail.warnings).toEqual([
      'tag rekey:exempt-until="2026-02-30" is not a date (YYYY-MM-DD); treated as exempt',
    ]);
  });
});

it('leaves no secret access key in any execution, log, event or notification (I4)', () => {
  const probe = watch(sb, []);
  checkSecrecy(sb, probe, sb.emulator.state.executions);
  expect(probe.violations).toEqual([]);
  probe.stop();
});
