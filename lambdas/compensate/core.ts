import { UpdateSecretVersionStageCommand } from '@aws-sdk/client-secrets-manager';
import type { Deps } from '../shared/deps';
import { asRetryable, asSentence, awsErrorCode, SecretDeletedError } from '../shared/errors';
import { discardKey, listKeys } from '../shared/keys';
import { logger } from '../shared/logger';
import { clearMarker } from '../shared/markers';
import { assumeRunning, auditKeys, discardOrphans } from '../shared/orphans';
import {
  AWSCURRENT,
  AWSPENDING,
  describeStages,
  keyIdOfVersion,
  type SecretStages,
} from '../shared/secret';
import type { CaughtError, NewKey, RotationState } from '../shared/types';
import { describeOutcome, readFinalState, type Outcome } from './outcome';
import { stagedByThisExecution } from '../shared/staged';

export type { Outcome } from './outcome';

export type CompensateEvent = RotationState & {
  readonly error: CaughtError;
  /** Set when compensation itself failed: this invocation only reports. */
  readonly compensationError?: CaughtError;
};

export interface Compensation {
  readonly outcome: Outcome;
  /**
   * The user is as it was (see OutcomeDescription): the execution ends in RotationFailedUnchanged,
   * and a scheduled rotation tries again; otherwise in RotationFailed, for an operator.
   */
  readonly asItWas: boolean;
  readonly error: string;
  readonly cause: string;
  readonly discardedKeyIds: readonly string[];
}

type Result = RotationState & { compensation: Compensation };

/**
 * After promotion the new key is never removed. If someone outside rekey removed or deactivated
 * it, AWSCURRENT names a key that cannot work: move it back to the old key if that one is active.
 */
async function afterPromotion(
  deps: Deps,
  event: CompensateEvent,
  newKey: NewKey,
  stages: SecretStages,
): Promise<void> {
  if (stages.current !== newKey.versionId || !stages.previous) return;
  const keys = await listKeys(deps.iam, event.userName);
  const status = (id?: string) => keys.find((k) => k.accessKeyId === id)?.status;
  if (status(newKey.accessKeyId) === 'Active' || status(event.oldKey?.accessKeyId) !== 'Active')
    return;
  const previous = await keyIdOfVersion(deps.secrets, event.secretId, stages.previous);
  if (previous.accessKeyId !== event.oldKey?.accessKeyId) return;
  await deps.secrets.send(
    new UpdateSecretVersionStageCommand({
      SecretId: event.secretId,
      VersionStage: AWSCURRENT,
      MoveToVersionId: stages.previous,
      RemoveFromVersionId: stages.current,
    }),
  );
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

async function report(
  deps: Deps,
  event: CompensateEvent,
  compensation: Compensation,
  reason: string,
): Promise<Result> {
  logger.error('Rotation Failed', {
    error: compensation.error,
    outcome: compensation.outcome,
    discarded: compensation.discardedKeyIds,
  });
  await deps.telemetry.emit('Rotation Failed', {
    userName: event.userName,
    executionArn: event.executionArn,
    oldKeyId: event.oldKey?.accessKeyId,
    newKeyId: event.newKey?.accessKeyId,
    error: compensation.error,
    reason,
    outcome: compensation.outcome,
    state: compensation.cause,
    at: deps.clock.now().toISOString(),
  });
  const exposed = event.emergency?.accessKeyId;
  await deps.telemetry.notify(
    exposed
      ? `rekey EMERGENCY: rotation of ${event.userName} failed; exposed key ${exposed} not cut off`
      : `rekey: rotation of ${event.userName} failed`,
    `${compensation.error}: ${compensation.cause}` +
      (exposed
        ? `\n\nThe emergency rotation did not cut the exposed key ${exposed} off. If it is still active, cut it off by hand now (aws iam update-access-key --user-name ${event.userName} --access-key-id ${exposed} --status Inactive), once AWSCURRENT of ${event.secretId} names another active key: applications that read the secret get AWSCURRENT.`
        : ''),
  );
  return { ...event, compensation };
}

/**
 * On any failure after Inspect: restore a safe state and report. A new key that never became
 * current is removed (deactivated, then deleted); once promoted, it is never removed, because
 * applications may already hold it. Keys this execution provably created and lost are discarded
 * (I3); any other key is left alone. A secret that is going away is not touched. The outcome is
 * read from IAM and the secret afterwards, not inferred from what was attempted.
 */
export async function compensate(event: CompensateEvent, deps: Deps): Promise<Result> {
  if (event.compensationError) return reportUnrecovered(event, deps);
  const { userName, secretId, executionArn } = event;
  logger.appendKeys({ userName });
  try {
    const stages = await describeStages(deps.secrets, secretId);
    const live = stages !== undefined && stages.deletedDate === undefined ? stages : undefined;
    // StageKey staged its key but failed before returning it (its claim failed, say).
    const newKey = event.newKey ?? (live && (await stagedByThisExecution(deps, event, live)));
    const discarded: string[] = [];
    // With the secret gone after verification, PromoteKey may have made the key current (and an
    // application may have read it) before the secret went: rekey cannot tell, so it keeps it.
    const mayHaveBeenPromoted = stages === undefined && event.verifiedAt !== undefined;
    const everPromoted =
      event.promotedAt !== undefined ||
      mayHaveBeenPromoted ||
      (newKey && stages?.current === newKey.versionId);
    if (newKey && !everPromoted) {
      await discardKey(deps.iam, userName, newKey.accessKeyId);
      discarded.push(newKey.accessKeyId);
      if (live?.pending === newKey.versionId) {
        await deps.secrets.send(
          new UpdateSecretVersionStageCommand({
            SecretId: secretId,
            VersionStage: AWSPENDING,
            RemoveFromVersionId: newKey.versionId,
          }),
        );
      }
    } else if (newKey && live) {
      await afterPromotion(deps, event, newKey, live);
    }
    const keys = await listKeys(deps.iam, userName);
    const audit = await auditKeys({
      ...deps,
      secretId,
      stages: live,
      keys,
      known: [...event.knownKeyIds, ...(newKey ? [newKey.accessKeyId] : [])],
      executionArn,
      now: deps.clock.now(),
      isRunning: assumeRunning,
    });
    discarded.push(...(await discardOrphans(deps, event, keys, audit.orphans)));
    if (live) await clearMarker(deps.secrets, secretId, executionArn);
    const { outcome, text, asItWas } = describeOutcome({
      state: newKey ? { ...event, newKey } : event,
      final: await readFinalState(deps, event),
      discarded,
      unknown: audit.unknown.map((k) => k.accessKeyId),
      secretGone: event.error.Error === SecretDeletedError.errorName,
    });
    const message = causeMessage(event.error.Cause) || event.error.Error;
    return await report(
      deps,
      newKey ? { ...event, newKey } : event,
      {
        outcome,
        asItWas,
        error: event.error.Error,
        cause: `${asSentence(message)} ${text}`,
        discardedKeyIds: discarded,
      },
      message,
    );
  } catch (error) {
    throw asRetryable(error, 'Compensating the failed rotation');
  }
}

/**
 * Compensation failed after its retries: report the failure anyway (event and notification),
 * saying what a final read shows, or that rekey could not read it. Never throws for a read.
 */
export async function reportUnrecovered(event: CompensateEvent, deps: Deps): Promise<Result> {
  const failure = event.compensationError ?? { Error: 'Unknown' };
  let text: string;
  try {
    text = describeOutcome({
      state: event,
      final: await readFinalState(deps, event),
      discarded: [],
      unknown: [],
      secretGone: event.error.Error === SecretDeletedError.errorName,
    }).text;
  } catch (error) {
    text =
      `rekey could not read the state it left (${awsErrorCode(error) ?? 'error'}): check the keys ` +
      `of ${event.userName} and the secret ${event.secretId} by hand.`;
  }
  const message = causeMessage(event.error.Cause) || event.error.Error;
  const cause =
    `${asSentence(message)} Restoring a safe state failed too (${failure.Error}: ` +
    `${causeMessage(failure.Cause) || 'no cause given'}). ${text}`;
  return report(
    deps,
    event,
    {
      outcome: 'compensation-failed',
      asItWas: false,
      error: event.error.Error,
      cause,
      discardedKeyIds: [],
    },
    message,
  );
}
