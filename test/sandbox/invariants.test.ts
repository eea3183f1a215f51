/**
 * The invariant monitor's ownership rule, driven through the emulator's wire API: a role session
 * (how the sandbox runs rekey's functions) that deactivates or deletes a key must be destroying
 * a key rekey made or the user's secret held, never a key a person made.
 */
import {
  CreateAccessKeyCommand,
  CreateRoleCommand,
  DeleteAccessKeyCommand,
  IAMClient,
  PutRolePolicyCommand,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { Emulator } from '../../sandbox/emulator';
import { InvariantMonitor } from '../../sandbox/invariants';
import { allow, clientConfig, startEmulator } from './emulator/helpers';

const ACCOUNT = '123456789012';
let emulator: Emulator;
let role: IAMClient;
let monitor: InvariantMonitor;

beforeEach(async () => {
  ({ emulator } = await startEmulator());
  const admin = new IAMClient(clientConfig(emulator));
  await admin.send(
    new CreateRoleCommand({
      RoleName: 'rekey-stage-key',
      AssumeRolePolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
            Action: 'sts:AssumeRole',
          },
        ],
      }),
    }),
  );
  await admin.send(
    new PutRolePolicyCommand({
      RoleName: 'rekey-stage-key',
      PolicyName: 'keys',
      PolicyDocument: JSON.stringify(allow('iam:*AccessKey*', '*')),
    }),
  );
  admin.destroy();
  const sts = new STSClient(clientConfig(emulator));
  const { Credentials: c } = await sts.send(
    new AssumeRoleCommand({
      RoleArn: `arn:aws:iam::${ACCOUNT}:role/rekey-stage-key`,
      RoleSessionName: 'lambda',
    }),
  );
  sts.destroy();
  role = new IAMClient(
    clientConfig(emulator, {
      accessKeyId: c?.AccessKeyId ?? '',
      secretAccessKey: c?.SecretAccessKey ?? '',
      sessionToken: c?.SessionToken ?? '',
    } as never),
  );
  emulator.seed.user({ userName: 'zoe' });
  emulator.seed.accessKey({ userName: 'zoe' });
  monitor = new InvariantMonitor(emulator, { users: ['zoe'], secretPrefix: 'rekey/' }).start();
});

afterEach(async () => {
  monitor.stop();
  role.destroy();
  await emulator.stop();
});

it('flags a role session deactivating and deleting a key a person made, deactivation first or not', async () => {
  const handMade = emulator.seed.accessKey({ userName: 'zoe' }).accessKeyId;

  await role.send(
    new UpdateAccessKeyCommand({ UserName: 'zoe', AccessKeyId: handMade, Status: 'Inactive' }),
  );
  await role.send(new DeleteAccessKeyCommand({ UserName: 'zoe', AccessKeyId: handMade }));

  expect(monitor.violations).toEqual([
    `ownership: role/rekey-stage-key ran UpdateAccessKey on ${handMade} of zoe, which a setup step created and no secret of the user ever held`,
    `ownership: role/rekey-stage-key ran DeleteAccessKey on ${handMade} of zoe, which a setup step created and no secret of the user ever held`,
  ]);
});

it('accepts a role session discarding a key a role session created', async () => {
  const { AccessKey } = await role.send(new CreateAccessKeyCommand({ UserName: 'zoe' }));
  const id = AccessKey?.AccessKeyId ?? '';

  await role.send(
    new UpdateAccessKeyCommand({ UserName: 'zoe', AccessKeyId: id, Status: 'Inactive' }),
  );
  await role.send(new DeleteAccessKeyCommand({ UserName: 'zoe', AccessKeyId: id }));

  expect(monitor.violations).toEqual([]);
});

it('accepts deleting the key the secret held (the rotated key) and the same deletion by a person', async () => {
  const [old] = emulator.state.accessKeys.filter((k) => k.userName === 'zoe');
  const held = old?.accessKeyId ?? '';
  emulator.seed.secret({
    name: 'rekey/zoe',
    value: JSON.stringify({ AccessKeyId: held }),
    tags: [{ Key: 'rekey:managed-by', Value: 'rekey' }],
  });
  const handMade = emulator.seed.accessKey({ userName: 'zoe' }).accessKeyId;
  const admin = new IAMClient(clientConfig(emulator));

  await role.send(
    new UpdateAccessKeyCommand({ UserName: 'zoe', AccessKeyId: held, Status: 'Inactive' }),
  );
  await role.send(new DeleteAccessKeyCommand({ UserName: 'zoe', AccessKeyId: held }));
  await admin.send(new DeleteAccessKeyCommand({ UserName: 'zoe', AccessKeyId: handMade }));
  admin.destroy();

  expect(monitor.violations.filter((v) => v.startsWith('ownership'))).toEqual([]);
});
