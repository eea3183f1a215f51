import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  TagResourceCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { awsErrorCode, SecretDeletedError, SecretNotOwnedError } from './errors';
import type { KeyRef } from './types';

export const AWSCURRENT = 'AWSCURRENT';
export const AWSPENDING = 'AWSPENDING';
export const AWSPREVIOUS = 'AWSPREVIOUS';

/**
 * Secret tags rekey writes. `rekey:execution` names the execution that owns the rotation;
 * `rekey:emergency` names it too when that rotation is an emergency (a planned rotation's claim
 * leaves it as it was, so it counts only while it equals `rekey:execution`).
 */
export const SECRET_TAGS = {
  managedBy: 'rekey:managed-by',
  user: 'rekey:user',
  execution: 'rekey:execution',
  emergency: 'rekey:emergency',
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
  /** The KMS key the secret is encrypted with, as its creator named it; absent: aws/secretsmanager. */
  readonly kmsKeyId?: string;
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
      ...(out.KmsKeyId && { kmsKeyId: out.KmsKeyId }),
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
): Promise<{ accessKeyId: string; createdDate?: Date; hasSecret: boolean }> {
  const out = await sm.send(
    new GetSecretValueCommand({ SecretId: secretId, VersionId: versionId }),
  );
  const value = parseSecretValue(out.SecretString, `secret ${secretId} version ${versionId}`);
  return {
    accessKeyId: value.AccessKeyId,
    createdDate: out.CreatedDate,
    // A baseline version names a key but holds no secret access key (applications cannot use it).
    hasSecret: value.SecretAccessKey !== undefined,
  };
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

/** The key id of a KMS key ARN (`…:key/<id>`), or the reference as given (an id, an alias). */
const kmsKeyIdOf = (ref: string): string => /:key\/([^/]+)$/.exec(ref)?.[1] ?? ref;

/**
 * rekey writes a key only into a secret it created (tagged `rekey:managed-by=rekey`) that is
 * encrypted with rekey's own KMS key: reading it then takes kms:Decrypt under that key's policy,
 * which only rekey, the user and its readers hold. A secret of the same name created by somebody else (before
 * rekey's first rotation, or after a deletion) may be readable by whoever made it.
 */
export function requireOwnedSecret(
  stages: SecretStages,
  secretId: string,
  kmsKeyArn: string | undefined,
): SecretStages {
  const managedBy = stages.tags[SECRET_TAGS.managedBy];
  if (managedBy !== 'rekey') {
    throw new SecretNotOwnedError(
      `The secret ${secretId} (${stages.arn}) was not created by rekey (its tag ` +
        `${SECRET_TAGS.managedBy} is ${managedBy === undefined ? 'absent' : `"${managedBy}"`}), so rekey ` +
        'writes no key into it: whoever created it may be able to read it. Nothing was changed. ' +
        'Delete it (aws secretsmanager delete-secret --secret-id ' +
        `${secretId} --force-delete-without-recovery) to let rekey create its own, then start again.`,
    );
  }
  const expected = kmsKeyArn === undefined ? undefined : kmsKeyIdOf(kmsKeyArn);
  const actual = stages.kmsKeyId === undefined ? undefined : kmsKeyIdOf(stages.kmsKeyId);
  if (expected !== actual) {
    throw new SecretNotOwnedError(
      `The secret ${secretId} is encrypted with ${stages.kmsKeyId ?? 'the AWS managed key aws/secretsmanager'}, ` +
        `not rekey's key${kmsKeyArn ? ` ${kmsKeyArn}` : ''}, so anyone allowed to use that key and read the ` +
        'secret could read the key of the user. Nothing was changed. Switch it to the key of rekey (aws secretsmanager ' +
        `update-secret --secret-id ${secretId} --kms-key-id ${kmsKeyArn ?? '<rekey key ARN>'}) or delete ` +
        'it, then start again.',
    );
  }
  return stages;
}

/** Records which execution owns the rotation, for resume and for refusing a second one. */
export async function claimSecret(
  sm: SecretsManagerClient,
  secretId: string,
  executionArn: string,
  emergency = false,
): Promise<void> {
  await sm.send(
    new TagResourceCommand({
      SecretId: secretId,
      Tags: [
        { Key: SECRET_TAGS.execution, Value: executionArn },
        ...(emergency ? [{ Key: SECRET_TAGS.emergency, Value: executionArn }] : []),
      ],
    }),
  );
}

/** Secrets Manager's shortest and longest recovery windows (DeleteSecret's RecoveryWindowInDays). */
const RECOVERY_DAYS = { min: 7, max: 30 } as const;

const daysAfter = (date: Date, days: number): string =>
  new Date(date.getTime() + days * 86_400_000).toISOString();

/**
 * How far ahead of rekey's clock a request time can seem: AWS accepts signed requests from
 * clocks up to five minutes apart.
 */
const CLOCK_SKEW_MS = 5 * 60_000;

/**
 * When Secrets Manager deletes a secret scheduled for deletion for good, from DescribeSecret's
 * DeletedDate. DescribeSecret does not return the recovery window DeleteSecret was given (7 to
 * 30 days; only DeleteSecret's answer, DeletionDate, names the exact end), and AWS documents
 * DeletedDate both as the date the secret is scheduled for deletion (DescribeSecret; moto returns
 * that) and as when the deletion happened (SecretListEntry; the sandbox returns the request time).
 * A date still ahead (by more than clocks can differ) can only be the deletion date. A date
 * already past is the request when rekey looks at least daily, as every waiting rotation does (a
 * deletion date is at least seven days after the request): then the secret goes between 7 and 30
 * days after it. Without `now`, the sentence holds under both readings.
 */
export function deletionSchedule(deletedDate: string, now?: Date): string {
  const date = new Date(deletedDate);
  if (now === undefined) {
    return (
      `DescribeSecret dates its deletion ${deletedDate}; Secrets Manager deletes it for good when ` +
      `the recovery window given to DeleteSecret ends (${RECOVERY_DAYS.min} to ${RECOVERY_DAYS.max} days after the request)`
    );
  }
  if (date.getTime() > now.getTime() + CLOCK_SKEW_MS) {
    return `Secrets Manager deletes it for good after ${deletedDate}`;
  }
  return (
    `its deletion was requested at ${deletedDate}, and Secrets Manager deletes it for good when ` +
    `the recovery window given to DeleteSecret ends, ${RECOVERY_DAYS.min} to ${RECOVERY_DAYS.max} days ` +
    `later (between ${daysAfter(date, RECOVERY_DAYS.min)} and ${daysAfter(date, RECOVERY_DAYS.max)})`
  );
}

/** The command that cancels a secret's scheduled deletion. */
export const restoreCommand = (secretId: string): string =>
  `aws secretsmanager restore-secret --secret-id ${secretId}`;

/**
 * What is wrong with a secret that is gone or scheduled for deletion, in a sentence or two, or
 * undefined while it is live. A secret that no longer exists was deleted for good: forced, or at
 * the end of its recovery window; which one, DescribeSecret cannot tell. `now` dates a scheduled
 * deletion (see deletionSchedule).
 */
export function secretGoneProblem(
  stages: SecretStages | undefined,
  secretId: string,
  now?: Date,
): string | undefined {
  if (!stages) {
    return (
      `The secret ${secretId} no longer exists: it was deleted for good (with ` +
      'ForceDeleteWithoutRecovery, or when its recovery window ended), with every version it held.'
    );
  }
  if (stages.deletedDate !== undefined) {
    return `The secret ${secretId} is scheduled for deletion: ${deletionSchedule(stages.deletedDate, now)}.`;
  }
  return undefined;
}

/**
 * The secret is the only copy of the new key's secret access key: a rotation whose secret is gone
 * or scheduled for deletion stops before its next change (SecretDeletedError). DescribeSecret
 * still shows the labels of a secret pending deletion, so the labels alone do not prove it healthy.
 */
export function requireLiveSecret(
  stages: SecretStages | undefined,
  secretId: string,
  now?: Date,
): SecretStages {
  const problem = secretGoneProblem(stages, secretId, now);
  if (problem !== undefined || !stages) {
    const restore = stages
      ? ` Restore it before then (${restoreCommand(secretId)}) and start the rotation again.`
      : '';
    throw new SecretDeletedError(`${problem} rekey stopped before its next change.${restore}`);
  }
  return stages;
}
