import { cutoverVerdict, describe, nextWaitSeconds } from '../shared/cutover';
import type { Deps } from '../shared/deps';
import {
  asRetryable,
  awsErrorCode,
  CutoverDeadlineError,
  RotationStateError,
} from '../shared/errors';
import { newKeyDeleted } from '../shared/guards';
import { lastUsed } from '../shared/keys';
import { describeStages, requireLiveSecret } from '../shared/secret';
import { logger } from '../shared/logger';
import type { CutoverState, LastUsed, RotationState } from '../shared/types';

/** Step 5, once per poll: has every application moved to the new key? No sleeping here. */
export async function checkCutover(state: RotationState, deps: Deps): Promise<RotationState> {
  const { oldKey, newKey, cutover, promotedAt, userName } = state;
  if (!oldKey || !newKey || !cutover || !promotedAt) {
    throw new RotationStateError('check-cutover needs a promoted rotation');
  }
  logger.appendKeys({ userName, oldKeyId: oldKey.accessKeyId, newKeyId: newKey.accessKeyId });
  try {
    const now = deps.clock.now();
    // The secret holds the only copy of the new key's secret: stop waiting once it is going away.
    const stages = requireLiveSecret(
      await describeStages(deps.secrets, state.secretId),
      state.secretId,
      now,
    );
    const [oldUse, newUse] = await Promise.all([
      lastUsed(deps.iam, oldKey.accessKeyId).catch((error: unknown) => {
        if (awsErrorCode(error) === 'NoSuchEntity') return undefined;
        throw error;
      }),
      lastUsed(deps.iam, newKey.accessKeyId).catch((error: unknown) => {
        if (awsErrorCode(error) !== 'NoSuchEntity') throw error;
        throw newKeyDeleted(state, stages.current === newKey.versionId);
      }),
    ]);
    if (!oldUse) return await oldKeyGone(state, deps, now, newUse);
    const deadlineAt = new Date(cutover.deadlineAt);
    const { verdict, reason } = cutoverVerdict({
      now,
      promotedAt: new Date(promotedAt),
      verifiedAt: new Date(state.verifiedAt ?? promotedAt),
      deadlineAt,
      policy: state.policy,
      oldKey: oldUse,
      newKey: newUse,
    });
    const detail = {
      userName,
      executionArn: state.executionArn,
      oldKeyId: oldKey.accessKeyId,
      newKeyId: newKey.accessKeyId,
      oldKeyLastUsed: oldUse,
      newKeyLastUsed: newUse,
      polls: cutover.polls + 1,
      at: now.toISOString(),
    };
    logger.info('cutover checked', { verdict, reason, polls: detail.polls });
    if (verdict === 'deadline') {
      const who = `The old key ${oldKey.accessKeyId} was last used ${describe(oldUse)}.`;
      const action = state.policy.deadlineAction;
      await deps.telemetry.emit('Cutover Deadline Passed', {
        ...detail,
        deadlineAction: action,
        reason,
      });
      await deps.telemetry.notify(
        `rekey: cutover deadline passed for ${userName}`,
        `${reason}. ${who} Policy: ${action === 'fail' ? 'fail (both keys stay active; the new key is current)' : 'enforce (the old key is deactivated anyway)'}.`,
      );
      if (action === 'fail') {
        throw new CutoverDeadlineError(
          `${reason}. ${who} Both keys stay active; the new key is current.`,
        );
      }
    }
    const final = verdict === 'switched' || verdict === 'idle' || verdict === 'deadline';
    if (final) {
      await deps.telemetry.emit('Cutover Complete', {
        ...detail,
        verdict: verdict === 'deadline' ? 'deadline-enforced' : verdict,
        reason,
      });
    }
    const next: CutoverState = {
      polls: cutover.polls + 1,
      verdict: verdict === 'deadline' ? 'deadline-enforced' : verdict,
      waitSeconds: final ? 0 : nextWaitSeconds(state.policy, cutover.waitSeconds, now, deadlineAt),
      deadlineAt: cutover.deadlineAt,
      checkedAt: now.toISOString(),
      oldKeyLastUsed: oldUse,
      newKeyLastUsed: newUse,
      reason,
    };
    return { ...state, cutover: next };
  } catch (error) {
    throw asRetryable(error, 'Checking the cutover');
  }
}

/** Someone deleted the old key during the cutover (e.g. it leaked): nothing is left to wait for. */
async function oldKeyGone(
  state: RotationState,
  deps: Deps,
  now: Date,
  newUse: LastUsed,
): Promise<RotationState> {
  const { oldKey, newKey, cutover } = state;
  const reason = `the old key ${oldKey?.accessKeyId ?? ''} no longer exists (deleted outside rekey)`;
  logger.warn('old key deleted during the cutover', { reason });
  await deps.telemetry.emit('Cutover Complete', {
    userName: state.userName,
    executionArn: state.executionArn,
    oldKeyId: oldKey?.accessKeyId,
    newKeyId: newKey?.accessKeyId,
    newKeyLastUsed: newUse,
    verdict: 'idle',
    reason,
    at: now.toISOString(),
  });
  return {
    ...state,
    cutover: {
      polls: (cutover?.polls ?? 0) + 1,
      verdict: 'idle',
      waitSeconds: 0,
      deadlineAt: cutover?.deadlineAt ?? now.toISOString(),
      checkedAt: now.toISOString(),
      newKeyLastUsed: newUse,
      reason,
    },
  };
}
