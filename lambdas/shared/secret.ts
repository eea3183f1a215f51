import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  TagResourceCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { awsErrorCode, SecretDeletedError } from './errors';
import type { KeyRef } from './types';

export const AWSCURRENT = 'AWSCURRENT';
export const AWSPENDING = 'AWSPENDING';
export const AWSPREVIOUS = 'AWSPREVIOUS';

/** Secret tags rekey writes. `rekey:execution` names the execution that owns the rotation. */
export const SECRET_TAGS = {
  managedBy: 'rekey:managed-by',
  user: 'rekey:user',
  execution: 'rekey:execution',
} as const;

/**
 * The secret's value: the field names AWS credentials already use. A baseline version (written
 * before rekey's first rotation of a user) names the existing key but has no SecretAccessKey,
 * because IAM never returns a key's secret after creation.
 */
export interface SecretValue {
  readonly UserName: string;
  readonly AccessKeyId: string;
  readonly SecretAccessKey?: string;
  readonly CreateDate: string;
  /** SES SMTP user name (the access key id), with `rekey:ses-smtp-regions`. */
  readonly SmtpUsername?: string;
  /** SES SMTP password per region, derived from the secret access key. */
  readonly SmtpPasswords?: Readonly<Record<string, string>>;
}

export function secretName(prefix: string, userName: string): string {
  return `${prefix}${userName}`;
}

/** Characters a Secrets Manager secret name may hold (IAM user names may also hold commas). */
const SECRET_NAME = /^[A-Za-z0-9/_+=.@-]{1,512}$/;

/** Why `<prefix><userName>` cannot name a secret, or undefined when it can. */
export function secretNameProblem(prefix: string, userName: string): string | undefined {
  const name = secretName(prefix, userName);
  if (SECRET_NAME.test(name)) return undefined;
  return (
    `${userName}'s secret would be named "${name}", which Secrets Manager does not allow ` +
    `(only letters, digits and /_+=.@-; IAM user names may also hold commas). rekey cannot publish ` +
    `a key for this user: rename the user, or opt it out with the tag rekey:rotate=false.`
  );
}

export function secretValue(value: SecretValue): string {
  return JSON.stringify(value);
}

/** A version's value is not what rekey writes (not JSON, or no AccessKeyId). */
export class UnreadableSecretError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnreadableSecretError';
  }
}

/** Parses a version's value; throws without echoing the value (it holds a secret). */
export function parseSecretValue(text: string | undefined, where: string): SecretValue {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text ?? '');
  } catch {
    throw new UnreadableSecretError(`${where} is not JSON`);
  }
  const v = parsed as Partial<Record<keyof SecretValue, unknown>>;
  if (typeof v !== 'object' || v === null || typeof v.AccessKeyId !== 'string') {
    throw new UnreadableSecretError(`${where} has no AccessKeyId`);
  }
  return {
    UserName: typeof v.UserName === 'string' ? v.UserName : '',
    AccessKeyId: v.AccessKeyId,
    SecretAccessKey: typeof v.SecretAccessKey === 'string' ? v.SecretAccessKey : undefined,
    CreateDate: typeof v.CreateDate === 'string' ? v.CreateDate : '',
  };
}

export interface SecretStages {
  readonly arn: string;
  readonly tags: Readonly<Record<string, string>>;
  /** Version id holding each label. */
  readonly current?: string;
  readonly pending?: string;
  readonly previous?: string;
  /** Set while the secret is scheduled for deletion (ISO date of the deletion request). */
  readonly deletedDate?: string;
}

/** DescribeSecret, reduced to the labels and tags; undefined when the secret does not exist. */
export async function describeStages(
  sm: SecretsManagerClient,
  secretId: string,
): Promise<SecretStages | undefined> {
  try {
    const out = await sm.send(new DescribeSecretCommand({ SecretId: secretId }));
    const holder = (label: string): string | undefined =>
      Object.entries(out.VersionIdsToStages ?? {}).find(([, labels]) =>
        labels.includes(label),
      )?.[0];
    return {
      arn: out.ARN ?? secretId,
      tags: Object.fromEntries((out.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? ''])),
      current: holder(AWSCURRENT),
      pending: holder(AWSPENDING),
      previous: holder(AWSPREVIOUS),
      deletedDate: out.DeletedDate?.toISOString(),
    };
  } catch (error) {
    if (awsErrorCode(error) === 'ResourceNotFoundException') return undefined;
    throw error;
  }
}

/** The access key id a version holds. Reads the value but keeps only the id. */
export async function keyIdOfVersion(
  sm: SecretsManagerClient,
  secretId: string,
  versionId: string,
): Promise<{ accessKeyId: string; createdDate?: Date }> {
  const out = await sm.send(
    new GetSecretValueCommand({ SecretId: secretId, VersionId: versionId }),
  );
  const value = parseSecretValue(out.SecretString, `secret ${secretId} version ${versionId}`);
  return { accessKeyId: value.AccessKeyId, createdDate: out.CreatedDate };
}

/**
 * Creates the user's secret with a baseline AWSCURRENT naming the key in use, so that the
 * first rotation stages its key as AWSPENDING like every later one (the first version of a
 * secret always becomes AWSCURRENT). Idempotent: an existing secret is left as it is.
 */
export async function ensureSecret(
  sm: SecretsManagerClient,
  params: { secretId: string; userName: string; oldKey: KeyRef; kmsKeyArn?: string },
): Promise<void> {
  try {
    await sm.send(
      new CreateSecretCommand({
        Name: params.secretId,
        Description: `IAM access key of ${params.userName}, rotated by rekey`,
        KmsKeyId: params.kmsKeyArn,
        SecretString: secretValue({
          UserName: params.userName,
          AccessKeyId: params.oldKey.accessKeyId,
          CreateDate: params.oldKey.createDate,
        }),
        Tags: [
          { Key: SECRET_TAGS.managedBy, Value: 'rekey' },
          { Key: SECRET_TAGS.user, Value: params.userName },
        ],
      }),
    );
  } catch (error) {
    if (awsErrorCode(error) !== 'ResourceExistsException') throw error;
  }
}

/** Records which execution owns the rotation, for resume and for refusing a second one. */
export async function claimSecret(
  sm: SecretsManagerClient,
  secretId: string,
  executionArn: string,
): Promise<void> {
  await sm.send(
    new TagResourceCommand({
      SecretId: secretId,
      Tags: [{ Key: SECRET_TAGS.execution, Value: executionArn }],
    }),
  );
}

/**
 * The secret is the only copy of the new key's secret access key: a rotation whose secret is gone
 * or scheduled for deletion stops before its next change (SecretDeletedError). DescribeSecret
 * still shows the labels of a secret pending deletion, so the labels alone do not prove it healthy.
 */
export function requireLiveSecret(
  stages: SecretStages | undefined,
  secretId: string,
): SecretStages {
  if (!stages) {
    throw new SecretDeletedError(
      `The secret ${secretId} no longer exists (deleted without a recovery window): rekey stopped ` +
        'before its next change.',
    );
  }
  if (stages.deletedDate !== undefined) {
    throw new SecretDeletedError(
      `The secret ${secretId} is scheduled for deletion (requested ${stages.deletedDate}): rekey ` +
        `stopped before its next change. Restore it (aws secretsmanager restore-secret --secret-id ` +
        `${secretId}) and start the rotation again.`,
    );
  }
  return stages;
}
