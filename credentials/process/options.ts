import { homedir } from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { EXIT, ProcessError } from './errors';

/** What `rekey credentials` was asked to do, with every default applied. */
export interface ProcessOptions {
  readonly secretId: string;
  /** Profile whose credentials read the secret the first time; undefined: the environment. */
  readonly bootstrapProfile?: string;
  readonly refreshIntervalSeconds: number;
  readonly cacheDir: string;
  /**
   * --region, the region of an ARN secret id, AWS_REGION or AWS_DEFAULT_REGION (the AWS CLI's
   * variable); undefined: the SDK takes the bootstrap profile's region.
   */
  readonly region?: string;
  readonly endpoint?: string;
}

/**
 * Set in the environment while the bootstrap profile resolves: a profile whose own
 * credential_process runs `rekey credentials` again is then refused instead of recursing.
 */
export const BOOTSTRAP_MARK = 'REKEY_CREDENTIALS_BOOTSTRAP';

export type ParsedArgs =
  { readonly help: true } | { readonly help: false; options: ProcessOptions };

/**
 * Long enough that the AWS CLI, whose credentials count as due for refresh 15 minutes before
 * they expire, runs the process once per command rather than twice; short enough that a
 * program moves to a new key well inside the cutover wait (45 minutes plus the reporting lag
 * before the first check, 7 days before the deadline).
 */
export const DEFAULT_REFRESH_SECONDS = 20 * 60;
const MIN_REFRESH_SECONDS = 60;
const MAX_REFRESH_SECONDS = 12 * 3600;

/** Secrets Manager names (letters, digits, /_+=.@-), and ARNs, which add `:`. */
const SECRET_ID = /^[A-Za-z0-9/_+=.@:-]{1,2048}$/;
const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:([a-z0-9-]+):\d{12}:secret:.+$/;

export const USAGE = `Usage: rekey credentials --secret-id <id> [options]

Prints the access key held in a rekey secret as credential_process output (JSON, Version 1),
for the AWS CLI, every AWS SDK and Terraform. The key is kept in a cache file readable only by
you; once it is older than the refresh interval, the secret is read again, signed with that same
key (rekey keeps it active until the cutover). The first time, or if AWS rejects the cached key,
the secret is read with the bootstrap credentials.

Options:
  --secret-id <id>            name or ARN of the user's secret, e.g. rekey/alice (required)
  --bootstrap-profile <name>  AWS profile that reads the secret the first time
                              (default: the environment, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)
  --refresh-interval <secs>   read the secret again after this long; also how far ahead the
                              printed Expiration is (${MIN_REFRESH_SECONDS}-${MAX_REFRESH_SECONDS}, default ${DEFAULT_REFRESH_SECONDS})
  --cache-dir <dir>           where the cache file lives, kept at mode 0700
                              (default: $XDG_CACHE_HOME/rekey/credentials, else ~/.cache/rekey/credentials)
  --region <region>           the secret's region (default: the ARN's region, AWS_REGION,
                              AWS_DEFAULT_REGION, else the bootstrap profile's region); the
                              profile running this process is not visible to it
  --endpoint-url <url>        Secrets Manager endpoint (default: AWS_ENDPOINT_URL_SECRETS_MANAGER,
                              AWS_ENDPOINT_URL, else AWS); a loopback endpoint that is a
                              rekey sandbox also gives its clock
  -h, --help                  show this help

Example (~/.aws/config):
  [profile alice]
  region = eu-west-1
  credential_process = rekey credentials --secret-id rekey/alice --region eu-west-1 --bootstrap-profile alice-initial

Exit codes: 0 credentials printed; 1 the secret cannot give credentials (not found, only the
baseline, not a rekey secret); 2 bad options; 3 no bootstrap credentials or region, access
denied, rejected keys, or Secrets Manager unreachable. Messages go to stderr; stdout carries
only the JSON.
`;

function usage(message: string): ProcessError {
  return new ProcessError(`${message} (rekey credentials --help for usage)`, EXIT.usage);
}

function refreshSeconds(text: string | undefined): number {
  if (text === undefined) return DEFAULT_REFRESH_SECONDS;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < MIN_REFRESH_SECONDS || n > MAX_REFRESH_SECONDS) {
    throw usage(
      `--refresh-interval must be a whole number of seconds from ${MIN_REFRESH_SECONDS} to ${MAX_REFRESH_SECONDS}; got "${text}"`,
    );
  }
  return n;
}

/** $XDG_CACHE_HOME (only if absolute, as the XDG spec asks), else ~/.cache; then rekey's part. */
export function defaultCacheDir(env: NodeJS.ProcessEnv): string {
  const xdg = env.XDG_CACHE_HOME;
  const base = xdg && path.isAbsolute(xdg) ? xdg : path.join(homedir(), '.cache');
  return path.join(base, 'rekey', 'credentials');
}

/** Parses the arguments after `credentials`; throws ProcessError (exit 2) on bad usage. */
export function parseOptions(argv: readonly string[], env: NodeJS.ProcessEnv): ParsedArgs {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        'secret-id': { type: 'string' },
        'bootstrap-profile': { type: 'string' },
        'refresh-interval': { type: 'string' },
        'cache-dir': { type: 'string' },
        region: { type: 'string' },
        'endpoint-url': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    throw usage(error instanceof Error ? error.message : String(error));
  }
  if (values.help) return { help: true };
  const secretId = values['secret-id'];
  if (secretId === undefined) throw usage('--secret-id is required, e.g. --secret-id rekey/alice');
  if (!SECRET_ID.test(secretId)) {
    throw usage(
      `--secret-id "${secretId}" is not a secret name (letters, digits and /_+=.@-) or a secret ARN`,
    );
  }
  const profile = values['bootstrap-profile'];
  if (profile !== undefined && profile.trim() === '') throw usage('--bootstrap-profile is empty');
  const endpoint =
    values['endpoint-url'] ?? env.AWS_ENDPOINT_URL_SECRETS_MANAGER ?? env.AWS_ENDPOINT_URL;
  if (endpoint !== undefined && !/^https?:\/\/[^\s/]+/.test(endpoint)) {
    throw usage(`--endpoint-url "${endpoint}" is not an http(s) URL`);
  }
  const cacheDir = values['cache-dir'];
  return {
    help: false,
    options: {
      secretId,
      bootstrapProfile: profile,
      refreshIntervalSeconds: refreshSeconds(values['refresh-interval']),
      cacheDir: cacheDir ? path.resolve(cacheDir) : defaultCacheDir(env),
      region:
        values.region ??
        SECRET_ARN.exec(secretId)?.[1] ??
        (env.AWS_REGION || env.AWS_DEFAULT_REGION || undefined),
      endpoint: endpoint || undefined,
    },
  };
}
