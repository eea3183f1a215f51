import type { RecoveryWindowState } from './types';

/**
 * The longest the recovery window goes without looking at the secret. A secret deleted with
 * Secrets Manager's shortest recovery window (7 days) is then still restorable for at least four
 * days when rekey reports it; a single Wait for the whole window would report it after the purge.
 * Three days, not one: each check is three state transitions, and a daily check of a 7-day window
 * would more than double what a prompt rotation costs in Step Functions.
 */
export const RECOVERY_CHECK_SECONDS = 3 * 86_400;

/** Seconds until `endsAt`, rounded up, but never more than one check interval. */
function nextWait(endsAt: Date, now: Date): number {
  const remaining = Math.ceil((endsAt.getTime() - now.getTime()) / 1000);
  return Math.min(RECOVERY_CHECK_SECONDS, Math.max(0, remaining));
}

/** The window that opens when the old key is deactivated at `now`. */
export function openRecoveryWindow(windowSeconds: number, now: Date): RecoveryWindowState {
  const endsAt = new Date(now.getTime() + windowSeconds * 1000);
  return {
    endsAt: endsAt.toISOString(),
    waitSeconds: nextWait(endsAt, now),
    ended: false,
    checks: 0,
  };
}

/** The window after a check at `now` found the secret live: the next wait, or its end. */
export function afterRecoveryCheck(window: RecoveryWindowState, now: Date): RecoveryWindowState {
  const endsAt = new Date(window.endsAt);
  return {
    endsAt: window.endsAt,
    waitSeconds: nextWait(endsAt, now),
    ended: now.getTime() >= endsAt.getTime(),
    checks: window.checks + 1,
    checkedAt: now.toISOString(),
  };
}
