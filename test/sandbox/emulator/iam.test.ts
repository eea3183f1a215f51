import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  DeleteAccessKeyCommand,
  DeleteUserCommand,
  GetAccessKeyLastUsedCommand,
  GetUserCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListUserTagsCommand,
  ListUsersCommand,
  TagUserCommand,
  UntagUserCommand,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { SecretsManagerClient, ListSecretsCommand } from '@aws-sdk/client-secrets-manager';
import type { Emulator } from '../../../sandbox/emulator';
import { allow, clientConfig, failure, startEmulator, type TestClock } from './helpers';

let emulator: Emulator;
let clock: TestClock;
let iam: IAMClient;

beforeEach(async () => {
  ({ emulator, clock } = await startEmulator());
  iam = new IAMClient(clientConfig(emulator));
});
afterEach(() => emulator.stop());

describe('users', () => {
  it('creates a user with path and tags and reads it back', async () => {
    const created = await iam.send(
      new CreateUserCommand({
        UserName: 'alice',
        Path: '/apps/',
        Tags: [{ Key: 'team', Value: 'a' }],
      }),
    );
    expect(created.User).toEqual({
      Path: '/apps/',
      UserName: 'alice',
      UserId: expect.stringMatching(/^AIDA[A-Z0-9]{17}$/) as string,
      Arn: 'arn:aws:iam::123456789012:user/apps/alice',
      CreateDate: new Date('2026-03-01T10:00:00Z'),
      Tags: [{ Key: 'team', Value: 'a' }],
    });
    const read = await iam.send(new GetUserCommand({ UserName: 'alice' }));
    expect(read.User).toEqual(created.User);
  });

  it('takes a path of the characters ! to ~ between slashes, and refuses DEL as the API pattern does', async () => {
    await iam.send(new CreateUserCommand({ UserName: 'tilde', Path: '/a~!b/' }));

    const error = await failure(
      iam.send(new CreateUserCommand({ UserName: 'del', Path: '/a\u007fb/' })),
    );

    expect(error.name).toBe('ValidationError');
    expect(error.message).toContain('(\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)');
  });

  it('refuses a second user whose name differs only in case', async () => {
    await iam.send(new CreateUserCommand({ UserName: 'Bob' }));
    const error = await failure(iam.send(new CreateUserCommand({ UserName: 'bob' })));
    expect(error.name).toBe('EntityAlreadyExistsException');
    expect(error.message).toBe('User with name bob already exists.');
    expect(error.$metadata.httpStatusCode).toBe(409);
  });

  it('rejects an invalid user name with ValidationError', async () => {
    const error = await failure(iam.send(new CreateUserCommand({ UserName: 'no spaces' })));
    expect(error.name).toBe('ValidationError');
    expect(error.$metadata.httpStatusCode).toBe(400);
  });

  it('answers NoSuchEntity 404 for an unknown user', async () => {
    const error = await failure(iam.send(new GetUserCommand({ UserName: 'ghost' })));
    expect(error.name).toBe('NoSuchEntityException');
    expect(error.Code).toBe('NoSuchEntity');
    expect(error.message).toBe('The user with name ghost cannot be found.');
    expect(error.$metadata.httpStatusCode).toBe(404);
  });

  it('GetUser without a name answers for the user that signed', async () => {
    emulator.seed.user({ userName: 'carol' });
    emulator.seed.userPolicy('carol', 'self', allow('iam:GetUser', 'arn:aws:iam::*:user/carol'));
    const key = emulator.seed.accessKey({ userName: 'carol' });
    const asCarol = new IAMClient(clientConfig(emulator, key));
    expect((await asCarol.send(new GetUserCommand({}))).User?.UserName).toBe('carol');
    const error = await failure(iam.send(new GetUserCommand({})));
    expect(error.name).toBe('ValidationError');
  });

  it('lists users in pages with IsTruncated always and Marker only when truncated', async () => {
    for (const name of ['u1', 'u2', 'u3']) emulator.seed.user({ userName: name });
    emulator.seed.user({ userName: 'svc', path: '/service/' });
    const first = await iam.send(new ListUsersCommand({ MaxItems: 2 }));
    expect(first.Users?.map((u) => u.UserName)).toEqual(['u1', 'u2']);
    expect(first.IsTruncated).toBe(true);
    expect(first.Marker).toEqual(expect.any(String));
    expect(first.Users?.[0]?.Tags).toBeUndefined();
    const second = await iam.send(new ListUsersCommand({ MaxItems: 2, Marker: first.Marker }));
    expect(second.Users?.map((u) => u.UserName)).toEqual(['u3', 'svc']);
    expect(second.IsTruncated).toBe(false);
    expect(second.Marker).toBeUndefined();
    const service = await iam.send(new ListUsersCommand({ PathPrefix: '/service/' }));
    expect(service.Users?.map((u) => u.UserName)).toEqual(['svc']);
  });

  it('tags case-insensitively, lists tags sorted and paginated, untags', async () => {
    emulator.seed.user({ userName: 'dave', tags: [{ Key: 'Department', Value: 'finance' }] });
    await iam.send(
      new TagUserCommand({
        UserName: 'dave',
        Tags: [
          { Key: 'department', Value: 'hr' },
          { Key: 'zeta', Value: '' },
          { Key: 'alpha', Value: '1' },
        ],
      }),
    );
    const all = await iam.send(new ListUserTagsCommand({ UserName: 'dave' }));
    expect(all.Tags).toEqual([
      { Key: 'alpha', Value: '1' },
      { Key: 'department', Value: 'hr' },
      { Key: 'zeta', Value: '' },
    ]);
    expect(all.IsTruncated).toBe(false);
    const page = await iam.send(new ListUserTagsCommand({ UserName: 'dave', MaxItems: 2 }));
    expect(page.Tags?.map((t) => t.Key)).toEqual(['alpha', 'department']);
    expect(page.IsTruncated).toBe(true);
    const rest = await iam.send(
      new ListUserTagsCommand({ UserName: 'dave', MaxItems: 2, Marker: page.Marker }),
    );
    expect(rest.Tags?.map((t) => t.Key)).toEqual(['zeta']);
    await iam.send(new UntagUserCommand({ UserName: 'dave', TagKeys: ['ALPHA', 'missing'] }));
    const after = await iam.send(new ListUserTagsCommand({ UserName: 'dave' }));
    expect(after.Tags?.map((t) => t.Key)).toEqual(['department', 'zeta']);
  });

  it('refuses to delete a user that still has keys, then deletes it', async () => {
    emulator.seed.user({ userName: 'erin' });
    const key = emulator.seed.accessKey({ userName: 'erin' });
    const error = await failure(iam.send(new DeleteUserCommand({ UserName: 'erin' })));
    expect(error.name).toBe('DeleteConflictException');
    expect(error.$metadata.httpStatusCode).toBe(409);
    await iam.send(new DeleteAccessKeyCommand({ UserName: 'erin', AccessKeyId: key.accessKeyId }));
    await iam.send(new DeleteUserCommand({ UserName: 'erin' }));
    expect(emulator.state.users).toEqual([]);
  });
});

describe('access keys', () => {
  it('creates at most two keys, counting inactive ones, with LimitExceeded 409', async () => {
    emulator.seed.user({ userName: 'frank' });
    const first = await iam.send(new CreateAccessKeyCommand({ UserName: 'frank' }));
    expect(first.AccessKey).toEqual({
      UserName: 'frank',
      AccessKeyId: expect.stringMatching(/^AKIA[A-Z2-7]{16}$/) as string,
      Status: 'Active',
      SecretAccessKey: expect.stringMatching(/^[A-Za-z0-9/+]{40}$/) as string,
      CreateDate: new Date('2026-03-01T10:00:00Z'),
    });
    clock.advance(60);
    const second = await iam.send(new CreateAccessKeyCommand({ UserName: 'frank' }));
    await iam.send(
      new UpdateAccessKeyCommand({
        UserName: 'frank',
        AccessKeyId: second.AccessKey?.AccessKeyId,
        Status: 'Inactive',
      }),
    );
    const error = await failure(iam.send(new CreateAccessKeyCommand({ UserName: 'frank' })));
    expect(error.name).toBe('LimitExceededException');
    expect(error.Code).toBe('LimitExceeded');
    expect(error.message).toBe('Cannot exceed quota for AccessKeysPerUser: 2');
    expect(error.$metadata.httpStatusCode).toBe(409);
    const listed = await iam.send(new ListAccessKeysCommand({ UserName: 'frank' }));
    expect(listed.AccessKeyMetadata).toEqual([
      {
        UserName: 'frank',
        AccessKeyId: first.AccessKey?.AccessKeyId,
        Status: 'Active',
        CreateDate: new Date('2026-03-01T10:00:00Z'),
      },
      {
        UserName: 'frank',
        AccessKeyId: second.AccessKey?.AccessKeyId,
        Status: 'Inactive',
        CreateDate: new Date('2026-03-01T10:01:00Z'),
      },
    ]);
    expect(listed.IsTruncated).toBe(false);
  });

  it('the SDK retries IAM LimitExceeded: a refused CreateAccessKey is three requests', async () => {
    emulator.seed.user({ userName: 'gina' });
    emulator.seed.accessKey({ userName: 'gina' });
    emulator.seed.accessKey({ userName: 'gina' });
    emulator.clearCalls();
    const retrying = new IAMClient(clientConfig(emulator, emulator.admin, { maxAttempts: 3 }));
    const error = await failure(retrying.send(new CreateAccessKeyCommand({ UserName: 'gina' })));
    expect(error.$metadata.attempts).toBe(3);
    expect(emulator.calls.map((c) => c.errorCode)).toEqual([
      'LimitExceeded',
      'LimitExceeded',
      'LimitExceeded',
    ]);
  }, 20_000);

  it('seeding enforces the two-key limit with a clear error', () => {
    emulator.seed.user({ userName: 'hal' });
    emulator.seed.accessKey({ userName: 'hal' });
    emulator.seed.accessKey({ userName: 'hal', status: 'Inactive' });
    expect(() => emulator.seed.accessKey({ userName: 'hal' })).toThrow(
      'seed.accessKey refused: LimitExceeded: Cannot exceed quota for AccessKeysPerUser: 2',
    );
    expect(() => emulator.seed.accessKey({ userName: 'nobody' })).toThrow(/NoSuchEntity/);
  });

  it('keeps deleted keys as tombstones and answers NoSuchEntity for them', async () => {
    emulator.seed.user({ userName: 'ivy' });
    const key = emulator.seed.accessKey({ userName: 'ivy' });
    clock.advance(30);
    await iam.send(new DeleteAccessKeyCommand({ UserName: 'ivy', AccessKeyId: key.accessKeyId }));
    expect(emulator.state.accessKeys).toEqual([
      expect.objectContaining({
        accessKeyId: key.accessKeyId,
        status: 'Active',
        deletedAt: new Date('2026-03-01T10:00:30Z'),
      }),
    ]);
    const error = await failure(
      iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: key.accessKeyId })),
    );
    expect(error.name).toBe('NoSuchEntityException');
    const update = await failure(
      iam.send(
        new UpdateAccessKeyCommand({
          UserName: 'ivy',
          AccessKeyId: key.accessKeyId,
          Status: 'Active',
        }),
      ),
    );
    expect(update.message).toBe(`The Access Key with id ${key.accessKeyId} cannot be found.`);
  });

  it('refuses a key of another user when UserName is given', async () => {
    emulator.seed.user({ userName: 'jay' });
    emulator.seed.user({ userName: 'kim' });
    const key = emulator.seed.accessKey({ userName: 'jay' });
    const error = await failure(
      iam.send(
        new UpdateAccessKeyCommand({
          UserName: 'kim',
          AccessKeyId: key.accessKeyId,
          Status: 'Inactive',
        }),
      ),
    );
    expect(error.name).toBe('NoSuchEntityException');
    expect(emulator.state.accessKeys[0]?.status).toBe('Active');
  });
});

describe('last used', () => {
  it('reports a never-used key with N/A and no date', async () => {
    emulator.seed.user({ userName: 'lee' });
    const key = emulator.seed.accessKey({ userName: 'lee' });
    const result = await iam.send(
      new GetAccessKeyLastUsedCommand({ AccessKeyId: key.accessKeyId }),
    );
    expect(result.UserName).toBe('lee');
    expect(result.AccessKeyLastUsed).toEqual({ ServiceName: 'N/A', Region: 'N/A' });
  });

  it('records the signing key, service and region, minute precision, first use per 15 minutes', async () => {
    emulator.seed.user({ userName: 'max' });
    emulator.seed.userPolicy('max', 'self', allow('iam:GetUser', 'arn:aws:iam::*:user/max'));
    const key = emulator.seed.accessKey({ userName: 'max' });
    clock.set(new Date('2026-03-01T10:45:30Z'));
    await new STSClient(clientConfig(emulator, key, { region: 'eu-west-1' })).send(
      new GetCallerIdentityCommand({}),
    );
    const lastUsed = async () =>
      (await iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: key.accessKeyId })))
        .AccessKeyLastUsed;
    expect(await lastUsed()).toEqual({
      LastUsedDate: new Date('2026-03-01T10:45:00Z'),
      ServiceName: 'sts',
      Region: 'eu-west-1',
    });
    // Within 15 minutes of the recorded use: not recorded again.
    clock.set(new Date('2026-03-01T10:59:59Z'));
    await new IAMClient(clientConfig(emulator, key)).send(new GetUserCommand({}));
    expect((await lastUsed())?.ServiceName).toBe('sts');
    // After the span, IAM calls are recorded in us-east-1.
    clock.set(new Date('2026-03-01T11:00:10Z'));
    await new IAMClient(clientConfig(emulator, key, { region: 'eu-west-1' })).send(
      new GetUserCommand({}),
    );
    expect(await lastUsed()).toEqual({
      LastUsedDate: new Date('2026-03-01T11:00:00Z'),
      ServiceName: 'iam',
      Region: 'us-east-1',
    });
  });

  it('does not count requests signed by system credentials as a use of an IAM key', async () => {
    emulator.seed.user({ userName: 'ned' });
    const key = emulator.seed.accessKey({ userName: 'ned' });
    await iam.send(new ListAccessKeysCommand({ UserName: 'ned' }));
    expect(emulator.state.accessKeys[0]?.lastUsed).toBeUndefined();
    expect(key.accessKeyId).toMatch(/^AKIA/);
  });

  it('hides a use until lastUsedLagSeconds have passed', async () => {
    await emulator.stop();
    ({ emulator, clock } = await startEmulator({ lastUsedLagSeconds: 600 }));
    iam = new IAMClient(clientConfig(emulator));
    emulator.seed.user({ userName: 'olga' });
    emulator.seed.userPolicy('olga', 'list', allow('secretsmanager:ListSecrets', '*'));
    const key = emulator.seed.accessKey({
      userName: 'olga',
      lastUsed: { date: new Date('2026-02-28T08:00:00Z'), service: 's3', region: 'us-east-1' },
    });
    await new SecretsManagerClient(clientConfig(emulator, key)).send(new ListSecretsCommand({}));
    const lastUsed = async () =>
      (await iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: key.accessKeyId })))
        .AccessKeyLastUsed;
    expect(await lastUsed()).toEqual({
      LastUsedDate: new Date('2026-02-28T08:00:00Z'),
      ServiceName: 's3',
      Region: 'us-east-1',
    });
    expect(emulator.state.accessKeys[0]?.lastUsed?.service).toBe('secretsmanager');
    clock.advance(599);
    expect((await lastUsed())?.ServiceName).toBe('s3');
    clock.advance(1);
    expect(await lastUsed()).toEqual({
      LastUsedDate: new Date('2026-03-01T10:00:00Z'),
      ServiceName: 'secretsmanager',
      Region: 'us-east-1',
    });
  });
});
