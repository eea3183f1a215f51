import { UpdateSecretVersionStageCommand } from '@aws-sdk/client-secrets-manager';
import type { Deps } from '../shared/deps';
import { asRetryable } from '../shared/errors';
import { discardKey, listKeys } from '../shared/keys';
import { logger } from '../shared/logger';
import { discardOrphans } from '../shared/orphans';
import {
  AWSCURRENT,
  AWSPENDING,
  clearMarker,
  describeStages,
  keyIdOfVersion,
  type SecretStages,
} from '../shared/secret';
import type { CaughtError, NewKey, RotationState } from '../shared/types';

export type CompensateEvent = RotationState & { readonly error: CaughtError };

/** Where a failed rotation leaves the user (I6). */
export type Outcome =
  | 'restored'
  | 'published'
  | 'old-key-deactivated'
  | 'rolled-back'
  | 'new-key-lost'
  | 'no-active-key'
  | 'unchanged';

export interface Compensation {
  readonly outcome: Outcome;
  readonly error: string;
  readonly cause: string;
  readonly discardedKeyIds: readonly string[];
}

const OUTCOME_TEXT: Record<Outcome, string> = {
  restored: 'The user is as it was: the old key is active and current; the new key was deleted.',
  published: 'Both keys are active and the new key is current in the secret.',
  'old-key-deactivated': 'The new key is current; the old key is inactive and was not deleted.',
  'rolled-back': 'The old key is current again (rolled back); both keys are kept.',
  'new-key-lost':
    'The new key is no longer active (removed outside rekey); AWSCURRENT is back on the old key, which is active.',
  'no-active-key':
    'Neither key is active any more (changed outside rekey): reactivate one and make it AWSCURRENT by hand.',
  unchanged: 'Nothing was changed.',
};

/**
 * After promotion the new key is never removed. If someone outside rekey removed or deactivated
 * it, AWSCURRENT names a key that cannot work: move it back to the old key if that one is active.
 */
async function afterPromotion(
  deps: Deps,
  event: CompensateEvent,
  newKey: NewKey,
  stages: SecretStages,
): Promise<Outcome> {
  const keys = await listKeys(deps.iam, event.userName);
  const old = keys.find((k) => k.accessKeyId === event.oldKey?.accessKeyId);
  const fresh = keys.find((k) => k.accessKeyId === newKey.accessKeyId);
  if (stages.current !== newKey.versionId) return 'rolled-back';
  if (fresh?.status === 'Active')
    return old?.status === 'Active' ? 'published' : 'old-key-deactivated';
  if (old?.status !== 'Active' || !stages.previous) return 'no-active-key';
  const previous = await keyIdOfVersion(deps.secrets, event.secretId, stages.previous);
  if (previous.accessKeyId !== old.accessKeyId) return 'no-active-key';
  await deps.secrets.send(
    new UpdateSecretVersionStageCommand({
      SecretId: event.secretId,
      VersionStage: AWSCURRENT,
      MoveToVersionId: stages.previous,
      RemoveFromVersionId: stages.current,
    }),
  );
  return 'new-key-lost';
}

/** The message of a Lambda error's Cause (`{"errorType","errorMessage",...}`), or the Cause itself. */
export function causeMessage(cause: string | undefined): string {
  if (!cause) return '';
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    if (typeof parsed.errorMessage === 'string') return parsed.errorMessage;
  } catch {
    // not JSON: a plain cause
  }
  return cause;
}

/**
 * On any failure after Inspect: restore a safe state and report. A new key that never became
 * current is removed (deactivated, then deleted); once promoted, it is never removed, because
 * applications may already hold it. Keys this execution lost track of are discarded (I3).
 */
export async function compensate(
  event: CompensateEvent,
  deps: Deps,
): Promise<RotationState & { compensation: Compensation }> {
  const { newKey, userName, secretId, executionArn } = event;
  logger.appendKeys({ userName });
  try {
    const stages = await describeStages(deps.secrets, secretId);
    const discarded: string[] = [];
    let outcome: Outcome = 'unchanged';
    const everPromoted =
      event.promotedAt !== undefined || (newKey && stages?.current === newKey.versionId);
    if (newKey && !everPromoted) {
      await discardKey(deps.iam, userName, newKey.accessKeyId);
      discarded.push(newKey.accessKeyId);
      if (stages?.pending === newKey.versionId) {
        await deps.secrets.send(
          new UpdateSecretVersionStageCommand({
            SecretId: secretId,
            VersionStage: AWSPENDING,
            RemoveFromVersionId: newKey.versionId,
          }),
        );
      }
      outcome = 'restored';
    } else if (newKey && stages) {
      outcome = await afterPromotion(deps, event, newKey, stages);
    }
    discarded.push(...(await discardOrphans(deps, event, stages)));
    if (stages) await clearMarker(deps.secrets, secretId, executionArn);
    if (outcome === 'unchanged' && discarded.length > 0) outcome = 'restored';
    const message = causeMessage(event.error.Cause) || event.error.Error;
    const compensation: Compensation = {
      outcome,
      error: event.error.Error,
      cause: `${message} ${OUTCOME_TEXT[outcome]}`,
      discardedKeyIds: discarded,
    };
    logger.error('Rotation Failed', { error: event.error.Error, outcome, discarded });
    await deps.telemetry.emit('Rotation Failed', {
      userName,
      executionArn,
      oldKeyId: event.oldKey?.accessKeyId,
      newKeyId: newKey?.accessKeyId,
      error: event.error.Error,
      reason: message,
      outcome,
      at: deps.clock.now().toISOString(),
    });
    await deps.telemetry.notify(
      `rekey: rotation of ${userName} failed`,
      `${event.error.Error}: ${compensation.cause}`,
    );
    return { ...event, compensation };
  } catch (error) {
    throw asRetryable(error, 'Compensating the failed rotation');
  }
}
