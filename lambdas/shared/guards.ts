import type { Deps } from './deps';
import { OldKeyReactivatedError, RotationStateError } from './errors';
import { listKeys, type AccessKey } from './keys';
import { describeStages } from './secret';
import type { KeyRef, NewKey, RotationState } from './types';

export interface PromotedRotation {
  readonly oldKey: KeyRef;
  readonly newKey: NewKey;
  /** The old key as IAM has it now; undefined once deleted. */
  readonly oldKeyNow?: AccessKey;
}

/**
 * The checks before touching the old key: the secret's AWSCURRENT must still be this rotation's
 * new version (an operator who rolled back moved it), so the old key is not the current one (I2).
 */
export async function requirePromoted(state: RotationState, deps: Deps): Promise<PromotedRotation> {
  const { oldKey, newKey } = state;
  if (!oldKey || !newKey) throw new RotationStateError('this step needs a promoted rotation');
  const stages = await describeStages(deps.secrets, state.secretId);
  if (stages?.current !== newKey.versionId) {
    throw new OldKeyReactivatedError(
      `The secret ${state.secretId} no longer has the new key ${newKey.accessKeyId} as AWSCURRENT ` +
        `(rolled back?): rekey leaves the old key ${oldKey.accessKeyId} as it is.`,
    );
  }
  const oldKeyNow = (await listKeys(deps.iam, state.userName)).find(
    (k) => k.accessKeyId === oldKey.accessKeyId,
  );
  return { oldKey, newKey, oldKeyNow };
}
