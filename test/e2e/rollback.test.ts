/**
 * Rollback during the recovery window: an operator who finds a broken application reactivates
 * the old key; the workflow must then never delete it. Also other things an operator may do by
 * hand while a rotation waits. Sandbox time is moved by hand so the test can act while the
 * execution waits in WaitForCutover or RecoveryWindow.
 */
import { DeleteAccessKeyCommand, IAMClient } from '@aws-sdk/client-iam';
import {
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import type { Mutation } from '../../sandbox/emulator';
import type { InvariantMonitor } from '../../sandbox/invariants';
import { Sandbox } from '../../sandbox/sandbox';
import {
  advanceUntil,
  checkSecrecy,
  currentState,
  DAY,
  HOUR,
  keyById,
  liveKeys,
  MINUTE,
  notificationsAbout,
  seedUser,
  staged,
  statesEntered,
  setKeyStatus,
  watch,
  type SeededUser,
} from './helpers';

let sb: Sandbox;
let monitor: InvariantMonitor | undefined;
let stopRecording: (() => void) | undefined;

beforeAll(async () => {
  sb = await Sandbox.start({ clockMode: 'manual' });
}, 60_000);

afterAll(async () => {
  await sb?.stop();
});

afterEach(() => {
  stopRecording?.();
  monitor?.stop();
  monitor = undefined;
});

interface InWindow {
  readonly user: SeededUser;
  readonly arn: string;
  readonly newKeyId: string;
  readonly deletions: Mutation[];
}

/** Rotates `name` until the old key is deactivated and the execution waits in RecoveryWindow. */
async function rotateIntoRecoveryWindow(name: string): Promise<InWindow> {
  const user = seedUser(sb, name);
  monitor = watch(sb, [name]);
  const deletions: Mutation[] = [];
  stopRecording = sb.emulator.onMutation((m) => {
    if (m.operation === 'DeleteAccessKey' && m.userName === name) deletions.push(m);
  });
  const arn = await sb.startRotation({ userName: name });
  await advanceUntil(sb, () => currentState(sb.execution(arn)) === 'RecoveryWindow', {
    stepMs: 15 * MINUTE,
  });
  const newKeyId = liveKeys(sb, name).find((k) => k.status === 'Active')?.accessKeyId ?? '';
  expect(keyById(sb, user.oldKey.accessKeyId)?.status).toBe('Inactive');
  expect(staged(sb, name, 'AWSCURRENT')?.value.AccessKeyId).toBe(newKeyId);
  return { user, arn, newKeyId, deletions };
}

it('keeps an old key the operator reactivated during the recovery window: DeleteOldKey refuses, the key is never deleted', async () => {
  const { user, arn, newKeyId, deletions } = await rotateIntoRecoveryWindow('rollback-reactivate');
  const windowStart = sb
    .execution(arn)
    .events.find((e) => e.stateEnteredEventDetails?.name === 'RecoveryWindow')
    ?.timestamp?.getTime();

  await sb.scheduler.advance(2 * DAY);
  await setKeyStatus(sb, user.userName, user.oldKey.accessKeyId, 'Active');
  await advanceUntil(sb, () => sb.execution(arn).status !== 'RUNNING', { stepMs: HOUR });

  const execution = sb.execution(arn);
  expect(execution.status).toBe('FAILED');
  expect(execution.error).toBe('OldKeyReactivatedError');
  expect(execution.cause).toContain(`The old key ${user.oldKey.accessKeyId} was reactivated`);
  expect(execution.cause).toMatch(/rekey keeps it/);
  expect(execution.stopDate?.getTime()).toBeGreaterThanOrEqual((windowStart ?? Infinity) + 7 * DAY);
  expect(statesEntered(execution).slice(-5)).toEqual([
    'RecoveryWindowEnded',
    'DeleteOldKey',
    'Compensate',
    'CompensationOutcome',
    'RotationFailed',
  ]);
  // The checks of the secret (days 3 and 6 of 7) did not cut the window short.
  expect(statesEntered(execution).filter((s) => s === 'CheckRecoveryWindow')).toHaveLength(2);
  expect(keyById(sb, user.oldKey.accessKeyId)).toMatchObject({ status: 'Active' });
  expect(keyById(sb, user.oldKey.accessKeyId)?.deletedAt).toBeUndefined();
  expect(deletions).toEqual([]);
  expect(liveKeys(sb, user.userName).map((k) => [k.accessKeyId, k.status])).toEqual([
    [user.oldKey.accessKeyId, 'Active'],
    [newKeyId, 'Active'],
  ]);
  expect(staged(sb, user.userName, 'AWSCURRENT')?.value.AccessKeyId).toBe(newKeyId);
  expect(notificationsAbout(sb, user.userName).join('\n')).toContain('OldKeyReactivatedError');
  const watcher = monitor;
  watcher?.checkSafeFailure(user.userName, user.oldKey.accessKeyId);
  watcher?.checkNoOrphans();
  if (watcher) checkSecrecy(sb, watcher, [execution]);
  expect(watcher?.violations).toEqual([]);
});

it('keeps both keys when the operator also moved AWSCURRENT back to the old key (a full rollback)', async () => {
  const { user, arn, newKeyId, deletions } = await rotateIntoRecoveryWindow('rollback-full');
  const previous = staged(sb, user.userName, 'AWSPREVIOUS');
  const current = staged(sb, user.userName, 'AWSCURRENT');

  await setKeyStatus(sb, user.userName, user.oldKey.accessKeyId, 'Active');
  const secrets = new SecretsManagerClient(sb.clientConfig());
  try {
    await secrets.send(
      new UpdateSecretVersionStageCommand({
        SecretId: `${sb.secretPrefix}${user.userName}`,
        VersionStage: 'AWSCURRENT',
        MoveToVersionId: previous?.versionId,
        RemoveFromVersionId: current?.versionId,
      }),
    );
  } finally {
    secrets.destroy();
  }
  await advanceUntil(sb, () => sb.execution(arn).status !== 'RUNNING', { stepMs: HOUR });

  const execution = sb.execution(arn);
  expect(execution.status).toBe('FAILED');
  expect(execution.error).toBe('OldKeyReactivatedError');
  expect(execution.cause).toMatch(/rolled back/);
  expect(deletions).toEqual([]);
  expect(liveKeys(sb, user.userName).map((k) => [k.accessKeyId, k.status])).toEqual([
    [user.oldKey.accessKeyId, 'Active'],
    [newKeyId, 'Active'],
  ]);
  expect(staged(sb, user.userName, 'AWSCURRENT')?.value.AccessKeyId).toBe(user.oldKey.accessKeyId);
  monitor?.checkSafeFailure(user.userName, user.oldKey.accessKeyId);
  expect(monitor?.violations).toEqual([]);
});

it('tells the truth and leaves a working AWSCURRENT when an operator deleted the new key during the cutover', async () => {
  const user = seedUser(sb, 'operator-deletes-new-key');
  const arn = await sb.startRotation({ userName: user.userName });
  await advanceUntil(sb, () => currentState(sb.execution(arn)) === 'WaitForCutover');
  const newKeyId = liveKeys(sb, user.userName)[1]?.accessKeyId ?? '';

  // The operator mistakes the new key for a stray one and removes it (deactivate, delete).
  await setKeyStatus(sb, user.userName, newKeyId, 'Inactive');
  const iam = new IAMClient(sb.clientConfig());
  try {
    await iam.send(new DeleteAccessKeyCommand({ UserName: user.userName, AccessKeyId: newKeyId }));
  } finally {
    iam.destroy();
  }
  // Watch from here: what the operator broke is not rekey's doing; what rekey leaves is.
  const afterOperator = watch(sb, [user.userName]);
  monitor = afterOperator;
  await advanceUntil(sb, () => sb.execution(arn).status !== 'RUNNING', { stepMs: HOUR });

  const execution = sb.execution(arn);
  expect(execution.status).toBe('FAILED');
  expect(execution.cause).toContain(newKeyId);
  expect(execution.cause).not.toMatch(/Both keys are active/);
  afterOperator.checkSafeFailure(user.userName, user.oldKey.accessKeyId);
  expect(afterOperator.violations).toEqual([]);
});

it('completes the rotation when an operator deleted the old key early (e.g. it leaked) during the cutover', async () => {
  const user = seedUser(sb, 'operator-deletes-old-key');
  monitor = watch(sb, [user.userName]);
  const arn = await sb.startRotation({ userName: user.userName });
  await advanceUntil(sb, () => currentState(sb.execution(arn)) === 'WaitForCutover');
  const newKeyId = liveKeys(sb, user.userName)[1]?.accessKeyId ?? '';

  await setKeyStatus(sb, user.userName, user.oldKey.accessKeyId, 'Inactive');
  const iam = new IAMClient(sb.clientConfig());
  try {
    await iam.send(
      new DeleteAccessKeyCommand({
        UserName: user.userName,
        AccessKeyId: user.oldKey.accessKeyId,
      }),
    );
  } finally {
    iam.destroy();
  }
  await advanceUntil(sb, () => sb.execution(arn).status !== 'RUNNING', { stepMs: HOUR });

  const execution = sb.execution(arn);
  expect(liveKeys(sb, user.userName).map((k) => k.accessKeyId)).toEqual([newKeyId]);
  expect(staged(sb, user.userName, 'AWSCURRENT')?.value.AccessKeyId).toBe(newKeyId);
  expect(monitor.violations).toEqual([]);
  expect([execution.status, execution.error, execution.cause]).toEqual([
    'SUCCEEDED',
    undefined,
    undefined,
  ]);
});
