/** IAM managed policies (create, read, delete) and the policies of users (inline and attached). */
import { ADMINISTRATOR_ACCESS, requireValid } from './authz/documents';
import type { Core, QueryOperation } from './core';
import { ServiceError } from './errors';
import { validatePath } from './iam-validation';
import type { QueryParams, XmlValue } from './query-protocol';
import type { ManagedPolicyRecord } from './state/policies';

const allowAll = (actions: string[]): string =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: actions, Resource: '*' }],
  });

/** The AWS managed policies the sandbox knows, by their ARN's name (their documents are AWS's). */
const AWS_MANAGED: Readonly<Record<string, string>> = {
  AdministratorAccess: ADMINISTRATOR_ACCESS,
  'service-role/AWSLambdaBasicExecutionRole': allowAll([
    'logs:CreateLogGroup',
    'logs:CreateLogStream',
    'logs:PutLogEvents',
  ]),
  AWSXRayDaemonWriteAccess: allowAll([
    'xray:PutTraceSegments',
    'xray:PutTelemetryRecords',
    'xray:GetSamplingRules',
    'xray:GetSamplingTargets',
    'xray:GetSamplingStatisticSummaries',
  ]),
};

const POLICY_NAME = /^[\w+=,.@-]{1,128}$/;
const encoded = (text: string): string => encodeURIComponent(text);

/** The managed policy an ARN names, AWS managed ones included; IAM's NoSuchEntity otherwise. */
export function managedPolicy(core: Core, arn: string): ManagedPolicyRecord {
  const found = core.policies.managed.get(arn);
  if (found) return found;
  const awsName = /^arn:aws:iam::aws:policy\/(.+)$/.exec(arn)?.[1];
  const document = awsName === undefined ? undefined : AWS_MANAGED[awsName];
  if (awsName === undefined || document === undefined) {
    throw new ServiceError(
      'NoSuchEntity',
      `Policy ${arn} does not exist or is not attachable.`,
      404,
    );
  }
  const record: ManagedPolicyRecord = {
    policyName: awsName.slice(awsName.lastIndexOf('/') + 1),
    path: awsName.includes('/') ? `/${awsName.slice(0, awsName.lastIndexOf('/') + 1)}` : '/',
    arn,
    policyId: 'ANPAIWMBCKSKIEE64ZLYK',
    createDate: new Date('2015-02-06T18:39:46Z'),
    document,
  };
  core.policies.managed.set(arn, record);
  return record;
}

function attachmentCount(core: Core, arn: string): number {
  let count = 0;
  for (const role of core.policies.roles.values()) if (role.attached.has(arn)) count += 1;
  for (const user of core.policies.users.values()) if (user.attached.has(arn)) count += 1;
  return count;
}

function policyXml(core: Core, policy: ManagedPolicyRecord): XmlValue {
  return {
    PolicyName: policy.policyName,
    PolicyId: policy.policyId,
    Arn: policy.arn,
    Path: policy.path,
    DefaultVersionId: 'v1',
    AttachmentCount: attachmentCount(core, policy.arn),
    IsAttachable: true,
    Description: policy.description,
    CreateDate: policy.createDate,
    UpdateDate: policy.createDate,
  };
}

export function policyList(core: Core, arns: Iterable<string>): XmlValue[] {
  return [...arns].map((arn) => ({
    PolicyName: core.policies.managed.get(arn)?.policyName ?? arn.slice(arn.lastIndexOf('/') + 1),
    PolicyArn: arn,
  }));
}

export interface NewPolicy {
  readonly policyName: string;
  readonly document: string;
  readonly path?: string;
  readonly description?: string;
}

/** Shared by CreatePolicy and the runner's deployment. */
export function createPolicy(core: Core, input: NewPolicy, policyId: string): ManagedPolicyRecord {
  const path = input.path ?? '/';
  if (!POLICY_NAME.test(input.policyName)) {
    throw new ServiceError(
      'ValidationError',
      `1 validation error detected: Value '${input.policyName}' at 'policyName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+`,
    );
  }
  validatePath(path);
  requireValid(input.document, 'identity');
  const arn = `arn:aws:iam::${core.accountId}:policy${path}${input.policyName}`;
  if (core.policies.managed.has(arn)) {
    throw new ServiceError(
      'EntityAlreadyExists',
      `A policy called ${input.policyName} already exists. Duplicate names are not allowed.`,
      409,
    );
  }
  const policy: ManagedPolicyRecord = {
    policyName: input.policyName,
    path,
    arn,
    policyId,
    createDate: core.clock.now(),
    description: input.description,
    document: input.document,
  };
  core.policies.managed.set(arn, policy);
  return policy;
}

function userOf(core: Core, params: QueryParams) {
  const user = core.account.requireUser(params.required('UserName'));
  return { user, own: core.policies.userPolicies(user.userName) };
}

export function policyOperations(
  core: Core,
  newPolicyId: () => string,
): Record<string, QueryOperation> {
  const noSuchUserPolicy = (name: string): ServiceError =>
    new ServiceError('NoSuchEntity', `The user policy with name ${name} cannot be found.`, 404);
  return {
    CreatePolicy: (params) => {
      const policy = createPolicy(
        core,
        {
          policyName: params.required('PolicyName'),
          document: params.required('PolicyDocument'),
          path: params.get('Path'),
          description: params.get('Description'),
        },
        newPolicyId(),
      );
      return { Policy: policyXml(core, policy) };
    },
    GetPolicy: (params) => ({
      Policy: policyXml(core, managedPolicy(core, params.required('PolicyArn'))),
    }),
    GetPolicyVersion: (params) => {
      const policy = managedPolicy(core, params.required('PolicyArn'));
      const versionId = params.required('VersionId');
      if (versionId !== 'v1') {
        throw new ServiceError(
          'NoSuchEntity',
          `Policy ${policy.arn} version ${versionId} does not exist or is not attachable.`,
          404,
        );
      }
      return {
        PolicyVersion: {
          Document: encoded(policy.document),
          VersionId: 'v1',
          IsDefaultVersion: true,
          CreateDate: policy.createDate,
        },
      };
    },
    DeletePolicy: (params) => {
      const policy = managedPolicy(core, params.required('PolicyArn'));
      if (attachmentCount(core, policy.arn) > 0) {
        throw new ServiceError(
          'DeleteConflict',
          'Cannot delete a policy attached to entities.',
          409,
        );
      }
      core.policies.managed.delete(policy.arn);
      return undefined;
    },
    PutUserPolicy: (params) => {
      const { own } = userOf(core, params);
      const document = params.required('PolicyDocument');
      requireValid(document, 'identity');
      own.inline.set(params.required('PolicyName'), document);
      return undefined;
    },
    GetUserPolicy: (params) => {
      const { user, own } = userOf(core, params);
      const name = params.required('PolicyName');
      const document = own.inline.get(name);
      if (document === undefined) throw noSuchUserPolicy(name);
      return { UserName: user.userName, PolicyName: name, PolicyDocument: encoded(document) };
    },
    DeleteUserPolicy: (params) => {
      const { own } = userOf(core, params);
      const name = params.required('PolicyName');
      if (!own.inline.delete(name)) throw noSuchUserPolicy(name);
      return undefined;
    },
    ListUserPolicies: (params) => {
      const { own } = userOf(core, params);
      return { PolicyNames: [...own.inline.keys()].sort(), IsTruncated: false };
    },
    AttachUserPolicy: (params) => {
      const { own } = userOf(core, params);
      own.attached.add(managedPolicy(core, params.required('PolicyArn')).arn);
      return undefined;
    },
    DetachUserPolicy: (params) => {
      const { own } = userOf(core, params);
      const arn = params.required('PolicyArn');
      if (!own.attached.delete(arn)) {
        throw new ServiceError('NoSuchEntity', `Policy ${arn} was not found.`, 404);
      }
      return undefined;
    },
    ListAttachedUserPolicies: (params) => {
      const { own } = userOf(core, params);
      return { AttachedPolicies: policyList(core, own.attached), IsTruncated: false };
    },
  };
}
