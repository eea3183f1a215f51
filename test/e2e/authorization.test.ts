/**
 * What enforcement proves on the deployed stack: alarm notifications reach the topic only
 * because its policy lets CloudWatch publish; a user outside a scoped managedPath is refused
 * with the documented reason and nothing changes; every role is refused outside its scope.
 */
import { CreateAccessKeyCommand, IAMClient } from '@aws-sdk/client-iam';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { Sandbox } from '../../sandbox/sandbox';
import { rotate, seedUser } from './helpers';

function statementsOf(policy: string | undefined): { Sid?: string }[] {
  const parsed = JSON.parse(policy ?? '{}') as { Statement?: { Sid?: string }[] };
  return parsed.Statement ?? [];
}

describe('alarm notifications', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await Sandbox.start();
  });
  afterAll(() => sb.stop());

  it('an alarm action publishes to the topic as CloudWatch, and the notification arrives', () => {
    const topicArn = sb.stack.topicArns[Object.keys(sb.stack.topicArns)[0] ?? ''] ?? '';
    const before = sb.emulator.notifications.length;
    const decided = sb.emulator.authorizations.length;

    expect(sb.fireAlarm('rotation')).toEqual([{ topicArn, delivered: true }]);

    const arrived = sb.emulator.notifications.slice(before);
    expect(arrived).toHaveLength(1);
    expect(arrived[0]?.Subject).toMatch(/^ALARM: ".*RotationFailures.*"/);
    const decisions = sb.emulator.authorizations.slice(decided);
    expect(decisions.map((d) => [d.principal, d.action, d.decision])).toEqual([
      ['cloudwatch.amazonaws.com', 'sns:Publish', 'Allowed'],
      ['cloudwatch.amazonaws.com', 'kms:GenerateDataKey', 'Allowed'],
      ['cloudwatch.amazonaws.com', 'kms:Decrypt', 'Allowed'],
    ]);
  });

  it('without the statement that allows CloudWatch, the alarm notification never arrives', () => {
    const topicArn = sb.stack.topicArns[Object.keys(sb.stack.topicArns)[0] ?? ''] ?? '';
    const policy = sb.emulator.authorization.topicPolicy(topicArn);
    const kept = statementsOf(policy).filter((s) => s.Sid !== 'AllowRekeyAlarmsToPublish');
    expect(kept.length).toBe(statementsOf(policy).length - 1);
    sb.emulator.authorization.setTopic(topicArn, {
      policy: JSON.stringify({ Version: '2012-10-17', Statement: kept }),
      kmsMasterKeyId: sb.emulator.authorization.topicKey(topicArn),
    });
    const before = sb.emulator.notifications.length;

    const [result] = sb.fireAlarm('fleet-scan');

    expect(result?.delivered).toBe(false);
    expect(result?.error).toBe(
      `AuthorizationError: User: cloudwatch.amazonaws.com is not authorized to perform: SNS:Publish on resource: ${topicArn} because no resource-based policy allows the SNS:Publish action`,
    );
    expect(sb.emulator.notifications.length).toBe(before);
  });
});

describe('the key lets CloudWatch in only for alarms of its own account', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await Sandbox.start();
  });
  afterAll(() => sb.stop());

  const topicArn = (): string => sb.stack.topicArns[Object.keys(sb.stack.topicArns)[0] ?? ''] ?? '';
  /** A topic on rekey's key whose own policy lets CloudWatch publish for any alarm. */
  const openTopic = (name: string): string =>
    sb.emulator.createTopic(name, {
      kmsMasterKeyId: sb.emulator.authorization.topicKey(topicArn()),
      policy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
            Resource: '*',
          },
        ],
      }),
    });
  const publish = (topic: string, alarmArn: string): string | undefined => {
    try {
      sb.emulator.authorization.publishAsService('cloudwatch.amazonaws.com', alarmArn, {
        TopicArn: topic,
        Message: 'ALARM',
      });
      return undefined;
    } catch (error) {
      return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    }
  };

  it('delivers every alarm rekey creates, the compliance alarms included', () => {
    const alarms = sb.stack.alarms.map((a) => a.name);

    const results = alarms.map((alarm) => sb.fireAlarm(alarm));

    expect(alarms).toHaveLength(4);
    expect(alarms.some((a) => a.includes('KeysPastMaxAge'))).toBe(true);
    expect(alarms.some((a) => a.includes('RootAccessKeys'))).toBe(true);
    expect(results).toEqual(alarms.map(() => [{ topicArn: topicArn(), delivered: true }]));
  });

  it('refuses, at the key, an alarm of another account publishing through a topic that lets any alarm publish', () => {
    const open = openTopic('any-alarm-alerts');
    const foreign = `arn:aws:cloudwatch:${sb.region}:999999999999:alarm:theirs`;
    const own = `arn:aws:cloudwatch:${sb.region}:${sb.emulator.accountId}:alarm:ours`;

    expect(publish(open, foreign)).toMatch(/^KMSAccessDenied: .*kms:GenerateDataKey/);
    expect(publish(open, own)).toBeUndefined();
  });
});

describe('every principal is refused outside its scope', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await Sandbox.start();
  });
  afterAll(() => sb.stop());

  it("a Lambda's role may not do what its step does not: VerifyKey cannot create keys", async () => {
    seedUser(sb, 'eve');
    const verify = sb.stack.functions.find(
      (f) => f.handlerPath === 'lambdas/verify-key/handler.ts',
    );
    const roleArn = verify?.roleArn ?? '';
    const session = sb.emulator.authorization.serviceSession('lambda.amazonaws.com', roleArn, {
      sessionName: verify?.functionName ?? '',
      sourceArn: verify?.functionArn,
    });
    const iam = new IAMClient(sb.clientConfig(session));

    const error = await iam
      .send(new CreateAccessKeyCommand({ UserName: 'eve' }))
      .catch((e: Error) => e);

    iam.destroy();
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).name).toBe('AccessDenied');
    const roleName = roleArn.slice(roleArn.lastIndexOf('/') + 1);
    expect((error as Error).message).toBe(
      `User: arn:aws:sts::123456789012:assumed-role/${roleName}/${verify?.functionName ?? ''} is not authorized to perform: iam:CreateAccessKey on resource: arn:aws:iam::123456789012:user/eve because no identity-based policy allows the iam:CreateAccessKey action`,
    );
  });

  it('an application nobody granted cannot read the key rekey published for it', async () => {
    seedUser(sb, 'finn');
    const rotated = await rotate(sb, { userName: 'finn' });
    expect([rotated.status, rotated.error, rotated.cause]).toEqual([
      'SUCCEEDED',
      undefined,
      undefined,
    ]);
    const sm = new SecretsManagerClient(
      sb.clientConfig(sb.emulator.createSystemCredentials('finn-app')),
    );

    const error = await sm
      .send(new GetSecretValueCommand({ SecretId: `${sb.secretPrefix}finn` }))
      .catch((e: Error) => e);

    sm.destroy();
    expect((error as Error).name).toBe('AccessDeniedException');
    expect((error as Error).message).toMatch(
      /^User: arn:aws:sts::123456789012:assumed-role\/finn-app\/sandbox is not authorized to perform: secretsmanager:GetSecretValue on resource: arn:aws:secretsmanager:us-east-1:123456789012:secret:rekey\/finn-\w{6} because no identity-based policy allows the secretsmanager:GetSecretValue action$/,
    );
  });
});
