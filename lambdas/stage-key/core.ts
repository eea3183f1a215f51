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
import { stagedByThisExecution } from '../shared/staged';
import { logger } from '../shared/logger';
import { clearMarker, removeMarkers, setMarker } from '../shared/markers';
import { auditKeys, describeUnknown, discardOrphans } from '../shared/orphans';
import {
  AWSPENDING,
  claimSecret,
  describeStages,
  ensureSecret,
  requireLiveSecret,
  requireOwnedSecret,
  secretValue,
  type SecretStages,
  type SecretValue,
} from '../shared/secret';
import { putReadPolicy } from '../shared/consumers';
import { whenSecretGone } from '../shared/secret-gone';
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
 * Before creating a key: discard the keys rekey provably created and never published (I3),
 * refuse while another rotation is creating one, and stop at any key nobody can explain.
 * The secret (`stages`) and the keys are read afresh, right before the creating-marker is set:
 * key creation dates have a granularity of a second, so a key made between an earlier listing and
 * the marker could fall inside the marker's window and pass for this call's own. (Reusing the
 * listing of refuseIfSecretVanished saved a call, and the foreign-key fault matrix caught a key
 * made by hand being deleted as an orphan.)
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
  await discardOrphans(deps, state, keys, audit.orphans);
  if (audit.unknown.length > 0) {
    throw new UnknownKeyError(describeUnknown(state.userName, audit.unknown));
  }
  await removeMarkers(deps.secrets, state.secretId, audit.spentMarkers);
}

/**
 * The secret Inspect found, still live and still rekey's. One with another ARN was deleted and
 * created again since (by somebody else, or by rekey for another execution): not this rotation's.
 */
function requireSameSecret(
  state: RotationState,
  stages: SecretStages,
  kmsKeyArn: string | undefined,
  now: Date,
): void {
  requireLiveSecret(stages, state.secretId, now);
  requireOwnedSecret(stages, state.secretId, kmsKeyArn);
  if (state.secretArn !== undefined && stages.arn !== state.secretArn) {
    throw new SecretDeletedError(
      `The secret ${state.secretId} was deleted and created again since this rotation began ` +
        `(it was ${state.secretArn}, it is ${stages.arn}): rekey stopped before its next change. ` +
        'Start the rotation again to rotate with the secret as it is now.',
    );
  }
}

/**
 * No secret, where Inspect found one: it was deleted since, and rekey does not create it again
 * (what it held is gone). Where Inspect found none (a first rotation), any key that appeared
 * since may be one an earlier attempt of this step created, whose secret was then deleted with
 * its secret access key: rekey cannot prove that, so it stops before creating anything.
 */
async function refuseIfSecretVanished(deps: StageDeps, state: RotationState): Promise<void> {
  if (state.secretArn !== undefined) {
    throw new SecretDeletedError(
      `The secret ${state.secretId} (${state.secretArn}) was deleted since this rotation began, ` +
        'and its recovery window, if it had one, has passed: rekey stopped before its next change ' +
        'and does not create it again. Start the rotation again: rekey then creates a new secret.',
    );
  }
  const appeared = (await listKeys(deps.iam, state.userName)).filter(
    (k) => !state.knownKeyIds.includes(k.accessKeyId),
  );
  if (appeared.length === 0) return;
  const keys = appeared.map((k) => `${k.accessKeyId} (created ${k.createDate})`).join(', ');
  throw new UnknownKeyError(
    `${state.userName} holds ${appeared.length === 1 ? 'a key' : 'keys'} that appeared since this ` +
      `rotation began, ${keys}, and the secret ${state.secretId} does not exist. If an earlier ` +
      'attempt of this rotation created it, the secret that held its secret access key was ' +
      'deleted since, and nobody can use the key; rekey cannot prove which it is, so it created ' +
      'nothing and leaves it alone. Delete it if nobody made it by hand (aws iam ' +
      `delete-access-key --user-name ${state.userName} --access-key-id ${appeared[0]?.accessKeyId ?? ''}), ` +
      'then start the rotation again.',
  );
}

/** With ConsumerAccess.SELF, the secret's resource policy lets the user (and its readers) read it. */
async function letTheUserRead(deps: StageDeps, state: RotationState): Promise<void> {
  if (deps.config.consumerAccess !== 'self') return;
  await putReadPolicy(
    deps.secrets,
    state.secretId,
    state.userArn,
    state.readers ?? [],
    deps.clock.now(),
  );
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
    if (existing) requireSameSecret(state, existing, deps.config.kmsKeyArn, deps.clock.now());
    if (state.newKey) {
      await letTheUserRead(deps, state);
      await claimSecret(deps.secrets, secretId, executionArn, state.emergency !== undefined);
      return state;
    }
    if (!existing) {
      await refuseIfSecretVanished(deps, state);
      await ensureSecret(deps.secrets, {
        secretId,
        userName,
        oldKey,
        kmsKeyArn: deps.config.kmsKeyArn,
      });
    }
    await letTheUserRead(deps, state);
    const stages = requireOwnedSecret(
      requireLiveSecret(await describeStages(deps.secrets, secretId), secretId, deps.clock.now()),
      secretId,
      deps.config.kmsKeyArn,
    );
    const adopted = await stagedByThisExecution(deps, state, stages);
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
    // A call refused because the secret went away since the last DescribeSecret: say so.
    throw asRetryable(
      await whenSecretGone(deps.secrets, secretId, error, deps.clock.now()),
      'Staging the new key',
    );
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

/**
 * The secret went away between publishing the key and claiming the secret: the secret was the
 * only copy of the key's secret access key, and with it went the claim and marker that would let
 * a later step prove the key this execution's. This call still knows it (it created or adopted
 * the key a moment ago), so it deletes the key now (I3) and says so.
 */
async function discardWithSecret(
  deps: StageDeps,
  state: RotationState,
  newKey: NewKey,
  gone: SecretDeletedError,
): Promise<never> {
  try {
    await discardKey(deps.iam, state.userName, newKey.accessKeyId);
  } catch (error) {
    // Not retried: a retry could no longer prove the key this execution's. Say which key it is.
    throw new SecretDeletedError(
      `${gone.message} The new key ${newKey.accessKeyId} it had just staged there could not be ` +
        `deleted (${awsErrorCode(error) ?? 'error'}); its secret access key was only in that secret, ` +
        `so nobody can use it: delete it (aws iam delete-access-key --user-name ${state.userName} ` +
        `--access-key-id ${newKey.accessKeyId}).`,
    );
  }
  throw new SecretDeletedError(
    `${gone.message} The new key ${newKey.accessKeyId} it had just staged there was deleted: ` +
      'its secret access key was only in that secret.',
  );
}

async function finish(
  deps: StageDeps,
  state: RotationState,
  newKey: NewKey,
  how: 'created' | 'adopted',
): Promise<RotationState> {
  try {
    await claimSecret(
      deps.secrets,
      state.secretId,
      state.executionArn,
      state.emergency !== undefined,
    );
    await clearMarker(deps.secrets, state.secretId, state.executionArn);
  } catch (error) {
    const gone = await whenSecretGone(deps.secrets, state.secretId, error, deps.clock.now());
    if (gone instanceof SecretDeletedError) await discardWithSecret(deps, state, newKey, gone);
    throw error;
  }
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
