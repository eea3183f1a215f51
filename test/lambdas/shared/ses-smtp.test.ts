import { execFileSync } from 'node:child_process';
import { sesSmtpCredentials, sesSmtpPassword } from '../../../lambdas/shared/ses-smtp';

/**
 * The known vectors are computed here, independently, by Python's hmac, following AWS's
 * published algorithm step by step. python3 is required (this machine and CI have it): a
 * missing python3 fails the test rather than skipping it.
 */
const PYTHON = `
import base64, hashlib, hmac, json, sys

def sign(key, msg):
    return hmac.new(key, msg.encode('utf-8'), hashlib.sha256).digest()

out = []
for case in json.load(sys.stdin):
    signature = sign(('AWS4' + case['secret']).encode('utf-8'), '11111111')
    for part in (case['region'], 'ses', 'aws4_request', 'SendRawEmail'):
        signature = sign(signature, part)
    out.append(base64.b64encode(bytes([0x04]) + signature).decode('ascii'))
print(json.dumps(out))
`;

interface Case {
  readonly secret: string;
  readonly region: string;
}

/** Python's answers, one per case; the inputs go through stdin, not the command line. */
function pythonVectors(cases: readonly Case[]): string[] {
  const stdout = execFileSync('python3', ['-c', PYTHON], {
    input: JSON.stringify(cases),
    encoding: 'utf8',
  });
  return JSON.parse(stdout) as string[];
}

const SECRETS = [
  // AWS's documentation example key.
  'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  'je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY',
  'AbCdEfGhIjKlMnOpQrStUvWxYz0123456789+/ab',
];
const REGIONS = ['us-east-1', 'eu-west-1', 'ap-southeast-2', 'us-gov-west-1', 'sa-east-1'];
const CASES: Case[] = SECRETS.flatMap((secret) => REGIONS.map((region) => ({ secret, region })));

describe('sesSmtpPassword', () => {
  const expected = pythonVectors(CASES);

  it.each(CASES.map((c, i) => [c.region, i, c] as const))(
    'matches the vector Python computes independently (%s, case %#)',
    (_region, index, { secret, region }) => {
      expect(sesSmtpPassword(secret, region)).toBe(expected[index]);
    },
  );

  it('has the documented shape: base64 of the version byte 0x04 and a 32-byte HMAC-SHA256', () => {
    const raw = Buffer.from(sesSmtpPassword(SECRETS[0] ?? '', 'eu-west-1'), 'base64');

    expect(raw).toHaveLength(33);
    expect(raw[0]).toBe(0x04);
  });

  it('differs per region and per key, so a rotation changes every password', () => {
    const passwords = CASES.map((c) => sesSmtpPassword(c.secret, c.region));

    expect(new Set(passwords).size).toBe(CASES.length);
  });

  it('names the access key id as the SMTP user name', () => {
    const key = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: SECRETS[0] ?? '' };

    expect(sesSmtpCredentials(key, 'us-east-1')).toEqual({
      username: 'AKIAIOSFODNN7EXAMPLE',
      password: expected[0],
    });
  });

  it.each(['', 'EU-WEST-1', 'eu-west', 'eu west 1', 'eu-west-1 '])(
    'refuses the region %p',
    (region) => {
      expect(() => sesSmtpPassword(SECRETS[0] ?? '', region)).toThrow(
        /is not an AWS region code such as eu-west-1/,
      );
    },
  );

  it('refuses an empty secret access key', () => {
    expect(() => sesSmtpPassword('', 'eu-west-1')).toThrow(
      'sesSmtpPassword: the secret access key must be a non-empty string',
    );
  });
});
