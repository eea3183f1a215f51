import { restoreCommand } from './secret';
import type { RecoveryWindowState, RotationState } from './types';

/**
 * The longest the recovery window goes without looking at the secret. A secret deleted with
 * Secrets Manager's shortest recovery window (7 days) is then still restorable for at least four
 * days when rekey reports it; a single Wait for the whole window would report it after the purge.
 * Three days, not one: each check is three state transitions, and a daily check of a 7-day window
 * would more than double what a prompt rotation costs in Step Functions.
 */
export const RECOVERY_CHECK_SECONDS = 3 * 86_400;

/**
 * The next wait from `now`: until `endsAt`, rounded up, but never more than one check interval.
 * A wait that reaches the end is the last: DeleteOldKey follows it and reads the secret itself
 * (requirePromoted), so a check of its own there would only repeat that read.
 */
function nextWait(endsAt: Date, now: Date): Pick<RecoveryWindowState, 'waitSeconds' | 'lastWait'> {
  const remaining = Math.max(0, Math.ceil((endsAt.getTime() - now.getTime()) / 1000));
  return {
    waitSeconds: Math.min(RECOVERY_CHECK_SECONDS, remaining),
    lastWait: remaining <= RECOVERY_CHECK_SECONDS,
  };
}

/** The window that opens when the old key is deactivated at `now`. */
export function openRecoveryWindow(windowSeconds: number, now: Date): RecoveryWindowState {
  const endsAt = new Date(now.getTime() + windowSeconds * 1000);
  return { endsAt: endsAt.toISOString(), ...nextWait(endsAt, now), ended: false, checks: 0 };
}

/** The window after a check at `now` found the secret live: the next wait, the last or not. */
export function afterRecoveryCheck(window: RecoveryWindowState, now: Date): RecoveryWindowState {
  const endsAt = new Date(window.endsAt);
  return {
    endsAt: window.endsAt,
    ...nextWait(endsAt, now),
    ended: now.getTime() >= endsAt.getTime(),
    checks: window.checks + 1,
    checkedAt: now.toISOString(),
  };
}

/**
 * What the operator can do once the secret is going away while the old key is inactive: the
 * rotation ends there, so rekey never deletes the old key, and the advice depends on whether the
 * secret can still be restored. `when` says where rekey found it (during the window, or at its
 * end, by DeleteOldKey).
 */
export function secretGoneAdvice(
  state: RotationState,
  restorable: boolean,
  when: 'during' | 'end',
): string {
  const { userName, secretId } = state;
  const oldKeyId = state.oldKey?.accessKeyId ?? '?';
  const newKeyId = state.newKey?.accessKeyId ?? '?';
  const stopped =
    when === 'during'
      ? `rekey ended the recovery window early and will not delete the old key ${oldKeyId} (inactive).`
      : `The recovery window is over, but rekey will not delete the old key ${oldKeyId} (inactive).`;
  const before = when === 'during' ? 'before then' : 'before Secrets Manager deletes it';
  if (!restorable) {
    return (
      `${stopped} The new key ${newKeyId}'s secret access key went with the secret: applications ` +
      `that already read it keep working. An application that still holds the old key can have it ` +
      `back (aws iam update-access-key --user-name ${userName} --access-key-id ${oldKeyId} --status Active).`
    );
  }
  const next =
    state.policy.inactiveKeyAction === 'delete'
      ? "the user's next rotation deletes it first"
      : "the user's next rotation refuses until it is gone";
  return (
    `${stopped} Restore the secret ${before} (${restoreCommand(secretId)}): applications read ` +
    `the new key ${newKeyId} from it, and it holds the only copy of its secret access key. Delete ` +
    `the old key by hand once no application needs it (aws iam delete-access-key --user-name ` +
    `${userName} --access-key-id ${oldKeyId}); ${next}.`
  );
}
