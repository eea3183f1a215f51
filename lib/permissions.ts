import { Aws, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { acknowledge } from './nag';

/** ARNs that bound what rekey may touch: users under its path, secrets under its prefix. */
export class RekeyScope {
  constructor(
    private readonly managedPath: string,
    private readonly secretPrefix: string,
    private readonly key: IKey,
  ) {}

  /** Every IAM user under the managed path (IAM user ARNs include the path). */
  get userArns(): string {
    return `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:user${this.managedPath}*`;
  }

  /** Every secret whose name starts with the prefix (secret ARNs end in -XXXXXX). */
  get secretArns(): string {
    return `arn:${Aws.PARTITION}:secretsmanager:${Aws.REGION}:${Aws.ACCOUNT_ID}:secret:${this.secretPrefix}*`;
  }

  iam(role: iam.IRole, actions: readonly string[]): void {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: actions.map((a) => `iam:${a}`),
        resources: [this.userArns],
      }),
    );
    acknowledge(
      role,
      `IAM5[Resource::arn:<AWS::Partition>:iam::<AWS::AccountId>:user${this.managedPath}*]`,
      `rekey rotates any IAM user under its managed path (${this.managedPath}); the wildcard is bounded to that path.`,
    );
  }

  secrets(role: iam.IRole, actions: readonly string[]): void {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: actions.map((a) => `secretsmanager:${a}`),
        resources: [this.secretArns],
      }),
    );
    acknowledge(
      role,
      `IAM5[Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:${this.secretPrefix}*]`,
      `Each managed user has a secret named ${this.secretPrefix}<userName>, created at run time with a random ARN suffix; the wildcard is bounded to the prefix.`,
    );
  }

  /** KMS use only through Secrets Manager, for the secrets rekey writes and reads. */
  secretsKey(role: iam.IRole, write: boolean): void {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: write ? ['kms:Decrypt', 'kms:GenerateDataKey'] : ['kms:Decrypt'],
        resources: [this.key.keyArn],
        conditions: {
          StringEquals: {
            'kms:ViaService': `secretsmanager.${Stack.of(this.key).region}.amazonaws.com`,
          },
        },
      }),
    );
  }
}

/**
 * Starting an execution of a state machine encrypted with a customer managed key has Step
 * Functions encrypt the input with it on the caller's behalf: the caller needs GenerateDataKey,
 * bounded by the encryption context to that one state machine.
 */
export function grantStartEncrypted(role: iam.IRole, stateMachineArn: string, key: IKey): void {
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: ['kms:GenerateDataKey'],
      resources: [key.keyArn],
      conditions: {
        StringEquals: { 'kms:EncryptionContext:aws:states:stateMachineArn': stateMachineArn },
      },
    }),
  );
}

/**
 * Every execution of a state machine whose name is fixed at synthesis (execution ARNs carry a
 * run-time name), and how cdk-nag names that resource in its IAM5 finding.
 */
export function executionsOf(stateMachineName: string): { arn: string; finding: string } {
  return {
    arn: `arn:${Aws.PARTITION}:states:${Aws.REGION}:${Aws.ACCOUNT_ID}:execution:${stateMachineName}:*`,
    finding: `IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:${stateMachineName}:*]`,
  };
}
