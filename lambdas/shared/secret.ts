import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  TagResourceCommand,
  UntagResourceCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { createHash } from 'node:crypto';
import { awsErrorCode } from './errors';
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

/** Parses a version's value; throws without echoing the value (it holds a secret). */
export function parseSecretValue(text: string | undefined, where: string): SecretValue {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text ?? '');
  } catch {
    throw new Error(`${where} is not JSON`);
  }
  const v = parsed as Partial<Record<keyof SecretValue, unknown>>;
  if (typeof v !== 'object' || v === null || typeof v.AccessKeyId !== 'string') {
    throw new Error(`${where} has no AccessKeyId`);
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
 * A per-execution marker set just before CreateAccessKey and cleared once the key is staged.
 * If it is still there on a retry or in compensation, this execution's CreateAccessKey may
 * have created a key whose answer was lost: such a key is this rotation's orphan (I3).
 */
export function creatingMarker(executionArn: string): string {
  return `rekey:creating:${createHash('sha256').update(executionArn).digest('hex').slice(0, 12)}`;
}

export async function setMarker(
  sm: SecretsManagerClient,
  secretId: string,
  executionArn: string,
  now: Date,
): Promise<void> {
  await sm.send(
    new TagResourceCommand({
      SecretId: secretId,
      Tags: [{ Key: creatingMarker(executionArn), Value: `${executionArn}@${now.toISOString()}` }],
    }),
  );
}

/** A marker younger than this belongs to a stage attempt that may still be running. */
export const MARKER_FRESH_MS = 15 * 60_000;

/**
 * Another execution's creating-marker set less than 15 minutes ago: that execution may be
 * creating a key right now, so an unknown key on the user may be its key, not an orphan.
 * Older markers are left by executions that were stopped or crashed mid-step.
 */
export function foreignCreator(
  tags: Readonly<Record<string, string>>,
  executionArn: string,
  now: Date,
): string | undefined {
  for (const [key, value] of Object.entries(tags)) {
    if (!key.startsWith(MARKER_PREFIX) || key === creatingMarker(executionArn)) continue;
    const at = markerTime(value);
    if (at !== undefined && now.getTime() - at < MARKER_FRESH_MS)
      return value.slice(0, value.lastIndexOf('@'));
  }
  return undefined;
}

/**
 * Markers of other executions that are no longer fresh (stopped or crashed mid-step, or
 * unreadable): removed when this execution sets its own, so they never pile up towards the
 * 50 tags a secret may hold.
 */
export function staleMarkers(
  tags: Readonly<Record<string, string>>,
  executionArn: string,
  now: Date,
): string[] {
  return Object.entries(tags)
    .filter(([key]) => key.startsWith(MARKER_PREFIX) && key !== creatingMarker(executionArn))
    .filter(([, value]) => {
      const at = markerTime(value);
      return at === undefined || now.getTime() - at >= MARKER_FRESH_MS;
    })
    .map(([key]) => key);
}

const MARKER_PREFIX = 'rekey:creating:';

function markerTime(value: string): number | undefined {
  const at = Date.parse(value.slice(value.lastIndexOf('@') + 1));
  return value.includes('@') && !Number.isNaN(at) ? at : undefined;
}

export async function clearMarker(
  sm: SecretsManagerClient,
  secretId: string,
  executionArn: string,
): Promise<void> {
  await sm.send(
    new UntagResourceCommand({ SecretId: secretId, TagKeys: [creatingMarker(executionArn)] }),
  );
}
