import { inspect } from 'node:util';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { fromRekeySecret, RekeyCredentialsError, type RekeyLogger } from '../../credentials';

/** Keys as the user holds them over two rotations: K0 configured, K1 and K2 read from the secret. */
const K0 = { id: 'AKIAK0K0K0K0K0K0K0K0', secret: 'k0Secretk0Secretk0Secretk0Secretk0Secret' };
const K1 = { id: 'AKIAK1K1K1K1K1K1K1K1', secret: 'k1Secretk1Secretk1Secretk1Secretk1Secret' };
const K2 = { id: 'AKIAK2K2K2K2K2K2K2K2', secret: 'k2Secretk2Secretk2Secretk2Secretk2Secret' };
type Key = typeof K0;
const MINUTE = 60_000;
const T0 = new Date('2026-11-28T10:00:00.000Z');

const secretOf = (key: Key): string =>
  JSON.stringify({
    UserName: 'alice',
    AccessKeyId: key.id,
    SecretAccessKey: key.secret,
    CreateDate: '2026-11-28T10:00:00.000Z',
  });
const identity = (key: Key) => ({ accessKeyId: key.id, secretAccessKey: key.secret });
const rejected = (name: string): Error =>
  Object.assign(new Error('The security token included in the request is invalid.'), { name });

// Every SecretsManagerClient, including those the provider creates for itself.
const sm = mockClient(SecretsManagerClient);
let clock: Date;
/** The access key id that signed each read, in order. */
let signers: string[];
/** What the secret answers: its current value, or an error for reads signed with some key. */
let current: Key;
let refuse: Map<string, Error>;

beforeEach(() => {
  sm.reset();
  clock = T0;
  signers = [];
  current = K1;
  refuse = new Map();
  sm.on(GetSecretValueCommand).callsFake(async (_input, getClient) => {
    const { accessKeyId } = await getClient().config.credentials();
    signers.push(accessKeyId);
    const error = refuse.get(accessKeyId);
    if (error) throw error;
    return { SecretString: secretOf(current) };
  });
});

function provider(extra: { logger?: RekeyLogger; initial?: Key | null } = {}) {
  return fromRekeySecret({
    secretId: 'rekey/alice',
    refreshInterval: 10 * MINUTE,
    ...(extra.initial !== null && { initialCredentials: identity(extra.initial ?? K0) }),
    clientConfig: { region: 'eu-west-1' },
    now: () => clock,
    logger: extra.logger,
  });
}

describe('fromRekeySecret without a reader client', () => {
  it('signs the first read with the configured key, and each later read with the key it read last', async () => {
    const credentials = provider();

    const first = await credentials();
    clock = new Date(T0.getTime() + 10 * MINUTE);
    current = K2;
    const second = await credentials();
    clock = new Date(T0.getTime() + 20 * MINUTE);
    const third = await credentials();

    expect([first, second, third].map((c) => c.accessKeyId)).toEqual([K1.id, K2.id, K2.id]);
    expect(signers).toEqual([K0.id, K1.id, K2.id]);
    expect(second.secretAccessKey).toBe(K2.secret);
  });

  it('starts from the default credential chain (here the environment) when given no credentials', async () => {
    const saved = { ...process.env };
    process.env.AWS_ACCESS_KEY_ID = K0.id;
    process.env.AWS_SECRET_ACCESS_KEY = K0.secret;
    delete process.env.AWS_SESSION_TOKEN;
    delete process.env.AWS_PROFILE;
    try {
      const credentials = provider({ initial: null });

      await credentials();
      clock = new Date(T0.getTime() + 10 * MINUTE);
      await credentials();
    } finally {
      process.env = saved;
    }

    expect(signers).toEqual([K0.id, K1.id]);
  });

  it('reads once with the configured key when AWS rejects the key it holds', async () => {
    const warnings: string[] = [];
    const credentials = provider({
      logger: { debug: () => undefined, warn: (m) => warnings.push(m) },
    });
    await credentials();
    // The application slept through a cutover: K1 is deactivated, the configured key works.
    refuse.set(K1.id, rejected('UnrecognizedClientException'));
    current = K2;
    clock = new Date(T0.getTime() + 10 * MINUTE);

    const next = await credentials();

    expect(next.accessKeyId).toBe(K2.id);
    expect(signers).toEqual([K0.id, K1.id, K0.id]);
    expect(warnings).toEqual([
      `rekey: access key ${K1.id} was rejected reading secret "rekey/alice" (AWSCURRENT); reading it with the initial credentials`,
    ]);
  });

  it('fails with RekeyCredentialsError when the configured key is rejected too', async () => {
    const credentials = provider();
    await credentials();
    refuse.set(K1.id, rejected('UnrecognizedClientException'));
    refuse.set(K0.id, rejected('UnrecognizedClientException'));
    clock = new Date(T0.getTime() + 10 * MINUTE);

    const error: unknown = await credentials().catch((e: unknown) => e);

    expect(error).toBeInstanceOf(RekeyCredentialsError);
    expect(error).toMatchObject({
      message:
        'rekey: could not read secret "rekey/alice" (AWSCURRENT): UnrecognizedClientException',
    });
    expect(signers).toEqual([K0.id, K1.id, K0.id]);
  });

  it('does not fall back for an error another identity would not cure', async () => {
    const credentials = provider();
    await credentials();
    refuse.set(K1.id, rejected('AccessDeniedException'));
    clock = new Date(T0.getTime() + 10 * MINUTE);

    await expect(credentials()).rejects.toThrow(
      'rekey: could not read secret "rekey/alice" (AWSCURRENT): AccessDeniedException',
    );
    expect(signers).toEqual([K0.id, K1.id]);
  });

  it('after invalidate(), reads with the held key first and then the configured key', async () => {
    const credentials = provider();
    await credentials();
    refuse.set(K1.id, rejected('UnrecognizedClientException'));
    current = K2;

    credentials.invalidate(K1.id);
    const next = await credentials();

    expect(next.accessKeyId).toBe(K2.id);
    expect(signers).toEqual([K0.id, K1.id, K0.id]);
  });

  it('gives its clients the clientConfig (region) and no other credentials', async () => {
    const regions: string[] = [];
    sm.on(GetSecretValueCommand).callsFake(async (_input, getClient) => {
      regions.push(await getClient().config.region());
      return { SecretString: secretOf(K1) };
    });

    await provider()();

    expect(regions).toEqual(['eu-west-1']);
  });

  it('logs which key signed each read, and never a secret access key', async () => {
    const messages: string[] = [];
    const logger: RekeyLogger = {
      debug: (m) => messages.push(m),
      warn: (m) => messages.push(m),
    };
    const credentials = provider({ logger });
    await credentials();
    current = K2;
    clock = new Date(T0.getTime() + 10 * MINUTE);
    await credentials();
    refuse.set(K2.id, rejected('InvalidClientTokenId'));
    current = K0;
    clock = new Date(T0.getTime() + 20 * MINUTE);
    await credentials();

    expect(messages).toEqual([
      `rekey: using access key ${K1.id} from secret "rekey/alice" (AWSCURRENT) until 2026-11-28T10:10:00.000Z (read with the initial credentials)`,
      `rekey: using access key ${K2.id} from secret "rekey/alice" (AWSCURRENT) until 2026-11-28T10:20:00.000Z (read with access key ${K1.id})`,
      `rekey: access key ${K2.id} was rejected reading secret "rekey/alice" (AWSCURRENT); reading it with the initial credentials`,
      `rekey: using access key ${K0.id} from secret "rekey/alice" (AWSCURRENT) until 2026-11-28T10:30:00.000Z (read with the initial credentials)`,
    ]);
    expect(inspect(messages)).not.toMatch(new RegExp(`${K0.secret}|${K1.secret}|${K2.secret}`));
  });
});
