import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { ConsumerAccess, KeyRotation } from '../../lib';
import {
  NO_VALIDATION,
  defaultTemplate,
  realApp,
  render,
  resolved,
  rotationStack,
  SKIP_BUNDLING,
  statementsOf,
} from './support';

const keyStatements = (template: Template): Record<string, unknown>[] => {
  const [key] = Object.values(template.findResources('AWS::KMS::Key'));
  return (key?.Properties as { KeyPolicy: { Statement: Record<string, unknown>[] } }).KeyPolicy
    .Statement;
};

describe('consumer access: each user reads its own secret (ConsumerAccess.SELF, the default)', () => {
  it('lets IAM users of the account decrypt through Secrets Manager only, and only the secret named after them', () => {
    const { template } = realApp({ 'rekey:managedPath': '/apps/' });

    const statement = keyStatements(template).find(
      (s) => s.Sid === 'RekeyUsersDecryptTheirOwnSecret',
    );

    expect(statement).toMatchObject({
      Effect: 'Allow',
      Principal: { AWS: '*' },
      Action: 'kms:Decrypt',
      Resource: '*',
    });
    const condition = statement?.Condition as Record<string, Record<string, unknown>>;
    expect(render(condition.StringEquals?.['kms:CallerAccount'])).toBe('${AWS::AccountId}');
    expect(render(condition.StringEquals?.['kms:ViaService'])).toBe(
      'secretsmanager.${AWS::Region}.amazonaws.com',
    );
    expect(render(condition.ArnLike?.['aws:PrincipalArn'])).toBe(
      'arn:${AWS::Partition}:iam::${AWS::AccountId}:user/apps/*',
    );
    expect(render(condition.StringLike?.['kms:EncryptionContext:SecretARN'])).toBe(
      'arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:rekey/${aws:username}-??????',
    );
  });

  it('lets StageKey set the secret resource policy, and tells the functions to', () => {
    const template = defaultTemplate();

    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: Match.arrayWith(['secretsmanager:PutResourcePolicy']),
          }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ REKEY_CONSUMER_ACCESS: 'self' }) },
    });
  });

  it('publishes the key ARN and the secret prefix as stack outputs', () => {
    const { stack, template } = realApp();

    template.hasOutput('EncryptionKeyArn', {
      Value: resolved(stack, stack.rotation.encryptionKey.keyArn),
    });
    template.hasOutput('SecretPrefix', { Value: 'rekey/' });
  });
});

describe('consumer access: ConsumerAccess.NONE', () => {
  it('adds no key policy statement for users and no PutResourcePolicy permission', () => {
    const { template } = rotationStack(() => ({ consumerAccess: ConsumerAccess.NONE }));

    expect(keyStatements(template).map((s) => s.Sid)).not.toContain(
      'RekeyUsersDecryptTheirOwnSecret',
    );
    expect(JSON.stringify(template.findResources('AWS::IAM::Policy'))).not.toContain(
      'secretsmanager:PutResourcePolicy',
    );
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ REKEY_CONSUMER_ACCESS: 'none' }) },
    });
  });
});

describe('KeyRotation.grantReadSecret', () => {
  it("grants a role one user's secret and the key's decrypt through Secrets Manager for it alone", () => {
    const app = new App({ context: SKIP_BUNDLING, ...NO_VALIDATION });
    const stack = new Stack(app, 'Test');
    const rotation = new KeyRotation(stack, 'Rotation');
    const role = new iam.Role(stack, 'BillingApp', {
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
    });

    rotation.grantReadSecret(role, 'billing');

    const template = Template.fromStack(stack);
    const id = stack.getLogicalId(role.node.defaultChild as iam.CfnRole);
    const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((p) =>
      JSON.stringify(p).includes(id),
    );
    const statements = policies.flatMap(
      (p) =>
        (p.Properties as { PolicyDocument: { Statement: Record<string, unknown>[] } })
          .PolicyDocument.Statement,
    );
    const secretArn =
      'arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:rekey/billing-??????';
    const [read, decrypt, ...more] = statements;
    expect(more).toEqual([]);
    expect(read).toMatchObject({
      Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
      Effect: 'Allow',
    });
    expect(render(read?.Resource)).toBe(secretArn);
    expect(decrypt).toMatchObject({
      Action: 'kms:Decrypt',
      Effect: 'Allow',
      Resource: resolved(stack, rotation.encryptionKey.keyArn),
    });
    const condition = decrypt?.Condition as Record<string, Record<string, unknown>>;
    expect(render(condition.StringEquals?.['kms:ViaService'])).toBe(
      'secretsmanager.${AWS::Region}.amazonaws.com',
    );
    expect(render(condition.StringLike?.['kms:EncryptionContext:SecretARN'])).toBe(secretArn);
  });
});

describe('KeyRotation.grantStartRotation', () => {
  it('grants starting and following a rotation, and the KMS use bounded to its state machine', () => {
    const app = new App({ context: SKIP_BUNDLING, ...NO_VALIDATION });
    const stack = new Stack(app, 'Test');
    const rotation = new KeyRotation(stack, 'Rotation');
    const operator = new iam.Role(stack, 'Operator', {
      assumedBy: new iam.AccountRootPrincipal(),
    });

    rotation.grantStartRotation(operator);

    const statements = statementsOf(stack, Template.fromStack(stack), operator);
    const machine = resolved(stack, rotation.stateMachine.stateMachineArn);
    expect(statements.map((s) => [s.Action, render(s.Resource)])).toEqual([
      ['states:StartExecution', render(machine)],
      [
        'states:DescribeExecution',
        expect.stringMatching(
          /^arn:\$\{AWS::Partition\}:states:\$\{AWS::Region\}:\$\{AWS::AccountId\}:execution:.+-rotation:\*$/,
        ),
      ],
      [
        ['kms:GenerateDataKey', 'kms:Decrypt'],
        render(resolved(stack, rotation.encryptionKey.keyArn)),
      ],
    ]);
    expect(statements[2]?.Condition).toEqual({
      StringEquals: { 'kms:EncryptionContext:aws:states:stateMachineArn': machine },
    });
  });
});
