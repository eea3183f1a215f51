import {
  CreateAccessKeyCommand,
  DeleteAccessKeyCommand,
  IAMClient,
  TagUserCommand,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { Emulator, type Mutation } from '../../../sandbox/emulator';
import { TestClock, clientConfig, startEmulator } from './helpers';

it('has no endpoint before start and an ephemeral loopback one after', async () => {
  const emulator = new Emulator({ clock: new TestClock() });
  expect(() => emulator.endpoint).toThrow('The emulator is not started: call start() first');
  await emulator.start();
  expect(emulator.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  expect([emulator.accountId, emulator.region]).toEqual(['123456789012', 'us-east-1']);
  await emulator.stop();
});

it('reports every IAM change to mutation listeners, but not a key use, and unsubscribes', async () => {
  const { emulator } = await startEmulator();
  const seen: Mutation[] = [];
  const unsubscribe = emulator.onMutation((m) => seen.push(m));
  const user = emulator.seed.user({ userName: 'alice' });
  const iam = new IAMClient(clientConfig(emulator));
  const created = await iam.send(new CreateAccessKeyCommand({ UserName: 'alice' }));
  const id = created.AccessKey?.AccessKeyId ?? '';
  const key = { accessKeyId: id, secretAccessKey: created.AccessKey?.SecretAccessKey ?? '' };
  await new STSClient(clientConfig(emulator, key)).send(new GetCallerIdentityCommand({}));
  await iam.send(new TagUserCommand({ UserName: 'alice', Tags: [{ Key: 'k', Value: 'v' }] }));
  await iam.send(
    new UpdateAccessKeyCommand({ UserName: 'alice', AccessKeyId: id, Status: 'Inactive' }),
  );
  await iam.send(new DeleteAccessKeyCommand({ UserName: 'alice', AccessKeyId: id }));
  emulator.seed.secret({ name: 'rekey/alice', value: 'x' });
  unsubscribe();
  emulator.seed.user({ userName: 'bob' });
  expect(seen).toEqual([
    { service: 'iam', operation: 'CreateUser', userName: user.userName, source: 'seed' },
    {
      service: 'iam',
      operation: 'CreateAccessKey',
      userName: 'alice',
      accessKeyId: id,
      source: 'api',
      principal: 'system/sandbox-admin',
    },
    {
      service: 'iam',
      operation: 'TagUser',
      userName: 'alice',
      source: 'api',
      principal: 'system/sandbox-admin',
    },
    {
      service: 'iam',
      operation: 'UpdateAccessKey',
      userName: 'alice',
      accessKeyId: id,
      source: 'api',
      principal: 'system/sandbox-admin',
    },
    {
      service: 'iam',
      operation: 'DeleteAccessKey',
      userName: 'alice',
      accessKeyId: id,
      source: 'api',
      principal: 'system/sandbox-admin',
    },
    {
      service: 'secretsmanager',
      operation: 'CreateSecret',
      secretId: 'rekey/alice',
      source: 'seed',
    },
  ]);
  await emulator.stop();
});

it('lets a mutation listener see the state exactly as the change left it', async () => {
  const { emulator } = await startEmulator();
  emulator.seed.user({ userName: 'alice' });
  const statuses: string[] = [];
  emulator.onMutation(() =>
    statuses.push(emulator.state.accessKeys.map((k) => k.status).join(',')),
  );
  const iam = new IAMClient(clientConfig(emulator));
  const created = await iam.send(new CreateAccessKeyCommand({ UserName: 'alice' }));
  await iam.send(
    new UpdateAccessKeyCommand({
      UserName: 'alice',
      AccessKeyId: created.AccessKey?.AccessKeyId,
      Status: 'Inactive',
    }),
  );
  expect(statuses).toEqual(['Active', 'Inactive']);
  await emulator.stop();
});

it('seeds an old key with a recent use, as a demo needs', async () => {
  const clock = new TestClock(new Date('2026-03-01T10:00:00Z'));
  const { emulator } = await startEmulator({}, clock);
  emulator.seed.user({ userName: 'alice', tags: [{ Key: 'rekey:owner', Value: 'team-a' }] });
  const key = emulator.seed.accessKey({
    userName: 'alice',
    createDate: new Date('2025-12-06T10:00:00Z'),
    lastUsed: { date: new Date('2026-02-28T17:42:31Z'), service: 's3', region: 'eu-west-1' },
  });
  expect(emulator.state.accessKeys).toEqual([
    {
      accessKeyId: key.accessKeyId,
      userName: 'alice',
      status: 'Active',
      createDate: new Date('2025-12-06T10:00:00Z'),
      secretAccessKey: key.secretAccessKey,
      deletedAt: undefined,
      lastUsed: { date: new Date('2026-02-28T17:42:00Z'), service: 's3', region: 'eu-west-1' },
      visibleLastUsed: {
        date: new Date('2026-02-28T17:42:00Z'),
        service: 's3',
        region: 'eu-west-1',
      },
    },
  ]);
  expect(emulator.state.users[0]?.tags).toEqual([{ Key: 'rekey:owner', Value: 'team-a' }]);
  expect(() => emulator.seed.user({ userName: 'ALICE' })).toThrow(
    'seed.user refused: EntityAlreadyExists: User with name ALICE already exists.',
  );
  await emulator.stop();
});
