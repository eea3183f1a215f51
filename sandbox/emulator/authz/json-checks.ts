/**
 * The action and resource of each Secrets Manager, Step Functions and EventBridge request. A
 * secret is evaluated with its resource policy. A secret that does not exist is evaluated as
 * `secret:<name>` (no random suffix: what AWS evaluates there is unverified) and named in the
 * message as the caller gave it, as Secrets Manager does (observed).
 */
import type { CallContext, Core } from '../core';
import type { JsonInput } from '../json-protocol';
import type { PlannedCheck } from './query-checks';

type Planner = (core: Core, input: JsonInput, ctx: CallContext) => PlannedCheck[];

function secretCheck(core: Core, input: JsonInput, ctx: CallContext, action: string): PlannedCheck {
  const id = input.string('SecretId') ?? input.string('Name') ?? '';
  const secret = core.secrets.resolve(id, ctx.now);
  if (secret) {
    return {
      check: { action, resource: secret.arn, resourcePolicy: secret.resourcePolicy },
      shown: secret.arn,
    };
  }
  const resource = id.startsWith('arn:')
    ? id
    : `arn:aws:secretsmanager:${core.region}:${core.accountId}:secret:${id}`;
  return { check: { action, resource }, shown: id };
}

const secret =
  (action: string): Planner =>
  (core, input, ctx) => [secretCheck(core, input, ctx, `secretsmanager:${action}`)];

/** CreateSecret with Tags also needs TagResource (Secrets Manager's documented requirement). */
const createSecret: Planner = (core, input, ctx) => {
  const checks = [secretCheck(core, input, ctx, 'secretsmanager:CreateSecret')];
  const tags = input.raw.Tags;
  if (Array.isArray(tags) && tags.length > 0) {
    checks.push(secretCheck(core, input, ctx, 'secretsmanager:TagResource'));
  }
  return checks;
};

export const SECRETS_MANAGER_CHECKS: Readonly<Record<string, Planner>> = {
  CreateSecret: createSecret,
  DescribeSecret: secret('DescribeSecret'),
  ListSecrets: () => [{ check: { action: 'secretsmanager:ListSecrets', resource: '*' } }],
  TagResource: secret('TagResource'),
  UntagResource: secret('UntagResource'),
  DeleteSecret: secret('DeleteSecret'),
  RestoreSecret: secret('RestoreSecret'),
  GetSecretValue: secret('GetSecretValue'),
  PutSecretValue: secret('PutSecretValue'),
  UpdateSecretVersionStage: secret('UpdateSecretVersionStage'),
  ListSecretVersionIds: secret('ListSecretVersionIds'),
  PutResourcePolicy: secret('PutResourcePolicy'),
  GetResourcePolicy: secret('GetResourcePolicy'),
  DeleteResourcePolicy: secret('DeleteResourcePolicy'),
};

const byArn =
  (action: string, member: string): Planner =>
  (_core, input) => [
    { check: { action: `states:${action}`, resource: input.string(member) ?? '' } },
  ];

export const STEP_FUNCTIONS_CHECKS: Readonly<Record<string, Planner>> = {
  CreateStateMachine: (core, input) => [
    {
      check: {
        action: 'states:CreateStateMachine',
        resource: `arn:aws:states:${core.region}:${core.accountId}:stateMachine:${input.string('name') ?? ''}`,
      },
    },
    // Handing a role to Step Functions is passing it.
    { check: { action: 'iam:PassRole', resource: input.string('roleArn') ?? '' } },
  ],
  ListStateMachines: () => [{ check: { action: 'states:ListStateMachines', resource: '*' } }],
  DescribeStateMachine: byArn('DescribeStateMachine', 'stateMachineArn'),
  StartExecution: byArn('StartExecution', 'stateMachineArn'),
  ListExecutions: byArn('ListExecutions', 'stateMachineArn'),
  DescribeExecution: byArn('DescribeExecution', 'executionArn'),
  GetExecutionHistory: byArn('GetExecutionHistory', 'executionArn'),
  StopExecution: byArn('StopExecution', 'executionArn'),
};

export const EVENTS_CHECKS: Readonly<Record<string, Planner>> = {
  PutEvents: (core, input) => {
    const buses = new Set(
      (input.records('Entries') ?? []).map((entry) => {
        const name = typeof entry.EventBusName === 'string' ? entry.EventBusName : 'default';
        return name.startsWith('arn:')
          ? name
          : `arn:aws:events:${core.region}:${core.accountId}:event-bus/${name || 'default'}`;
      }),
    );
    return [...buses].map((resource) => ({ check: { action: 'events:PutEvents', resource } }));
  },
};
