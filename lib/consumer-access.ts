import { Aws, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';

/** ARNs of the secrets rekey manages, as a consumer reads them. */
export interface SecretNaming {
  readonly managedPath: string;
  readonly secretPrefix: string;
}

const secretArnOf = (prefix: string, name: string): string =>
  `arn:${Aws.PARTITION}:secretsmanager:${Aws.REGION}:${Aws.ACCOUNT_ID}:secret:${prefix}${name}-??????`;

/**
 * The key policy statement that lets each managed IAM user decrypt its own secret, and nothing
 * else: only through Secrets Manager (which first checks the secret's resource policy), only for
 * the secret named after the calling user (`${aws:username}`), only for users of this account
 * under the managed path. IAM users hold no KMS permission of their own, so the key policy must
 * say it.
 */
export function usersDecryptOwnSecret(key: IKey, naming: SecretNaming): iam.PolicyStatement {
  const region = Stack.of(key).region;
  return new iam.PolicyStatement({
    sid: 'RekeyUsersDecryptTheirOwnSecret',
    principals: [new iam.AnyPrincipal()],
    actions: ['kms:Decrypt'],
    resources: ['*'],
    conditions: {
      StringEquals: {
        'kms:CallerAccount': Aws.ACCOUNT_ID,
        'kms:ViaService': `secretsmanager.${region}.amazonaws.com`,
      },
      ArnLike: {
        'aws:PrincipalArn': `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:user${naming.managedPath}*`,
      },
      StringLike: {
        'kms:EncryptionContext:SecretARN': secretArnOf(naming.secretPrefix, '${aws:username}'),
      },
    },
  });
}

/**
 * What a role needs to read one user's secret: GetSecretValue and DescribeSecret on it, and
 * kms:Decrypt through Secrets Manager for that secret only (the key policy lets the account's
 * IAM policies grant use of the key).
 */
export function grantRead(
  grantee: iam.IGrantable,
  key: IKey,
  naming: SecretNaming,
  userName: string,
): iam.Grant {
  const secretArn = secretArnOf(naming.secretPrefix, userName);
  const read = iam.Grant.addToPrincipal({
    grantee,
    actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
    resourceArns: [secretArn],
  });
  const decrypt = iam.Grant.addToPrincipal({
    grantee,
    actions: ['kms:Decrypt'],
    resourceArns: [key.keyArn],
    conditions: {
      StringEquals: { 'kms:ViaService': `secretsmanager.${Stack.of(key).region}.amazonaws.com` },
      StringLike: { 'kms:EncryptionContext:SecretARN': secretArn },
    },
  });
  return read.combine(decrypt);
}
