import type { Deps } from '../shared/deps';
import {
  asRetryable,
  InvalidInputError,
  RotationStateError,
  SecretDeletedError,
} from '../shared/errors';
import { logger } from '../shared/logger';
import { afterRecoveryCheck, secretGoneAdvice } from '../shared/recovery';
import { describeStages, secretGoneProblem } from '../shared/secret';
import type { RecoveryWindowState, RotationState } from '../shared/types';

/** What the CheckRecoveryWindow state sends: the check it wants, and the rotation state. */
export interface RecoveryWindowCheck {
  readonly check: 'recovery-window';
  readonly state: RotationState;
}

/** Whether an event for this function asks for the recovery window check (not a cutover check). */
export function isRecoveryWindowCheck(event: unknown): event is RecoveryWindowCheck {
  if (typeof event !== 'object' || event === null || !('check' in event)) return false;
  if (event.check !== 'recovery-window') {
    throw new InvalidInputError(
      `Unknown check ${JSON.stringify(event.check)}: this function checks the cutover (the rotation ` +
        'state as input), the recovery window ({"check": "recovery-window", "state": …}) or an ' +
        'exposed key ({"check": "forensics", "state": …}).',
    );
  }
  return true;
}

/**
 * At least every three days during the recovery window: is the secret still there? It holds
 * the only copy of the new key's secret access key, and the old key is inactive, so a deletion request must reach
 * an operator while the secret can still be restored: SecretDeletedError, which compensation
 * reports (event and notification). Reads the secret's metadata only (DescribeSecret). It
 * deliberately checks nothing else: `rekey rollback` moves AWSCURRENT and reactivates the old
 * key before it stops the execution, and must not race a check that would fail the rotation;
 * DeleteOldKey checks the secret, the keys and the labels when the window ends, so no check runs
 * after the last wait. Returns the window with the next wait.
 */
export async function checkRecoveryWindow(
  state: RotationState,
  deps: Deps,
): Promise<RecoveryWindowState> {
  const { recovery, newKey, oldKey, userName, secretId } = state;
  if (!recovery || !newKey || !oldKey) {
    throw new RotationStateError(
      'the recovery window check needs a rotation whose old key was deactivated',
    );
  }
  logger.appendKeys({ userName, oldKeyId: oldKey.accessKeyId, newKeyId: newKey.accessKeyId });
  try {
    const now = deps.clock.now();
    const stages = await describeStages(deps.secrets, secretId);
    const problem = secretGoneProblem(stages, secretId, now);
    if (problem !== undefined) {
      throw new SecretDeletedError(
        `${problem} ${secretGoneAdvice(state, stages !== undefined, 'during')}`,
      );
    }
    const next = afterRecoveryCheck(recovery, now);
    logger.info('recovery window checked', {
      endsAt: next.endsAt,
      lastWait: next.lastWait,
      checks: next.checks,
    });
    return next;
  } catch (error) {
    throw asRetryable(error, 'Checking the secret during the recovery window');
  }
}
