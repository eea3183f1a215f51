import type { Deps } from '../shared/deps';
import { asRetryable } from '../shared/errors';
import { requirePromoted } from '../shared/guards';
import { deactivateKey } from '../shared/keys';
import { logger } from '../shared/logger';
import { openRecoveryWindow } from '../shared/recovery';
import type { RotationState } from '../shared/types';

/**
 * Step 6: deactivate the old key; it stays restorable through the recovery window, which opens
 * here (its end, and the first wait before the secret is checked).
 */
export async function deactivateOldKey(state: RotationState, deps: Deps): Promise<RotationState> {
  logger.appendKeys({ userName: state.userName });
  try {
    const { oldKey, newKey, oldKeyNow } = await requirePromoted(state, deps);
    if (oldKeyNow?.status === 'Active') {
      await deactivateKey(deps.iam, state.userName, oldKey.accessKeyId);
    }
    const now = deps.clock.now();
    const deactivatedAt = now.toISOString();
    const recovery = openRecoveryWindow(state.policy.recoveryWindowSeconds, now);
    logger.info('Old Key Deactivated', {
      oldKeyId: oldKey.accessKeyId,
      found: oldKeyNow !== undefined,
    });
    await deps.telemetry.emit('Old Key Deactivated', {
      userName: state.userName,
      executionArn: state.executionArn,
      oldKeyId: oldKey.accessKeyId,
      newKeyId: newKey.accessKeyId,
      verdict: state.cutover?.verdict,
      recoveryWindowSeconds: state.policy.recoveryWindowSeconds,
      recoveryWindowEndsAt: recovery.endsAt,
      at: deactivatedAt,
    });
    return {
      ...state,
      deactivatedAt,
      recovery,
    };
  } catch (error) {
    throw asRetryable(error, 'Deactivating the old key');
  }
}
