import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { awsErrorCode, RekeyError } from './errors';
import { describeStages, requireLiveSecret } from './secret';

/**
 * The refusals Secrets Manager gives a call on a secret that went away after rekey last looked:
 * `InvalidRequestException` while it is scheduled for deletion ("A parameter value is not valid
 * for the current state of the resource. Possible causes: The secret is scheduled for
 * deletion. ..."), `ResourceNotFoundException` once it is gone (force-deleted, or its recovery
 * window ended). The API reference lists both for the value and staging operations, e.g.
 * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_GetSecretValue.html#API_GetSecretValue_Errors
 * Either has other causes too (an unknown version, a rotation setting), so only a fresh
 * DescribeSecret decides.
 */
function mayBeGone(error: unknown): boolean {
  const code = awsErrorCode(error);
  return code === 'ResourceNotFoundException' || code === 'InvalidRequestException';
}

/**
 * What a failed call on the user's secret means: a SecretDeletedError that says what a fresh
 * read shows (scheduled for deletion, with when it goes and how to restore it; or gone), or the
 * original error when the secret is live and the call failed for another reason. The secret
 * holds the only copy of the new key's secret access key, so a step that finds it going away
 * stops, and says so truthfully, instead of passing on Secrets Manager's text. `now` dates a
 * scheduled deletion (see deletionSchedule).
 */
export async function whenSecretGone(
  sm: SecretsManagerClient,
  secretId: string,
  error: unknown,
  now?: Date,
): Promise<unknown> {
  if (error instanceof RekeyError || !mayBeGone(error)) return error;
  try {
    requireLiveSecret(await describeStages(sm, secretId), secretId, now);
  } catch (gone) {
    // requireLiveSecret throws only SecretDeletedError; a failed read keeps the original error.
    return gone instanceof RekeyError ? gone : error;
  }
  return error;
}
