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
