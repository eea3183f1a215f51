/**
 * `grantStartRotation`, proven under enforcement: a role granted it starts a rotation and reads
 * the execution back; a role granted only CDK's `grantStartExecution` is refused by KMS, because
 * the state machine's data is encrypted with rekey's key and Step Functions uses it as the caller.
 */
import {
  DescribeExecutionCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { AccountRootPrincipal, Role } from 'aws-cdk-lib/aws-iam';
import { Sandbox } from '../../sandbox/sandbox';
import { seedUser } from './helpers';

let sb: Sandbox;

beforeAll(async () => {
  sb = await Sandbox.start({
    clockMode: 'manual',
    extend: (stack) => {
      const assumedBy = new AccountRootPrincipal();
      const operator = new Role(stack, 'Operator', { roleName: 'rekey-operator', assumedBy });
      stack.rotation.grantStartRotation(operator);
      const startOnly = new Role(stack, 'StartOnly', { roleName: 'rekey-start-only', assumedBy });
      stack.rotation.stateMachine.grantStartExecution(startOnly);
    },
  });
}, 60_000);

afterAll(async () => {
  await sb?.stop();
});

async function sfnAs(roleName: string): Promise<SFNClient> {
  const sts = new STSClient(sb.clientConfig());
  const { Credentials: c } = await sts.send(
    new AssumeRoleCommand({
      RoleArn: `arn:aws:iam::${sb.emulator.accountId}:role/${roleName}`,
      RoleSessionName: 'operator',
    }),
  );
  sts.destroy();
  return new SFNClient({
    endpoint: sb.endpoint,
    region: sb.region,
    credentials: {
      accessKeyId: c?.AccessKeyId ?? '',
      secretAccessKey: c?.SecretAccessKey ?? '',
      sessionToken: c?.SessionToken,
    },
    maxAttempts: 1,
  });
}

it('lets a role granted grantStartRotation start a rotation and read it back', async () => {
  seedUser(sb, 'olga');
  const sfn = await sfnAs('rekey-operator');
  const started = await sfn.send(
    new StartExecutionCommand({
      stateMachineArn: sb.stateMachineArn('rotation'),
      name: 'operator-olga',
      input: JSON.stringify({ userName: 'olga' }),
    }),
  );
  const described = await sfn.send(
    new DescribeExecutionCommand({ executionArn: started.executionArn }),
  );
  expect(described.status).toBe('RUNNING');
  expect(JSON.parse(described.input ?? '{}')).toEqual({ userName: 'olga' });
  // The grant is to start and follow, not to stop: stopping is the admin's here.
  await expect(
    sfn.send(new StopExecutionCommand({ executionArn: started.executionArn })),
  ).rejects.toMatchObject({ name: 'AccessDeniedException' });
  sfn.destroy();
});

it("refuses a role granted only CDK's grantStartExecution, at the state machine's KMS key", async () => {
  seedUser(sb, 'pavel');
  const sfn = await sfnAs('rekey-start-only');
  const refused = sfn.send(
    new StartExecutionCommand({
      stateMachineArn: sb.stateMachineArn('rotation'),
      name: 'start-only-pavel',
      input: JSON.stringify({ userName: 'pavel' }),
    }),
  );
  await expect(refused).rejects.toMatchObject({ name: 'KmsAccessDeniedException' });
  await expect(refused).rejects.toThrow(/kms:GenerateDataKey/);
  expect(sb.emulator.state.executions.map((e) => e.name)).not.toContain('start-only-pavel');
  sfn.destroy();
});
