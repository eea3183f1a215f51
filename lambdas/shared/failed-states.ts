import type { Outcome } from '../compensate/outcome';

/**
 * How a failed rotation's end is visible without its data. The rotation state machine's data is
 * encrypted with the stack's key, and the fleet scan reads earlier attempts as metadata only
 * (GetExecutionHistory without execution data): the state an execution ended in is all it sees.
 * So compensation picks the Fail state: one for "the user is as it was", one for the rest.
 */

/**
 * Compensation outcomes (lambdas/compensate/outcome.ts) after which the user can be as it was
 * before the rotation, read from IAM and the secret: the old key active and AWSCURRENT, and the
 * new key never created (`unchanged`) or not usable, deleted by compensation or removed outside
 * rekey (`restored`). It is as it was only when no other key is active that compensation could
 * not account for (`Compensation.asItWas`): a key rekey cannot prove it created, or one another
 * rotation staged, needs an operator. A scheduled rotation that ended as it was did not use its
 * key up: the next scan starts the next attempt. Every other end left something for an operator.
 */
export const AS_IT_WAS_OUTCOMES = ['unchanged', 'restored'] as const satisfies readonly Outcome[];

/** The Fail state after compensation left the user as it was (`$.compensation.asItWas`). */
export const FAILED_AS_IT_WAS = 'RotationFailedUnchanged';

/** The Fail state after compensation left the user changed, or could not tell. */
export const FAILED_CHANGED = 'RotationFailed';
