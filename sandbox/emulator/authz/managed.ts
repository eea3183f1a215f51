/**
 * Policies AWS itself provides: the key policy of the `aws/secretsmanager` managed key, which
 * lets any principal of the account use the key only through Secrets Manager, and SNS's default
 * topic policy, which a topic policy replaces.
 */
import { createHash } from 'node:crypto';
import type { KmsKeyRecord } from '../state/policies';

export const SECRETS_MANAGER_ALIAS = 'alias/aws/secretsmanager';

function stableKeyId(...parts: string[]): string {
  const hex = createHash('sha256').update(parts.join('/')).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** The AWS managed key Secrets Manager uses when a secret names no key. */
export function secretsManagerKey(accountId: string, region: string): KmsKeyRecord {
  const keyId = stableKeyId(accountId, region, SECRETS_MANAGER_ALIAS);
  const through = {
    'kms:CallerAccount': accountId,
    'kms:ViaService': `secretsmanager.${region}.amazonaws.com`,
  };
  return {
    keyId,
    arn: `arn:aws:kms:${region}:${accountId}:key/${keyId}`,
    awsManaged: true,
    policy: JSON.stringify({
      Version: '2012-10-17',
      Id: 'auto-secretsmanager-2',
      Statement: [
        {
          Sid: 'Allow access through AWS Secrets Manager for all principals in the account that are authorized to use AWS Secrets Manager',
          Effect: 'Allow',
          Principal: { AWS: '*' },
          Action: [
            'kms:Encrypt',
            'kms:Decrypt',
            'kms:ReEncrypt*',
            'kms:GenerateDataKey*',
            'kms:CreateGrant',
            'kms:DescribeKey',
          ],
          Resource: '*',
          Condition: { StringEquals: through },
        },
        {
          Sid: 'Allow direct access to key metadata to the account',
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${accountId}:root` },
          Action: ['kms:Describe*', 'kms:Get*', 'kms:List*', 'kms:RevokeGrant'],
          Resource: '*',
        },
      ],
    }),
  };
}

/** SNS's default topic policy: the account's principals may use the topic. */
export function defaultTopicPolicy(topicArn: string, accountId: string): string {
  return JSON.stringify({
    Version: '2008-10-17',
    Id: '__default_policy_ID',
    Statement: [
      {
        Sid: '__default_statement_ID',
        Effect: 'Allow',
        Principal: { AWS: '*' },
        Action: [
          'SNS:GetTopicAttributes',
          'SNS:SetTopicAttributes',
          'SNS:AddPermission',
          'SNS:RemovePermission',
          'SNS:DeleteTopic',
          'SNS:Subscribe',
          'SNS:ListSubscriptionsByTopic',
          'SNS:Publish',
        ],
        Resource: topicArn,
        Condition: { StringEquals: { 'AWS:SourceOwner': accountId } },
      },
    ],
  });
}
