import {
  DeleteAccessKeyCommand,
  GetAccessKeyLastUsedCommand,
  ListAccessKeysCommand,
  ListUserTagsCommand,
  UpdateAccessKeyCommand,
  type IAMClient,
} from '@aws-sdk/client-iam';
import { awsErrorCode } from './errors';
import type { LastUsed } from './types';

export interface AccessKey {
  readonly accessKeyId: string;
  readonly status: 'Active' | 'Inactive';
  readonly createDate: string;
}

/** The user's keys, oldest first (a user has at most two, so one page). */
export async function listKeys(iam: IAMClient, userName: string): Promise<AccessKey[]> {
  const out = await iam.send(new ListAccessKeysCommand({ UserName: userName }));
  return (out.AccessKeyMetadata ?? [])
    .map((k) => ({
      accessKeyId: k.AccessKeyId ?? '',
      status: k.Status === 'Active' ? ('Active' as const) : ('Inactive' as const),
      createDate: (k.CreateDate ?? new Date(0)).toISOString(),
    }))
    .sort((a, b) => a.createDate.localeCompare(b.createDate));
}

export async function lastUsed(iam: IAMClient, accessKeyId: string): Promise<LastUsed> {
  const out = await iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: accessKeyId }));
  const used = out.AccessKeyLastUsed;
  return {
    date: used?.LastUsedDate?.toISOString(),
    serviceName: used?.ServiceName ?? 'N/A',
    region: used?.Region ?? 'N/A',
  };
}

export async function deactivateKey(
  iam: IAMClient,
  userName: string,
  accessKeyId: string,
): Promise<void> {
  await iam.send(
    new UpdateAccessKeyCommand({
      UserName: userName,
      AccessKeyId: accessKeyId,
      Status: 'Inactive',
    }),
  );
}

/**
 * Deletes a key rekey created and never published: deactivated first, so that no key is ever
 * deleted while active (I2). A key already gone counts as deleted.
 */
export async function discardKey(
  iam: IAMClient,
  userName: string,
  accessKeyId: string,
): Promise<void> {
  try {
    await deactivateKey(iam, userName, accessKeyId);
    await iam.send(new DeleteAccessKeyCommand({ UserName: userName, AccessKeyId: accessKeyId }));
  } catch (error) {
    if (awsErrorCode(error) !== 'NoSuchEntity') throw error;
  }
}

/** Shortens a key id for messages: AKIA…WXYZ. */
export function shortKey(accessKeyId: string): string {
  return accessKeyId.length > 8
    ? `${accessKeyId.slice(0, 4)}…${accessKeyId.slice(-4)}`
    : accessKeyId;
}

/** Every tag of a user (IAM pages them), as a map. */
export async function userTags(iam: IAMClient, userName: string): Promise<Record<string, string>> {
  const tags: Record<string, string> = {};
  let marker: string | undefined;
  do {
    const out = await iam.send(new ListUserTagsCommand({ UserName: userName, Marker: marker }));
    for (const t of out.Tags ?? []) tags[t.Key ?? ''] = t.Value ?? '';
    marker = out.IsTruncated ? out.Marker : undefined;
  } while (marker);
  return tags;
}
