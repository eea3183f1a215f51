import { Match, Template } from 'aws-cdk-lib/assertions';
import type { CfnRole } from 'aws-cdk-lib/aws-iam';
import type { KeyRotation } from '../../lib/key-rotation';
import type { RekeyStack } from '../../lib/rekey-stack';
import {
  actionsOf,
  allowedActions,
  FUNCTIONS,
  identityStatements,
  realApp,
  render,
  resolved,
  resourcesOf,
  rotationStack,
  stateMachineOf,
  STEPS,
  statementsOf,
  stepFunction,
  viaService,
  type AnyStep,
} from './support';

const userArns = (managedPath: string): string =>
  `arn:\${AWS::Partition}:iam::\${AWS::AccountId}:user${managedPath}*`;
const secretArns = (prefix: string): string =>
  `arn:\${AWS::Partition}:secretsmanager:\${AWS::Region}:\${AWS::AccountId}:secret:${prefix}*`;

/**
 * The one exception to "no IAM action on *": the credential report actions have no resource type
 * in IAM (one report covers the whole account), so they can only be granted on "*". The fleet
 * scan's two roles hold one each; a statement may use the exception only for these two actions.
 */
const CREDENTIAL_REPORT_ACTIONS = ['iam:GenerateCredentialReport', 'iam:GetCredentialReport'];

const isCredentialReportGrant = (iamActions: string[], resources: string[]): boolean =>
  iamActions.length > 0 &&
  iamActions.every((a) => CREDENTIAL_REPORT_ACTIONS.includes(a)) &&
  resources.length === 1 &&
  resources[0] === '*';

/**
 * Every statement in the template that allows an IAM or Secrets Manager action on anything but
 * the managed users or the prefixed secrets, described. Wildcard actions (`*`, `iam:*`,
 * `iam:Get*`), NotAction and NotResource count as unbounded. The credential report actions on
 * "*" (and only they) are allowed: see CREDENTIAL_REPORT_ACTIONS.
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
    const serviceActions = actions.filter((a) => a.toLowerCase().startsWith(`${service}:`));
    if (!wildcardAction && isCredentialReportGrant(serviceActions, resources)) continue;
    if (wildcardAction || resources.length === 0 || resources.some((r) => r !== bounds[service])) {
      problems.push(describe);
    }
  }
  return problems;
}

const scopedStatementCount = (template: Template, service: string): number =>
  identityStatements(template).filter(
    ({ statement }) =>
      actionsOf(statement).some((a) => a.startsWith(`${service}:`)) &&
      !resourcesOf(statement).includes('*'),
  ).length;

/** The IAM actions granted on "*", each with the logical id of the role that holds it. */
const iamActionsOnStar = (template: Template): string[] =>
  identityStatements(template)
    .filter(({ statement }) => statement.Effect === 'Allow' && resourcesOf(statement).includes('*'))
    .flatMap(({ roles, statement }) =>
      actionsOf(statement)
        .filter((a) => a.startsWith('iam:'))
        .map((a) => `${a} ${render(roles)}`),
    )
    .sort();

/** What every function's role may do: its own logs and X-Ray. */
const BASE = [
  'logs:CreateLogStream',
  'logs:PutLogEvents',
  'xray:PutTelemetryRecords',
  'xray:PutTraceSegments',
];
/** What every function that emits events and notifies may do besides: rekey events, the topic. */
const TELEMETRY = ['events:PutEvents'];

interface StepActions {
  readonly iam: string[];
  readonly secrets: string[];
  readonly other?: string[];
  /** The function emits events (all but fleet-report). @default true */
  readonly telemetry?: boolean;
  /** Its code notifies operators (sns:Publish, and the topic key through SNS). @default false */
  readonly notifies?: boolean;
}

/** The IAM, Secrets Manager and other actions each function's code calls, and nothing else. */
const STEP_ACTIONS: Record<AnyStep, StepActions> = {
  inspect: {
    iam: ['GetAccessKeyLastUsed', 'GetUser', 'ListAccessKeys', 'ListUserTags'],
    secrets: ['DescribeSecret', 'GetSecretValue'],
    // StopExecution: an emergency takes over a running planned rotation of its user.
    other: ['states:DescribeExecution', 'states:StopExecution'],
    notifies: true,
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
      'PutResourcePolicy',
      'PutSecretValue',
      'TagResource',
      'UntagResource',
    ],
    other: ['states:DescribeExecution'],
  },
  'verify-key': { iam: ['ListAccessKeys'], secrets: ['DescribeSecret', 'GetSecretValue'] },
  'promote-key': { iam: [], secrets: ['DescribeSecret', 'UpdateSecretVersionStage'] },
  // LookupEvents on "*" (no resource type): attribution, who still uses the old key.
  'check-cutover': {
    iam: ['GetAccessKeyLastUsed'],
    secrets: ['DescribeSecret'],
    other: ['cloudtrail:LookupEvents'],
    notifies: true,
  },
  'deactivate-key': { iam: ['ListAccessKeys', 'UpdateAccessKey'], secrets: ['DescribeSecret'] },
  'delete-key': { iam: ['DeleteAccessKey', 'ListAccessKeys'], secrets: ['DescribeSecret'] },
  report: { iam: [], secrets: [] },
  compensate: {
    iam: ['DeleteAccessKey', 'GetAccessKeyLastUsed', 'ListAccessKeys', 'UpdateAccessKey'],
    secrets: ['DescribeSecret', 'GetSecretValue', 'UntagResource', 'UpdateSecretVersionStage'],
    notifies: true,
  },
  // GenerateCredentialReport on "*" (no resource type); it neither emits nor notifies.
  'fleet-report': { iam: ['GenerateCredentialReport'], secrets: [], telemetry: false },
  // GetCredentialReport on "*", ListUserTags on the managed users, the rotation state machine.
  'fleet-scan': {
    iam: ['GetCredentialReport', 'ListUserTags'],
    secrets: [],
    other: [
      'states:DescribeExecution',
      'states:GetExecutionHistory',
      'states:ListExecutions',
      'states:StartExecution',
    ],
    notifies: true,
  },
};

/** KMS actions each function needs through Secrets Manager (reading or writing a secret value). */
const SECRETS_KMS: Record<AnyStep, string[]> = {
  inspect: ['kms:Decrypt'],
  'stage-key': ['kms:Decrypt', 'kms:GenerateDataKey'],
  'verify-key': ['kms:Decrypt'],
  'promote-key': [],
  'check-cutover': [],
  'deactivate-key': [],
  'delete-key': [],
  report: [],
  compensate: ['kms:Decrypt'],
  'fleet-report': [],
  'fleet-scan': [],
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

  it("lets CloudWatch publish to the topic only for rekey's four alarms, in this account", () => {
    const alarms = [
      rotation.failureAlarm,
      rotation.fleetScan.failureAlarm,
      rotation.dashboard.pastMaxAgeAlarm,
      rotation.dashboard.rootAccessKeysAlarm,
    ].map((alarm) => resolved(stack, alarm.alarmArn));
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Sid: 'AllowPublishThroughSSLOnly', Effect: 'Deny' }),
          {
            Sid: 'AllowRekeyAlarmsToPublish',
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
            Resource: resolved(stack, stack.topic.topicArn),
            Condition: {
              StringEquals: { 'aws:SourceAccount': resolved(stack, stack.account) },
              ArnEquals: { 'aws:SourceArn': alarms },
            },
          },
        ]),
      },
    });
  });

  it('bounds every IAM and Secrets Manager action in every policy to the managed users and secrets', () => {
    expect(unboundedStatements(template, '/', 'rekey/')).toEqual([]);
    // The scan saw the statements it is about: eight roles touch IAM users (seven steps and the
    // fleet scan's ListUserTags), eight touch secrets.
    expect(scopedStatementCount(template, 'iam')).toBe(8);
    expect(scopedStatementCount(template, 'secretsmanager')).toBe(8);
  });

  it('grants IAM actions on "*" only for the credential report, one action to each fleet role', () => {
    const role = (step: AnyStep): string =>
      render(resolved(stack, stepFunction(rotation, step).role.roleName));

    expect(iamActionsOnStar(template)).toEqual(
      [
        `iam:GenerateCredentialReport ${role('fleet-report')}`,
        `iam:GetCredentialReport ${role('fleet-scan')}`,
      ].sort(),
    );
  });

  it.each(FUNCTIONS)('gives the %s role exactly the actions its code calls', (step) => {
    const expected = STEP_ACTIONS[step];
    const statements = statementsOf(stack, template, stepFunction(rotation, step).role);

    expect(allowedActions(statements, 'iam')).toEqual(expected.iam.map((a) => `iam:${a}`));
    expect(allowedActions(statements, 'secretsmanager')).toEqual(
      expected.secrets.map((a) => `secretsmanager:${a}`),
    );
    const nonKms = allowedActions(statements).filter((a) => !a.startsWith('kms:'));
    expect(nonKms).toEqual(
      [
        ...BASE,
        ...(expected.telemetry === false ? [] : TELEMETRY),
        ...(expected.notifies === true ? ['sns:Publish'] : []),
        ...(expected.other ?? []),
        ...expected.iam.map((a) => `iam:${a}`),
        ...expected.secrets.map((a) => `secretsmanager:${a}`),
      ].sort(),
    );
  });

  it('gives check-cutover no IAM action but GetAccessKeyLastUsed and no secret value', () => {
    const statements = statementsOf(stack, template, rotation.functions.checkCutover.role);

    expect(allowedActions(statements, 'iam')).toEqual(['iam:GetAccessKeyLastUsed']);
    expect(allowedActions(statements, 'secretsmanager')).toEqual(['secretsmanager:DescribeSecret']);
    expect(statements.filter((s) => viaService(s)?.startsWith('secretsmanager.'))).toEqual([]);
  });

  it.each(FUNCTIONS)(
    'lets the %s role use KMS keys only through Secrets Manager, or SNS if it notifies',
    (step) => {
      const statements = statementsOf(stack, template, stepFunction(rotation, step).role);
      const kms = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('kms:')));

      expect(kms.map(viaService).filter((v) => v === undefined)).toEqual([]);
      const viaSecrets = kms.filter(
        (s) => viaService(s) === 'secretsmanager.${AWS::Region}.amazonaws.com',
      );
      expect(allowedActions(viaSecrets)).toEqual(SECRETS_KMS[step]);
      const viaSns = kms.filter((s) => viaService(s) === 'sns.${AWS::Region}.amazonaws.com');
      expect(allowedActions(viaSns)).toEqual(
        STEP_ACTIONS[step].notifies === true ? ['kms:Decrypt', 'kms:GenerateDataKey'] : [],
      );
      for (const s of kms) {
        expect(s.Resource).toEqual(resolved(stack, rotation.encryptionKey.keyArn));
      }
    },
  );

  it('gives the function roles no managed policy and lets only Lambda assume them', () => {
    for (const step of FUNCTIONS) {
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

  it.each<AnyStep>(['inspect', 'stage-key', 'fleet-scan'])(
    'lets %s describe only executions of the rotation state machine',
    (step) => {
      const stateMachineName = stateMachineOf(template, 'rotation').properties.StateMachineName;
      const statements = statementsOf(stack, template, stepFunction(rotation, step).role);
      const describe = statements.filter((s) => actionsOf(s).includes('states:DescribeExecution'));

      expect(describe.flatMap(resourcesOf).map(render)).toEqual([
        `arn:\${AWS::Partition}:states:\${AWS::Region}:\${AWS::AccountId}:execution:${String(stateMachineName)}:*`,
      ]);
    },
  );

  it('lets the fleet scan start and list executions of the rotation state machine only', () => {
    const statements = statementsOf(stack, template, rotation.fleetFunctions.fleetScan.role);
    const states = statements.filter((s) =>
      actionsOf(s).some((a) => ['states:StartExecution', 'states:ListExecutions'].includes(a)),
    );

    expect(states.flatMap(actionsOf).sort()).toEqual([
      'states:ListExecutions',
      'states:StartExecution',
    ]);
    expect(states.flatMap(resourcesOf)).toEqual([
      resolved(stack, rotation.stateMachine.stateMachineArn),
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
    // Every rotation step and the fleet scan; fleet-report emits nothing.
    expect(putEvents).toHaveLength(STEPS.length + 1);
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
    expect(scopedStatementCount(template, 'iam')).toBe(8);
    expect(scopedStatementCount(template, 'secretsmanager')).toBe(8);
  });

  it('changes every IAM and secret ARN away from the default / path and rekey/ prefix', () => {
    // The credential report grants stay on "*": the report covers the account, not a path.
    expect(unboundedStatements(template, '/', 'rekey/')).toHaveLength(8 + 8);
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

  it('allows the two credential report actions on "*" and nothing that rides along with them', () => {
    const statements = [
      // Allowed: the documented exception, alone or beside a non-IAM action.
      { Effect: 'Allow', Action: 'iam:GenerateCredentialReport', Resource: '*' },
      {
        Effect: 'Allow',
        Action: ['iam:GetCredentialReport', 'xray:PutTraceSegments'],
        Resource: '*',
      },
      // Reported: another IAM action beside them, a wildcard, or anything but exactly "*".
      { Effect: 'Allow', Action: ['iam:GetCredentialReport', 'iam:ListUsers'], Resource: '*' },
      { Effect: 'Allow', Action: 'iam:*CredentialReport', Resource: '*' },
      { Effect: 'Allow', Action: 'iam:GetCredentialReport', NotResource: userArns('/') },
      { Effect: 'Allow', NotAction: 'iam:GetCredentialReport', Resource: '*' },
      { Effect: 'Allow', Action: 'iam:GenerateCredentialReport', Resource: ['*', 'arn:x'] },
    ];
    const template = Template.fromJSON({
      Resources: {
        Extra: {
          Type: 'AWS::IAM::Policy',
          Properties: {
            PolicyName: 'extra',
            Roles: [{ Ref: 'SomeRole' }],
            PolicyDocument: { Version: '2012-10-17', Statement: statements },
          },
        },
      },
    });

    expect(unboundedStatements(template, '/', 'rekey/')).toEqual(
      statements.slice(2).map((s) => `Extra: ${JSON.stringify(s)}`),
    );
  });
});
