/**
 * Who may read a user's secret, as AWS would enforce it: the user itself (the secret's resource
 * policy names it, the key policy lets users decrypt only their own secret), the roles its
 * `rekey:readers` tag names, and nobody else. Each refusal is checked at Secrets Manager and,
 * where Secrets Manager would let the caller through, at KMS.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { execFileSync } from 'node:child_process';
import { Sandbox } from '../../sandbox/sandbox';
import { advanceUntil, MINUTE, seedUser, type SeededUser } from './helpers';

let sb: Sandbox;

beforeAll(async () => {
  sb = await Sandbox.start({ clockMode: 'manual' });
}, 60_000);

afterAll(async () => {
  await sb?.stop();
});

async function rotated(userName: string, tags: { Key: string; Value: string }[] = []) {
  const user = seedUser(sb, userName, { tags });
  const arn = await sb.startRotation({ userName });
  await advanceUntil(sb, () => sb.execution(arn).status !== 'RUNNING', { stepMs: 15 * MINUTE });
  expect(sb.execution(arn).status).toBe('SUCCEEDED');
  return { user, execution: sb.execution(arn) };
}

/** The user's current key, as an application configured with it holds it. */
function currentKeyOf(userName: string) {
  const key = sb.emulator.state.accessKeys.find((k) => k.userName === userName && !k.deletedAt);
  if (!key) throw new Error(`${userName} has no key`);
  return { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey };
}

async function read(
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string },
  secretId: string,
): Promise<{ ok: true; keyId: string } | { ok: false; code: string; message: string }> {
  const sm = new SecretsManagerClient({ ...sb.clientConfig(credentials), maxAttempts: 1 });
  try {
    const out = await sm.send(new GetSecretValueCommand({ SecretId: secretId }));
    return {
      ok: true,
      keyId: (JSON.parse(out.SecretString ?? '{}') as { AccessKeyId: string }).AccessKeyId,
    };
  } catch (error) {
    const e = error as Error;
    return { ok: false, code: e.name, message: e.message };
  } finally {
    sm.destroy();
  }
}

const roleArn = (name: string): string => `arn:aws:iam::${sb.emulator.accountId}:role/${name}`;
/** A role that may decrypt through Secrets Manager (its own IAM policy), but holds no secret grant. */
const decryptOnlyPolicy = (): string =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: 'kms:Decrypt',
        Resource: sb.stack.outputs.find((o) => o.OutputKey === 'EncryptionKeyArn')?.OutputValue,
        Condition: {
          StringEquals: { 'kms:ViaService': `secretsmanager.${sb.region}.amazonaws.com` },
        },
      },
    ],
  });

let alice: SeededUser;

beforeAll(async () => {
  ({ user: alice } = await rotated('ca-alice', [
    { Key: 'rekey:readers', Value: `${roleArn('ca-billing')} ${roleArn('ca-reports')}` },
  ]));
  await rotated('ca-bob');
}, 120_000);

describe("a user's own key", () => {
  it('reads its own secret, through Secrets Manager and KMS, with nothing but that key', async () => {
    const result = await read(currentKeyOf('ca-alice'), 'rekey/ca-alice');

    expect(result).toEqual({ ok: true, keyId: currentKeyOf('ca-alice').accessKeyId });
    expect(alice.oldKey.accessKeyId).not.toBe(currentKeyOf('ca-alice').accessKeyId);
  });

  it("is refused another user's secret by Secrets Manager", async () => {
    const result = await read(currentKeyOf('ca-bob'), 'rekey/ca-alice');

    expect(result).toMatchObject({ ok: false, code: 'AccessDeniedException' });
  });

  it("is refused another user's secret by KMS, even when an IAM policy lets it through Secrets Manager", async () => {
    sb.emulator.seed.userPolicy(
      'ca-bob',
      'reads-alice',
      JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: '*' }],
      }),
    );

    const result = await read(currentKeyOf('ca-bob'), 'rekey/ca-alice');

    expect(result).toMatchObject({ ok: false, code: 'AccessDeniedException' });
    expect(result.ok ? '' : result.message).toContain('Access to KMS is not allowed');
  });
});

describe('roles named in rekey:readers', () => {
  it('lets a role in the tag read, with kms:Decrypt through Secrets Manager in its own policy', async () => {
    const billing = sb.emulator.createSystemCredentials('ca-billing', decryptOnlyPolicy());

    const result = await read(billing, 'rekey/ca-alice');

    expect(result).toEqual({ ok: true, keyId: currentKeyOf('ca-alice').accessKeyId });
  });

  it('refuses a role the tag does not name, whatever its KMS permission', async () => {
    const other = sb.emulator.createSystemCredentials('ca-intruder', decryptOnlyPolicy());

    const result = await read(other, 'rekey/ca-alice');

    expect(result).toMatchObject({ ok: false, code: 'AccessDeniedException' });
  });

  it('refuses a role in the tag without kms:Decrypt: KMS is the second gate', async () => {
    const reports = sb.emulator.createSystemCredentials(
      'ca-reports',
      JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 'sts:GetCallerIdentity', Resource: '*' }],
      }),
    );

    const result = await read(reports, 'rekey/ca-alice');

    expect(result).toMatchObject({ ok: false, code: 'AccessDeniedException' });
    expect(result.ok ? '' : result.message).toContain('Access to KMS is not allowed');
  });

  it('applies none of a tag that names a role of another account, says why, and still lets the user read', async () => {
    const { execution } = await rotated('ca-carol', [
      {
        Key: 'rekey:readers',
        Value: `${roleArn('ca-carol-app')} arn:aws:iam::999999999999:role/x`,
      },
    ]);
    const app = sb.emulator.createSystemCredentials('ca-carol-app', decryptOnlyPolicy());

    const started = sb.emulator.events.find(
      (e) => e.Detail.userName === 'ca-carol' && e.DetailType === 'Rotation Started',
    );
    expect(started?.Detail.warnings).toEqual([
      expect.stringMatching(
        /^tag rekey:readers ignored: "arn:aws:iam::999999999999:role\/x" is not a role ARN of account/,
      ),
    ]);
    expect(JSON.parse(execution.output ?? '{}')).not.toHaveProperty('readers');
    expect(await read(app, 'rekey/ca-carol')).toMatchObject({
      ok: false,
      code: 'AccessDeniedException',
    });
    expect(await read(currentKeyOf('ca-carol'), 'rekey/ca-carol')).toMatchObject({ ok: true });
  });
});

describe('SES SMTP credentials in the secret', () => {
  /** AWS's documented derivation, computed independently with Python's hmac. */
  const python = (secret: string, region: string): string =>
    execFileSync(
      'python3',
      [
        '-c',
        [
          'import base64, hmac, hashlib, sys',
          'def s(k, m): return hmac.new(k, m.encode(), hashlib.sha256).digest()',
          'k = s(("AWS4" + sys.argv[1]).encode(), "11111111")',
          'for m in (sys.argv[2], "ses", "aws4_request", "SendRawEmail"): k = s(k, m)',
          'print(base64.b64encode(bytes([4]) + k).decode())',
        ].join('\n'),
        secret,
        region,
      ],
      { encoding: 'utf8' },
    ).trim();

  it('carries SmtpUsername and a password per tagged region that match the documented algorithm, and change with each rotation', async () => {
    const tags = [{ Key: 'rekey:ses-smtp-regions', Value: 'eu-west-1 us-east-1' }];
    await rotated('ca-mail', tags);
    const first = currentKeyOf('ca-mail');
    const value = (): { SmtpUsername?: string; SmtpPasswords?: Record<string, string> } => {
      const secret = sb.emulator.state.secrets.find((s) => s.name === 'rekey/ca-mail');
      const current = secret?.versions.find((v) => v.stages.includes('AWSCURRENT'));
      return JSON.parse(current?.value ?? '{}') as never;
    };
    const firstValue = value();

    const arn = await sb.startRotation({ userName: 'ca-mail' });
    await advanceUntil(sb, () => sb.execution(arn).status !== 'RUNNING', { stepMs: 15 * MINUTE });
    const second = currentKeyOf('ca-mail');

    expect(firstValue).toEqual({
      ...firstValue,
      SmtpUsername: first.accessKeyId,
      SmtpPasswords: {
        'eu-west-1': python(first.secretAccessKey, 'eu-west-1'),
        'us-east-1': python(first.secretAccessKey, 'us-east-1'),
      },
    });
    expect(value().SmtpUsername).toBe(second.accessKeyId);
    expect(value().SmtpPasswords?.['eu-west-1']).toBe(python(second.secretAccessKey, 'eu-west-1'));
    expect(value().SmtpPasswords?.['eu-west-1']).not.toBe(firstValue.SmtpPasswords?.['eu-west-1']);
  });

  it('never puts an SMTP password anywhere but the secret (I4)', () => {
    const passwords = sb.emulator.state.secrets
      .flatMap((s) => s.versions)
      .flatMap((v) =>
        Object.values(
          (JSON.parse(v.value) as { SmtpPasswords?: Record<string, string> }).SmtpPasswords ?? {},
        ),
      );
    const outside = JSON.stringify([
      sb.emulator.state.executions.map((e) => [e.events, e.output, e.cause]),
      sb.runner.logs,
      sb.emulator.events,
      sb.emulator.notifications,
    ]);
    expect(passwords.length).toBeGreaterThan(0);
    for (const p of passwords) expect(outside).not.toContain(p);
  });
});
