/**
 * One sequence of operations, run through the real SDK clients against any endpoint (moto or
 * the emulator), with every answer normalized so two backends can be compared field by field.
 */
import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  DeleteAccessKeyCommand,
  GenerateCredentialReportCommand,
  GetAccessKeyLastUsedCommand,
  GetCredentialReportCommand,
  GetUserCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListUserTagsCommand,
  ListUsersCommand,
  TagUserCommand,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretVersionIdsCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { CreateStateMachineCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { Credentials } from './helpers';

export interface Target {
  readonly endpoint: string;
  readonly credentials: Credentials;
}

export type Outcome = Record<string, unknown>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Replaces generated ids, dates and request metadata with placeholders. */
export function normalize(value: unknown, versions: Map<string, string>): unknown {
  if (value instanceof Date) return '<date>';
  if (value instanceof Uint8Array) return '<bytes>';
  if (Array.isArray(value)) return value.map((item) => normalize(item, versions));
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      if (key === '$metadata') continue;
      const name = versions.get(key) ?? key;
      // Each side's id format is asserted on its own; here only presence matters.
      out[name] =
        key === 'UserId' && typeof item === 'string'
          ? '<user-id>'
          : key === 'RoleId' && typeof item === 'string'
            ? '<role-id>'
            : key === 'PolicyId' && typeof item === 'string'
              ? '<policy-id>'
              : normalize(item, versions);
    }
    return out;
  }
  if (typeof value !== 'string') return value;
  const named = versions.get(value);
  if (named) return named;
  if (UUID.test(value)) return '<uuid>';
  return value
    .replace(/^AKIA[A-Z0-9]{16}$/, '<access-key-id>')
    .replace(/^AIDA[A-Z0-9]{17}$/, '<user-id>')
    .replace(/^[A-Za-z0-9/+]{40}$/, '<secret-access-key>')
    .replace(/(:secret:[^:]+)-[A-Za-z0-9]{6}$/, '$1-<suffix>')
    .replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})/g, '<date>');
}

async function attempt(promise: Promise<unknown>): Promise<unknown> {
  try {
    return await promise;
  } catch (error) {
    const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
    return { error: e.name, status: e.$metadata?.httpStatusCode };
  }
}

const TOKEN_1 = 'aaaaaaaa-1111-4111-8111-111111111111';
const TOKEN_2 = 'bbbbbbbb-2222-4222-8222-222222222222';

/** Runs the shared sequence; `prefix` keeps names unique on a long-lived backend. */
export async function runSequence(target: Target, prefix: string): Promise<Outcome> {
  const config = {
    endpoint: target.endpoint,
    region: 'us-east-1',
    credentials: target.credentials,
    maxAttempts: 1,
  };
  const iam = new IAMClient(config);
  const sm = new SecretsManagerClient(config);
  const sfn = new SFNClient(config);
  const versions = new Map([
    [TOKEN_1, '<token-1>'],
    [TOKEN_2, '<token-2>'],
  ]);
  const out: Outcome = {};
  const step = async (name: string, promise: Promise<unknown>): Promise<unknown> => {
    const result = await attempt(promise);
    out[name] = normalize(result, versions);
    return result;
  };
  const user = `${prefix}-alice`;

  await step('CreateUser', iam.send(new CreateUserCommand({ UserName: user, Path: '/apps/' })));
  await step('CreateUser.again', iam.send(new CreateUserCommand({ UserName: user })));
  await step(
    'TagUser',
    iam.send(
      new TagUserCommand({
        UserName: user,
        Tags: [
          { Key: 'b', Value: '2' },
          { Key: 'a', Value: '1' },
        ],
      }),
    ),
  );
  await step('ListUserTags', iam.send(new ListUserTagsCommand({ UserName: user })));
  await iam.send(new CreateUserCommand({ UserName: `${prefix}-bob` }));
  await step('ListUsers.page1', iam.send(new ListUsersCommand({ MaxItems: 1 })));
  await step('GetUser.unknown', iam.send(new GetUserCommand({ UserName: `${prefix}-ghost` })));
  const key1 = (await step(
    'CreateAccessKey.1',
    iam.send(new CreateAccessKeyCommand({ UserName: user })),
  )) as {
    AccessKey?: { AccessKeyId?: string };
  };
  const key2 = (await step(
    'CreateAccessKey.2',
    iam.send(new CreateAccessKeyCommand({ UserName: user })),
  )) as {
    AccessKey?: { AccessKeyId?: string; SecretAccessKey?: string };
  };
  await step('CreateAccessKey.3', iam.send(new CreateAccessKeyCommand({ UserName: user })));
  const id1 = key1.AccessKey?.AccessKeyId ?? '';
  await step(
    'UpdateAccessKey',
    iam.send(new UpdateAccessKeyCommand({ UserName: user, AccessKeyId: id1, Status: 'Inactive' })),
  );
  await step('ListAccessKeys', iam.send(new ListAccessKeysCommand({ UserName: user })));
  await step(
    'GetAccessKeyLastUsed.never',
    iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: id1 })),
  );
  await step(
    'DeleteAccessKey',
    iam.send(new DeleteAccessKeyCommand({ UserName: user, AccessKeyId: id1 })),
  );
  await step('GenerateCredentialReport', iam.send(new GenerateCredentialReportCommand({})));
  const report = (await attempt(iam.send(new GetCredentialReportCommand({})))) as {
    Content?: Uint8Array;
  };
  const csv = Buffer.from(report.Content ?? new Uint8Array()).toString('utf8');
  const lines = csv.trim().split('\n');
  out['CredentialReport.header'] = lines[0];
  const row = lines.find((line) => line.startsWith(`${user},`));
  out['CredentialReport.userRow'] =
    row === undefined ? undefined : normalize(row.split(','), versions);
  out['CredentialReport.rootRow'] =
    lines.find((line) => line.startsWith('<root_account>')) !== undefined;

  const userCredentials = {
    accessKeyId: key2.AccessKey?.AccessKeyId ?? '',
    secretAccessKey: key2.AccessKey?.SecretAccessKey ?? '',
  };
  out.GetCallerIdentity = normalize(
    await attempt(
      new STSClient({ ...config, credentials: userCredentials }).send(
        new GetCallerIdentityCommand({}),
      ),
    ),
    versions,
  );

  const secret = `${prefix}/secret`;
  await step(
    'CreateSecret',
    sm.send(
      new CreateSecretCommand({ Name: secret, SecretString: 'v1', ClientRequestToken: TOKEN_1 }),
    ),
  );
  await step(
    'PutSecretValue.pending',
    sm.send(
      new PutSecretValueCommand({
        SecretId: secret,
        SecretString: 'v2',
        ClientRequestToken: TOKEN_2,
        VersionStages: ['AWSPENDING'],
      }),
    ),
  );
  await step(
    'PutSecretValue.retry',
    sm.send(
      new PutSecretValueCommand({
        SecretId: secret,
        SecretString: 'v2',
        ClientRequestToken: TOKEN_2,
        VersionStages: ['AWSPENDING'],
      }),
    ),
  );
  await step(
    'PutSecretValue.conflict',
    sm.send(
      new PutSecretValueCommand({
        SecretId: secret,
        SecretString: 'other',
        ClientRequestToken: TOKEN_2,
        VersionStages: ['AWSPENDING'],
      }),
    ),
  );
  await step(
    'UpdateSecretVersionStage.wrongRemove',
    sm.send(
      new UpdateSecretVersionStageCommand({
        SecretId: secret,
        VersionStage: 'AWSCURRENT',
        MoveToVersionId: TOKEN_2,
        RemoveFromVersionId: TOKEN_2,
      }),
    ),
  );
  await step(
    'UpdateSecretVersionStage',
    sm.send(
      new UpdateSecretVersionStageCommand({
        SecretId: secret,
        VersionStage: 'AWSCURRENT',
        MoveToVersionId: TOKEN_2,
        RemoveFromVersionId: TOKEN_1,
      }),
    ),
  );
  await step('DescribeSecret', sm.send(new DescribeSecretCommand({ SecretId: secret })));
  await step('GetSecretValue', sm.send(new GetSecretValueCommand({ SecretId: secret })));
  await step(
    'GetSecretValue.previous',
    sm.send(new GetSecretValueCommand({ SecretId: secret, VersionStage: 'AWSPREVIOUS' })),
  );
  await step(
    'ListSecretVersionIds',
    sm.send(new ListSecretVersionIdsCommand({ SecretId: secret })),
  );

  const definition = JSON.stringify({ StartAt: 'P', States: { P: { Type: 'Pass', End: true } } });
  const machine = (await step(
    'CreateStateMachine',
    sfn.send(
      new CreateStateMachineCommand({
        name: `${prefix}-rotate`,
        definition,
        roleArn: 'arn:aws:iam::123456789012:role/rekey',
      }),
    ),
  )) as { stateMachineArn?: string };
  const start = (input: string) =>
    sfn.send(
      new StartExecutionCommand({ stateMachineArn: machine.stateMachineArn, name: 'run-1', input }),
    );
  await step('StartExecution', start('{"a":1}'));
  await step('StartExecution.differentInput', start('{"a":2}'));
  return out;
}
