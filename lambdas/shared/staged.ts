import type { Deps } from './deps';
import { listKeys } from './keys';
import { createdWithin, ownMarker } from './markers';
import { keyIdOfVersion, SECRET_TAGS, type SecretStages } from './secret';
import type { NewKey, RotationState } from './types';

/**
 * The key in AWSPENDING, when this execution staged it on an attempt whose end was lost (the
 * claim or the marker's clearing failed, the step timed out): StageKey adopts it (I5), and
 * Compensate removes it as this rotation's new key. Proof that it is this execution's: the secret
 * is claimed by this execution, or nobody claimed it, this execution's creating-marker is still on
 * the secret and the key was created inside that call's window. An active key only, and not one the user held when
 * the rotation started.
 */
export async function stagedByThisExecution(
  deps: Pick<Deps, 'iam' | 'secrets' | 'clock'>,
  state: Pick<RotationState, 'secretId' | 'userName' | 'executionArn' | 'knownKeyIds'>,
  stages: SecretStages,
): Promise<NewKey | undefined> {
  if (!stages.pending) return undefined;
  const claim = stages.tags[SECRET_TAGS.execution];
  const claimed = claim === state.executionArn;
  // The marker proves nothing once another execution has claimed the secret: the key is theirs.
  const marker = claim === undefined ? ownMarker(stages.tags, state.executionArn) : undefined;
  if (!claimed && !marker) return undefined;
  const { accessKeyId } = await keyIdOfVersion(deps.secrets, state.secretId, stages.pending);
  const key = (await listKeys(deps.iam, state.userName)).find((k) => k.accessKeyId === accessKeyId);
  if (!key || key.status !== 'Active' || state.knownKeyIds.includes(key.accessKeyId)) {
    return undefined;
  }
  if (!claimed && !(marker && createdWithin(marker, key.createDate))) return undefined;
  return {
    accessKeyId: key.accessKeyId,
    createDate: key.createDate,
    versionId: stages.pending,
    stagedAt: deps.clock.now().toISOString(),
  };
}
