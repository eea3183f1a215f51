import { inspect } from 'node:util';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { fromRekeySecret, RekeyCredentialsError, type RekeyLogger } from '../../credentials';

const OLD = { id: 'AKIAOLDOLDOLDOLDOLD1', secret: 'oldSecretoldSecretoldSecretoldSecret0001' };
const NEW = { id: 'AKIANEWNEWNEWNEWNEW2', secret: 'newSecretnewSecretnewSecretnewSecret0002' };
const T0 = new Date('2026-11-28T10:00:00.000Z');
const MINUTE = 60_000;

function secretOf(key: { id: string; secret: string }): string {
  return JSON.stringify({
    UserName: 'alice',
    AccessKeyId: key.id,
    SecretAccessKey: key.secret,
    CreateDate: '2026-11-28T10:00:00.000Z',
  });
}

const client = new SecretsManagerClient({ region: 'us-east-1' });
const sm = mockClient(client);
let clock: Date;
const now = (): Date => clock;

beforeEach(() => {
  sm.reset();
  clock = T0;
});

function provider(extra: { logger?: RekeyLogger } = {}) {
  return fromRekeySecret({
    secretId: 'rekey/alice',
    refreshInterval: 10 * MINUTE,
    client,
    now,
    ...extra,
  });
}

describe('fromRekeySecret', () => {
  it('reads AWSCURRENT and returns the key with expiration now + refreshInterval', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: secretOf(OLD) });

    const identity = await provider()();

    expect(identity).toEqual({
      accessKeyId: OLD.id,
      secretAccessKey: OLD.secret,
      expiration: new Date('2026-11-28T10:10:00.000Z'),
    });
    expect(sm).toHaveReceivedCommandTimes(GetSecretValueCommand, 1);
    expect(sm).toHaveReceivedCommandWith(GetSecretValueCommand, {
      SecretId: 'rekey/alice',
      VersionStage: 'AWSCURRENT',
    });
  });

  it('reads the requested staging label', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: secretOf(NEW) });

    await fromRekeySecret({
      secretId: 'rekey/alice',
      refreshInterval: MINUTE,
      versionStage: 'AWSPENDING',
      client,
      now,
    })();

    expect(sm).toHaveReceivedCommandWith(GetSecretValueCommand, { VersionStage: 'AWSPENDING' });
  });

  it('does not read the secret again before the expiration', async () => {
    sm.on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: secretOf(OLD) })
      .resolves({ SecretString: secretOf(NEW) });
    const credentials = provider();
    await credentials();

    clock = new Date(T0.getTime() + 10 * MINUTE - 1);
    const second = await credentials();

    expect(second.accessKeyId).toBe(OLD.id);
    expect(sm).toHaveReceivedCommandTimes(GetSecretValueCommand, 1);
  });

  it('reads the secret again at the expiration and returns the new key', async () => {
    sm.on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: secretOf(OLD) })
      .resolves({ SecretString: secretOf(NEW) });
    const credentials = provider();
    await credentials();

    clock = new Date(T0.getTime() + 10 * MINUTE);
    const second = await credentials();

    expect(second).toEqual({
      accessKeyId: NEW.id,
      secretAccessKey: NEW.secret,
      expiration: new Date('2026-11-28T10:20:00.000Z'),
    });
    expect(sm).toHaveReceivedCommandTimes(GetSecretValueCommand, 2);
  });

  it('shares one read between concurrent calls', async () => {
    let release: (value: { SecretString: string }) => void = () => undefined;
    sm.on(GetSecretValueCommand).callsFake(
      () =>
        new Promise((resolve) => {
          release = resolve;
        }),
    );
    const credentials = provider();

    const pending = Promise.all([credentials(), credentials(), credentials()]);
    await new Promise((resolve) => setImmediate(resolve));
    release({ SecretString: secretOf(OLD) });
    const results = await pending;

    expect(results.map((identity) => identity.accessKeyId)).toEqual([OLD.id, OLD.id, OLD.id]);
    expect(sm).toHaveReceivedCommandTimes(GetSecretValueCommand, 1);
  });

  it('reads again after invalidate(), and ignores invalidate() for a key it no longer holds', async () => {
    sm.on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: secretOf(OLD) })
      .resolves({ SecretString: secretOf(NEW) });
    const credentials = provider();
    const first = await credentials();

    credentials.invalidate(OLD.id);
    // The SDK memoizes this very object; it must now look expired to the SDK too.
    expect(first.expiration).toEqual(new Date(0));
    const second = await credentials();
    credentials.invalidate(OLD.id);
    const third = await credentials();

    expect([second.accessKeyId, third.accessKeyId]).toEqual([NEW.id, NEW.id]);
    expect(sm).toHaveReceivedCommandTimes(GetSecretValueCommand, 2);
  });

  it('wraps a read error with the original as cause, and tries again on the next call', async () => {
    const denied = Object.assign(new Error('User is not authorized'), {
      name: 'AccessDeniedException',
    });
    sm.on(GetSecretValueCommand)
      .rejectsOnce(denied)
      .resolves({ SecretString: secretOf(OLD) });
    const credentials = provider();

    const error: unknown = await credentials().catch((e: unknown) => e);

    expect(error).toBeInstanceOf(RekeyCredentialsError);
    expect(error).toMatchObject({
      name: 'RekeyCredentialsError',
      message: 'rekey: could not read secret "rekey/alice" (AWSCURRENT): AccessDeniedException',
      secretId: 'rekey/alice',
      cause: denied,
    });
    await expect(credentials()).resolves.toMatchObject({ accessKeyId: OLD.id });
  });

  it('refuses a secret without SecretString', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretBinary: new Uint8Array([1, 2, 3]) });

    await expect(provider()()).rejects.toThrow(
      'rekey: secret "rekey/alice" (AWSCURRENT) has no SecretString (binary secrets are not supported)',
    );
  });

  it.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY, '60000' as unknown as number])(
    'refuses refreshInterval %p',
    (refreshInterval) => {
      expect(() => fromRekeySecret({ secretId: 'rekey/alice', refreshInterval, client })).toThrow(
        `fromRekeySecret: refreshInterval must be a positive, finite number of milliseconds (e.g. 300_000 for 5 minutes); got ${String(refreshInterval)}`,
      );
    },
  );

  it('refuses an empty secretId', () => {
    expect(() => fromRekeySecret({ secretId: '', refreshInterval: MINUTE, client })).toThrow(
      'fromRekeySecret: secretId must be a non-empty string',
    );
  });

  it('never passes the secret access key to the logger', async () => {
    const messages: string[] = [];
    const logger: RekeyLogger = {
      debug: (message) => messages.push(`debug ${message}`),
      warn: (message) => messages.push(`warn ${message}`),
    };
    sm.on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: secretOf(OLD) })
      .resolvesOnce({ SecretString: secretOf(NEW) })
      .resolves({ SecretString: '{"AccessKeyId":"AKIAX","SecretAccessKey":42}' });
    const credentials = provider({ logger });

    await credentials();
    credentials.invalidate();
    await credentials();
    credentials.invalidate();
    const error: unknown = await credentials().catch((e: unknown) => e);

    expect(messages).toEqual([
      `debug rekey: using access key ${OLD.id} from secret "rekey/alice" (AWSCURRENT) until 2026-11-28T10:10:00.000Z`,
      `warn rekey: access key ${OLD.id} was rejected; the next request reads secret "rekey/alice" (AWSCURRENT) again`,
      `debug rekey: using access key ${NEW.id} from secret "rekey/alice" (AWSCURRENT) until 2026-11-28T10:10:00.000Z`,
      `warn rekey: access key ${NEW.id} was rejected; the next request reads secret "rekey/alice" (AWSCURRENT) again`,
    ]);
    const everything = messages.join('\n') + inspect(error);
    for (const secret of [OLD.secret, NEW.secret, '42']) {
      expect(everything).not.toContain(secret);
    }
  });
});
