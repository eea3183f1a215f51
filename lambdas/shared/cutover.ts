import type { CutoverState, CutoverVerdict, LastUsed, RotationPolicy } from './types';

/** IAM records only the first use of a key in any 15-minute span (minute precision). */
export const RECORDING_SPAN_SECONDS = 15 * 60;
const MINUTE = 60_000;

const floorMinute = (ms: number): number => Math.floor(ms / MINUTE) * MINUTE;
const time = (iso: string | undefined): number | undefined =>
  iso === undefined ? undefined : Date.parse(iso);

/**
 * Seconds from promotion until last-used data can prove the move of an application that
 * re-read the secret within one recording span of promotion: its last use of the old key is
 * recorded up to 15 minutes later, the old key must then stay quiet for a full span, and IAM
 * reports all of it after its lag. The first check comes no earlier.
 */
export function settleSeconds(policy: RotationPolicy): number {
  return 3 * RECORDING_SPAN_SECONDS + policy.lastUsedLagSeconds;
}

/** The first wait: never shorter than the time before a verdict is possible at all. */
export function initialCutover(policy: RotationPolicy, promotedAt: Date): CutoverState {
  const deadline = promotedAt.getTime() + policy.cutoverDeadlineSeconds * 1000;
  const waitSeconds = Math.min(
    Math.max(policy.pollInitialSeconds, settleSeconds(policy)),
    policy.cutoverDeadlineSeconds,
  );
  return {
    polls: 0,
    verdict: 'waiting',
    waitSeconds,
    deadlineAt: new Date(deadline).toISOString(),
    reason: 'waiting for applications to pick up the new key',
  };
}

/**
 * An emergency's cutover: the grace (none by default) counted from promotion, then the exposed
 * key is cut off whatever its last use. A key promoted before the emergency started (one it
 * kept, or a planned rotation it took over) has had its grace already.
 */
export function emergencyCutover(graceSeconds: number, promotedAt: Date, now: Date): CutoverState {
  const deadline = promotedAt.getTime() + graceSeconds * 1000;
  return {
    polls: 0,
    verdict: 'waiting',
    waitSeconds: Math.max(0, Math.ceil((deadline - now.getTime()) / 1000)),
    deadlineAt: new Date(deadline).toISOString(),
    reason:
      graceSeconds > 0
        ? `emergency: the exposed key is cut off ${graceSeconds} s after promotion (grace)`
        : 'emergency: the exposed key is cut off now',
  };
}

export interface CutoverFacts {
  readonly now: Date;
  readonly promotedAt: Date;
  /** When rekey itself used the new key (verification); later uses are the applications'. */
  readonly verifiedAt: Date;
  readonly deadlineAt: Date;
  readonly policy: RotationPolicy;
  readonly oldKey: LastUsed;
  readonly newKey: LastUsed;
}

export interface Verdict {
  readonly verdict: CutoverVerdict | 'deadline';
  readonly reason: string;
}

/**
 * Whether the old key may be deactivated. It may when last-used data proves it quiet: no use
 * recorded since max(promotion, its last recorded use + 15 min), observed for a further full
 * recording span past IAM's reporting lag; and either the applications use the new key, or the
 * old key had been idle as long as the cutover deadline anyway. Otherwise wait, until the deadline.
 */
export function cutoverVerdict(f: CutoverFacts): Verdict {
  const now = f.now.getTime();
  const oldUse = time(f.oldKey.date);
  const newUse = time(f.newKey.date);
  const span = RECORDING_SPAN_SECONDS * 1000;
  const quietFrom = Math.max(f.promotedAt.getTime(), oldUse === undefined ? 0 : oldUse + span);
  const settled = now >= quietFrom + span + f.policy.lastUsedLagSeconds * 1000;
  const usedSincePromotion = oldUse !== undefined && oldUse >= floorMinute(f.promotedAt.getTime());
  const appsOnNewKey =
    newUse !== undefined &&
    newUse > floorMinute(f.verifiedAt.getTime()) &&
    (oldUse === undefined || newUse >= oldUse);
  const idleFor = oldUse === undefined ? Infinity : (now - oldUse) / 1000;

  let result: Verdict;
  if (settled && appsOnNewKey) {
    result = {
      verdict: 'switched',
      reason: `applications use the new key (last used ${f.newKey.date}) and the old key is quiet`,
    };
  } else if (settled && idleFor >= f.policy.cutoverDeadlineSeconds) {
    result = {
      verdict: 'idle',
      reason:
        oldUse === undefined
          ? 'the old key was never used'
          : `the old key has not been used since ${f.oldKey.date}`,
    };
  } else if (usedSincePromotion && !settled) {
    result = {
      verdict: 'in-use',
      reason: `the old key is still in use (last used ${describe(f.oldKey)})`,
    };
  } else {
    result = {
      verdict: 'waiting',
      reason: 'waiting for last-used data to show the applications moved',
    };
  }
  if (now >= f.deadlineAt.getTime() && result.verdict !== 'switched' && result.verdict !== 'idle') {
    return { verdict: 'deadline', reason: `cutover deadline passed: ${result.reason}` };
  }
  return result;
}

export function describe(used: LastUsed): string {
  return used.date ? `${used.date} by ${used.serviceName} in ${used.region}` : 'never';
}

/** Next wait: double the last one up to the cap, never past the deadline (at least a minute). */
export function nextWaitSeconds(
  policy: RotationPolicy,
  previous: number,
  now: Date,
  deadlineAt: Date,
): number {
  const doubled = Math.min(
    Math.max(previous * 2, policy.pollInitialSeconds),
    policy.pollMaxSeconds,
  );
  const untilDeadline = Math.ceil((deadlineAt.getTime() - now.getTime()) / 1000);
  return Math.max(60, Math.min(doubled, untilDeadline));
}
