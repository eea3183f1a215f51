import {
  GetSecretValueCommand,
  SecretsManagerClient,
  type SecretsManagerClientConfig,
} from '@aws-sdk/client-secrets-manager';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { isRejectedKeyError, RekeyCredentialsError } from './errors';
import { parseRekeySecret, type RekeySecretKey } from './parse-secret';

/**
 * Receives non-secret messages only (secret id, access key id, times). Compatible with
 * `console` and with the Powertools `Logger`.
 */
export interface RekeyLogger {
  debug(message: string): void;
  warn(message: string): void;
}

/** Options of {@link fromRekeySecret}. */
export interface FromRekeySecretOptions {
  /** Name or ARN of the user's secret, e.g. `rekey/alice`. */
  readonly secretId: string;
  /**
   * How long to use a key read from the secret before reading the secret again, in
   * milliseconds. Keep it well below the rotation's cutover wait, so that the application
   * moves to a new key before rekey deactivates the old one.
   */
  readonly refreshInterval: number;
  /**
   * Reads the secret with an identity of its own (e.g. the application's role), for
   * applications that have one. It must not itself use this provider's credentials.
   * @default - the provider reads the secret signed with the key it holds: first with
   *   `initialCredentials`, then with each key it has read
   */
  readonly client?: SecretsManagerClient;
  /**
   * The credentials the application is configured with (typically the user's current key).
   * They sign the first read, and one more read if AWS rejects the key the provider holds.
   * Not used with `client`.
   * @default - the SDK's default credential chain (environment, shared config and credentials
   *   files with AWS_PROFILE, SSO, container and instance metadata)
   */
  readonly initialCredentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /**
   * Configuration of the Secrets Manager clients the provider creates when `client` is not
   * given, e.g. `{ region: 'eu-west-1' }`. Their credentials are always the provider's own.
   * @default {} - region and endpoint from the environment and profile, as for any SDK client
   */
  readonly clientConfig?: Omit<SecretsManagerClientConfig, 'credentials'>;
  /**
   * Staging label to read.
   * @default 'AWSCURRENT'
   */
  readonly versionStage?: string;
  /**
   * Receives debug and warning messages; never the secret.
   * @default - no logging
   */
  readonly logger?: RekeyLogger;
  /**
   * Clock, for tests.
   * @default () => new Date()
   */
  readonly now?: () => Date;
}

/** An AWS SDK v3 credential provider backed by a rekey secret. */
export interface RekeyCredentialProvider extends AwsCredentialIdentityProvider {
  /**
   * Marks the credentials stale, so that the next credential resolution, by the provider and
   * by every SDK client holding its identity, reads the secret again. Called by
   * {@link rekeyRefreshOnAuthError} when AWS rejects the key.
   *
   * @param accessKeyId - the key that was rejected; when given and the provider already holds a
   *   different key, nothing happens (another request already refreshed it)
   */
  invalidate(accessKeyId?: string): void;
}

/** The identity we hand out, kept mutable so that `invalidate` can expire it in place. */
interface HeldIdentity extends RekeySecretKey {
  expiration: Date;
}

type Credentials = AwsCredentialIdentity | AwsCredentialIdentityProvider;

/**
 * Returns credentials read from the user's rekey secret (`{"AccessKeyId","SecretAccessKey",…}`),
 * with `expiration = now + refreshInterval` so that SDK clients ask for them again on time.
 *
 * Without `client`, each read is signed with the key the provider holds, starting from the
 * application's configured credentials: an application whose only AWS identity is the rotated
 * key follows every rotation, because rekey keeps the old key active until the cutover. If AWS
 * rejects the held key (the application missed a whole cutover), the provider reads once more
 * with the initial credentials.
 *
 * Concurrent resolutions share one read; read and validation failures throw
 * {@link RekeyCredentialsError} (the read error as `cause`).
 *
 * @example
 * // The application's own key, from the environment or its profile, reads the secret first.
 * const credentials = fromRekeySecret({ secretId: 'rekey/alice', refreshInterval: 300_000 });
 * const s3 = new S3Client({ credentials });
 * s3.middlewareStack.use(rekeyRefreshOnAuthError(credentials));
 */
export function fromRekeySecret(options: FromRekeySecretOptions): RekeyCredentialProvider {
  const { secretId, refreshInterval, versionStage = 'AWSCURRENT', logger } = options;
  const now = options.now ?? (() => new Date());
  if (typeof secretId !== 'string' || secretId.length === 0) {
    throw new TypeError('fromRekeySecret: secretId must be a non-empty string');
  }
  if (
    typeof refreshInterval !== 'number' ||
    !Number.isFinite(refreshInterval) ||
    refreshInterval <= 0
  ) {
    throw new RangeError(
      `fromRekeySecret: refreshInterval must be a positive, finite number of milliseconds ` +
        `(e.g. 300_000 for 5 minutes); got ${String(refreshInterval)}`,
    );
  }
  const where = `secret "${secretId}" (${versionStage})`;
  const command = (): GetSecretValueCommand =>
    new GetSecretValueCommand({ SecretId: secretId, VersionStage: versionStage });

  let held: HeldIdentity | undefined;
  let reading: Promise<HeldIdentity> | undefined;

  // A client per read, signing with exactly the credentials chosen for it: a long-lived client
  // would memoize the first identity and compare its expiration with its own clock.
  const readWith = async (credentials: Credentials | undefined): Promise<string | undefined> => {
    const reader = new SecretsManagerClient({
      ...options.clientConfig,
      ...(credentials !== undefined && { credentials }),
    });
    try {
      return (await reader.send(command())).SecretString;
    } finally {
      reader.destroy();
    }
  };

  /** The secret's value, and what signed the read (for the log; undefined with `client`). */
  const fetchValue = async (): Promise<{ value?: string; signedWith?: string }> => {
    if (options.client) return { value: (await options.client.send(command())).SecretString };
    const initial = 'the initial credentials';
    const signer = held && { accessKeyId: held.accessKeyId, secretAccessKey: held.secretAccessKey };
    if (!signer) return { value: await readWith(options.initialCredentials), signedWith: initial };
    try {
      return { value: await readWith(signer), signedWith: `access key ${signer.accessKeyId}` };
    } catch (error) {
      if (!isRejectedKeyError(error)) throw error;
      logger?.warn(
        `rekey: access key ${signer.accessKeyId} was rejected reading ${where}; reading it with ${initial}`,
      );
      return { value: await readWith(options.initialCredentials), signedWith: initial };
    }
  };

  const read = async (): Promise<HeldIdentity> => {
    let secretString: string | undefined;
    let signedWith: string | undefined;
    try {
      ({ value: secretString, signedWith } = await fetchValue());
    } catch (error) {
      const name = error instanceof Error ? error.name : typeof error;
      throw new RekeyCredentialsError(`rekey: could not read ${where}: ${name}`, secretId, {
        cause: error,
      });
    }
    if (secretString === undefined) {
      throw new RekeyCredentialsError(
        `rekey: ${where} has no SecretString (binary secrets are not supported)`,
        secretId,
      );
    }
    const key = parseRekeySecret(secretString, where, secretId);
    held = { ...key, expiration: new Date(now().getTime() + refreshInterval) };
    logger?.debug(
      `rekey: using access key ${key.accessKeyId} from ${where} until ${held.expiration.toISOString()}` +
        (signedWith ? ` (read with ${signedWith})` : ''),
    );
    return held;
  };

  const provider = (): Promise<AwsCredentialIdentity> => {
    if (held !== undefined && now().getTime() < held.expiration.getTime()) {
      return Promise.resolve(held);
    }
    reading ??= read().finally(() => {
      reading = undefined;
    });
    return reading;
  };

  const invalidate = (accessKeyId?: string): void => {
    if (held === undefined || held.expiration.getTime() === 0) return;
    if (accessKeyId !== undefined && accessKeyId !== held.accessKeyId) return;
    // SDK clients memoize the identity object and ask the provider again only once its
    // expiration is within ~5 minutes (@smithy/core memoizeIdentityProvider). Moving the
    // expiration of that same object to the epoch makes every client holding it re-resolve on
    // its next request, whatever the clock.
    held.expiration = new Date(0);
    logger?.warn(
      `rekey: access key ${held.accessKeyId} was rejected; the next request reads ${where} again`,
    );
  };

  return Object.assign(provider, { invalidate });
}
