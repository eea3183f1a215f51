import {
  CreateAccessKeyCommand,
  DeleteAccessKeyCommand,
  type IAMClient,
} from '@aws-sdk/client-iam';
import { PutSecretValueCommand, UntagResourceCommand } from '@aws-sdk/client-secrets-manager';
import { randomUUID } from 'node:crypto';
import type { Deps } from '../shared/deps';
import {
  asRetryable,
  AwsTransientError,
  awsErrorCode,
  isTransient,
  RotationInProgressError,
  RotationStateError,
  StagingFailedError,
} from '../shared/errors';
import { discardKey, listKeys } from '../shared/keys';
import { logger } from '../shared/logger';
import { discardOrphans, stagedKeyIds } from '../shared/orphans';
import {
  AWSPENDING,
  claimSecret,
  clearMarker,
  creatingMarker,
  foreignCreator,
  staleMarkers,
  describeStages,
  ensureSecret,
  SECRET_TAGS,
  secretValue,
  setMarker,
} from '../shared/secret';
import type { KeyRef, NewKey, RotationState } from '../shared/types';

export interface StageDeps extends Deps {
  /** IAM client without SDK retries, for CreateAccessKey (see clients.ts). */
  readonly iamOnce: IAMClient;
}

/** Frees the second slot of an inactive key Inspect planned to delete, if it is still inactive. */
async function deleteInactiveKey(
  deps: StageDeps,
  state: RotationState,
  keyId: string,
): Promise<void> {
  const key = (await listKeys(deps.iam, state.userName)).find((k) => k.accessKeyId === keyId);
  if (!key) return;
  if (key.status !== 'Inactive') {
    throw new RotationStateError(
      `Key ${keyId} was reactivated since the rotation started; not deleting it.`,
    );
  }
  await deps.iam.send(new DeleteAccessKeyCommand({ UserName: state.userName, AccessKeyId: keyId }));
  logger.info('deleted the inactive key to free the second slot', { inactiveKeyId: keyId });
}

/**
 * A key this rotation staged on an earlier attempt whose answer was lost: adopt it (I5). Only
 * this execution's own: its creating-marker or its claim is on the secret. A key another
 * execution staged is not adopted; CreateAccessKey then finds the slots full and refuses.
 */
async function alreadyStaged(deps: StageDeps, state: RotationState): Promise<NewKey | undefined> {
  const stages = await describeStages(deps.secrets, state.secretId);
  if (!stages?.pending) return undefined;
  // Ours when we claimed it, or when nobody has and our creating-marker is still there; a key
  // another execution claimed is never adopted, even if our own marker lingers.
  const claim = stages.tags[SECRET_TAGS.execution];
  const ours =
    claim === state.executionArn ||
    (claim === undefined && stages.tags[creatingMarker(state.executionArn)] !== undefined);
  if (!ours) return undefined;
  const { pending } = await stagedKeyIds(deps, state.secretId, stages);
  const key = (await listKeys(deps.iam, state.userName)).find((k) => k.accessKeyId === pending);
  if (!key || key.status !== 'Active' || state.knownKeyIds.includes(key.accessKeyId))
    return undefined;
  return {
    accessKeyId: key.accessKeyId,
    createDate: key.createDate,
    versionId: stages.pending,
    stagedAt: deps.clock.now().toISOString(),
  };
}

async function createKey(
  deps: StageDeps,
  state: RotationState,
): Promise<{ key: KeyRef; secret: string }> {
  try {
    const { AccessKey } = await deps.iamOnce.send(
      new CreateAccessKeyCommand({ UserName: state.userName }),
    );
    if (!AccessKey?.AccessKeyId || !AccessKey.SecretAccessKey) {
      throw new AwsTransientError('CreateAccessKey answered without a key');
    }
    const createDate = (AccessKey.CreateDate ?? deps.clock.now()).toISOString();
    return {
      key: { accessKeyId: AccessKey.AccessKeyId, createDate },
      secret: AccessKey.SecretAccessKey,
    };
  } catch (error) {
    if (
      awsErrorCode(error) === 'LimitExceeded' ||
      awsErrorCode(error) === 'LimitExceededException'
    ) {
      // Refused: this call created nothing, so the key occupying the slot is not ours to discard.
      await clearMarker(deps.secrets, state.secretId, state.executionArn);
      throw new RotationInProgressError(
        `${state.userName} already holds two access keys: another rotation or person created one since this rotation started.`,
      );
    }
    // Throttling is refused before IAM acts; any other failure leaves the outcome unknown: a key
    // may exist whose secret we never saw. Remove it, then retry.
    if (!THROTTLED.has(awsErrorCode(error) ?? '')) {
      await discardOrphans(deps, state, await describeStages(deps.secrets, state.secretId));
    }
    if (
      !isTransient(error) &&
      awsErrorCode(error) !== undefined &&
      !THROTTLED.has(awsErrorCode(error) ?? '')
    ) {
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata
        ?.httpStatusCode;
      // A 4xx other than throttling (AccessDenied, ...) was refused: retrying cannot help.
      if (status !== undefined && status < 500) throw error;
    }
    throw new AwsTransientError(`CreateAccessKey failed: ${awsErrorCode(error) ?? 'error'}`, error);
  }
}

const THROTTLED = new Set(['Throttling', 'ThrottlingException']);

/** Step 2: create the new key and publish it straight into the secret as AWSPENDING. */
export async function stageKey(state: RotationState, deps: StageDeps): Promise<RotationState> {
  const { oldKey, userName, secretId, executionArn } = state;
  if (state.decision !== 'rotate' || !oldKey) {
    throw new RotationStateError('stage-key runs only for a rotation with an old key');
  }
  logger.appendKeys({ userName, oldKeyId: oldKey.accessKeyId });
  try {
    if (state.newKey) {
      await claimSecret(deps.secrets, secretId, executionArn);
      return state;
    }
    await ensureSecret(deps.secrets, {
      secretId,
      userName,
      oldKey,
      kmsKeyArn: deps.config.kmsKeyArn,
    });
    if (state.inactiveKeyToDelete) await deleteInactiveKey(deps, state, state.inactiveKeyToDelete);
    const before = await describeStages(deps.secrets, secretId);
    const other = before && foreignCreator(before.tags, executionArn, deps.clock.now());
    if (other) {
      throw new RotationInProgressError(
        `${userName} is being rotated by execution ${other}, which is creating its new key right now.`,
      );
    }
    const adopted = await alreadyStaged(deps, state);
    if (adopted) return await finish(deps, state, adopted, 'adopted');
    await discardOrphans(deps, state, before);
    const stale = before ? staleMarkers(before.tags, executionArn, deps.clock.now()) : [];
    if (stale.length > 0) {
      await deps.secrets.send(new UntagResourceCommand({ SecretId: secretId, TagKeys: stale }));
    }
    await setMarker(deps.secrets, secretId, executionArn, deps.clock.now());
    const { key, secret } = await createKey(deps, state);
    const versionId = randomUUID();
    try {
      await deps.secrets.send(
        new PutSecretValueCommand({
          SecretId: secretId,
          ClientRequestToken: versionId,
          SecretString: secretValue({
            UserName: userName,
            AccessKeyId: key.accessKeyId,
            SecretAccessKey: secret,
            CreateDate: key.createDate,
          }),
          VersionStages: [AWSPENDING],
        }),
      );
    } catch (error) {
      // The secret access key exists nowhere else: without the secret, the key must go (I3).
      await discardKey(deps.iam, userName, key.accessKeyId);
      // A refusal says which action was denied (its text holds ARNs only, never the value).
      const code = awsErrorCode(error) ?? 'error';
      const denial =
        code === 'AccessDeniedException' && error instanceof Error ? `: ${error.message}` : '';
      const message = `Publishing key ${key.accessKeyId} to ${secretId} failed (${code}${denial}); the key was deleted.`;
      throw isTransient(error)
        ? new AwsTransientError(message, error)
        : new StagingFailedError(message, error);
    }
    const stagedAt = deps.clock.now().toISOString();
    return await finish(deps, state, { ...key, versionId, stagedAt }, 'created');
  } catch (error) {
    throw asRetryable(error, 'Staging the new key');
  }
}

async function finish(
  deps: StageDeps,
  state: RotationState,
  newKey: NewKey,
  how: 'created' | 'adopted',
): Promise<RotationState> {
  await claimSecret(deps.secrets, state.secretId, state.executionArn);
  await clearMarker(deps.secrets, state.secretId, state.executionArn);
  logger.info('Key Staged', { newKeyId: newKey.accessKeyId, how });
  await deps.telemetry.emit('Key Staged', {
    userName: state.userName,
    executionArn: state.executionArn,
    oldKeyId: state.oldKey?.accessKeyId,
    newKeyId: newKey.accessKeyId,
    versionId: newKey.versionId,
    at: newKey.stagedAt,
  });
  return { ...state, newKey };
}
