/**
 * Who may read a user's secret, as AWS would enforce it: the user itself (the secret's resource
 * policy names it, the key policy lets users decrypt only their own secret), the roles its
 * `rekey:readers` tag names, and nobody else. Each refusal is checked at Secrets Manager and,
 * where Secrets Manager would let the caller through, at KMS.
 */
import {
  CreateRoleCommand,
  DeleteRoleCommand,
  IAMClient,
  TagUserCommand,
  UntagUserCommand,
} from '@aws-sdk/client-iam';
import {
  GetResourcePolicyCommand,
  GetSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { execFileSync } from 'node:child_process';
import type { InvariantMonitor } from '../../sandbox/invariants';
import { Sandbox } from '../../sandbox/sandbox';
import {
  advanceUntil,
  liveKeys,
  MINUTE,
  seedUser,
  staged,
  statesEntered,
  watch,
  type SeededUser,
} from './helpers';

let sb: Sandbox;

beforeAll(async () => {
  sb = await Sandbox.start({ clockMode: 'manual' });
}, 60_000);

afterAll(async () => {
  await sb?.stop();
});

/** Runs one rotation of an existing user to its end. */
async function rotation(userName: string) {
  const arn = await sb.startRotation({ userName });
  await advanceUntil(sb, () => sb.execution(arn).status !== 'RUNNING', { stepMs: 15 * MINUTE });
  return sb.execution(arn);
}

async function rotated(userName: string, tags: { Key: string; Value: string }[] = []) {
  const user = seedUser(sb, userName, { tags });
  const execution = await rotation(userName);
  expect(execution.status).toBe('SUCCEEDED');
  return { user, execution };
}

/** IAM as an operator uses it (the sandbox administrator). */
async function asAdmin<T>(work: (iam: IAMClient) => Promise<T>): Promise<T> {
  const iam = new IAMClient(sb.clientConfig());
  try {
    return await work(iam);
  } finally {
    iam.destroy();
  }
}

const createRole = (name: string) =>
  asAdmin((iam) =>
    iam.send(
      new CreateRoleCommand({
        RoleName: name,
        AssumeRolePolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { AWS: `arn:aws:iam::${sb.emulator.accountId}:root` },
              Action: 'sts:AssumeRole',
            },
          ],
        }),
      }),
    ),
  );

/** The principals the secret's resource policy names, as Secrets Manager returns it. */
async function principalsOf(userName: string): Promise<unknown[]> {
  const sm = new SecretsManagerClient(sb.clientConfig());
  try {
    const out = await sm.send(new GetResourcePolicyCommand({ SecretId: `rekey/${userName}` }));
    const policy = JSON.parse(out.ResourcePolicy ?? '{"Statement": []}') as {
      Statement: { Principal: { AWS: unknown } }[];
    };
    return policy.Statement.map((s) => s.Principal.AWS);
  } finally {
    sm.destroy();
  }
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
  // Secrets Manager refuses a resource policy naming a role that does not exist.
  await createRole('ca-billing');
  await createRole('ca-reports');
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
    await createRole('ca-carol-app');
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
        /^tag rekey:readers ignored: "arn:aws:iam::999999999999:role\/x" is a role of account 999999999999, not of 123456789012;/,
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

describe('rekey:readers entries IAM would refuse', () => {
  it.each([
    [
      'a role ARN that ends with a slash',
      'arn:aws:iam::123456789012:role/ops/',
      'names no role (it ends with "/")',
    ],
    [
      'another partition',
      'arn:aws-cn:iam::123456789012:role/x',
      'is in partition "aws-cn", not aws',
    ],
    [
      'no partition at all',
      'arn:awsfoo:iam::123456789012:role/x',
      'is in partition "awsfoo", not aws',
    ],
  ])(
    'ignores a tag with %s, says so, and the secret names only the user',
    async (label, arn, why) => {
      const userName = `ca-bad-${label.replace(/\W+/g, '-')}`.slice(0, 60);
      const { execution } = await rotated(userName, [{ Key: 'rekey:readers', Value: arn }]);

      const started = sb.emulator.events.find(
        (e) => e.Detail.userName === userName && e.DetailType === 'Rotation Started',
      );
      expect(started?.Detail.warnings).toEqual([
        `tag rekey:readers ignored: "${arn}" ${why}; each entry must be a role ARN of account 123456789012 (arn:aws:iam::123456789012:role/NAME or role/PATH/NAME, separated by spaces); only the user itself may read its secret until it is fixed`,
      ]);
      expect(JSON.parse(execution.output ?? '{}')).not.toHaveProperty('readers');
      expect(await principalsOf(userName)).toEqual([
        `arn:aws:iam::${sb.emulator.accountId}:user/${userName}`,
      ]);
    },
  );
});

describe('a reader role that does not exist', () => {
  let monitor: InvariantMonitor | undefined;
  afterEach(() => {
    monitor?.stop();
    monitor = undefined;
  });

  it('fails the rotation in StageKey before any key is created, names the role and how to fix the tag; fixed, the next rotation passes', async () => {
    const missing = roleArn('ca-never-created');
    const user = seedUser(sb, 'ca-dora', { tags: [{ Key: 'rekey:readers', Value: missing }] });
    monitor = watch(sb, ['ca-dora']);

    const failed = await rotation('ca-dora');

    expect(failed).toMatchObject({ status: 'FAILED', error: 'ReadersRefusedError' });
    expect(statesEntered(failed)).not.toContain('VerifyKey');
    expect(failed.cause).toContain(
      `Secrets Manager refused the resource policy of rekey/ca-dora (MalformedPolicyDocumentException: This resource policy contains an unsupported principal.): the role ${missing}, which the tag rekey:readers of ca-dora names, does not exist.`,
    );
    expect(failed.cause).toContain(
      'aws iam untag-user --user-name ca-dora --tag-keys rekey:readers',
    );
    expect(failed.cause).toContain(
      `Nothing was changed: the old key ${user.oldKey.accessKeyId} is active and current.`,
    );
    expect(liveKeys(sb, 'ca-dora').map((k) => [k.accessKeyId, k.status])).toEqual([
      [user.oldKey.accessKeyId, 'Active'],
    ]);
    expect(sb.emulator.state.accessKeys.filter((k) => k.userName === 'ca-dora')).toHaveLength(1);

    await createRole('ca-never-created');
    const again = await rotation('ca-dora');

    expect(again.status).toBe('SUCCEEDED');
    expect(await principalsOf('ca-dora')).toEqual([
      `arn:aws:iam::${sb.emulator.accountId}:user/ca-dora`,
      [missing],
    ]);
    monitor.checkNoOrphans([]);
    expect(monitor.violations).toEqual([]);
  });

  it('fails the next rotation once a reader role was deleted, keeps the policy and the keys as they were, and passes once the tag is removed', async () => {
    await createRole('ca-retired');
    await createRole('ca-kept');
    const readers = `${roleArn('ca-kept')} ${roleArn('ca-retired')}`;
    await rotated('ca-erin', [{ Key: 'rekey:readers', Value: readers }]);
    const current = staged(sb, 'ca-erin', 'AWSCURRENT')?.value.AccessKeyId;
    monitor = watch(sb, ['ca-erin']);
    await asAdmin((iam) => iam.send(new DeleteRoleCommand({ RoleName: 'ca-retired' })));

    const failed = await rotation('ca-erin');

    expect(failed).toMatchObject({ status: 'FAILED', error: 'ReadersRefusedError' });
    expect(failed.cause).toContain(
      `one of the roles the tag rekey:readers of ca-erin names does not exist (${roleArn('ca-kept')}, ${roleArn('ca-retired')}; Secrets Manager does not say which: aws iam get-role --role-name NAME tells)`,
    );
    expect(failed.cause).toContain(
      `Nothing was changed: the old key ${String(current)} is active and current.`,
    );
    expect(liveKeys(sb, 'ca-erin').map((k) => k.accessKeyId)).toEqual([current]);
    // The policy the last rotation set stays: the role that exists still reads.
    const kept = sb.emulator.createSystemCredentials('ca-kept', decryptOnlyPolicy());
    expect(await read(kept, 'rekey/ca-erin')).toEqual({ ok: true, keyId: current });

    await asAdmin((iam) =>
      iam.send(
        new TagUserCommand({
          UserName: 'ca-erin',
          Tags: [{ Key: 'rekey:readers', Value: roleArn('ca-kept') }],
        }),
      ),
    );
    const again = await rotation('ca-erin');

    expect(again.status).toBe('SUCCEEDED');
    expect(await principalsOf('ca-erin')).toEqual([
      `arn:aws:iam::${sb.emulator.accountId}:user/ca-erin`,
      [roleArn('ca-kept')],
    ]);
    await asAdmin((iam) =>
      iam.send(new UntagUserCommand({ UserName: 'ca-erin', TagKeys: ['rekey:readers'] })),
    );
    expect((await rotation('ca-erin')).status).toBe('SUCCEEDED');
    expect(await principalsOf('ca-erin')).toEqual([
      `arn:aws:iam::${sb.emulator.accountId}:user/ca-erin`,
    ]);
    monitor.checkNoOrphans([]);
    expect(monitor.violations).toEqual([]);
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
