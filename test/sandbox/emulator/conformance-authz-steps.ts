/**
 * The authorization operations the emulator added (roles, managed and user policies, AssumeRole,
 * secret resource policies), run in one sequence through the real SDK clients against any
 * endpoint, normalized like conformance-steps.ts so moto and the emulator can be compared.
 */
import {
  AttachRolePolicyCommand,
  AttachUserPolicyCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  DeleteUserPolicyCommand,
  DetachRolePolicyCommand,
  DetachUserPolicyCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  GetUserPolicyCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListAttachedUserPoliciesCommand,
  ListRolePoliciesCommand,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
} from '@aws-sdk/client-iam';
import {
  CreateSecretCommand,
  DeleteResourcePolicyCommand,
  GetResourcePolicyCommand,
  PutResourcePolicyCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { normalize, type Outcome, type Target } from './conformance-steps';

async function attempt(promise: Promise<unknown>): Promise<unknown> {
  try {
    return await promise;
  } catch (error) {
    const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
    return { error: e.name, status: e.$metadata?.httpStatusCode };
  }
}

/** Policy documents come back URL-encoded; decoded and parsed, two backends compare as JSON. */
function decodeDocuments(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(decodeDocuments);
  if (typeof value !== 'object' || value === null || value instanceof Date) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [
      key,
      /Document$|^ResourcePolicy$/.test(key) && typeof item === 'string'
        ? (JSON.parse(decodeURIComponent(item)) as unknown)
        : decodeDocuments(item),
    ]),
  );
}

export const ACCOUNT = '123456789012';
const TRUST = {
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
      Action: 'sts:AssumeRole',
    },
  ],
};
const READ = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: '*' }],
};

export async function runAuthzSequence(target: Target, prefix: string): Promise<Outcome> {
  const config = {
    endpoint: target.endpoint,
    region: 'us-east-1',
    credentials: target.credentials,
    maxAttempts: 1,
  };
  const iam = new IAMClient(config);
  const sm = new SecretsManagerClient(config);
  const sts = new STSClient(config);
  const out: Outcome = {};
  const step = async (name: string, promise: Promise<unknown>): Promise<unknown> => {
    const result = await attempt(promise);
    out[name] = normalize(decodeDocuments(result), new Map());
    return result;
  };
  const role = `${prefix}-app`;
  const user = `${prefix}-carol`;
  try {
    await step(
      'CreateRole',
      iam.send(
        new CreateRoleCommand({
          RoleName: role,
          AssumeRolePolicyDocument: JSON.stringify(TRUST),
          Path: '/apps/',
        }),
      ),
    );
    await step(
      'CreateRole.again',
      iam.send(
        new CreateRoleCommand({ RoleName: role, AssumeRolePolicyDocument: JSON.stringify(TRUST) }),
      ),
    );
    await step(
      'GetRole',
      iam.send(new GetRoleCommand({ RoleName: role })).then((r) => ({
        Arn: r.Role?.Arn,
        Path: r.Role?.Path,
        RoleName: r.Role?.RoleName,
        AssumeRolePolicyDocument: r.Role?.AssumeRolePolicyDocument,
      })),
    );
    await step(
      'PutRolePolicy',
      iam.send(
        new PutRolePolicyCommand({
          RoleName: role,
          PolicyName: 'read',
          PolicyDocument: JSON.stringify(READ),
        }),
      ),
    );
    await step(
      'PutRolePolicy.malformed',
      iam.send(
        new PutRolePolicyCommand({
          RoleName: role,
          PolicyName: 'bad',
          PolicyDocument: '{"Statement": "nope"}',
        }),
      ),
    );
    await step(
      'GetRolePolicy',
      iam.send(new GetRolePolicyCommand({ RoleName: role, PolicyName: 'read' })),
    );
    await step('ListRolePolicies', iam.send(new ListRolePoliciesCommand({ RoleName: role })));
    const created = (await step(
      'CreatePolicy',
      iam.send(
        new CreatePolicyCommand({
          PolicyName: `${prefix}-read`,
          PolicyDocument: JSON.stringify(READ),
        }),
      ),
    )) as { Policy?: { Arn?: string } };
    const policyArn = created.Policy?.Arn ?? '';
    await step(
      'AttachRolePolicy',
      iam.send(new AttachRolePolicyCommand({ RoleName: role, PolicyArn: policyArn })),
    );
    await step(
      'ListAttachedRolePolicies',
      iam.send(new ListAttachedRolePoliciesCommand({ RoleName: role })),
    );
    await step('DeleteRole.withPolicies', iam.send(new DeleteRoleCommand({ RoleName: role })));
    await step(
      'AssumeRole',
      sts
        .send(
          new AssumeRoleCommand({
            RoleArn: `arn:aws:iam::${ACCOUNT}:role/apps/${role}`,
            RoleSessionName: 'conf',
          }),
        )
        .then((r) => ({
          AccessKeyId: /^ASIA/.test(r.Credentials?.AccessKeyId ?? '')
            ? 'ASIA…'
            : r.Credentials?.AccessKeyId,
          hasToken: (r.Credentials?.SessionToken ?? '').length > 0,
          Arn: r.AssumedRoleUser?.Arn,
        })),
    );
    await step(
      'DetachRolePolicy',
      iam.send(new DetachRolePolicyCommand({ RoleName: role, PolicyArn: policyArn })),
    );
    await step(
      'DeleteRolePolicy',
      iam.send(new DeleteRolePolicyCommand({ RoleName: role, PolicyName: 'read' })),
    );
    await step(
      'GetRolePolicy.deleted',
      iam.send(new GetRolePolicyCommand({ RoleName: role, PolicyName: 'read' })),
    );
    await step('DeleteRole', iam.send(new DeleteRoleCommand({ RoleName: role })));
    await step('GetRole.deleted', iam.send(new GetRoleCommand({ RoleName: role })));
    await iam.send(new CreateUserCommand({ UserName: user }));
    await step(
      'PutUserPolicy',
      iam.send(
        new PutUserPolicyCommand({
          UserName: user,
          PolicyName: 'read',
          PolicyDocument: JSON.stringify(READ),
        }),
      ),
    );
    await step(
      'GetUserPolicy',
      iam.send(new GetUserPolicyCommand({ UserName: user, PolicyName: 'read' })),
    );
    await step(
      'AttachUserPolicy',
      iam.send(new AttachUserPolicyCommand({ UserName: user, PolicyArn: policyArn })),
    );
    await step(
      'ListAttachedUserPolicies',
      iam.send(new ListAttachedUserPoliciesCommand({ UserName: user })),
    );
    await step(
      'DetachUserPolicy',
      iam.send(new DetachUserPolicyCommand({ UserName: user, PolicyArn: policyArn })),
    );
    await step(
      'DetachUserPolicy.again',
      iam.send(new DetachUserPolicyCommand({ UserName: user, PolicyArn: policyArn })),
    );
    await step(
      'DeleteUserPolicy',
      iam.send(new DeleteUserPolicyCommand({ UserName: user, PolicyName: 'read' })),
    );
    await step(
      'GetUserPolicy.deleted',
      iam.send(new GetUserPolicyCommand({ UserName: user, PolicyName: 'read' })),
    );
    const secret = `${prefix}/policy`;
    await sm.send(new CreateSecretCommand({ Name: secret, SecretString: 'v' }));
    const policy = {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
          Action: 'secretsmanager:GetSecretValue',
          Resource: '*',
        },
      ],
    };
    await step(
      'GetResourcePolicy.none',
      sm.send(new GetResourcePolicyCommand({ SecretId: secret })),
    );
    await step(
      'PutResourcePolicy',
      sm.send(
        new PutResourcePolicyCommand({ SecretId: secret, ResourcePolicy: JSON.stringify(policy) }),
      ),
    );
    await step('GetResourcePolicy', sm.send(new GetResourcePolicyCommand({ SecretId: secret })));
    await step(
      'DeleteResourcePolicy',
      sm.send(new DeleteResourcePolicyCommand({ SecretId: secret })),
    );
    await step(
      'GetResourcePolicy.deleted',
      sm.send(new GetResourcePolicyCommand({ SecretId: secret })),
    );
    await step(
      'PutResourcePolicy.unknownSecret',
      sm.send(
        new PutResourcePolicyCommand({
          SecretId: `${prefix}/nope`,
          ResourcePolicy: JSON.stringify(policy),
        }),
      ),
    );
  } finally {
    iam.destroy();
    sm.destroy();
    sts.destroy();
  }
  return out;
}
