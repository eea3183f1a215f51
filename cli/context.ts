import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { IAMClient } from '@aws-sdk/client-iam';
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity } from '@smithy/types';
import { loadSharedConfigFiles } from '@smithy/core/config';
import { CliError, EXIT, explain, usageError } from './errors';
import type { OrganizationAccess } from './organization';

/** The global options, spelled as the AWS CLI spells them. */
export interface GlobalOptions {
  readonly region?: string;
  readonly profile?: string;
  readonly endpointUrl?: string;
  readonly output: 'text' | 'json';
  readonly stack: string;
}

/** The SDK clients every operation takes (so tests and the sandbox can point them anywhere). */
export interface Clients {
  readonly iam: IAMClient;
  readonly sfn: SFNClient;
  readonly secrets: SecretsManagerClient;
  readonly cfn: CloudFormationClient;
  readonly sts: STSClient;
}

export interface Context {
  readonly clients: Clients;
  readonly stackName: string;
  /** --endpoint-url or AWS_ENDPOINT_URL, when set. */
  readonly endpoint?: string;
  /** The region the clients use (flag, environment or profile). */
  region(): Promise<string>;
  /** The service's time: sandbox time against `rekey sandbox`, otherwise this machine's. */
  now(): Promise<Date>;
  /** Organizations and per-account clients for `--organization` (created on first use). */
  organization(): OrganizationAccess;
  destroy(): void;
}

/**
 * Clients from the default credential provider chain (environment, --profile / AWS_PROFILE,
 * SSO, web identity, instance metadata), the region from --region / AWS_REGION / the profile,
 * and --endpoint-url / AWS_ENDPOINT_URL for every service.
 */
export function createContext(options: GlobalOptions): Context {
  const endpoint = options.endpointUrl ?? process.env.AWS_ENDPOINT_URL;
  if (endpoint !== undefined)
    checkEndpoint(endpoint, options.endpointUrl ? '--endpoint-url' : 'AWS_ENDPOINT_URL');
  const config = {
    ...(options.region && { region: options.region }),
    ...(options.profile && { profile: options.profile }),
    ...(options.endpointUrl && { endpoint: options.endpointUrl }),
  };
  const clients: Clients = {
    iam: new IAMClient(config),
    sfn: new SFNClient(config),
    secrets: new SecretsManagerClient(config),
    cfn: new CloudFormationClient(config),
    sts: new STSClient(config),
  };
  let clock: Promise<Date> | undefined;
  let organization: (OrganizationAccess & { destroy(): void }) | undefined;
  return {
    clients,
    stackName: options.stack,
    endpoint,
    region: async () => {
      try {
        return await clients.cfn.config.region();
      } catch (error) {
        throw explain(error, { endpoint });
      }
    },
    now: () => (clock ??= serviceTime(endpoint)),
    organization: () => (organization ??= organizationAccess(config, clients.sts)),
    destroy: () => {
      Object.values(clients).forEach((c: { destroy(): void }) => c.destroy());
      organization?.destroy();
    },
  };
}

/**
 * Organizations is a global service: its endpoint is in us-east-1 whatever the region (the
 * sandbox answers on the one endpoint). Member clients keep the CLI's region and endpoint and
 * take the reader role's session; `profile` is dropped there, since the credentials are given.
 */
function organizationAccess(
  config: { region?: string; profile?: string; endpoint?: string },
  sts: STSClient,
): OrganizationAccess & { destroy(): void } {
  const withoutProfile = { ...config };
  delete withoutProfile.profile;
  const organizations = new OrganizationsClient({ ...config, region: 'us-east-1' });
  const withCredentials = (credentials: AwsCredentialIdentity) => ({
    ...withoutProfile,
    credentials,
  });
  return {
    organizations,
    sts,
    memberClients: (credentials) => ({
      iam: new IAMClient(withCredentials(credentials)),
      sfn: new SFNClient(withCredentials(credentials)),
      cfn: new CloudFormationClient(withCredentials(credentials)),
    }),
    stsWith: (credentials) => new STSClient(withCredentials(credentials)),
    destroy: () => organizations.destroy(),
  };
}

/**
 * `rekey sandbox` runs on its own clock (days pass in seconds); its control route tells the
 * time. Any other endpoint, or none, is AWS: this machine's clock.
 */
async function serviceTime(endpoint: string | undefined): Promise<Date> {
  if (!endpoint) return new Date();
  try {
    const response = await fetch(new URL('/_sandbox/info', endpoint), {
      signal: AbortSignal.timeout(1500),
    });
    if (response.ok) {
      const info = (await response.json()) as { now?: unknown };
      if (typeof info.now === 'string' && !Number.isNaN(Date.parse(info.now))) {
        return new Date(info.now);
      }
    }
  } catch {
    // Not a sandbox (or not reachable yet): the API calls will say what is wrong.
  }
  return new Date();
}

/** A malformed endpoint is a usage error, said before any client tries to use it. */
function checkEndpoint(endpoint: string, where: string): void {
  let url: URL | undefined;
  try {
    url = new URL(endpoint);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || !url.hostname) {
    throw usageError(
      `${where} must be an http(s) URL such as http://127.0.0.1:4599; got "${endpoint.slice(0, 200)}"`,
    );
  }
}

/**
 * A named profile that is in neither AWS file would make the SDK say "no credentials" (after
 * its own warnings): name the profile and the files instead.
 */
export async function checkProfile(profile: string | undefined): Promise<void> {
  if (profile === undefined) return;
  const { configFile, credentialsFile } = await loadSharedConfigFiles({ ignoreCache: true });
  if (configFile[profile] || credentialsFile[profile]) return;
  const files = [
    process.env.AWS_CONFIG_FILE ?? '~/.aws/config',
    process.env.AWS_SHARED_CREDENTIALS_FILE ?? '~/.aws/credentials',
  ].join(' or ');
  throw new CliError(
    `profile "${profile}" is not in ${files}: check the name (aws configure list-profiles), or ` +
      'set up the profile with aws configure --profile',
    EXIT.setup,
    'ProfileNotFound',
  );
}
