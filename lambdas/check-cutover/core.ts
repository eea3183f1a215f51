import { attributionSentence, limitsSentence } from '../shared/attribution';
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
import type { Attribution, CutoverState, LastUsed, RotationState } from '../shared/types';
import { regionsFor, whoUses, type AttributionDeps } from './attribution';

/**
 * Step 5, once per poll: has every application moved to the new key? No sleeping here (but for
 * pacing CloudTrail lookups). With `attribution`, a check that finds the old key in use after
 * promotion names its callers from CloudTrail; that never changes the verdict or the wait.
 */
export async function checkCutover(
  state: RotationState,
  deps: Deps,
  attribution?: AttributionDeps,
): Promise<RotationState> {
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
    if (state.emergency) return exposed(state, now, oldUse, newUse);
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
    const callers =
      attribution && verdict !== 'switched' && verdict !== 'idle'
        ? await attribute(state, oldUse, now, attribution)
        : undefined;
    const detail = {
      userName,
      executionArn: state.executionArn,
      oldKeyId: oldKey.accessKeyId,
      newKeyId: newKey.accessKeyId,
      oldKeyLastUsed: oldUse,
      newKeyLastUsed: newUse,
      polls: cutover.polls + 1,
      at: now.toISOString(),
      // CloudTrail's limits travel with the callers, wherever the event is read.
      ...(callers && { attribution: callers, attributionLimits: limitsSentence(callers.regions) }),
    };
    logger.info('cutover checked', { verdict, reason, polls: detail.polls });
    const whoElse = callers ? ` ${attributionSentence(callers)}` : '';
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
        `${reason}. ${who}${whoElse} Policy: ${action === 'fail' ? 'fail (both keys stay active; the new key is current)' : 'enforce (the old key is deactivated anyway)'}.`,
      );
      if (action === 'fail') {
        throw new CutoverDeadlineError(
          `${reason}. ${who}${whoElse} Both keys stay active; the new key is current.`,
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
      ...(callers && { attribution: callers }),
    };
    return { ...state, cutover: next };
  } catch (error) {
    throw asRetryable(error, 'Checking the cutover');
  }
}

/**
 * CloudTrail delivers an event within about 5 minutes of the call, not guaranteed: each window
 * reaches this far back before the previous check, so no late event falls between two windows.
 */
export const DELIVERY_OVERLAP_SECONDS = 15 * 60;

/**
 * Who used the old key since the previous check (or promotion): the callers that still use it.
 * Only when IAM reports a use since promotion; never throws.
 */
async function attribute(
  state: RotationState,
  oldUse: LastUsed,
  now: Date,
  deps: AttributionDeps,
): Promise<Attribution | undefined> {
  const promotedAt = Date.parse(state.promotedAt ?? '');
  const used = oldUse.date === undefined ? undefined : Date.parse(oldUse.date);
  // IAM reports minutes: a use in the minute of promotion may be after it.
  if (!deps.settings.enabled || used === undefined || used < promotedAt - (promotedAt % 60_000)) {
    return undefined;
  }
  const previous = state.cutover?.checkedAt ? Date.parse(state.cutover.checkedAt) : promotedAt;
  const since = new Date(Math.max(promotedAt, previous - DELIVERY_OVERLAP_SECONDS * 1000));
  const regions = regionsFor(deps, oldUse.region);
  try {
    const found = await whoUses(
      { accessKeyId: state.oldKey?.accessKeyId ?? '', since, until: now, regions },
      deps,
    );
    logger.info('old key attributed', {
      status: found.status,
      callers: found.callers.length + found.otherCallers,
      events: found.events,
      lookups: found.lookups,
      problems: found.problems,
    });
    return found;
  } catch (error) {
    // A bug here must not fail the rotation: say attribution is missing, and why.
    logger.error('attribution failed', { errorName: (error as Error).name });
    return {
      status: 'unavailable',
      since: since.toISOString(),
      until: now.toISOString(),
      regions: [],
      callers: [],
      otherCallers: 0,
      events: 0,
      truncated: false,
      lookups: 0,
      problems: [`attribution failed unexpectedly (${(error as Error).name})`],
    };
  }
}

/**
 * An emergency's one check, after the grace: the exposed key is cut off next, whatever its last
 * use says. Who still used it is looked up after it is cut off (Forensics), never before.
 */
function exposed(
  state: RotationState,
  now: Date,
  oldUse: LastUsed,
  newUse: LastUsed,
): RotationState {
  const cutover = state.cutover;
  const reason = `the exposed key ${state.oldKey?.accessKeyId ?? ''} is cut off (emergency; last used ${describe(oldUse)})`;
  logger.warn('exposed key to be cut off', { reason });
  return {
    ...state,
    cutover: {
      polls: (cutover?.polls ?? 0) + 1,
      verdict: 'exposed',
      waitSeconds: 0,
      deadlineAt: cutover?.deadlineAt ?? now.toISOString(),
      checkedAt: now.toISOString(),
      oldKeyLastUsed: oldUse,
      newKeyLastUsed: newUse,
      reason,
    },
  };
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
  // An emergency goes on to its forensics and notification all the same.
  const verdict = state.emergency ? 'exposed' : 'idle';
  logger.warn('old key deleted during the cutover', { reason });
  await deps.telemetry.emit('Cutover Complete', {
    userName: state.userName,
    executionArn: state.executionArn,
    oldKeyId: oldKey?.accessKeyId,
    newKeyId: newKey?.accessKeyId,
    newKeyLastUsed: newUse,
    verdict,
    reason,
    at: now.toISOString(),
  });
  return {
    ...state,
    cutover: {
      polls: (cutover?.polls ?? 0) + 1,
      verdict,
      waitSeconds: 0,
      deadlineAt: cutover?.deadlineAt ?? now.toISOString(),
      checkedAt: now.toISOString(),
      newKeyLastUsed: newUse,
      reason,
    },
  };
}
