/**
 * Who is asking, in the terms policy evaluation needs: the principal as a policy names it, the
 * ARN a denial message shows, the identity policies that apply, and the request context AWS sets
 * for that kind of principal (aws:username only for users, aws:PrincipalArn the role's ARN for
 * a role session, aws:SourceArn and aws:SourceAccount when a service acts for a resource).
 */
import type { Principal } from '../state/account';
import type { PolicyState, PolicyText } from '../state/policies';
import { ADMINISTRATOR_ACCESS } from './documents';

export type ContextValues = Record<string, string | string[]>;

export interface NamedPolicy {
  readonly name: string;
  readonly text: PolicyText;
}

export interface Caller {
  /** What a policy's Principal is matched against: an ARN, or a service principal name. */
  readonly principal: string;
  /** The ARN (or service principal) a denial message starts with. */
  readonly arn: string;
  /** The role behind a role session or a system principal, for grouping decisions. */
  readonly roleArn?: string;
  readonly identityPolicies: readonly NamedPolicy[];
  readonly context: ContextValues;
  readonly service?: string;
}

function rolePolicies(state: PolicyState, roleName: string): NamedPolicy[] {
  const role = state.findRole(roleName);
  if (!role) return [];
  return [
    ...[...role.inline].map(([name, text]) => ({ name, text })),
    ...[...role.attached].flatMap((arn) => {
      const policy = state.managed.get(arn);
      return policy ? [{ name: arn, text: policy.document }] : [];
    }),
  ];
}

function userPolicies(state: PolicyState, userName: string): NamedPolicy[] {
  const own = state.users.get(userName.toLowerCase());
  if (!own) return [];
  return [
    ...[...own.inline].map(([name, text]) => ({ name, text })),
    ...[...own.attached].flatMap((arn) => {
      const policy = state.managed.get(arn);
      return policy ? [{ name: arn, text: policy.document }] : [];
    }),
  ];
}

export function callerOf(principal: Principal, state: PolicyState, accountId: string): Caller {
  const base = { 'aws:PrincipalAccount': accountId };
  switch (principal.kind) {
    case 'user': {
      const { user } = principal;
      return {
        principal: user.arn,
        arn: user.arn,
        identityPolicies: userPolicies(state, user.userName),
        context: {
          ...base,
          'aws:username': user.userName,
          'aws:userid': user.userId,
          'aws:PrincipalArn': user.arn,
          'aws:PrincipalType': 'User',
        },
      };
    }
    case 'session': {
      const { session } = principal;
      return {
        principal: session.arn,
        arn: session.arn,
        roleArn: session.roleArn,
        identityPolicies: rolePolicies(state, session.roleName),
        context: {
          ...base,
          'aws:userid': `${session.roleId}:${session.sessionName}`,
          'aws:PrincipalArn': session.roleArn,
          'aws:PrincipalType': 'AssumedRole',
        },
      };
    }
    case 'system': {
      const { name, roleId, admin } = principal.principal;
      const arn = `arn:aws:sts::${accountId}:assumed-role/${name}/sandbox`;
      const roleArn = state.findRole(name)?.arn ?? `arn:aws:iam::${accountId}:role/${name}`;
      return {
        principal: arn,
        arn,
        roleArn,
        identityPolicies: admin
          ? [{ name: 'AdministratorAccess', text: ADMINISTRATOR_ACCESS }]
          : rolePolicies(state, name),
        context: {
          ...base,
          'aws:userid': `${roleId}:sandbox`,
          'aws:PrincipalArn': roleArn,
          'aws:PrincipalType': 'AssumedRole',
        },
      };
    }
  }
}

/**
 * A service principal acting for a resource (an alarm, a schedule): of the account, or of the
 * account its `sourceArn` names. `aws:SourceAccount` is the account that owns the source resource
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-sourceaccount),
 * so a resource of another account can be used to test a confused-deputy bound.
 */
export function serviceCaller(service: string, accountId: string, sourceArn?: string): Caller {
  const owner = /^arn:[^:]+:[^:]+:[^:]*:(\d{12}):/.exec(sourceArn ?? '')?.[1];
  return {
    principal: service,
    arn: service,
    service,
    identityPolicies: [],
    context: {
      'aws:PrincipalServiceName': service,
      'aws:SourceAccount': owner ?? accountId,
      ...(sourceArn === undefined ? {} : { 'aws:SourceArn': sourceArn }),
    },
  };
}
