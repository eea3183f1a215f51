/**
 * AWS SDK service integrations (`arn:aws:states:::aws-sdk:<service>:<action>`) and the few
 * optimized ones rekey might use, called with the SDK v3 client against the emulator. Errors
 * are named as Step Functions names them: `<Service>.<Code>Exception` (docs/aws-semantics.md §4).
 */
import { cloneJson, type JsonValue } from './json-path';
import { StatesError } from './retry';

export interface Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

export interface SdkTarget {
  /** Our service key (`iam`, `sfn`, …). */
  readonly service: string;
  /** The API action in camelCase, as in the resource ARN. */
  readonly action: string;
  /** `resourceType` and `resource` of the Task* history events. */
  readonly resourceType: string;
  readonly resource: string;
}

interface ServiceSpec {
  readonly load: () => Promise<unknown>;
  readonly client: string;
  /** The service id in error names (`Iam.NoSuchEntityException`). */
  readonly errorPrefix: string;
  /** Step Functions passes PascalCase members; these APIs name theirs in camelCase. */
  readonly camelCaseMembers?: boolean;
}

const SERVICES: Readonly<Record<string, ServiceSpec>> = {
  iam: { load: () => import('@aws-sdk/client-iam'), client: 'IAMClient', errorPrefix: 'Iam' },
  sts: { load: () => import('@aws-sdk/client-sts'), client: 'STSClient', errorPrefix: 'Sts' },
  secretsmanager: {
    load: () => import('@aws-sdk/client-secrets-manager'),
    client: 'SecretsManagerClient',
    errorPrefix: 'SecretsManager',
  },
  sfn: {
    load: () => import('@aws-sdk/client-sfn'),
    client: 'SFNClient',
    errorPrefix: 'Sfn',
    camelCaseMembers: true,
  },
  sns: { load: () => import('@aws-sdk/client-sns'), client: 'SNSClient', errorPrefix: 'Sns' },
  eventbridge: {
    load: () => import('@aws-sdk/client-eventbridge'),
    client: 'EventBridgeClient',
    errorPrefix: 'EventBridge',
  },
};

const OPTIMIZED: Readonly<Record<string, [service: string, action: string]>> = {
  'sns:publish': ['sns', 'publish'],
  'events:putEvents': ['eventbridge', 'putEvents'],
  'states:startExecution': ['sfn', 'startExecution'],
};

/** The SDK target of a Task resource, or undefined when it is not an SDK integration. */
export function sdkTarget(resource: string): SdkTarget | undefined {
  const sdk = /^arn:aws:states:::aws-sdk:([a-z0-9]+):([A-Za-z0-9]+)$/.exec(resource);
  if (sdk?.[1] && sdk[2]) {
    return { service: sdk[1], action: sdk[2], resourceType: `aws-sdk:${sdk[1]}`, resource: sdk[2] };
  }
  const optimized = /^arn:aws:states:::([a-z]+):([A-Za-z]+)$/.exec(resource);
  const mapped = optimized ? OPTIMIZED[`${optimized[1]}:${optimized[2]}`] : undefined;
  if (optimized?.[1] && optimized[2] && mapped) {
    return {
      service: mapped[0],
      action: mapped[1],
      resourceType: optimized[1],
      resource: optimized[2],
    };
  }
  return undefined;
}

interface SdkClient {
  send(command: unknown): Promise<unknown>;
}
type ClientConstructor = new (config: Record<string, unknown>) => SdkClient;
type CommandConstructor = new (input: unknown) => unknown;

function recase(value: unknown, first: (c: string) => string): unknown {
  if (Array.isArray(value)) return value.map((item) => recase(item, first));
  if (typeof value !== 'object' || value === null || value instanceof Date) return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [first(k.charAt(0)) + k.slice(1), recase(v, first)]),
  );
}

export class SdkInvoker {
  private readonly clients = new Map<
    string,
    Promise<{ client: SdkClient; module: Record<string, unknown> }>
  >();

  constructor(
    /** Read when a client is first needed: the emulator may start after the runner exists. */
    private readonly endpoint: () => string,
    private readonly region: string,
    /** Called before every call: the state machine's role session, renewed. */
    private readonly credentials: () => Credentials,
  ) {}

  async call(target: SdkTarget, parameters: unknown): Promise<JsonValue> {
    const spec = SERVICES[target.service];
    if (!spec) {
      throw new StatesError(
        'States.Runtime',
        `The sandbox has no SDK client for service ${target.service} (${target.resourceType}:${target.resource})`,
        false,
        false,
      );
    }
    const { client, module } = await this.client(target.service, spec);
    this.credentials();
    const commandName = `${target.action.charAt(0).toUpperCase()}${target.action.slice(1)}Command`;
    const Command = module[commandName];
    if (typeof Command !== 'function') {
      throw new StatesError('States.Runtime', `${spec.client} has no ${commandName}`, false, false);
    }
    const input = spec.camelCaseMembers ? recase(parameters, (c) => c.toLowerCase()) : parameters;
    try {
      const output = await client.send(new (Command as CommandConstructor)(input ?? {}));
      const rest: Record<string, unknown> = { ...(output ?? {}) };
      delete rest.$metadata;
      return cloneJson(spec.camelCaseMembers ? recase(rest, (c) => c.toUpperCase()) : rest);
    } catch (error) {
      throw sdkError(spec.errorPrefix, error);
    }
  }

  private client(
    service: string,
    spec: ServiceSpec,
  ): Promise<{ client: SdkClient; module: Record<string, unknown> }> {
    let entry = this.clients.get(service);
    if (!entry) {
      entry = spec.load().then((loaded) => {
        const module = loaded as Record<string, unknown>;
        const Client = module[spec.client] as ClientConstructor;
        const client = new Client({
          endpoint: this.endpoint(),
          region: this.region,
          credentials: this.credentials(),
          // Step Functions does not retry inside an integration; the state's Retry does.
          maxAttempts: 1,
        });
        return { client, module };
      });
      this.clients.set(service, entry);
    }
    return entry;
  }
}

function sdkError(prefix: string, error: unknown): StatesError {
  if (!(error instanceof Error))
    return new StatesError(`${prefix}.UnknownException`, String(error));
  const code = error.name.endsWith('Exception') ? error.name : `${error.name}Exception`;
  const metadata = (error as { $metadata?: { httpStatusCode?: number; requestId?: string } })
    .$metadata;
  const cause =
    `${error.message} (Service: ${prefix}, Status Code: ${metadata?.httpStatusCode ?? 0}, ` +
    `Request ID: ${metadata?.requestId ?? 'unknown'})`;
  return new StatesError(`${prefix}.${code}`, cause);
}
