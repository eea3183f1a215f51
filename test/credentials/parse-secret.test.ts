import { inspect } from 'node:util';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { fromRekeySecret, RekeyCredentialsError } from '../../credentials';

const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const client = new SecretsManagerClient({ region: 'us-east-1' });
const sm = mockClient(client);
const WHERE = 'rekey: secret "rekey/alice" (AWSCURRENT)';

beforeEach(() => sm.reset());

/** Resolves the provider over a secret holding `secretString` and returns the error. */
async function errorFor(secretString: string): Promise<RekeyCredentialsError> {
  sm.on(GetSecretValueCommand).resolves({ SecretString: secretString });
  const credentials = fromRekeySecret({ secretId: 'rekey/alice', refreshInterval: 60_000, client });
  const error: unknown = await credentials().then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof RekeyCredentialsError)) throw new Error('expected RekeyCredentialsError');
  return error;
}

describe('rekey secret validation', () => {
  it.each([
    ['not JSON, a bare secret', SECRET, `${WHERE} is not valid JSON`],
    [
      'truncated JSON',
      `{"AccessKeyId":"AKIA1","SecretAccessKey":"${SECRET}`,
      `${WHERE} is not valid JSON`,
    ],
    ['a JSON string', JSON.stringify(SECRET), `${WHERE} is not a JSON object (got string)`],
    ['a JSON array', JSON.stringify([SECRET]), `${WHERE} is not a JSON object (got array)`],
    ['JSON null', 'null', `${WHERE} is not a JSON object (got null)`],
    [
      'no AccessKeyId',
      JSON.stringify({ UserName: 'alice', SecretAccessKey: SECRET }),
      `${WHERE} has no AccessKeyId`,
    ],
    [
      'a numeric AccessKeyId',
      JSON.stringify({ AccessKeyId: 12345, SecretAccessKey: SECRET }),
      `${WHERE} has an AccessKeyId that is not a non-empty string (got number)`,
    ],
    [
      'an empty AccessKeyId',
      JSON.stringify({ AccessKeyId: '', SecretAccessKey: SECRET }),
      `${WHERE} has an AccessKeyId that is not a non-empty string (got empty string)`,
    ],
    [
      'a numeric SecretAccessKey',
      JSON.stringify({ AccessKeyId: 'AKIA1', SecretAccessKey: 98765 }),
      `${WHERE} has a SecretAccessKey that is not a non-empty string (got number)`,
    ],
    [
      'an object as SecretAccessKey',
      JSON.stringify({ AccessKeyId: 'AKIA1', SecretAccessKey: { value: SECRET } }),
      `${WHERE} has a SecretAccessKey that is not a non-empty string (got object)`,
    ],
  ])('refuses %s with a clear error that does not contain the value', async (_, text, message) => {
    const error = await errorFor(text);

    expect(error.message).toBe(message);
    expect(error.secretId).toBe('rekey/alice');
    expect(error.cause).toBeUndefined();
    // JSON.parse quotes the first characters of bad input: a prefix is enough to leak.
    for (const leaked of [SECRET.slice(0, 8), '98765']) {
      expect(inspect(error)).not.toContain(leaked);
    }
  });

  it('explains that a baseline secret has no key yet because no rotation has completed', async () => {
    const baseline = JSON.stringify({
      UserName: 'alice',
      AccessKeyId: 'AKIAIOSFODNN7EXAMPLE',
      CreateDate: '2026-11-28T10:00:00.000Z',
    });

    const error = await errorFor(baseline);

    expect(error.message).toBe(
      `${WHERE} has no SecretAccessKey: it is the baseline for access key AKIAIOSFODNN7EXAMPLE, ` +
        'because rekey has not completed a rotation for this user yet. Run or wait for the ' +
        'first rotation, or keep the credentials the application already has until then.',
    );
  });
});
