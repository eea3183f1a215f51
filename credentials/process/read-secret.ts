/**
 * The slow path of `rekey credentials`, loaded only when the cache is missing or stale: it
 * brings the AWS SDK. The secret is read signed with the cached key; the bootstrap credentials
 * are used the first time, and once more when AWS rejects the cached key.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { fromEnv, fromIni } from '@aws-sdk/credential-providers';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { isRejectedKeyError, RekeyCredentialsError } from '../errors';
import { parseRekeySecret, type RekeySecretKey } from '../parse-secret';
import { EXIT, ProcessError } from './errors';
import { BOOTSTRAP_MARK, type ProcessOptions } from './options';

export interface ReadResult {
  readonly key: RekeySecretKey;
  /** What signed the successful read, for the log. */
  readonly signedWith: string;
}

type Log = (message: string) => void;

function bootstrapName(options: ProcessOptions): string {
  return options.bootstrapProfile
    ? `the bootstrap profile "${options.bootstrapProfile}"`
    : 'the bootstrap credentials from the environment';
}

/** The bootstrap credentials, resolved now so that a missing bootstrap is reported as such. */
async function bootstrap(options: ProcessOptions): Promise<AwsCredentialIdentity> {
  const { bootstrapProfile: profile } = options;
  const provider: AwsCredentialIdentityProvider = profile
    ? fromIni({ profile, ignoreCache: true })
    : fromEnv();
  process.env[BOOTSTRAP_MARK] = '1';
  try {
    return await provider();
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new ProcessError(
      profile
        ? `no bootstrap credentials: profile "${profile}" gives none (${detail}). ` +
            'Point --bootstrap-profile at a profile holding credentials that can read the secret.'
        : 'no cached key and no bootstrap credentials: pass --bootstrap-profile NAME (a profile ' +
            'holding credentials that can read the secret, e.g. the current key of the user), or set ' +
            'AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.',
      EXIT.setup,
      { cause: error },
    );
  } finally {
    delete process.env[BOOTSTRAP_MARK];
  }
}

// The SDK warns on every run that its 2027 releases will need Node 22; the AWS CLI would show
// that on every failed command. rekey pins its SDK versions and supports Node 20.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

async function getSecretString(
  options: ProcessOptions,
  credentials: AwsCredentialIdentity,
): Promise<string | undefined> {
  const client = new SecretsManagerClient({
    credentials: {
      accessKeyId: credentials.accessKeyId,
      secretAccessKey: credentials.secretAccessKey,
      sessionToken: credentials.sessionToken,
    },
    ...(options.region && { region: options.region }),
    ...(options.endpoint && { endpoint: options.endpoint }),
    // The bootstrap profile's region applies when neither --region nor the environment gives one.
    ...(options.bootstrapProfile && { profile: options.bootstrapProfile }),
  });
  try {
    const out = await client.send(
      new GetSecretValueCommand({ SecretId: options.secretId, VersionStage: 'AWSCURRENT' }),
    );
    return out.SecretString;
  } finally {
    client.destroy();
  }
}

/** Reads and validates the secret: with the cached key if there is one, else the bootstrap. */
export async function readSecret(
  options: ProcessOptions,
  cached: RekeySecretKey | undefined,
  log: Log,
): Promise<ReadResult> {
  let signedWith = cached ? `the cached key ${cached.accessKeyId}` : bootstrapName(options);
  let value: string | undefined;
  try {
    if (cached) {
      try {
        value = await getSecretString(options, { ...cached });
      } catch (error) {
        if (!isRejectedKeyError(error)) throw error;
        log(
          `AWS rejected the cached key ${cached.accessKeyId} (${(error as Error).name}); ` +
            `reading ${options.secretId} once with ${bootstrapName(options)}`,
        );
        signedWith = bootstrapName(options);
        value = await getSecretString(options, await bootstrap(options));
      }
    } else {
      value = await getSecretString(options, await bootstrap(options));
    }
  } catch (error) {
    throw explain(error, options, signedWith);
  }
  const where = `secret "${options.secretId}" (AWSCURRENT)`;
  if (value === undefined) {
    throw new ProcessError(`${where} has no SecretString: it is not a rekey secret`, EXIT.failed);
  }
  try {
    return { key: parseRekeySecret(value, where, options.secretId), signedWith };
  } catch (error) {
    if (!(error instanceof RekeyCredentialsError)) throw error;
    // The message names the problem and never the value; drop "rekey: ", we prefix our own.
    throw new ProcessError(error.message.replace(/^rekey: /, ''), EXIT.failed);
  }
}

/** One line an operator can act on; never the SDK error's whole object (no secret is in it). */
function explain(error: unknown, options: ProcessOptions, signedWith: string): ProcessError {
  if (error instanceof ProcessError) return error;
  const code = error instanceof Error ? error.name : 'Error';
  const message = error instanceof Error ? error.message : String(error);
  const secret = `secret "${options.secretId}"`;
  const at = options.endpoint ? ` at ${options.endpoint}` : '';
  if (code === 'ResourceNotFoundException') {
    return new ProcessError(
      `${secret} was not found${at} (${code}): check --secret-id and --region`,
      EXIT.failed,
    );
  }
  if (/Region is missing/i.test(message)) {
    return new ProcessError(
      'no region: pass --region (the profile that runs rekey credentials is not visible to it), ' +
        'set AWS_REGION, or set a region in the bootstrap profile',
      EXIT.setup,
    );
  }
  if (isRejectedKeyError(error)) {
    return new ProcessError(
      `AWS rejected ${signedWith} reading ${secret} (${code}): give --bootstrap-profile ` +
        'credentials that are still active',
      EXIT.setup,
    );
  }
  if (/AccessDenied/.test(code)) {
    // AWS authorizes before it looks: a secret that does not exist is denied too.
    return new ProcessError(
      `${signedWith} may not read ${secret}${at} (${code}): check --secret-id (a name that does ` +
        "not exist is denied as well) and that rekey's consumerAccess lets the user read its own " +
        'secret, or that the role is in its rekey:readers',
      EXIT.setup,
    );
  }
  const { code: errno } = error as { code?: unknown };
  const network = typeof errno === 'string' ? errno : '';
  if (/^(ECONNREFUSED|ENOTFOUND|ECONNRESET|EAI_AGAIN|ETIMEDOUT)$/.test(network)) {
    return new ProcessError(`cannot reach Secrets Manager${at}: ${network}`, EXIT.setup);
  }
  return new ProcessError(`reading ${secret} failed: ${code}: ${message}`, EXIT.failed);
}
