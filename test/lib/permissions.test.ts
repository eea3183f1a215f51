import { Match, Template } from 'aws-cdk-lib/assertions';
import type { CfnRole } from 'aws-cdk-lib/aws-iam';
import type { KeyRotation } from '../../lib/key-rotation';
import type { RekeyStack } from '../../lib/rekey-stack';
import {
  actionsOf,
  allowedActions,
  identityStatements,
  realApp,
  render,
  resolved,
  resourcesOf,
  rotationStack,
  STEPS,
  statementsOf,
  stepFunction,
  viaService,
  type Step,
} from './support';

const userArns = (managedPath: string): string =>
  `arn:\${AWS::Partition}:iam::\${AWS::AccountId}:user${managedPath}*`;
const secretArns = (prefix: string): string =>
  `arn:\${AWS::Partition}:secretsmanager:\${AWS::Region}:\${AWS::AccountId}:secret:${prefix}*`;

/**
 * Every statement in the template that allows an IAM or Secrets Manager action on anything but
 * the managed users or the prefixed secrets, described. Wildcard actions (`*`, `iam:*`,
 * `iam:Get*`), NotAction and NotResource count as unbounded.
 */
function unboundedStatements(template: Template, managedPath: string, prefix: string): string[] {
  const bounds: Record<string, string> = {
    iam: userArns(managedPath),
    secretsmanager: secretArns(prefix),
  };
  const problems: string[] = [];
  for (const { where, statement } of identityStatements(template)) {
    if (statement.Effect !== 'Allow') continue;
    const actions = [...actionsOf(statement), ...[statement.NotAction ?? []].flat()];
    const services = new Set(
      actions
        .map((a) => (a === '*' ? '*' : a.split(':')[0]?.toLowerCase()))
        .filter((s) => s === '*' || s === 'iam' || s === 'secretsmanager'),
    );
    if (services.size === 0) continue;
    const describe = `${where}: ${JSON.stringify(statement)}`;
    if (services.has('*') || services.size > 1 || statement.NotAction || statement.NotResource) {
      problems.push(describe);
      continue;
    }
    const [service] = [...services] as [string];
    const wildcardAction = actions.some((a) => a.includes('*'));
    const resources = resourcesOf(statement).map(render);
    if (wildcardAction || resources.length === 0 || resources.some((r) => r !== bounds[service])) {
      problems.push(describe);
    }
  }
  return problems;
}

const scopedStatementCount = (template: Template, service: string): number =>
  identityStatements(template).filter(({ statement }) =>
    actionsOf(statement).some((a) => a.startsWith(`${service}:`)),
  ).length;

/** What every step's role may do: its own logs, X-Ray, rekey events and the topic. */
const COMMON = [
  'events:PutEvents',
  'logs:CreateLogStream',
  'logs:PutLogEvents',
  'sns:Publish',
  'xray:PutTelemetryRecords',
  'xray:PutTraceSegments',
];

/** The IAM, Secrets Manager and other actions each step's code calls, and nothing else. */
const STEP_ACTIONS: Record<Step, { iam: string[]; secrets: string[]; other?: string[] }> = {
  inspect: {
    iam: ['GetUser', 'ListAccessKeys', 'ListUserTags'],
    secrets: ['DescribeSecret', 'GetSecretValue'],
    other: ['states:DescribeExecution'],
  },
  'stage-key': {
    iam: [
      'CreateAccessKey',
      'DeleteAccessKey',
      'GetAccessKeyLastUsed',
      'ListAccessKeys',
      'UpdateAccessKey',
    ],
    secrets: [
      'CreateSecret',
      'DescribeSecret',
      'GetSecretValue',
      'PutSecretValue',
      'TagResource',
      'UntagResource',
    ],
  },
  'verify-key': { iam: [], secrets: ['GetSecretValue'] },
  'promote-key': { iam: [], secrets: ['DescribeSecret', 'UpdateSecretVersionStage'] },
  'check-cutover': { iam: ['GetAccessKeyLastUsed'], secrets: [] },
  'deactivate-key': { iam: ['ListAccessKeys', 'UpdateAccessKey'], secrets: ['DescribeSecret'] },
  'delete-key': { iam: ['DeleteAccessKey', 'ListAccessKeys'], secrets: ['DescribeSecret'] },
  report: { iam: [], secrets: [] },
  compensate: {
    iam: ['DeleteAccessKey', 'GetAccessKeyLastUsed', 'ListAccessKeys', 'UpdateAccessKey'],
    secrets: ['DescribeSecret', 'GetSecretValue', 'UntagResource', 'UpdateSecretVersionStage'],
  },
};

/** KMS actions each step needs through Secrets Manager (reading or writing a secret value). */
const SECRETS_KMS: Record<Step, string[]> = {
  inspect: ['kms:Decrypt'],
  'stage-key': ['kms:Decrypt', 'kms:GenerateDataKey'],
  'verify-key': ['kms:Decrypt'],
  'promote-key': [],
  'check-cutover': [],
  'deactivate-key': [],
  'delete-key': [],
  report: [],
  compensate: ['kms:Decrypt'],
};

describe('permissions of the deployable stack', () => {
  let stack: RekeyStack;
  let rotation: KeyRotation;
  let template: Template;
  beforeAll(() => {
    const app = realApp();
    stack = app.stack;
    rotation = app.stack.rotation;
    template = app.template;
  });

  it('bounds every IAM and Secrets Manager action in every policy to the managed users and secrets', () => {
    expect(unboundedStatements(template, '/', 'rekey/')).toEqual([]);
    // The scan saw the statements it is about: six roles touch IAM users, seven touch secrets.
    expect(scopedStatementCount(template, 'iam')).toBe(6);
    expect(scopedStatementCount(template, 'secretsmanager')).toBe(7);
  });

  it.each(STEPS)('gives the %s role exactly the actions its step calls', (step) => {
    const expected = STEP_ACTIONS[step];
    const statements = statementsOf(stack, template, stepFunction(rotation, step).role);

    expect(allowedActions(statements, 'iam')).toEqual(expected.iam.map((a) => `iam:${a}`));
    expect(allowedActions(statements, 'secretsmanager')).toEqual(
      expected.secrets.map((a) => `secretsmanager:${a}`),
    );
    const nonKms = allowedActions(statements).filter((a) => !a.startsWith('kms:'));
    expect(nonKms).toEqual(
      [
        ...COMMON,
        ...(expected.other ?? []),
        ...expected.iam.map((a) => `iam:${a}`),
        ...expected.secrets.map((a) => `secretsmanager:${a}`),
      ].sort(),
    );
  });

  it('gives check-cutover no IAM action but GetAccessKeyLastUsed and no secret access', () => {
    const statements = statementsOf(stack, template, rotation.functions.checkCutover.role);

    expect(allowedActions(statements, 'iam')).toEqual(['iam:GetAccessKeyLastUsed']);
    expect(allowedActions(statements, 'secretsmanager')).toEqual([]);
    expect(statements.filter((s) => viaService(s)?.startsWith('secretsmanager.'))).toEqual([]);
  });

  it.each(STEPS)('lets the %s role use KMS keys only through Secrets Manager or SNS', (step) => {
    const statements = statementsOf(stack, template, stepFunction(rotation, step).role);
    const kms = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('kms:')));

    expect(kms.map(viaService).filter((v) => v === undefined)).toEqual([]);
    const viaSecrets = kms.filter(
      (s) => viaService(s) === 'secretsmanager.${AWS::Region}.amazonaws.com',
    );
    expect(allowedActions(viaSecrets)).toEqual(SECRETS_KMS[step]);
    const viaSns = kms.filter((s) => viaService(s) === 'sns.${AWS::Region}.amazonaws.com');
    expect(allowedActions(viaSns)).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
    for (const s of kms) {
      expect(s.Resource).toEqual(resolved(stack, rotation.encryptionKey.keyArn));
    }
  });

  it('gives the step roles no managed policy and lets only Lambda assume them', () => {
    for (const step of STEPS) {
      const role = stepFunction(rotation, step).role;
      const id = stack.getLogicalId(role.node.defaultChild as CfnRole);
      const props = template.findResources('AWS::IAM::Role')[id]?.Properties as Record<
        string,
        unknown
      >;
      expect(props.ManagedPolicyArns).toBeUndefined();
      expect(props.AssumeRolePolicyDocument).toEqual({
        Version: '2012-10-17',
        Statement: [
          {
            Action: 'sts:AssumeRole',
            Effect: 'Allow',
            Principal: { Service: 'lambda.amazonaws.com' },
          },
        ],
      });
    }
  });

  it('lets Inspect describe only executions of the rotation state machine', () => {
    const name = template.findResources('AWS::StepFunctions::StateMachine');
    const [stateMachine] = Object.values(name);
    const stateMachineName = (stateMachine?.Properties as { StateMachineName: string })
      .StateMachineName;
    const statements = statementsOf(stack, template, rotation.functions.inspect.role);
    const describe = statements.filter((s) => actionsOf(s).includes('states:DescribeExecution'));

    expect(describe.flatMap(resourcesOf).map(render)).toEqual([
      `arn:\${AWS::Partition}:states:\${AWS::Region}:\${AWS::AccountId}:execution:${stateMachineName}:*`,
    ]);
  });

  it('lets the steps publish only to the rekey topic and put events only on the default bus', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Action: 'sns:Publish',
            Effect: 'Allow',
            Resource: resolved(stack, stack.topic.topicArn),
          },
        ]),
      },
    });
    const putEvents = identityStatements(template)
      .map((s) => s.statement)
      .filter((s) => actionsOf(s).includes('events:PutEvents'));
    expect(putEvents).toHaveLength(STEPS.length);
    expect(new Set(putEvents.flatMap(resourcesOf).map(render))).toEqual(
      new Set(['arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/default']),
    );
  });
});

describe('permissions with a custom managed path and secret prefix', () => {
  let template: Template;
  beforeAll(() => {
    template = rotationStack(() => ({ managedPath: '/apps/', secretPrefix: 'team-a/' })).template;
  });

  it('bounds IAM actions to users under /apps/ and secrets to team-a/', () => {
    expect(unboundedStatements(template, '/apps/', 'team-a/')).toEqual([]);
    expect(scopedStatementCount(template, 'iam')).toBe(6);
    expect(scopedStatementCount(template, 'secretsmanager')).toBe(7);
  });

  it('changes every IAM and secret ARN away from the default / path and rekey/ prefix', () => {
    expect(unboundedStatements(template, '/', 'rekey/')).toHaveLength(6 + 7);
  });
});

describe('the policy scan', () => {
  it('reports a statement that allows an IAM action on every resource', () => {
    const template = Template.fromJSON({
      Resources: {
        Extra: {
          Type: 'AWS::IAM::Policy',
          Properties: {
            PolicyName: 'extra',
            Roles: [{ Ref: 'SomeRole' }],
            PolicyDocument: {
              Version: '2012-10-17',
              Statement: [
                { Effect: 'Allow', Action: 'iam:ListUsers', Resource: '*' },
                { Effect: 'Allow', Action: 'secretsmanager:*', Resource: secretArns('rekey/') },
                { Effect: 'Allow', Action: 'sts:GetCallerIdentity', Resource: '*' },
              ],
            },
          },
        },
      },
    });

    expect(unboundedStatements(template, '/', 'rekey/')).toEqual([
      expect.stringContaining('iam:ListUsers'),
      expect.stringContaining('secretsmanager:*'),
    ]);
  });
});
