import type { Deps } from './deps';
import { OldKeyReactivatedError, RotationStateError } from './errors';
import { listKeys, type AccessKey } from './keys';
import { describeStages, requireLiveSecret, secretGoneProblem } from './secret';
import type { KeyRef, NewKey, RotationState } from './types';

export interface PromotedRotation {
  readonly oldKey: KeyRef;
  readonly newKey: NewKey;
  /** The old key as IAM has it now; undefined once deleted. */
  readonly oldKeyNow?: AccessKey;
}

/**
 * The new key vanished from IAM after it was verified: someone deleted it (rekey never deletes a
 * verified key). IAM's own answer ("The Access Key with id … cannot be found.") says neither what
 * happened nor what it means for the applications, which may hold the key from the secret.
 * `stillCurrent`: whether AWSCURRENT named the new key's version when rekey looked. What is
 * left after compensation follows in the failure's cause.
 */
export function newKeyDeleted(state: RotationState, stillCurrent: boolean): RotationStateError {
  const head =
    `The new key ${state.newKey?.accessKeyId ?? ''} of ${state.userName} was deleted outside ` +
    'rekey after it was verified';
  if (!stillCurrent) {
    return new RotationStateError(
      `${head}, and AWSCURRENT of ${state.secretId} no longer names it (rolled back by hand?): ` +
        `rekey stopped the rotation and leaves the old key ${state.oldKey?.accessKeyId ?? ''} as it is.`,
    );
  }
  return new RotationStateError(
    `${head}, while AWSCURRENT of ${state.secretId} named it: the secret gave applications a ` +
      'key that no longer exists, and those that read it since hold a key AWS rejects. rekey ' +
      'stopped the rotation. Find out who deleted the key (CloudTrail event DeleteAccessKey); ' +
      'once AWSCURRENT names an active key again, have those applications read the secret, then ' +
      'start the rotation again.',
  );
}

/**
 * The checks before touching the old key: the secret must be live (it holds the only copy of the
 * new key's secret), its AWSCURRENT must still be this rotation's new version (an operator who
 * rolled back moved it), so the old key is not the current one (I2), and the new key must still
 * be active, so the user keeps a working key (I1). `secretGone` words the refusal when the
 * secret is going away (what is wrong, and whether it can still be restored); by default the
 * rotation stops before its next change.
 */
export async function requirePromoted(
  state: RotationState,
  deps: Deps,
  secretGone?: (problem: string, restorable: boolean) => Error,
): Promise<PromotedRotation> {
  const { oldKey, newKey } = state;
  if (!oldKey || !newKey) throw new RotationStateError('this step needs a promoted rotation');
  const now = deps.clock.now();
  const read = await describeStages(deps.secrets, state.secretId);
  const problem = secretGoneProblem(read, state.secretId, now);
  if (problem !== undefined && secretGone) throw secretGone(problem, read !== undefined);
  const stages = requireLiveSecret(read, state.secretId, now);
  if (stages.current !== newKey.versionId) {
    throw new OldKeyReactivatedError(
      `The secret ${state.secretId} no longer has the new key ${newKey.accessKeyId} as AWSCURRENT ` +
        `(rolled back?): rekey leaves the old key ${oldKey.accessKeyId} as it is.`,
    );
  }
  const keys = await listKeys(deps.iam, state.userName);
  const newKeyNow = keys.find((k) => k.accessKeyId === newKey.accessKeyId);
  if (!newKeyNow) throw newKeyDeleted(state, true);
  if (newKeyNow.status !== 'Active') {
    throw new RotationStateError(
      `The new key ${newKey.accessKeyId} is no longer active: rekey leaves the old key ${oldKey.accessKeyId} as it is.`,
    );
  }
  const oldKeyNow = keys.find((k) => k.accessKeyId === oldKey.accessKeyId);
  return { oldKey, newKey, oldKeyNow };
}
