/**
 * Errors whose `name` the state machines match in Retry and Catch. Lambda reports a thrown
 * error's `name` as the task's error, so each class pins its name in `errorName` (minifiers
 * rename classes), and everything that matches an error by name (the state machine definitions,
 * Inspect's notifications, compensation) reads it from there: see errorNames(). The original
 * error, if any, is kept as `cause`.
 */
export class RekeyError extends Error {
  constructor(name: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = name;
  }
}

/** The execution input is malformed. Nothing was changed. */
export class InvalidInputError extends RekeyError {
  static readonly errorName = 'InvalidInputError';
  constructor(message: string) {
    super(InvalidInputError.errorName, message);
  }
}

/** The IAM user does not exist. Nothing was changed. */
export class UserNotFoundError extends RekeyError {
  static readonly errorName = 'UserNotFoundError';
  constructor(userName: string, cause?: unknown) {
    super(UserNotFoundError.errorName, `IAM user "${userName}" does not exist.`, { cause });
  }
}

/** The user is outside the IAM path this deployment manages. Nothing was changed. */
export class UserNotManagedError extends RekeyError {
  static readonly errorName = 'UserNotManagedError';
  constructor(message: string) {
    super(UserNotManagedError.errorName, message);
  }
}

/** The user holds two active keys that are not an interrupted rotation. Nothing was changed. */
export class TwoActiveKeysError extends RekeyError {
  static readonly errorName = 'TwoActiveKeysError';
  constructor(message: string) {
    super(TwoActiveKeysError.errorName, message);
  }
}

/** The user holds an inactive key that policy does not allow rekey to delete. */
export class InactiveKeyPresentError extends RekeyError {
  static readonly errorName = 'InactiveKeyPresentError';
  constructor(message: string) {
    super(InactiveKeyPresentError.errorName, message);
  }
}

/** Another execution is rotating this user. Nothing was changed. */
export class RotationInProgressError extends RekeyError {
  static readonly errorName = 'RotationInProgressError';
  constructor(message: string) {
    super(RotationInProgressError.errorName, message);
  }
}

/** The new key is not accepted yet (IAM propagation); the state machine retries. */
export class KeyNotYetValidError extends RekeyError {
  static readonly errorName = 'KeyNotYetValidError';
  constructor(accessKeyId: string, cause?: unknown) {
    super(
      KeyNotYetValidError.errorName,
      `The new access key ${accessKeyId} is not accepted yet (IAM propagation delay).`,
      { cause },
    );
  }
}

/** The new key authenticates, but not as the user it was created for. */
export class VerificationFailedError extends RekeyError {
  static readonly errorName = 'VerificationFailedError';
  constructor(message: string) {
    super(VerificationFailedError.errorName, message);
  }
}

/** The new key could not be published to Secrets Manager; it was deleted before failing. */
export class StagingFailedError extends RekeyError {
  static readonly errorName = 'StagingFailedError';
  constructor(message: string, cause?: unknown) {
    super(StagingFailedError.errorName, message, { cause });
  }
}

/** The cutover deadline passed with the old key still in use, and the policy says fail. */
export class CutoverDeadlineError extends RekeyError {
  static readonly errorName = 'CutoverDeadlineError';
  constructor(message: string) {
    super(CutoverDeadlineError.errorName, message);
  }
}

/**
 * The secret's AWSCURRENT no longer holds this rotation's new key (an operator rolled back),
 * or the old key was reactivated: rekey must not deactivate or delete it.
 */
export class OldKeyReactivatedError extends RekeyError {
  static readonly errorName = 'OldKeyReactivatedError';
  constructor(message: string) {
    super(OldKeyReactivatedError.errorName, message);
  }
}

/** The rotation's new key disappeared or changed underneath it. */
export class RotationStateError extends RekeyError {
  static readonly errorName = 'RotationStateError';
  constructor(message: string) {
    super(RotationStateError.errorName, message);
  }
}

/**
 * The user's secret is deleted or scheduled for deletion. It is the only copy of the new key's
 * secret access key, so rekey stops before its next change and says what it leaves.
 */
export class SecretDeletedError extends RekeyError {
  static readonly errorName = 'SecretDeletedError';
  constructor(message: string) {
    super(SecretDeletedError.errorName, message);
  }
}

/**
 * A secret with the user's name exists that rekey did not create (no `rekey:managed-by` tag), or
 * it is encrypted with another KMS key than rekey's, so writing a key into it could let others
 * read it. rekey writes into no such secret. Nothing was changed.
 */
export class SecretNotOwnedError extends RekeyError {
  static readonly errorName = 'SecretNotOwnedError';
  constructor(message: string) {
    super(SecretNotOwnedError.errorName, message);
  }
}

/**
 * Secrets Manager refused the secret's resource policy because a role the user's `rekey:readers`
 * tag names does not exist (deleted, or too new to be visible yet): IAM resolves every role in a
 * resource policy to its unique id and refuses one it cannot resolve. Raised by StageKey before
 * it creates a key; not transient (waiting does not bring a deleted role back), so the rotation
 * fails and the operator fixes the tag.
 */
export class ReadersRefusedError extends RekeyError {
  static readonly errorName = 'ReadersRefusedError';
  constructor(message: string, cause?: unknown) {
    super(ReadersRefusedError.errorName, message, { cause });
  }
}

/**
 * The user holds a key that rekey cannot prove it created (made by hand or by another tool while
 * the rotation ran). rekey leaves it alone and stops: it never destroys what it cannot prove it owns.
 */
export class UnknownKeyError extends RekeyError {
  static readonly errorName = 'UnknownKeyError';
  constructor(message: string) {
    super(UnknownKeyError.errorName, message);
  }
}

/**
 * An AWS call failed for a reason worth retrying (throttling, a 5xx, a network error, or an
 * outcome we could not confirm) after the SDK's own retries. The state machine retries the step.
 */
export class AwsTransientError extends RekeyError {
  static readonly errorName = 'AwsTransientError';
  constructor(message: string, cause?: unknown) {
    super(AwsTransientError.errorName, message, { cause });
  }
}

/** A rekey error class: its name is the error a Catch or Retry matches. */
export interface RekeyErrorClass {
  readonly errorName: string;
}

/** The names of these error classes, as the Lambdas throw them and the state machines match them. */
export function errorNames(...classes: readonly RekeyErrorClass[]): string[] {
  return classes.map((c) => c.errorName);
}

interface AwsErrorShape {
  name?: string;
  Code?: string;
  /** Node's system error code: the SDK surfaces a refused connection as `Error` with `code`. */
  code?: unknown;
  $metadata?: { httpStatusCode?: number };
  $retryable?: unknown;
}

/** The AWS error code of an SDK v3 error (`NoSuchEntity`, `ResourceNotFoundException`...). */
export function awsErrorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const e = error as AwsErrorShape;
  return e.Code ?? e.name;
}

const THROTTLING = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'Throttled',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  // IAM's 409 for a concurrent change to the same entity: AWS asks callers to retry it.
  'ConcurrentModification',
  'ConcurrentModificationException',
]);

/** True for throttling, 5xx and network errors: the kind a later attempt may get past. */
export function isTransient(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as AwsErrorShape;
  const code = awsErrorCode(error) ?? '';
  if (THROTTLING.has(code)) return true;
  const status = e.$metadata?.httpStatusCode;
  if (status !== undefined && status >= 500) return true;
  if (status === 429) return true;
  return ['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'TimeoutError'].some(
    (network) => network === code || network === e.code,
  );
}

/** Wraps transient AWS failures so the state machine can retry them by name. */
export function asRetryable(error: unknown, what: string): unknown {
  if (error instanceof RekeyError) return error;
  if (isTransient(error)) {
    return new AwsTransientError(`${what} failed: ${awsErrorCode(error) ?? 'error'}`, error);
  }
  return error;
}

/** A message as a sentence, so that what follows it does not run on: `…created Nothing was…`. */
export function asSentence(message: string): string {
  const trimmed = message.trim();
  return /[.!?)]$/.test(trimmed) ? trimmed : `${trimmed}.`;
}
