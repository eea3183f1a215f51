/**
 * Raised when a rekey secret cannot be turned into credentials: the read failed, or the value
 * is not what rekey writes. The message names the secret and what is wrong, and never carries
 * the secret value or the secret access key.
 */
export class RekeyCredentialsError extends Error {
  /** The secret that was read, as passed to `fromRekeySecret`. */
  public readonly secretId: string;

  public constructor(message: string, secretId: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'RekeyCredentialsError';
    this.secretId = secretId;
  }
}

/**
 * Codes with which AWS refuses an access key it does not accept (unknown, deactivated or
 * deleted): query services (IAM, STS) and JSON services (Secrets Manager). A wrong signature
 * or an expired one is a different problem, which another identity would not solve.
 */
const REJECTED_KEY_CODES: ReadonlySet<string> = new Set([
  'InvalidClientTokenId',
  'UnrecognizedClientException',
]);

/** True when an SDK error says AWS no longer accepts the access key that signed the request. */
export function isRejectedKeyError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { name, Code } = error as { name?: unknown; Code?: unknown };
  return (
    (typeof name === 'string' && REJECTED_KEY_CODES.has(name)) ||
    (typeof Code === 'string' && REJECTED_KEY_CODES.has(Code))
  );
}
