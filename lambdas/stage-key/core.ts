import { DeleteAccessKeyCommand, type IAMClient } from '@aws-sdk/client-iam';
import { PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import type { SFNClient } from '@aws-sdk/client-sfn';
import { randomUUID } from 'node:crypto';
import type { Deps } from '../shared/deps';
import {
  asRetryable,
  AwsTransientError,
  awsErrorCode,
  isTransient,
  RotationInProgressError,
  RotationStateError,
  SecretDeletedError,
  StagingFailedError,
  UnknownKeyError,
} from '../shared/errors';
import { executionRunning, refuseIfClaimed } from '../shared/executions';
import { discardKey, listKeys } from '../shared/keys';
import { createKey } from './create';
import { logger } from '../shared/logger';
import { clearMarker, ownMarker, removeMarkers, setMarker } from '../shared/markers';
import { auditKeys, describeUnknown, discardOrphans } from '../shared/orphans';
import {
  AWSPENDING,
  claimSecret,
  describeStages,
  ensureSecret,
  keyIdOfVersion,
  requireLiveSecret,
  SECRET_TAGS,
  secretValue,
  type SecretStages,
  type SecretValue,
} from '../shared/secret';
import { putReadPolicy } from '../shared/consumers';
import { sesSmtpPassword } from '../shared/ses-smtp';
import type { NewKey, RotationState } from '../shared/types';

export interface StageDeps extends Deps {
  /** IAM client without SDK retries, for CreateAccessKey (see clients.ts). */
  readonly iamOnce: IAMClient;
  /** Tells whether another rotation's creating-marker belongs to a running execution. */
  readonly sfn: SFNClient;
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
 * this execution's own: its claim, or (before any claim) its creating-marker, is on the secret.
 */
async function alreadyStaged(
  deps: StageDeps,
  state: RotationState,
  stages: SecretStages,
): Promise<NewKey | undefined> {
  if (!stages.pending) return undefined;
  const claim = stages.tags[SECRET_TAGS.execution];
  const ours =
    claim === state.executionArn ||
    (claim === undefined && ownMarker(stages.tags, state.executionArn) !== undefined);
  if (!ours) return undefined;
  const { accessKeyId } = await keyIdOfVersion(deps.secrets, state.secretId, stages.pending);
  const key = (await listKeys(deps.iam, state.userName)).find((k) => k.accessKeyId === accessKeyId);
  if (!key || key.status !== 'Active' || state.knownKeyIds.includes(key.accessKeyId))
    return undefined;
  return {
    accessKeyId: key.accessKeyId,
    createDate: key.createDate,
    versionId: stages.pending,
    stagedAt: deps.clock.now().toISOString(),
  };
}

/**
 * Before creating a key: discard the keys rekey provably created and never published (I3),
 * refuse while another rotation is creating one, and stop at any key nobody can explain.
 */
async function clearTheWay(
  deps: StageDeps,
  state: RotationState,
  stages: SecretStages,
): Promise<void> {
  const isRunning = executionRunning(deps.sfn);
  await refuseIfClaimed(isRunning, stages, state.userName, state.executionArn);
  const keys = await listKeys(deps.iam, state.userName);
  const orphansPlanned = state.orphanKeyIds ?? [];
  const audit = await auditKeys({
    ...deps,
    secretId: state.secretId,
    stages,
    keys,
    known: state.knownKeyIds.filter((id) => !orphansPlanned.includes(id)),
    executionArn: state.executionArn,
    now: deps.clock.now(),
    isRunning,
  });
  if (audit.liveCreator) {
    throw new RotationInProgressError(
      `${state.userName} is being rotated by execution ${audit.liveCreator}, which is creating its new key right now.`,
    );
  }
  await discardOrphans(deps.iam, state.userName, keys, audit.orphans);
  if (audit.unknown.length > 0) {
    throw new UnknownKeyError(describeUnknown(state.userName, audit.unknown));
  }
  await removeMarkers(deps.secrets, state.secretId, audit.spentMarkers);
}

/** Step 2: create the new key and publish it straight into the secret as AWSPENDING. */
export async function stageKey(state: RotationState, deps: StageDeps): Promise<RotationState> {
  const { oldKey, userName, secretId, executionArn } = state;
  if (state.decision !== 'rotate' || !oldKey) {
    throw new RotationStateError('stage-key runs only for a rotation with an old key');
  }
  logger.appendKeys({ userName, oldKeyId: oldKey.accessKeyId });
  try {
    const existing = await describeStages(deps.secrets, secretId);
    if (existing) requireLiveSecret(existing, secretId);
    if (state.newKey) {
      if (deps.config.consumerAccess === 'self') {
        await putReadPolicy(deps.secrets, secretId, state.userArn, state.readers ?? []);
      }
      await claimSecret(deps.secrets, secretId, executionArn);
      return state;
    }
    if (!existing) {
      await ensureSecret(deps.secrets, {
        secretId,
        userName,
        oldKey,
        kmsKeyArn: deps.config.kmsKeyArn,
      });
    }
    if (deps.config.consumerAccess === 'self') {
      await putReadPolicy(deps.secrets, secretId, state.userArn, state.readers ?? []);
    }
    const stages = requireLiveSecret(await describeStages(deps.secrets, secretId), secretId);
    const adopted = await alreadyStaged(deps, state, stages);
    if (adopted) return await finish(deps, state, adopted, 'adopted');
    await clearTheWay(deps, state, stages);
    if (state.inactiveKeyToDelete) await deleteInactiveKey(deps, state, state.inactiveKeyToDelete);
    const startedAt = deps.clock.now();
    await setMarker(deps.secrets, secretId, executionArn, startedAt);
    const { key, secret } = await createKey(deps, state, startedAt);
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
            ...smtpCredentials(key.accessKeyId, secret, state.sesSmtpRegions ?? []),
          }),
          VersionStages: [AWSPENDING],
        }),
      );
    } catch (error) {
      // The secret access key exists nowhere else: without the secret, the key must go (I3).
      await discardKey(deps.iam, userName, key.accessKeyId);
      throw stagingError(error, `Publishing key ${key.accessKeyId} to ${secretId}`);
    }
    const stagedAt = deps.clock.now().toISOString();
    return await finish(deps, state, { ...key, versionId, stagedAt }, 'created');
  } catch (error) {
    throw asRetryable(error, 'Staging the new key');
  }
}

/** SES SMTP credentials derived here, so the secret access key still never leaves this step. */
function smtpCredentials(
  accessKeyId: string,
  secretAccessKey: string,
  regions: readonly string[],
): Pick<SecretValue, 'SmtpUsername' | 'SmtpPasswords'> {
  if (regions.length === 0) return {};
  return {
    SmtpUsername: accessKeyId,
    SmtpPasswords: Object.fromEntries(
      regions.map((region) => [region, sesSmtpPassword(secretAccessKey, region)]),
    ),
  };
}

function stagingError(error: unknown, what: string): Error {
  const code = awsErrorCode(error) ?? 'error';
  // A refusal says which action was denied (its text holds ARNs only, never the value).
  const denial =
    code === 'AccessDeniedException' && error instanceof Error ? `: ${error.message}` : '';
  const message = `${what} failed (${code}${denial}); the key was deleted.`;
  if (code === 'InvalidRequestException' && /deletion/i.test((error as Error).message)) {
    return new SecretDeletedError(`${message} The secret is scheduled for deletion.`);
  }
  return isTransient(error)
    ? new AwsTransientError(message, error)
    : new StagingFailedError(message, error);
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
