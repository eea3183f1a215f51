import type { Deps } from './deps';
import { discardKey, lastUsed, listKeys } from './keys';
import { logger } from './logger';
import { creatingMarker, foreignCreator, keyIdOfVersion, type SecretStages } from './secret';
import type { RotationState } from './types';

/** The access key ids the secret's AWSCURRENT and AWSPENDING versions hold. */
export async function stagedKeyIds(
  deps: Deps,
  secretId: string,
  stages: SecretStages,
): Promise<{ current?: string; pending?: string }> {
  const idOf = async (versionId?: string): Promise<string | undefined> =>
    versionId ? (await keyIdOfVersion(deps.secrets, secretId, versionId)).accessKeyId : undefined;
  return { current: await idOf(stages.current), pending: await idOf(stages.pending) };
}

/**
 * Deletes keys this execution created but never staged: its CreateAccessKey took effect while
 * its answer was lost (I3). Only when this execution's creating-marker is on the secret, and
 * only keys that are new since Inspect, never used and not in the secret. Inactive ones too: an
 * earlier discard may have deactivated the key and then failed to delete it.
 */
export async function discardOrphans(
  deps: Deps,
  state: RotationState,
  stages: SecretStages | undefined,
): Promise<string[]> {
  if (!stages?.tags[creatingMarker(state.executionArn)]) return [];
  // Another rotation of this user is creating a key right now: an unknown key may be its own.
  if (foreignCreator(stages.tags, state.executionArn, deps.clock.now())) return [];
  const staged = await stagedKeyIds(deps, state.secretId, stages);
  const discarded: string[] = [];
  for (const key of await listKeys(deps.iam, state.userName)) {
    if (state.knownKeyIds.includes(key.accessKeyId)) continue;
    if (key.accessKeyId === staged.current || key.accessKeyId === staged.pending) continue;
    if ((await lastUsed(deps.iam, key.accessKeyId)).date) continue;
    await discardKey(deps.iam, state.userName, key.accessKeyId);
    logger.warn('discarded a key whose creation answer was lost', { orphanKeyId: key.accessKeyId });
    discarded.push(key.accessKeyId);
  }
  return discarded;
}
