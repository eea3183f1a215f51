import {
  AttachUserPolicyCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  GetUserCommand,
  IAMClient,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import {
  CreateSecretCommand,
  GetResourcePolicyCommand,
  GetSecretValueCommand,
  PutResourcePolicyCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { Emulator } from '../../../sandbox/emulator';
import { allow, clientConfig, failure, startEmulator, type TestClock } from './helpers';

const ACCOUNT = '123456789012';
const KEY_ARN = `arn:aws:kms:us-east-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const trustAccount = JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
      Action: 'sts:AssumeRole',
    },
  ],
});
/** CDK's default key policy: the account's IAM policies decide. */
const delegatingKeyPolicy = JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
      Action: 'kms:*',
      Resource: '*',
    },
  ],
});

let emulator: Emulator;
let clock: TestClock;
let iam: IAMClient;

beforeEach(async () => {
  ({ emulator, clock } = await startEmulator());
  iam = new IAMClient(clientConfig(emulator));
});

afterEach(async () => {
  iam.destroy();
  await emulator.stop();
});

/** A role trusting the account, with one inline policy, and a session of it. */
async function roleSession(name: string, policy: object, durationSeconds?: number) {
  await iam.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: trustAccount }));
  await iam.send(
    new PutRolePolicyCommand({
      RoleName: name,
      PolicyName: 'p',
      PolicyDocument: JSON.stringify(policy),
    }),
  );
  const sts = new STSClient(clientConfig(emulator));
  const out = await sts.send(
    new AssumeRoleCommand({
      RoleArn: `arn:aws:iam::${ACCOUNT}:role/${name}`,
      RoleSessionName: 'test-session',
      DurationSeconds: durationSeconds,
    }),
  );
  sts.destroy();
  const c = out.Credentials;
  return {
    accessKeyId: c?.AccessKeyId ?? '',
    secretAccessKey: c?.SecretAccessKey ?? '',
    sessionToken: c?.SessionToken ?? '',
  };
}

describe('role sessions', () => {
  it('AssumeRole issues ASIA credentials whose session answers GetCallerIdentity as the assumed role', async () => {
    const credentials = await roleSession('reader', allow('iam:GetUser', '*'));
    expect(credentials.accessKeyId).toMatch(/^ASIA[A-Z2-7]{16}$/);
    const sts = new STSClient(clientConfig(emulator, credentials));
    const identity = await sts.send(new GetCallerIdentityCommand({}));
    expect(identity.Arn).toBe(`arn:aws:sts::${ACCOUNT}:assumed-role/reader/test-session`);
    expect(identity.UserId).toMatch(/^AROA[A-Z0-9]{17}:test-session$/);
  });

  it('refuses temporary credentials without their session token', async () => {
    const session = await roleSession('r', allow('iam:GetUser', '*'));
    const withoutToken = {
      accessKeyId: session.accessKeyId,
      secretAccessKey: session.secretAccessKey,
    };
    const error = await failure(
      new STSClient(clientConfig(emulator, withoutToken)).send(new GetCallerIdentityCommand({})),
    );
    expect(error.name).toBe('InvalidClientTokenId');
  });

  it('expires a session on the sandbox clock', async () => {
    const credentials = await roleSession('short', allow('iam:GetUser', '*'), 900);
    clock.advance(901);
    const error = await failure(
      new STSClient(clientConfig(emulator, credentials)).send(new GetCallerIdentityCommand({})),
    );
    expect(error.name).toBe('ExpiredToken');
    expect(error.message).toBe('The security token included in the request is expired');
  });

  it('refuses AssumeRole when the trust policy does not name the caller', async () => {
    emulator.seed.user({ userName: 'mallory' });
    const key = emulator.seed.accessKey({ userName: 'mallory' });
    await iam.send(
      new CreateRoleCommand({
        RoleName: 'lambda-only',
        AssumeRolePolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { Service: 'lambda.amazonaws.com' },
              Action: 'sts:AssumeRole',
            },
          ],
        }),
      }),
    );
    emulator.seed.userPolicy('mallory', 'assume', allow('sts:AssumeRole', '*'));
    const error = await failure(
      new STSClient(clientConfig(emulator, key)).send(
        new AssumeRoleCommand({
          RoleArn: `arn:aws:iam::${ACCOUNT}:role/lambda-only`,
          RoleSessionName: 's1',
        }),
      ),
    );
    expect(error.name).toBe('AccessDenied');
    expect(error.$metadata.httpStatusCode).toBe(403);
    expect(error.message).toBe(
      `User: arn:aws:iam::${ACCOUNT}:user/mallory is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::${ACCOUNT}:role/lambda-only because no resource-based policy allows the sts:AssumeRole action`,
    );
  });
});

describe('denials look like each service', () => {
  it('IAM: AccessDenied 403 naming the caller, the action and the resource with its path', async () => {
    emulator.seed.user({ userName: 'zed', path: '/ops/' });
    const credentials = await roleSession(
      'inspect',
      allow('iam:GetUser', `arn:aws:iam::${ACCOUNT}:user/apps/*`),
    );
    const error = await failure(
      new IAMClient(clientConfig(emulator, credentials)).send(
        new GetUserCommand({ UserName: 'zed' }),
      ),
    );
    expect(error.name).toBe('AccessDenied');
    expect(error.$metadata.httpStatusCode).toBe(403);
    expect(error.message).toBe(
      `User: arn:aws:sts::${ACCOUNT}:assumed-role/inspect/test-session is not authorized to perform: iam:GetUser on resource: arn:aws:iam::${ACCOUNT}:user/ops/zed because no identity-based policy allows the iam:GetUser action`,
    );
  });

  it('IAM: an explicit deny is named as such, and a managed policy attached to a user counts', async () => {
    emulator.seed.user({ userName: 'amy' });
    const key = emulator.seed.accessKey({ userName: 'amy' });
    emulator.seed.userPolicy('amy', 'all', allow('iam:*', '*'));
    const created = await iam.send(
      new CreatePolicyCommand({
        PolicyName: 'no-get-user',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Deny', Action: 'iam:GetUser', Resource: '*' }],
        }),
      }),
    );
    await iam.send(
      new AttachUserPolicyCommand({ UserName: 'amy', PolicyArn: created.Policy?.Arn }),
    );
    const error = await failure(
      new IAMClient(clientConfig(emulator, key)).send(new GetUserCommand({ UserName: 'amy' })),
    );
    expect(error.message).toBe(
      `User: arn:aws:iam::${ACCOUNT}:user/amy is not authorized to perform: iam:GetUser on resource: arn:aws:iam::${ACCOUNT}:user/amy with an explicit deny in an identity-based policy`,
    );
  });

  it('Secrets Manager: AccessDeniedException 400, naming the SecretId when the secret does not exist', async () => {
    const credentials = await roleSession('nothing', allow('iam:GetUser', '*'));
    const sm = new SecretsManagerClient(clientConfig(emulator, credentials));
    const error = await failure(sm.send(new GetSecretValueCommand({ SecretId: 'rekey/bob' })));
    expect(error.name).toBe('AccessDeniedException');
    expect(error.$metadata.httpStatusCode).toBe(400);
    expect(error.message).toBe(
      `User: arn:aws:sts::${ACCOUNT}:assumed-role/nothing/test-session is not authorized to perform: secretsmanager:GetSecretValue on resource: rekey/bob because no identity-based policy allows the secretsmanager:GetSecretValue action`,
    );
  });

  it('SNS: AuthorizationError 403, with the action written SNS:Publish', async () => {
    const topicArn = emulator.createTopic('alerts');
    const credentials = await roleSession('quiet', allow('iam:GetUser', '*'));
    // A topic policy replaces SNS's default one; this one (enforceSSL's) allows nobody.
    emulator.authorization.setTopic(topicArn, {
      policy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Deny',
            Principal: '*',
            Action: 'sns:Publish',
            Resource: topicArn,
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          },
        ],
      }),
    });
    const error = await failure(
      new SNSClient(clientConfig(emulator, credentials)).send(
        new PublishCommand({ TopicArn: topicArn, Message: 'hello' }),
      ),
    );
    expect(error.name).toBe('AuthorizationErrorException');
    expect(error.$metadata.httpStatusCode).toBe(403);
    expect(error.message).toBe(
      `User: arn:aws:sts::${ACCOUNT}:assumed-role/quiet/test-session is not authorized to perform: SNS:Publish on resource: ${topicArn} because no identity-based policy allows the SNS:Publish action`,
    );
  });
});

describe('denials look like each service (JSON protocols)', () => {
  it('Step Functions and EventBridge: AccessDeniedException 400 with the same sentence', async () => {
    const credentials = await roleSession('idle', allow('iam:GetUser', '*'));
    const machine = `arn:aws:states:us-east-1:${ACCOUNT}:stateMachine:rotation`;
    const sfn = new SFNClient(clientConfig(emulator, credentials));
    const started = await failure(
      sfn.send(new StartExecutionCommand({ stateMachineArn: machine, input: '{}' })),
    );
    const events = new EventBridgeClient(clientConfig(emulator, credentials));
    const put = await failure(
      events.send(
        new PutEventsCommand({ Entries: [{ Source: 'rekey', DetailType: 'x', Detail: '{}' }] }),
      ),
    );

    const who = `User: arn:aws:sts::${ACCOUNT}:assumed-role/idle/test-session is not authorized to perform:`;
    expect([started.name, started.$metadata.httpStatusCode, started.message]).toEqual([
      'AccessDeniedException',
      400,
      `${who} states:StartExecution on resource: ${machine} because no identity-based policy allows the states:StartExecution action`,
    ]);
    expect([put.name, put.$metadata.httpStatusCode, put.message]).toEqual([
      'AccessDeniedException',
      400,
      `${who} events:PutEvents on resource: arn:aws:events:us-east-1:${ACCOUNT}:event-bus/default because no identity-based policy allows the events:PutEvents action`,
    ]);
  });
});

describe('KMS through Secrets Manager', () => {
  const secretArnOf = async (name: string): Promise<string> => {
    const sm = new SecretsManagerClient(clientConfig(emulator));
    const out = await sm.send(
      new CreateSecretCommand({ Name: name, KmsKeyId: KEY_ARN, SecretString: 'v' }),
    );
    return out.ARN ?? '';
  };

  beforeEach(() => emulator.authorization.putKey({ arn: KEY_ARN, policy: delegatingKeyPolicy }));

  it('refuses GetSecretValue with "Access to KMS is not allowed" when the caller may not decrypt', async () => {
    const arn = await secretArnOf('rekey/alice');
    const credentials = await roleSession('app', allow('secretsmanager:GetSecretValue', arn));
    const error = await failure(
      new SecretsManagerClient(clientConfig(emulator, credentials)).send(
        new GetSecretValueCommand({ SecretId: 'rekey/alice' }),
      ),
    );
    expect(error.name).toBe('AccessDeniedException');
    expect(error.$metadata.httpStatusCode).toBe(400);
    expect(error.message).toBe('Access to KMS is not allowed');
    const kms = emulator.authorizations.filter((d) => d.action === 'kms:Decrypt');
    expect(kms.at(-1)).toMatchObject({
      decision: 'ImplicitlyDenied',
      resource: KEY_ARN,
      via: 'secretsmanager.us-east-1.amazonaws.com',
    });
  });

  it('honours a kms:EncryptionContext:SecretARN condition: the matching secret only', async () => {
    const alice = await secretArnOf('rekey/alice');
    const bob = await secretArnOf('rekey/bob');
    const credentials = await roleSession('alice-app', {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: [alice, bob] },
        {
          Effect: 'Allow',
          Action: 'kms:Decrypt',
          Resource: KEY_ARN,
          Condition: {
            StringEquals: {
              'kms:ViaService': 'secretsmanager.us-east-1.amazonaws.com',
              'kms:EncryptionContext:SecretARN': alice,
            },
          },
        },
      ],
    });
    const sm = new SecretsManagerClient(clientConfig(emulator, credentials));
    expect(
      (await sm.send(new GetSecretValueCommand({ SecretId: 'rekey/alice' }))).SecretString,
    ).toBe('v');
    const error = await failure(sm.send(new GetSecretValueCommand({ SecretId: 'rekey/bob' })));
    expect(error.message).toBe('Access to KMS is not allowed');
  });

  it("a secret's resource policy grants another principal what its identity policies do not", async () => {
    await secretArnOf('rekey/carol');
    const credentials = await roleSession('carol-app', {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 'kms:Decrypt', Resource: KEY_ARN }],
    });
    const sm = new SecretsManagerClient(clientConfig(emulator, credentials));
    expect(
      (await failure(sm.send(new GetSecretValueCommand({ SecretId: 'rekey/carol' })))).name,
    ).toBe('AccessDeniedException');
    await new SecretsManagerClient(clientConfig(emulator)).send(
      new PutResourcePolicyCommand({
        SecretId: 'rekey/carol',
        ResourcePolicy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/carol-app` },
              Action: 'secretsmanager:GetSecretValue',
              Resource: '*',
            },
          ],
        }),
      }),
    );
    expect(
      (await sm.send(new GetSecretValueCommand({ SecretId: 'rekey/carol' }))).SecretString,
    ).toBe('v');
  });
});

describe('secret resource policies', () => {
  it('refuses a public policy when BlockPublicPolicy is set, and a malformed one always', async () => {
    const sm = new SecretsManagerClient(clientConfig(emulator));
    await sm.send(new CreateSecretCommand({ Name: 'rekey/pub', SecretString: 'v' }));
    const open = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Principal: '*', Action: 'secretsmanager:GetSecretValue', Resource: '*' },
      ],
    });

    const blocked = await failure(
      sm.send(
        new PutResourcePolicyCommand({
          SecretId: 'rekey/pub',
          ResourcePolicy: open,
          BlockPublicPolicy: true,
        }),
      ),
    );
    const malformed = await failure(
      sm.send(new PutResourcePolicyCommand({ SecretId: 'rekey/pub', ResourcePolicy: '{"x": 1}' })),
    );

    expect([blocked.name, blocked.$metadata.httpStatusCode]).toEqual([
      'PublicPolicyException',
      400,
    ]);
    expect([malformed.name, malformed.$metadata.httpStatusCode]).toEqual([
      'MalformedPolicyDocumentException',
      400,
    ]);
    // Without BlockPublicPolicy the API reference says public policies are not blocked.
    await sm.send(new PutResourcePolicyCommand({ SecretId: 'rekey/pub', ResourcePolicy: open }));
  });
});

describe('principals of a secret resource policy, resolved as IAM resolves them', () => {
  const readBy = (...principals: string[]) =>
    JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { AWS: principals.length === 1 ? principals[0] : principals },
          Action: 'secretsmanager:GetSecretValue',
          Resource: '*',
        },
      ],
    });
  const put = (sm: SecretsManagerClient, policy: string) =>
    sm.send(new PutResourcePolicyCommand({ SecretId: 'rekey/p', ResourcePolicy: policy }));
  const stored = async (sm: SecretsManagerClient) =>
    (await sm.send(new GetResourcePolicyCommand({ SecretId: 'rekey/p' }))).ResourcePolicy;
  let sm: SecretsManagerClient;
  beforeEach(async () => {
    sm = new SecretsManagerClient(clientConfig(emulator));
    await sm.send(new CreateSecretCommand({ Name: 'rekey/p', SecretString: 'v' }));
    await iam.send(
      new CreateRoleCommand({ RoleName: 'billing', AssumeRolePolicyDocument: trustAccount }),
    );
    await iam.send(
      new CreateRoleCommand({
        RoleName: 'reports',
        Path: '/ops/',
        AssumeRolePolicyDocument: trustAccount,
      }),
    );
    emulator.seed.user({ userName: 'alice', path: '/apps/' });
  });
  afterEach(() => sm.destroy());

  it('accepts roles and users that exist, with their paths, the account and its root', async () => {
    await put(
      sm,
      readBy(
        `arn:aws:iam::${ACCOUNT}:role/billing`,
        `arn:aws:iam::${ACCOUNT}:role/ops/reports`,
        `arn:aws:iam::${ACCOUNT}:user/apps/alice`,
        `arn:aws:iam::${ACCOUNT}:root`,
        ACCOUNT,
      ),
    );

    expect(await stored(sm)).toContain('role/ops/reports');
  });

  it.each([
    ['a role that does not exist', `arn:aws:iam::${ACCOUNT}:role/no-such-role`],
    ['a role under another path', `arn:aws:iam::${ACCOUNT}:role/billing2/billing`],
    ['a role ARN that ends with a slash', `arn:aws:iam::${ACCOUNT}:role/ops/`],
    ['another partition', `arn:aws-cn:iam::${ACCOUNT}:role/billing`],
    ['no partition at all', `arn:awsfoo:iam::${ACCOUNT}:role/billing`],
    ['a wildcard in the ARN', `arn:aws:iam::${ACCOUNT}:role/bill*`],
    ['a user that does not exist', `arn:aws:iam::${ACCOUNT}:user/apps/bob`],
    ['a user under another path', `arn:aws:iam::${ACCOUNT}:user/alice`],
    ['a group (no principal)', `arn:aws:iam::${ACCOUNT}:group/admins`],
    ['a name that is no ARN', 'billing'],
  ])(
    'refuses %s with MalformedPolicyDocumentException, and keeps the policy it had',
    async (_, principal) => {
      await put(sm, readBy(`arn:aws:iam::${ACCOUNT}:role/billing`));

      const refused = await failure(
        put(sm, readBy(`arn:aws:iam::${ACCOUNT}:role/billing`, principal)),
      );

      expect([refused.name, refused.message, refused.$metadata.httpStatusCode]).toEqual([
        'MalformedPolicyDocumentException',
        'This resource policy contains an unsupported principal.',
        400,
      ]);
      expect(await stored(sm)).toBe(readBy(`arn:aws:iam::${ACCOUNT}:role/billing`));
    },
  );

  it('refuses a role once it is deleted', async () => {
    await put(sm, readBy(`arn:aws:iam::${ACCOUNT}:role/billing`));
    await iam.send(new DeleteRoleCommand({ RoleName: 'billing' }));

    const refused = await failure(put(sm, readBy(`arn:aws:iam::${ACCOUNT}:role/billing`)));

    expect(refused.name).toBe('MalformedPolicyDocumentException');
  });
});

describe('remembered verdicts', () => {
  it('answers a repeated question the same way, and a changed policy differently', async () => {
    emulator.seed.user({ userName: 'ida' });
    const credentials = await roleSession('asker', allow('iam:GetUser', '*'));
    const asker = new IAMClient(clientConfig(emulator, credentials));
    await asker.send(new GetUserCommand({ UserName: 'ida' }));
    await asker.send(new GetUserCommand({ UserName: 'ida' }));
    await iam.send(new DeleteRolePolicyCommand({ RoleName: 'asker', PolicyName: 'p' }));

    const error = await failure(asker.send(new GetUserCommand({ UserName: 'ida' })));

    expect(error.name).toBe('AccessDenied');
    const asked = emulator.authorizations.filter((d) => d.action === 'iam:GetUser');
    expect(asked.map((d) => d.decision)).toEqual(['Allowed', 'Allowed', 'ImplicitlyDenied']);
  });
});

describe('switched off', () => {
  it('lets any authenticated caller do anything and records nothing', async () => {
    const credentials = await roleSession(
      'nobody',
      allow('iam:GetUser', 'arn:aws:iam::*:user/none'),
    );
    emulator.authorization.enabled = false;
    emulator.authorization.clear();
    emulator.seed.user({ userName: 'dan' });
    const out = await new IAMClient(clientConfig(emulator, credentials)).send(
      new GetUserCommand({ UserName: 'dan' }),
    );
    expect(out.User?.UserName).toBe('dan');
    expect(emulator.authorizations).toEqual([]);
  });
});
