/**
 * Why the emulator evaluates with iam-simulate's runUnsafeSimulation: its validated entry point
 * drops kms:EncryptionContext:<key> context keys, so it cannot honour the conditions rekey's key
 * grants rely on. If a future version keeps them, this test fails and the workaround can go.
 */
import { runSimulation, runUnsafeSimulation, type Simulation } from '@cloud-copilot/iam-simulate';
import { createValidatedPolicy, validateResourcePolicy } from '@cloud-copilot/iam-policy';

const ACCOUNT = '123456789012';
const KEY = `arn:aws:kms:us-east-1:${ACCOUNT}:key/abc`;
const ALICE = `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:rekey/alice-AbCdEf`;

function decrypt(secretArn: string): Simulation {
  return {
    request: {
      principal: `arn:aws:sts::${ACCOUNT}:assumed-role/app/s`,
      action: 'kms:Decrypt',
      resource: { resource: KEY, accountId: ACCOUNT },
      contextVariables: {
        'kms:ViaService': 'secretsmanager.us-east-1.amazonaws.com',
        'kms:EncryptionContext:SecretARN': secretArn,
      },
    },
    identityPolicies: [
      {
        name: 'app',
        policy: {
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Action: 'kms:Decrypt',
              Resource: KEY,
              Condition: { StringEquals: { 'kms:EncryptionContext:SecretARN': ALICE } },
            },
          ],
        },
      },
    ],
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    resourcePolicy: createValidatedPolicy(
      {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
            Action: 'kms:*',
            Resource: '*',
          },
        ],
      },
      validateResourcePolicy,
      { name: 'key policy' },
    ),
  };
}

describe('@cloud-copilot/iam-simulate and encryption context conditions', () => {
  it('runSimulation ignores kms:EncryptionContext:SecretARN, denying even the matching secret', async () => {
    const result = await runSimulation(decrypt(ALICE), {});
    expect(result.resultType).toBe('single');
    if (result.resultType !== 'single') return;
    expect(result.result.ignoredContextKeys).toContain('kms:EncryptionContext:SecretARN');
    expect(result.overallResult).toBe('ImplicitlyDenied');
  });

  it('runUnsafeSimulation honours it: the matching secret is allowed, another is denied', () => {
    expect(runUnsafeSimulation(decrypt(ALICE), {})).toBe('Allowed');
    expect(runUnsafeSimulation(decrypt(ALICE.replace('alice', 'bob')), {})).toBe(
      'ImplicitlyDenied',
    );
  });
});
