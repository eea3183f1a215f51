/**
 * The template's permissions, deployed as CloudFormation would: every AWS::IAM::Role (trust
 * policy, inline Policies, ManagedPolicyArns), AWS::IAM::ManagedPolicy and AWS::IAM::Policy
 * through the emulator's IAM API (CreateRole, PutRolePolicy, CreatePolicy, Attach*Policy), and
 * the KMS key policies and SNS topic policies and keys, which have no API in the sandbox.
 * Intrinsics are resolved to the sandbox account's ARNs first.
 */
import {
  AttachRolePolicyCommand,
  AttachUserPolicyCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  IAMClient,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
} from '@aws-sdk/client-iam';
import type { SandboxEmulator } from './deploy';
import { physicalName, sandboxAttributes } from './resources';
import type { CfnResource, CfnTemplate, TemplateResolver } from './template';

type Resources = [string, CfnResource][];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const json = (value: unknown): string => JSON.stringify(value);
const names = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];

function ofType(template: CfnTemplate, resolver: TemplateResolver, type: string): Resources {
  return Object.entries(template.Resources ?? {}).filter(
    ([, r]) => r.Type === type && (r.Condition === undefined || resolver.condition(r.Condition)),
  );
}

/** A role's name from its ARN (CloudFormation's Roles lists hold names; some templates ARNs). */
const roleName = (value: string): string => value.slice(value.lastIndexOf('/') + 1);

async function deployRoles(iam: IAMClient, resolver: TemplateResolver, roles: Resources) {
  for (const [id, resource] of roles) {
    const props = (resolver.resolve(resource.Properties ?? {}) ?? {}) as Record<string, unknown>;
    const name = physicalName(resolver, id, resource);
    await iam.send(
      new CreateRoleCommand({
        RoleName: name,
        Path: typeof props.Path === 'string' ? props.Path : undefined,
        AssumeRolePolicyDocument: json(props.AssumeRolePolicyDocument),
        Description: typeof props.Description === 'string' ? props.Description : undefined,
        MaxSessionDuration:
          typeof props.MaxSessionDuration === 'number' ? props.MaxSessionDuration : undefined,
      }),
    );
    for (const policy of Array.isArray(props.Policies) ? props.Policies : []) {
      if (!isRecord(policy) || typeof policy.PolicyName !== 'string') continue;
      await iam.send(
        new PutRolePolicyCommand({
          RoleName: name,
          PolicyName: policy.PolicyName,
          PolicyDocument: json(policy.PolicyDocument),
        }),
      );
    }
    for (const arn of names(props.ManagedPolicyArns)) {
      await iam.send(new AttachRolePolicyCommand({ RoleName: name, PolicyArn: arn }));
    }
  }
}

async function deployPolicies(iam: IAMClient, resolver: TemplateResolver, template: CfnTemplate) {
  for (const [id, resource] of ofType(template, resolver, 'AWS::IAM::ManagedPolicy')) {
    const props = (resolver.resolve(resource.Properties ?? {}) ?? {}) as Record<string, unknown>;
    const created = await iam.send(
      new CreatePolicyCommand({
        PolicyName: physicalName(resolver, id, resource),
        Path: typeof props.Path === 'string' ? props.Path : undefined,
        PolicyDocument: json(props.PolicyDocument),
        Description: typeof props.Description === 'string' ? props.Description : undefined,
      }),
    );
    const arn = created.Policy?.Arn ?? '';
    for (const role of names(props.Roles)) {
      await iam.send(new AttachRolePolicyCommand({ RoleName: roleName(role), PolicyArn: arn }));
    }
    for (const user of names(props.Users)) {
      await iam.send(new AttachUserPolicyCommand({ UserName: user, PolicyArn: arn }));
    }
  }
  for (const [id, resource] of ofType(template, resolver, 'AWS::IAM::Policy')) {
    const props = (resolver.resolve(resource.Properties ?? {}) ?? {}) as Record<string, unknown>;
    const policyName = physicalName(resolver, id, resource);
    const document = json(props.PolicyDocument);
    for (const role of names(props.Roles)) {
      await iam.send(
        new PutRolePolicyCommand({
          RoleName: roleName(role),
          PolicyName: policyName,
          PolicyDocument: document,
        }),
      );
    }
    for (const user of names(props.Users)) {
      await iam.send(
        new PutUserPolicyCommand({
          UserName: user,
          PolicyName: policyName,
          PolicyDocument: document,
        }),
      );
    }
  }
}

/** Key policies, aliases, topics' keys and topic policies (a topic policy replaces the default). */
function deployResourcePolicies(
  emulator: SandboxEmulator,
  resolver: TemplateResolver,
  template: CfnTemplate,
  topicArns: Readonly<Record<string, string>>,
): void {
  const aliases = new Map<string, string[]>();
  for (const [, resource] of ofType(template, resolver, 'AWS::KMS::Alias')) {
    const props = (resolver.resolve(resource.Properties ?? {}) ?? {}) as Record<string, unknown>;
    const target = typeof props.TargetKeyId === 'string' ? props.TargetKeyId : '';
    const alias = typeof props.AliasName === 'string' ? props.AliasName : '';
    aliases.set(target, [...(aliases.get(target) ?? []), alias]);
  }
  for (const [id, resource] of ofType(template, resolver, 'AWS::KMS::Key')) {
    const arn = String(sandboxAttributes(resolver, id, resource, 'Arn'));
    const keyId = String(sandboxAttributes(resolver, id, resource));
    const policy = json(resolver.resolve(resource.Properties?.KeyPolicy));
    emulator.authorization.putKey({
      arn,
      policy,
      aliases: [...(aliases.get(arn) ?? []), ...(aliases.get(keyId) ?? [])],
    });
  }
  for (const [id, resource] of ofType(template, resolver, 'AWS::SNS::Topic')) {
    const key = resolver.resolve(resource.Properties?.KmsMasterKeyId);
    const arn = topicArns[id];
    if (arn !== undefined && typeof key === 'string') {
      emulator.authorization.setTopic(arn, { kmsMasterKeyId: key });
    }
  }
  for (const [, resource] of ofType(template, resolver, 'AWS::SNS::TopicPolicy')) {
    const props = (resolver.resolve(resource.Properties ?? {}) ?? {}) as Record<string, unknown>;
    for (const topic of names(props.Topics)) {
      const kmsMasterKeyId = emulator.authorization.topicKey(topic);
      emulator.authorization.setTopic(topic, {
        policy: json(props.PolicyDocument),
        kmsMasterKeyId,
      });
    }
  }
}

export async function deployPermissions(
  emulator: SandboxEmulator,
  template: CfnTemplate,
  resolver: TemplateResolver,
  topicArns: Readonly<Record<string, string>>,
): Promise<void> {
  deployResourcePolicies(emulator, resolver, template, topicArns);
  const iam = new IAMClient({
    endpoint: emulator.endpoint,
    region: emulator.region,
    credentials: emulator.admin,
  });
  try {
    const roles = ofType(template, resolver, 'AWS::IAM::Role');
    // Redeploying to the same emulator (a second Runner) finds its roles already there.
    const fresh = roles.filter(
      ([id, r]) => !emulator.authorization.hasRole(physicalName(resolver, id, r)),
    );
    await deployRoles(iam, resolver, fresh);
    await deployPolicies(iam, resolver, template);
  } finally {
    iam.destroy();
  }
}
