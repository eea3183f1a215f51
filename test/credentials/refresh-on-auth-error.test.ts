import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import {
  fromRekeySecret,
  isAuthError,
  rekeyRefreshOnAuthError,
  type RekeyCredentialProvider,
} from '../../credentials';

const OLD = { id: 'AKIAOLDOLDOLDOLDOLD1', secret: 'oldSecretoldSecretoldSecretoldSecret0001' };
const NEW = { id: 'AKIANEWNEWNEWNEWNEW2', secret: 'newSecretnewSecretnewSecretnewSecret0002' };
const ARN = 'arn:aws:iam::123456789012:user/alice';

function secretOf(key: { id: string; secret: string }): string {
  return JSON.stringify({
    UserName: 'alice',
    AccessKeyId: key.id,
    SecretAccessKey: key.secret,
    CreateDate: '2026-11-28T10:00:00.000Z',
  });
}

describe('isAuthError', () => {
  it.each([
    'InvalidClientTokenId',
    'UnrecognizedClientException',
    'InvalidAccessKeyId',
    'SignatureDoesNotMatch',
    'InvalidSignatureException',
  ])('recognizes %s by name and by Code', (code) => {
    expect(isAuthError(Object.assign(new Error('x'), { name: code }))).toBe(true);
    expect(isAuthError({ name: 'SomethingModeled', Code: code })).toBe(true);
  });

  it.each([
    ['AccessDenied', { name: 'AccessDenied' }],
    ['a throttling error', { name: 'ThrottlingException', Code: 'Throttling' }],
    ['a string', 'InvalidClientTokenId'],
    ['null', null],
  ])('does not treat %s as an authentication failure', (_, error) => {
    expect(isAuthError(error)).toBe(false);
  });
});

/**
 * A loopback STS that accepts only the access keys in `active`, as AWS does once rekey has
 * deactivated the old key, and records which key signed each request.
 */
function stubSts(active: Set<string>): { server: Server; signedWith: string[] } {
  const signedWith: string[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    req.on('end', () => {
      const match = /Credential=([^/]+)\//.exec(req.headers.authorization ?? '');
      const keyId = match?.[1] ?? '';
      signedWith.push(keyId);
      res.setHeader('Content-Type', 'text/xml');
      res.setHeader('x-amzn-RequestId', 'x');
      if (!active.has(keyId)) {
        res.statusCode = 403;
        res.end(
          '<ErrorResponse><Error><Type>Sender</Type><Code>InvalidClientTokenId</Code>' +
            '<Message>The security token included in the request is invalid</Message></Error>' +
            '<RequestId>x</RequestId></ErrorResponse>',
        );
        return;
      }
      res.end(
        '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">' +
          `<GetCallerIdentityResult><Arn>${ARN}</Arn><UserId>AIDAR4TCS335ASKWA4QBP</UserId>` +
          '<Account>123456789012</Account></GetCallerIdentityResult>' +
          '<ResponseMetadata><RequestId>x</RequestId></ResponseMetadata></GetCallerIdentityResponse>',
      );
    });
  });
  return { server, signedWith };
}

describe('rekeyRefreshOnAuthError with a real STS client', () => {
  const secretsClient = new SecretsManagerClient({ region: 'us-east-1' });
  const sm = mockClient(secretsClient);
  const active = new Set<string>();
  const { server, signedWith } = stubSts(active);
  let endpoint = '';
  let clients: STSClient[] = [];
  const logged: string[] = [];

  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });
  beforeEach(() => {
    sm.reset();
    signedWith.length = 0;
    logged.length = 0;
    active.clear();
    active.add(OLD.id);
    sm.on(GetSecretValueCommand).resolves({ SecretString: secretOf(OLD) });
  });
  afterEach(() => {
    clients.forEach((client) => client.destroy());
    clients = [];
  });

  /** An STS client on the stub, with credentials from the secret (real clock, 1 h refresh). */
  function sts(): { client: STSClient; credentials: RekeyCredentialProvider } {
    const credentials = fromRekeySecret({
      secretId: 'rekey/alice',
      refreshInterval: 3_600_000,
      client: secretsClient,
      logger: { debug: (m) => logged.push(m), warn: (m) => logged.push(m) },
    });
    const client = new STSClient({ region: 'us-east-1', endpoint, credentials });
    clients.push(client);
    return { client, credentials };
  }

  /** What rekey does: promote the new key in the secret, then deactivate the old key. */
  function rotate(): void {
    sm.on(GetSecretValueCommand).resolves({ SecretString: secretOf(NEW) });
    active.add(NEW.id);
    active.delete(OLD.id);
  }

  it('fails once with the deactivated key, then signs the next request with the new key', async () => {
    const { client, credentials } = sts();
    const invalidate = jest.spyOn(credentials, 'invalidate');
    client.middlewareStack.use(rekeyRefreshOnAuthError(credentials));
    await expect(client.send(new GetCallerIdentityCommand({}))).resolves.toMatchObject({
      Arn: ARN,
    });
    rotate();

    const failure: unknown = await client
      .send(new GetCallerIdentityCommand({}))
      .catch((e: unknown) => e);
    const next = await client.send(new GetCallerIdentityCommand({}));
    const after = await client.send(new GetCallerIdentityCommand({}));

    expect(failure).toMatchObject({ name: 'InvalidClientTokenId' });
    expect(next.Arn).toBe(ARN);
    expect(after.Arn).toBe(ARN);
    expect(signedWith).toEqual([OLD.id, OLD.id, NEW.id, NEW.id]);
    // The plugin names the key that signed the failed request, so a stale failure is ignored.
    expect(invalidate.mock.calls).toEqual([[OLD.id]]);
    // One read at start, exactly one more after the authentication error.
    expect(sm).toHaveReceivedCommandTimes(GetSecretValueCommand, 2);
    expect(logged).toHaveLength(3);
    expect(logged[1]).toBe(
      `rekey: access key ${OLD.id} was rejected; the next request reads secret "rekey/alice" (AWSCURRENT) again`,
    );
    expect(logged.join('\n')).not.toMatch(new RegExp(`${OLD.secret}|${NEW.secret}`));
  });

  it('without the plugin, the client keeps the rejected key until its expiration', async () => {
    const { client } = sts();
    await client.send(new GetCallerIdentityCommand({}));
    rotate();

    const first: unknown = await client
      .send(new GetCallerIdentityCommand({}))
      .catch((e: unknown) => e);
    const second: unknown = await client
      .send(new GetCallerIdentityCommand({}))
      .catch((e: unknown) => e);

    expect([first, second]).toMatchObject([
      { name: 'InvalidClientTokenId' },
      { name: 'InvalidClientTokenId' },
    ]);
    expect(signedWith).toEqual([OLD.id, OLD.id, OLD.id]);
    expect(sm).toHaveReceivedCommandTimes(GetSecretValueCommand, 1);
  });

  it('reads the secret once when several in-flight requests fail with the old key', async () => {
    const { client, credentials } = sts();
    client.middlewareStack.use(rekeyRefreshOnAuthError(credentials));
    await client.send(new GetCallerIdentityCommand({}));
    rotate();

    const failures = await Promise.all(
      [1, 2, 3].map(() => client.send(new GetCallerIdentityCommand({})).catch((e: unknown) => e)),
    );
    const next = await client.send(new GetCallerIdentityCommand({}));

    expect(failures).toMatchObject([
      { name: 'InvalidClientTokenId' },
      { name: 'InvalidClientTokenId' },
      { name: 'InvalidClientTokenId' },
    ]);
    expect(next.Arn).toBe(ARN);
    expect(signedWith.slice(-1)).toEqual([NEW.id]);
    expect(sm).toHaveReceivedCommandTimes(GetSecretValueCommand, 2);
  });

  it('a late failure signed with the old key does not discard the refreshed key', async () => {
    const { client, credentials } = sts();
    client.middlewareStack.use(rekeyRefreshOnAuthError(credentials));
    await client.send(new GetCallerIdentityCommand({}));
    rotate();
    await client.send(new GetCallerIdentityCommand({})).catch(() => undefined);
    await client.send(new GetCallerIdentityCommand({}));

    credentials.invalidate(OLD.id);
    await client.send(new GetCallerIdentityCommand({}));

    expect(signedWith).toEqual([OLD.id, OLD.id, NEW.id, NEW.id]);
    expect(sm).toHaveReceivedCommandTimes(GetSecretValueCommand, 2);
  });

  it('leaves other errors alone', async () => {
    const { client, credentials } = sts();
    client.middlewareStack.use(rekeyRefreshOnAuthError(credentials));
    client.middlewareStack.add(
      () => () => Promise.reject(Object.assign(new Error('denied'), { name: 'AccessDenied' })),
      { step: 'finalizeRequest', name: 'failWithAccessDenied' },
    );

    await expect(client.send(new GetCallerIdentityCommand({}))).rejects.toThrow('denied');
    await expect(client.send(new GetCallerIdentityCommand({}))).rejects.toThrow('denied');

    expect(sm).toHaveReceivedCommandTimes(GetSecretValueCommand, 1);
  });
});
