import { CreateAccessKeyCommand } from '@aws-sdk/client-iam';
import {
  AwsTransientError,
  awsErrorCode,
  isTransient,
  RotationInProgressError,
  UnknownKeyError,
} from '../shared/errors';
import { executionRunning, refuseIfClaimed } from '../shared/executions';
import { listKeys } from '../shared/keys';
import { logger } from '../shared/logger';
import {
  CALL_TIMEOUT_MS,
  clearMarker,
  isFresh,
  MAX_CALL_MS,
  otherMarkers,
  setMarker,
} from '../shared/markers';
import { auditKeys, discardOrphans } from '../shared/orphans';
import { describeStages } from '../shared/secret';
import type { KeyRef, RotationState } from '../shared/types';
import type { StageDeps } from './core';

/**
 * CreateAccessKey, with proven ownership of its outcome: a refused call (throttled, denied, the
 * slots full) created nothing, so there is nothing to clean up; an unanswered one (a 5xx, a lost
 * connection) may have created a key whose secret nobody saw, which rekey discards only if its
 * creating-marker proves the key is that call's (see markers.ts).
 */

const httpStatus = (error: unknown): number | undefined =>
  (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;

/** The slots filled up since the audit: another rotation created its key, or somebody else did. */
async function refuseIfRacing(deps: StageDeps, state: RotationState): Promise<void> {
  const stages = await describeStages(deps.secrets, state.secretId);
  const isRunning = executionRunning(deps.sfn);
  await refuseIfClaimed(isRunning, stages, state.userName, state.executionArn);
  for (const marker of otherMarkers(stages?.tags ?? {}, state.executionArn)) {
    if (isFresh(marker, deps.clock.now()) && (await isRunning(marker.executionArn))) {
      throw new RotationInProgressError(
        `${state.userName} is being rotated by execution ${marker.executionArn}, which created its new key just now.`,
      );
    }
  }
}

/** After an unanswered CreateAccessKey: record when it ended, and discard what it created. */
async function reconcileLostCreate(
  deps: StageDeps,
  state: RotationState,
  startedAt: Date,
): Promise<string | undefined> {
  const endedAt = deps.clock.now();
  await setMarker(deps.secrets, state.secretId, state.executionArn, startedAt, endedAt);
  const stages = await describeStages(deps.secrets, state.secretId);
  const keys = await listKeys(deps.iam, state.userName);
  const audit = await auditKeys({
    ...deps,
    secretId: state.secretId,
    stages,
    keys,
    known: state.knownKeyIds,
    executionArn: state.executionArn,
    now: deps.clock.now(),
    // Only this execution's own marker counts here; others were settled before the call.
    isRunning: () => Promise.resolve(true),
  });
  const [discarded] = await discardOrphans(deps, state, keys, audit.orphans);
  // One call creates one key: once it is gone, the window proves nothing about any other key.
  if (discarded) {
    await setMarker(
      deps.secrets,
      state.secretId,
      state.executionArn,
      startedAt,
      endedAt,
      discarded,
    );
  }
  return discarded;
}

export async function createKey(
  deps: StageDeps,
  state: RotationState,
  startedAt: Date,
): Promise<{ key: KeyRef; secret: string }> {
  try {
    const { AccessKey } = await deps.iamOnce.send(
      new CreateAccessKeyCommand({ UserName: state.userName }),
      { abortSignal: AbortSignal.timeout(CALL_TIMEOUT_MS) },
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
    if (error instanceof AwsTransientError) throw error;
    const code = awsErrorCode(error) ?? 'error';
    const status = httpStatus(error);
    if (status !== undefined && status < 500) {
      // IAM refused the call (throttled, denied, slots full): it created nothing to clean up.
      // Should the marker outlive this (clearing fails too), its window is the call's seconds.
      await clearMarker(deps.secrets, state.secretId, state.executionArn).catch((clearing) =>
        logger.warn('could not clear the creating-marker of a refused CreateAccessKey', {
          errorName: (clearing as Error).name,
          windowMs: MAX_CALL_MS,
        }),
      );
      if (code === 'LimitExceeded' || code === 'LimitExceededException') {
        await refuseIfRacing(deps, state);
        throw new UnknownKeyError(
          `${state.userName} already holds two access keys: one was created since this rotation ` +
            'checked (by a person, another tool or another rotation). rekey created nothing and ' +
            'leaves both keys alone; remove the one that is not needed, then start again.',
        );
      }
      if (isTransient(error)) {
        throw new AwsTransientError(
          `CreateAccessKey was refused (${code}); nothing was created`,
          error,
        );
      }
      throw error;
    }
    // A 5xx or a lost connection: IAM may have created a key whose secret nobody saw.
    const discarded = await reconcileLostCreate(deps, state, startedAt);
    throw new AwsTransientError(
      `CreateAccessKey failed (${code}); its outcome was reconciled: ` +
        (discarded
          ? `the key it created, ${discarded}, was discarded`
          : 'it created no key that rekey can find'),
      error,
    );
  }
}
