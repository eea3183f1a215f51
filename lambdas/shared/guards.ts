import type { Deps } from './deps';
import { OldKeyReactivatedError, RotationStateError } from './errors';
import { listKeys, type AccessKey } from './keys';
import { describeStages, requireLiveSecret } from './secret';
import type { KeyRef, NewKey, RotationState } from './types';

export interface PromotedRotation {
  readonly oldKey: KeyRef;
  readonly newKey: NewKey;
  /** The old key as IAM has it now; undefined once deleted. */
  readonly oldKeyNow?: AccessKey;
}

/**
 * The checks before touching the old key: the secret must be live (it holds the only copy of the
 * new key's secret), its AWSCURRENT must still be this rotation's new version (an operator who
 * rolled back moved it), so the old key is not the current one (I2), and the new key must still
 * be active, so the user keeps a working key (I1).
 */
export async function requirePromoted(state: RotationState, deps: Deps): Promise<PromotedRotation> {
  const { oldKey, newKey } = state;
  if (!oldKey || !newKey) throw new RotationStateError('this step needs a promoted rotation');
  const stages = requireLiveSecret(
    await describeStages(deps.secrets, state.secretId),
    state.secretId,
  );
  if (stages.current !== newKey.versionId) {
    throw new OldKeyReactivatedError(
      `The secret ${state.secretId} no longer has the new key ${newKey.accessKeyId} as AWSCURRENT ` +
        `(rolled back?): rekey leaves the old key ${oldKey.accessKeyId} as it is.`,
    );
  }
  const keys = await listKeys(deps.iam, state.userName);
  if (keys.find((k) => k.accessKeyId === newKey.accessKeyId)?.status !== 'Active') {
    throw new RotationStateError(
      `The new key ${newKey.accessKeyId} is no longer active: rekey leaves the old key ${oldKey.accessKeyId} as it is.`,
    );
  }
  const oldKeyNow = keys.find((k) => k.accessKeyId === oldKey.accessKeyId);
  return { oldKey, newKey, oldKeyNow };
}
