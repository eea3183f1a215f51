import * as errors from '../../../lambdas/shared/errors';
import type { RekeyErrorClass } from '../../../lambdas/shared/errors';
import {
  asRetryable,
  AwsTransientError,
  awsErrorCode,
  CutoverDeadlineError,
  InactiveKeyPresentError,
  InvalidInputError,
  isTransient,
  KeyNotYetValidError,
  OldKeyReactivatedError,
  RekeyError,
  RotationInProgressError,
  RotationStateError,
  StagingFailedError,
  TwoActiveKeysError,
  UserNotFoundError,
  UserNotManagedError,
  VerificationFailedError,
} from '../../../lambdas/shared/errors';
import { awsErrors, jsonError, queryError } from '../helpers';

/** A network failure as the SDK's Node HTTP handler surfaces it after its retries. */
function networkError(code: string, name = 'Error'): Error {
  return Object.assign(new Error(`connect ${code} 10.0.0.1:443`), {
    name,
    code,
    $metadata: { attempts: 5, totalRetryDelay: 2000 },
  });
}

describe('awsErrorCode', () => {
  it('reads the wire code of an awsQuery error, not the exception class name', () => {
    expect(awsErrorCode(awsErrors.noSuchUser())).toBe('NoSuchEntity');
    expect(awsErrorCode(awsErrors.limitExceeded())).toBe('LimitExceeded');
  });

  it('reads the name of an awsJson error', () => {
    expect(awsErrorCode(awsErrors.secretNotFound())).toBe('ResourceNotFoundException');
    expect(awsErrorCode(awsErrors.executionDoesNotExist('arn'))).toBe('ExecutionDoesNotExist');
  });

  it.each([undefined, null, 'NoSuchEntity', 42])('has no code for %p', (value) => {
    expect(awsErrorCode(value)).toBeUndefined();
  });
});

describe('isTransient', () => {
  it.each<[string, Error]>([
    ['IAM/STS Throttling (400)', awsErrors.iamThrottling()],
    ['Secrets Manager ThrottlingException (400)', awsErrors.smThrottling()],
    ['SNS Throttled (429)', queryError('Throttled', 429, 'Rate exceeded', 'ThrottledException')],
    ['IAM ServiceFailure (500)', awsErrors.iamServiceFailure()],
    ['Secrets Manager InternalServiceError (500)', awsErrors.smInternalError()],
    ['EventBridge InternalException (500)', jsonError('InternalException', 500, 'Internal')],
    ['a 503 without a modelled code', jsonError('ServiceUnavailable', 503, 'Unavailable')],
    ['a socket timeout', networkError('ECONNRESET', 'TimeoutError')],
    ['a refused connection', networkError('ECONNREFUSED')],
    [
      'IAM ConcurrentModification (409), which AWS asks callers to retry',
      queryError(
        'ConcurrentModification',
        409,
        'Modified concurrently',
        'ConcurrentModificationException',
      ),
    ],
  ])('is true for %s', (_, error) => {
    expect(isTransient(error)).toBe(true);
  });

  it.each<[string, unknown]>([
    ['NoSuchEntity (404)', awsErrors.noSuchUser()],
    ['IAM LimitExceeded (409): the user holds two keys', awsErrors.limitExceeded()],
    ['InvalidClientTokenId (403)', awsErrors.invalidClientTokenId()],
    ['ResourceNotFoundException', awsErrors.secretNotFound()],
    ['InvalidParameterException', awsErrors.invalidParameter('bad')],
    ['EncryptionFailure', awsErrors.encryptionFailure()],
    ['a programming error', new TypeError("Cannot read properties of undefined (reading 'x')")],
    ['undefined', undefined],
    ['a string', 'Throttling'],
  ])('is false for %s', (_, error) => {
    expect(isTransient(error)).toBe(false);
  });
});

describe('asRetryable', () => {
  it('wraps a transient AWS failure as AwsTransientError, naming the step and the code', () => {
    const throttled = awsErrors.iamThrottling();

    const wrapped = asRetryable(throttled, 'Deactivating the old key');

    expect(wrapped).toBeInstanceOf(AwsTransientError);
    expect((wrapped as Error).name).toBe('AwsTransientError');
    expect((wrapped as Error).message).toBe('Deactivating the old key failed: Throttling');
    expect((wrapped as Error).cause).toBe(throttled);
  });

  it('returns a rekey error unchanged, transient or not', () => {
    const refused = new TwoActiveKeysError('two keys');
    const transient = new AwsTransientError('already wrapped');

    expect(asRetryable(refused, 'x')).toBe(refused);
    expect(asRetryable(transient, 'x')).toBe(transient);
  });

  it('returns a permanent AWS failure unchanged, for the state machine to catch', () => {
    const missing = awsErrors.noSuchUser();

    expect(asRetryable(missing, 'x')).toBe(missing);
  });
});

describe('error classes', () => {
  it.each<[string, RekeyError]>([
    ['InvalidInputError', new InvalidInputError('m')],
    ['UserNotFoundError', new UserNotFoundError('alice')],
    ['UserNotManagedError', new UserNotManagedError('m')],
    ['TwoActiveKeysError', new TwoActiveKeysError('m')],
    ['InactiveKeyPresentError', new InactiveKeyPresentError('m')],
    ['RotationInProgressError', new RotationInProgressError('m')],
    ['KeyNotYetValidError', new KeyNotYetValidError('AKIA')],
    ['VerificationFailedError', new VerificationFailedError('m')],
    ['StagingFailedError', new StagingFailedError('m')],
    ['CutoverDeadlineError', new CutoverDeadlineError('m')],
    ['OldKeyReactivatedError', new OldKeyReactivatedError('m')],
    ['RotationStateError', new RotationStateError('m')],
    ['AwsTransientError', new AwsTransientError('m')],
  ])('pins the name %s that the state machine matches', (name, error) => {
    expect(error.name).toBe(name);
    expect(error).toBeInstanceOf(RekeyError);
    expect(error).toBeInstanceOf(Error);
  });

  it('gives every error class one name, its own, which its errors carry and errorNames() lists', () => {
    const classes = Object.entries(errors).filter(
      (entry): entry is [string, typeof RekeyError & RekeyErrorClass] =>
        typeof entry[1] === 'function' && entry[1].prototype instanceof RekeyError,
    );
    // A class added without a name of its own would inherit its parent's.
    expect(classes.length).toBeGreaterThanOrEqual(17);
    for (const [exported, cls] of classes) {
      const Ctor = cls as unknown as new (text: string) => RekeyError;
      expect({ exported, errorName: cls.errorName }).toEqual({ exported, errorName: exported });
      expect(new Ctor('m').name).toBe(exported);
    }
    expect(new Set(classes.map(([, c]) => c.errorName)).size).toBe(classes.length);
    expect(errors.errorNames(TwoActiveKeysError, AwsTransientError)).toEqual([
      'TwoActiveKeysError',
      'AwsTransientError',
    ]);
  });

  it('keeps the original error as cause', () => {
    const original = awsErrors.invalidClientTokenId();

    const error = new KeyNotYetValidError('AKIANEWKEY7EXAMPLE02', original);

    expect(error.cause).toBe(original);
    expect(error.message).toBe(
      'The new access key AKIANEWKEY7EXAMPLE02 is not accepted yet (IAM propagation delay).',
    );
  });
});
