import { UpdateSecretVersionStageCommand } from '@aws-sdk/client-secrets-manager';
import { emergencyCutover, initialCutover } from '../shared/cutover';
import type { Deps } from '../shared/deps';
import { asRetryable, RotationStateError } from '../shared/errors';
import { logger } from '../shared/logger';
import {
  AWSCURRENT,
  AWSPENDING,
  describeStages,
  requireLiveSecret,
  type SecretStages,
} from '../shared/secret';
import { whenSecretGone } from '../shared/secret-gone';
import type { RotationState } from '../shared/types';

async function stages(deps: Deps, secretId: string): Promise<SecretStages> {
  return requireLiveSecret(
    await describeStages(deps.secrets, secretId),
    secretId,
    deps.clock.now(),
  );
}

/**
 * Step 4: move AWSCURRENT to the new version (Secrets Manager moves AWSPREVIOUS to the old one),
 * then drop AWSPENDING. Idempotent: a retry after a lost answer finds the label already moved.
 */
export async function promoteKey(state: RotationState, deps: Deps): Promise<RotationState> {
  const { newKey, secretId, userName } = state;
  if (!newKey) throw new RotationStateError('promote-key needs the staged key');
  logger.appendKeys({ userName, newKeyId: newKey.accessKeyId });
  try {
    let labels = await stages(deps, secretId);
    let promotedAt = deps.clock.now();
    if (labels.current === newKey.versionId) {
      // Promoted by an earlier attempt or an interrupted run: staging time bounds promotion from below.
      promotedAt = new Date(state.promotedAt ?? newKey.stagedAt);
    } else {
      if (labels.pending !== newKey.versionId) {
        throw new RotationStateError(
          `Version ${newKey.versionId} of ${secretId} is neither AWSPENDING nor AWSCURRENT any more.`,
        );
      }
      try {
        await deps.secrets.send(
          new UpdateSecretVersionStageCommand({
            SecretId: secretId,
            VersionStage: AWSCURRENT,
            MoveToVersionId: newKey.versionId,
            RemoveFromVersionId: labels.current,
          }),
        );
      } catch (error) {
        // A lost answer after the move took effect makes the SDK's retry fail: check the outcome.
        labels = await stages(deps, secretId);
        if (labels.current !== newKey.versionId) throw error;
      }
      // No second read after a move that answered: moving AWSCURRENT leaves the version's other
      // labels (docs/aws-semantics.md, staging rule 6), so AWSPENDING is where the read above
      // found it, on this version.
    }
    if (labels.pending === newKey.versionId) {
      await deps.secrets.send(
        new UpdateSecretVersionStageCommand({
          SecretId: secretId,
          VersionStage: AWSPENDING,
          RemoveFromVersionId: newKey.versionId,
        }),
      );
    }
    const at = promotedAt.toISOString();
    logger.info('Key Promoted', { promotedAt: at });
    await deps.telemetry.emit('Key Promoted', {
      userName,
      executionArn: state.executionArn,
      oldKeyId: state.oldKey?.accessKeyId,
      newKeyId: newKey.accessKeyId,
      at,
    });
    const cutover = state.emergency
      ? emergencyCutover(state.emergency.graceSeconds, promotedAt, deps.clock.now())
      : initialCutover(state.policy, promotedAt);
    return { ...state, promotedAt: at, cutover };
  } catch (error) {
    // A label move refused because the secret went away since the last DescribeSecret.
    throw asRetryable(
      await whenSecretGone(deps.secrets, secretId, error, deps.clock.now()),
      'Promoting the new key',
    );
  }
}
