import { DeleteAccessKeyCommand } from '@aws-sdk/client-iam';
import type { Deps } from '../shared/deps';
import {
  asRetryable,
  awsErrorCode,
  OldKeyReactivatedError,
  SecretDeletedError,
} from '../shared/errors';
import { requirePromoted } from '../shared/guards';
import { logger } from '../shared/logger';
import { secretGoneAdvice } from '../shared/recovery';
import type { RotationState } from '../shared/types';

/**
 * Step 8: delete the old key after the recovery window, only if it is still inactive and not
 * AWSCURRENT. An operator who reactivated it (rollback) keeps it: rekey never deletes it. It runs
 * right after the window's last wait, so its read of the secret is also the window's last check:
 * a secret going away is reported as the checks during the window report it.
 */
export async function deleteOldKey(state: RotationState, deps: Deps): Promise<RotationState> {
  logger.appendKeys({ userName: state.userName });
  try {
    const { oldKey, newKey, oldKeyNow } = await requirePromoted(
      state,
      deps,
      (problem, restorable) =>
        new SecretDeletedError(`${problem} ${secretGoneAdvice(state, restorable, 'end')}`),
    );
    if (oldKeyNow?.status === 'Active') {
      throw new OldKeyReactivatedError(
        `The old key ${oldKey.accessKeyId} was reactivated during the recovery window; rekey keeps it. ` +
          `Deactivate it when the application that needed it has moved, or delete it by hand.`,
      );
    }
    if (oldKeyNow) {
      try {
        await deps.iam.send(
          new DeleteAccessKeyCommand({ UserName: state.userName, AccessKeyId: oldKey.accessKeyId }),
        );
      } catch (error) {
        if (awsErrorCode(error) !== 'NoSuchEntity') throw error;
      }
    }
    const deletedAt = deps.clock.now().toISOString();
    logger.info('Old Key Deleted', {
      oldKeyId: oldKey.accessKeyId,
      found: oldKeyNow !== undefined,
    });
    await deps.telemetry.emit('Old Key Deleted', {
      userName: state.userName,
      executionArn: state.executionArn,
      oldKeyId: oldKey.accessKeyId,
      newKeyId: newKey.accessKeyId,
      at: deletedAt,
    });
    return { ...state, deletedAt };
  } catch (error) {
    throw asRetryable(error, 'Deleting the old key');
  }
}
