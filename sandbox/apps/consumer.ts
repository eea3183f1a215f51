import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity } from '@smithy/types';
import {
  fromRekeySecret,
  isAuthError,
  RekeyCredentialsError,
  rekeyRefreshOnAuthError,
  type RekeyCredentialProvider,
} from '../../credentials';
import type { Clock } from '../contracts';
import type { Scheduler } from '../clock';
import { identityConfig, type AppIdentity } from './identity';

/**
 * How a simulated application follows the secret:
 * - `prompt`: uses rekey's credential provider (re-reads the secret every `cacheSeconds`, and at
 *   once after an authentication error);
 * - `late`: reads the secret itself through a long-lived cache (stale for `cacheSeconds`);
 * - `never`: keeps the key it was configured with, forever.
 */
export type ConsumerBehaviour = 'prompt' | 'late' | 'never';

export interface ConsumerOptions {
  readonly name: string;
  readonly behaviour: ConsumerBehaviour;
  readonly secretId: string;
  /** The key the application was configured with before rekey managed it. */
  readonly initialKey: { accessKeyId: string; secretAccessKey: string };
  /**
   * Credentials the application reads its secret with (its role, not the rotated key).
   * @default - none: the application reads the secret with the key it holds, its only identity
   */
  readonly readerCredentials?: { accessKeyId: string; secretAccessKey: string };
  readonly endpoint: string;
  readonly region: string;
  readonly clock: Clock;
  readonly scheduler: Scheduler;
  /** Sandbox seconds between two signed requests. @default 300 */
  readonly periodSeconds?: number;
  /** Sandbox seconds a read secret is trusted. @default 300 (prompt), 6 hours (late) */
  readonly cacheSeconds?: number;
  /**
   * Its user agent and source address, as CloudTrail would show them.
   * @default - the SDK's own user agent, from 127.0.0.1
   */
  readonly identity?: AppIdentity;
}

export interface ConsumerCall {
  readonly at: Date;
  readonly accessKeyId: string;
  readonly ok: boolean;
  readonly error?: string;
}

type Keys = { accessKeyId: string; secretAccessKey: string };

/**
 * A simulated application: every few sandbox minutes it signs sts:GetCallerIdentity with the
 * key it holds, so the emulator records the key's last use exactly as IAM would.
 */
export class SimulatedConsumer {
  readonly calls: ConsumerCall[] = [];
  private readonly abort = new AbortController();
  /** The reader's client, when the application has an identity besides the rotated key. */
  private readonly secrets?: SecretsManagerClient;
  private readonly provider?: RekeyCredentialProvider;
  private cached?: { keys: Keys; until: number };
  private loop?: Promise<void>;
  /**
   * Settings for each client the application makes, so it sends as the application (user agent,
   * source address). Fresh for each: destroying a client destroys its HTTP agent.
   */
  private readonly as: () => ReturnType<typeof identityConfig>;

  constructor(private readonly options: ConsumerOptions) {
    const { endpoint, region, readerCredentials } = options;
    const identity = options.identity ?? {};
    this.as = () => identityConfig(identity);
    this.as(); // a bad address fails here, not at the first tick
    if (readerCredentials) {
      this.secrets = new SecretsManagerClient({
        endpoint,
        region,
        credentials: readerCredentials,
        ...this.as(),
      });
    }
    if (options.behaviour === 'prompt') {
      this.provider = fromRekeySecret({
        secretId: options.secretId,
        refreshInterval: this.cacheSeconds * 1000,
        // Without a reader, the provider signs its reads with the key it holds.
        ...(this.secrets
          ? { client: this.secrets }
          : {
              initialCredentials: options.initialKey,
              clientConfig: { endpoint, region, ...this.as() },
            }),
        now: () => options.clock.now(),
      });
    }
  }

  private get cacheSeconds(): number {
    return this.options.cacheSeconds ?? (this.options.behaviour === 'late' ? 6 * 3600 : 300);
  }

  /** Calls that failed (the key it held was refused). */
  get failures(): ConsumerCall[] {
    return this.calls.filter((c) => !c.ok);
  }

  start(): void {
    const period = (this.options.periodSeconds ?? 300) * 1000;
    const run = async (): Promise<void> => {
      while (!this.abort.signal.aborted) {
        await this.options.scheduler.track(this.tick());
        // An aborted sleep rejects (like timers/promises): that is how the loop ends.
        await this.options.scheduler.sleep(period, this.abort.signal).catch(() => undefined);
      }
    };
    this.loop = run();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
    this.secrets?.destroy();
  }

  /** One signed request with the key the application holds now. */
  async tick(): Promise<ConsumerCall> {
    const keys = await this.currentKeys();
    // A client per call: the SDK compares credential expiry with the real clock, while the
    // sandbox's days pass in milliseconds; the provider's own cache runs on sandbox time.
    const sts = new STSClient({
      endpoint: this.options.endpoint,
      region: this.options.region,
      credentials: keys,
      maxAttempts: 1,
      ...this.as(),
    });
    if (this.provider) sts.middlewareStack.use(rekeyRefreshOnAuthError(this.provider));
    const call = await sts
      .send(new GetCallerIdentityCommand({}))
      .then(() => ({ at: this.options.clock.now(), accessKeyId: keys.accessKeyId, ok: true }))
      .catch((error: unknown) => {
        if (!isAuthError(error)) throw error;
        return {
          at: this.options.clock.now(),
          accessKeyId: keys.accessKeyId,
          ok: false,
          error: (error as Error).name,
        };
      })
      .finally(() => sts.destroy());
    this.calls.push(call);
    return call;
  }

  private async currentKeys(): Promise<Keys> {
    const { behaviour, initialKey } = this.options;
    if (behaviour === 'never') return initialKey;
    if (this.provider) {
      try {
        const identity: AwsCredentialIdentity = await this.provider();
        return { accessKeyId: identity.accessKeyId, secretAccessKey: identity.secretAccessKey };
      } catch (error) {
        // Before rekey's first rotation the secret is a baseline without a secret access key.
        if (error instanceof RekeyCredentialsError) return initialKey;
        throw error;
      }
    }
    const now = this.options.clock.now().getTime();
    if (!this.cached || now >= this.cached.until) {
      const held = this.cached?.keys ?? initialKey;
      this.cached = { keys: await this.readSecret(held), until: now + this.cacheSeconds * 1000 };
    }
    return this.cached.keys;
  }

  /** Reads with the reader's identity, or else with the key the application holds. */
  private async readSecret(held: Keys): Promise<Keys> {
    const { endpoint, region } = this.options;
    const client =
      this.secrets ??
      new SecretsManagerClient({ endpoint, region, credentials: held, ...this.as() });
    let out;
    try {
      out = await client.send(new GetSecretValueCommand({ SecretId: this.options.secretId }));
    } catch (error) {
      // Before rekey's first rotation of the user there is no secret yet: keep the configured key.
      if ((error as Error).name === 'ResourceNotFoundException') return this.options.initialKey;
      throw error;
    } finally {
      if (client !== this.secrets) client.destroy();
    }
    const value = JSON.parse(out.SecretString ?? '{}') as {
      AccessKeyId?: string;
      SecretAccessKey?: string;
    };
    if (!value.AccessKeyId || !value.SecretAccessKey) return this.options.initialKey;
    return { accessKeyId: value.AccessKeyId, secretAccessKey: value.SecretAccessKey };
  }
}
