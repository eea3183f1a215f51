import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import type { Deps } from '../shared/deps';
import {
  asRetryable,
  awsErrorCode,
  KeyNotYetValidError,
  RotationStateError,
  VerificationFailedError,
} from '../shared/errors';
import { listKeys } from '../shared/keys';
import { logger } from '../shared/logger';
import { parseSecretValue } from '../shared/secret';
import { whenSecretGone } from '../shared/secret-gone';
import type { RotationState } from '../shared/types';

/** Makes an STS client that signs with the given key. */
export type StsFactory = (credentials: {
  accessKeyId: string;
  secretAccessKey: string;
}) => STSClient;

export interface VerifyDeps extends Deps {
  readonly sts: StsFactory;
}

/**
 * One client per verification is deliberate: it signs with the new key, which exists only for
 * this call. No retries in the SDK: the state machine retries KeyNotYetValid with backoff.
 */
export const stsWithKey: StsFactory = (credentials) =>
  new STSClient({ credentials, maxAttempts: 1 });

const NOT_YET_VALID = new Set(['InvalidClientTokenId', 'SignatureDoesNotMatch', 'AuthFailure']);

/**
 * How long a refusal of a new key is taken for IAM's propagation without asking IAM about the
 * key. New keys usually work within seconds (docs/aws-semantics.md); the first retries (2 and 6
 * seconds after staging) fall inside this, later ones, 14 seconds on, ask.
 */
export const PROPAGATION_GRACE_MS = 10_000;

/**
 * A refused new key is usually IAM's propagation delay (retried), unless the key is gone or
 * inactive: then someone changed it outside rekey, and waiting cannot help. Within the grace
 * after its creation rekey retries without asking, which spares an IAM call on nearly every
 * rotation; a key deleted that early is named at the first retry after the grace.
 */
async function notYetValid(deps: VerifyDeps, state: RotationState, error: unknown): Promise<never> {
  const newKeyId = state.newKey?.accessKeyId ?? '';
  const createdAt = Date.parse(state.newKey?.createDate ?? '');
  if (deps.clock.now().getTime() - createdAt < PROPAGATION_GRACE_MS) {
    throw new KeyNotYetValidError(newKeyId, error);
  }
  const key = (await listKeys(deps.iam, state.userName)).find((k) => k.accessKeyId === newKeyId);
  if (!key) {
    throw new RotationStateError(
      `The new key ${newKeyId} was deleted outside rekey before it could be verified.`,
    );
  }
  if (key.status !== 'Active') {
    throw new RotationStateError(
      `The new key ${newKeyId} was deactivated outside rekey before it could be verified.`,
    );
  }
  throw new KeyNotYetValidError(newKeyId, error);
}

/** Step 3: sign sts:GetCallerIdentity with the new key; it must answer as the user. */
export async function verifyKey(state: RotationState, deps: VerifyDeps): Promise<RotationState> {
  const { newKey, userName, secretId } = state;
  if (!newKey) throw new RotationStateError('verify-key needs the staged key');
  logger.appendKeys({ userName, newKeyId: newKey.accessKeyId });
  try {
    const out = await deps.secrets.send(
      new GetSecretValueCommand({ SecretId: secretId, VersionId: newKey.versionId }),
    );
    const value = parseSecretValue(
      out.SecretString,
      `secret ${secretId} version ${newKey.versionId}`,
    );
    if (value.AccessKeyId !== newKey.accessKeyId || !value.SecretAccessKey) {
      throw new RotationStateError(
        `Version ${newKey.versionId} of ${secretId} does not hold key ${newKey.accessKeyId}.`,
      );
    }
    const sts = deps.sts({
      accessKeyId: value.AccessKeyId,
      secretAccessKey: value.SecretAccessKey,
    });
    let arn: string | undefined;
    try {
      arn = (await sts.send(new GetCallerIdentityCommand({}))).Arn;
    } catch (error) {
      if (NOT_YET_VALID.has(awsErrorCode(error) ?? '')) await notYetValid(deps, state, error);
      throw error;
    } finally {
      sts.destroy();
    }
    if (arn !== state.userArn) {
      throw new VerificationFailedError(
        `Key ${newKey.accessKeyId} authenticated as ${arn ?? 'nobody'}, not as ${state.userArn}.`,
      );
    }
    const verifiedAt = deps.clock.now().toISOString();
    logger.info('Key Verified', { arn });
    await deps.telemetry.emit('Key Verified', {
      userName,
      executionArn: state.executionArn,
      oldKeyId: state.oldKey?.accessKeyId,
      newKeyId: newKey.accessKeyId,
      at: verifiedAt,
    });
    return { ...state, verifiedAt };
  } catch (error) {
    // Scheduled for deletion or deleted since StageKey: say so, not Secrets Manager's text.
    throw asRetryable(
      await whenSecretGone(deps.secrets, secretId, error, deps.clock.now()),
      'Verifying the new key',
    );
  }
}
