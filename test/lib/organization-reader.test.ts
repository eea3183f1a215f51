import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import {
  ORGANIZATION_READER_ROLE_NAME,
  OrganizationReader,
  READER_IAM_ACTIONS,
} from '../../lib/organization-reader';

const CENTRAL = '111122223333';

interface Statement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
}

function build(centralAccountId = CENTRAL): { template: Template; stack: Stack } {
  const stack = new Stack(new App(), 'Member');
  const machine = new sfn.StateMachine(stack, 'Scan', {
    stateMachineName: 'member-fleet-scan',
    definitionBody: sfn.DefinitionBody.fromChainable(new sfn.Pass(stack, 'Pass')),
  });
  new OrganizationReader(stack, 'Reader', {
    centralAccountId,
    stateMachines: [machine],
    stateMachineNames: ['member-fleet-scan'],
  });
  return { template: Template.fromStack(stack), stack };
}

function readerStatements(template: Template): Statement[] {
  const policies = template.findResources('AWS::IAM::Policy');
  return Object.values(policies)
    .filter((p) => JSON.stringify(p).includes('Reader'))
    .flatMap(
      (p) =>
        (p as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties
          .PolicyDocument.Statement,
    );
}

describe('OrganizationReader', () => {
  it('trusts only the central account reporter role, by aws:PrincipalArn', () => {
    const { template } = build();
    const roles = template.findResources('AWS::IAM::Role', {
      Properties: { RoleName: ORGANIZATION_READER_ROLE_NAME },
    });
    const role = Object.values(roles)[0] as {
      Properties: { AssumeRolePolicyDocument: { Statement: unknown[] } };
    };
    const trust = JSON.stringify(role.Properties.AssumeRolePolicyDocument.Statement);

    expect(role.Properties.AssumeRolePolicyDocument.Statement).toHaveLength(1);
    expect(trust).toContain(`:iam::${CENTRAL}:root`);
    expect(trust).toContain('"ArnEquals":{"aws:PrincipalArn"');
    expect(trust).toContain(`:iam::${CENTRAL}:role/RekeyOrganizationReporter`);
  });

  it('allows reads only: no secret value and no write, in every statement', () => {
    const statements = readerStatements(build().template);
    const actions = statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
    const reads =
      /^(iam:(Get|List|GenerateCredentialReport)|states:(List|Describe|GetExecutionHistory)|cloudformation:(Describe|ListStacks))/;

    expect(statements.length).toBeGreaterThanOrEqual(4);
    expect(statements.every((s) => s.Effect === 'Allow')).toBe(true);
    expect(actions).not.toContain('secretsmanager:GetSecretValue');
    expect(actions.filter((a) => !reads.test(a) || a.includes('*'))).toEqual([]);
    expect(actions).toEqual(expect.arrayContaining([...READER_IAM_ACTIONS]));
  });

  it('bounds the state machine reads to the named machines and the stack read to its own stack', () => {
    const statements = readerStatements(build().template);
    const text = (action: string): string =>
      JSON.stringify(
        statements.find((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]).includes(action))
          ?.Resource,
      );

    expect(text('states:DescribeExecution')).toContain(':execution:member-fleet-scan:*');
    expect(text('states:ListExecutions')).not.toContain('*');
    expect(text('cloudformation:DescribeStacks')).toContain('AWS::StackId');
  });

  it('refuses a central account id that is not 12 digits and says what to pass', () => {
    expect(() => build('12345')).toThrow(
      /Member\/Reader: centralAccountId must be a 12-digit AWS account id; got "12345"/,
    );
  });
});
