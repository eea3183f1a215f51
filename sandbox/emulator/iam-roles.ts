/** IAM roles: create, read, delete; their inline policies and attached managed policies. */
import { requireValid } from './authz/documents';
import type { Core, QueryOperation } from './core';
import { ServiceError } from './errors';
import { managedPolicy, policyList } from './iam-policies';
import { validatePath } from './iam-validation';
import { newRoleId } from './ids';
import type { QueryParams, XmlValue } from './query-protocol';
import type { RoleRecord } from './state/policies';

export const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;
const POLICY_NAME = /^[\w+=,.@-]{1,128}$/;

function invalid(message: string): ServiceError {
  return new ServiceError('ValidationError', message);
}

export function requireRole(core: Core, roleName: string): RoleRecord {
  const role = core.policies.findRole(roleName);
  if (!role) {
    throw new ServiceError('NoSuchEntity', `The role with name ${roleName} cannot be found.`, 404);
  }
  return role;
}

/** IAM returns policy documents URL-encoded (RFC 3986), as the API reference says. */
export function encodedDocument(text: string): string {
  return encodeURIComponent(text);
}

function roleXml(role: RoleRecord): XmlValue {
  return {
    Path: role.path,
    RoleName: role.roleName,
    RoleId: role.roleId,
    Arn: role.arn,
    CreateDate: role.createDate,
    AssumeRolePolicyDocument: encodedDocument(role.trustPolicy),
    Description: role.description,
    MaxSessionDuration: role.maxSessionDuration,
  };
}

export interface NewRole {
  readonly roleName: string;
  readonly trustPolicy: string;
  readonly path?: string;
  readonly description?: string;
  readonly maxSessionDuration?: number;
}

/** Shared by CreateRole and the runner's deployment, so both keep IAM's rules. */
export function createRole(core: Core, input: NewRole): RoleRecord {
  const path = input.path ?? '/';
  if (!ROLE_NAME.test(input.roleName)) {
    throw invalid(
      `1 validation error detected: Value '${input.roleName}' at 'roleName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+`,
    );
  }
  validatePath(path);
  requireValid(input.trustPolicy, 'trust');
  const duration = input.maxSessionDuration ?? 3600;
  if (duration < 3600 || duration > 43200) {
    throw invalid(
      `1 validation error detected: Value '${duration}' at 'maxSessionDuration' failed to satisfy constraint: Member must have value between 3600 and 43200`,
    );
  }
  if (core.policies.findRole(input.roleName)) {
    throw new ServiceError(
      'EntityAlreadyExists',
      `Role with name ${input.roleName} already exists.`,
      409,
    );
  }
  const role: RoleRecord = {
    roleName: input.roleName,
    path,
    arn: `arn:aws:iam::${core.accountId}:role${path}${input.roleName}`,
    roleId: newRoleId(),
    createDate: core.clock.now(),
    description: input.description,
    maxSessionDuration: duration,
    trustPolicy: input.trustPolicy,
    inline: new Map(),
    attached: new Set(),
  };
  core.policies.roles.set(role.roleName.toLowerCase(), role);
  return role;
}

function policyName(params: QueryParams): string {
  const name = params.required('PolicyName');
  if (!POLICY_NAME.test(name)) {
    throw invalid(
      `1 validation error detected: Value '${name}' at 'policyName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+`,
    );
  }
  return name;
}

export function roleOperations(core: Core): Record<string, QueryOperation> {
  return {
    CreateRole: (params) => {
      const duration = params.int('MaxSessionDuration');
      const role = createRole(core, {
        roleName: params.required('RoleName'),
        trustPolicy: params.required('AssumeRolePolicyDocument'),
        path: params.get('Path'),
        description: params.get('Description'),
        maxSessionDuration: duration,
      });
      return { Role: roleXml(role) };
    },
    GetRole: (params) => ({ Role: roleXml(requireRole(core, params.required('RoleName'))) }),
    ListRoles: (params) => {
      const prefix = params.get('PathPrefix') ?? '/';
      const roles = [...core.policies.roles.values()].filter((r) => r.path.startsWith(prefix));
      return { Roles: roles.map(roleXml), IsTruncated: false };
    },
    DeleteRole: (params) => {
      const role = requireRole(core, params.required('RoleName'));
      if (role.inline.size > 0 || role.attached.size > 0) {
        throw new ServiceError(
          'DeleteConflict',
          'Cannot delete entity, must delete policies first.',
          409,
        );
      }
      core.policies.roles.delete(role.roleName.toLowerCase());
      return undefined;
    },
    PutRolePolicy: (params) => {
      const role = requireRole(core, params.required('RoleName'));
      const document = params.required('PolicyDocument');
      requireValid(document, 'identity');
      role.inline.set(policyName(params), document);
      return undefined;
    },
    GetRolePolicy: (params) => {
      const role = requireRole(core, params.required('RoleName'));
      const name = params.required('PolicyName');
      const document = role.inline.get(name);
      if (document === undefined) {
        throw new ServiceError(
          'NoSuchEntity',
          `The role policy with name ${name} cannot be found.`,
          404,
        );
      }
      return {
        RoleName: role.roleName,
        PolicyName: name,
        PolicyDocument: encodedDocument(document),
      };
    },
    DeleteRolePolicy: (params) => {
      const role = requireRole(core, params.required('RoleName'));
      const name = params.required('PolicyName');
      if (!role.inline.delete(name)) {
        throw new ServiceError(
          'NoSuchEntity',
          `The role policy with name ${name} cannot be found.`,
          404,
        );
      }
      return undefined;
    },
    ListRolePolicies: (params) => {
      const role = requireRole(core, params.required('RoleName'));
      return { PolicyNames: [...role.inline.keys()].sort(), IsTruncated: false };
    },
    AttachRolePolicy: (params) => {
      const role = requireRole(core, params.required('RoleName'));
      role.attached.add(managedPolicy(core, params.required('PolicyArn')).arn);
      return undefined;
    },
    DetachRolePolicy: (params) => {
      const role = requireRole(core, params.required('RoleName'));
      const arn = params.required('PolicyArn');
      if (!role.attached.delete(arn)) {
        throw new ServiceError('NoSuchEntity', `Policy ${arn} was not found.`, 404);
      }
      return undefined;
    },
    ListAttachedRolePolicies: (params) => {
      const role = requireRole(core, params.required('RoleName'));
      return { AttachedPolicies: policyList(core, role.attached), IsTruncated: false };
    },
  };
}
