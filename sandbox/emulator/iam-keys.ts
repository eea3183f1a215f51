/** IAM access key operations and last-used reporting. */
import type { CallContext, Core, QueryOperation } from './core';
import { ServiceError } from './errors';
import { targetUser } from './iam-users';
import { page } from './iam-validation';
import { newAccessKeyId, newSecretAccessKey } from './ids';
import type { QueryParams } from './query-protocol';
import {
  principalName,
  type AccessKeyRecord,
  type KeyStatus,
  type UserRecord,
} from './state/account';
import { truncateToMinute } from './time';

export const MAX_KEYS_PER_USER = 2;

export interface NewAccessKey {
  readonly status?: KeyStatus;
  readonly createDate?: Date;
  /** A use recorded as already visible (seeding only). */
  readonly lastUsed?: { readonly date: Date; readonly service: string; readonly region: string };
}

/** Shared by CreateAccessKey and the seed helper: both Active and Inactive keys count. */
export function createAccessKey(
  core: Core,
  user: UserRecord,
  input: NewAccessKey,
  source: 'api' | 'seed',
  createdBy?: string,
): AccessKeyRecord {
  if (core.account.keysOf(user).length >= MAX_KEYS_PER_USER) {
    throw new ServiceError(
      'LimitExceeded',
      `Cannot exceed quota for AccessKeysPerUser: ${MAX_KEYS_PER_USER}`,
      409,
    );
  }
  const key: AccessKeyRecord = {
    accessKeyId: newAccessKeyId(),
    userName: user.userName,
    status: input.status ?? 'Active',
    createDate: input.createDate ?? core.clock.now(),
    secretAccessKey: newSecretAccessKey(),
    uses: [],
    seq: core.account.nextSeq(),
    ...(createdBy !== undefined && { createdBy }),
  };
  if (input.lastUsed) {
    const date = truncateToMinute(input.lastUsed.date);
    key.uses.push({ ...input.lastUsed, date, visibleAt: date });
  }
  core.account.addKey(key);
  core.mutations.emit({
    service: 'iam',
    operation: 'CreateAccessKey',
    userName: user.userName,
    accessKeyId: key.accessKeyId,
    source,
    ...(createdBy !== undefined && { principal: createdBy }),
  });
  return key;
}

function noSuchKey(accessKeyId: string): ServiceError {
  return new ServiceError(
    'NoSuchEntity',
    `The Access Key with id ${accessKeyId} cannot be found.`,
    404,
  );
}

/**
 * The key named by AccessKeyId, belonging to `UserName` or else to the caller. System
 * principals stand in for the account root, which may manage any key by id.
 */
function targetKey(core: Core, params: QueryParams, ctx: CallContext): AccessKeyRecord {
  const accessKeyId = params.required('AccessKeyId');
  const key = core.account.findLiveKey(accessKeyId);
  const userName = params.get('UserName');
  if (userName !== undefined) {
    const user = core.account.requireUser(userName);
    if (!key || key.userName !== user.userName) throw noSuchKey(accessKeyId);
    return key;
  }
  if (!key) throw noSuchKey(accessKeyId);
  if (ctx.principal.kind === 'user' && key.userName !== ctx.principal.user.userName) {
    throw noSuchKey(accessKeyId);
  }
  return key;
}

export function keyOperations(core: Core): Record<string, QueryOperation> {
  const mutated = (operation: string, key: AccessKeyRecord, ctx: CallContext): void =>
    core.mutations.emit({
      service: 'iam',
      operation,
      userName: key.userName,
      accessKeyId: key.accessKeyId,
      source: 'api',
      principal: principalName(ctx.principal),
    });
  return {
    CreateAccessKey: (params, ctx) => {
      const user = targetUser(core, params, ctx);
      const key = createAccessKey(core, user, {}, 'api', principalName(ctx.principal));
      return {
        AccessKey: {
          UserName: key.userName,
          AccessKeyId: key.accessKeyId,
          Status: key.status,
          SecretAccessKey: key.secretAccessKey,
          CreateDate: key.createDate,
        },
      };
    },
    ListAccessKeys: (params, ctx) => {
      const user = targetUser(core, params, ctx);
      const result = page(
        core.account.keysOf(user),
        (k) => k.seq,
        params.get('Marker'),
        params.int('MaxItems'),
      );
      return {
        AccessKeyMetadata: result.items.map((key) => ({
          UserName: key.userName,
          AccessKeyId: key.accessKeyId,
          Status: key.status,
          CreateDate: key.createDate,
        })),
        IsTruncated: result.IsTruncated,
        Marker: result.Marker,
      };
    },
    UpdateAccessKey: (params, ctx) => {
      const status = params.required('Status');
      if (status !== 'Active' && status !== 'Inactive') {
        throw new ServiceError(
          'ValidationError',
          `1 validation error detected: Value '${status}' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive]`,
        );
      }
      const key = targetKey(core, params, ctx);
      key.status = status;
      mutated('UpdateAccessKey', key, ctx);
      return undefined;
    },
    DeleteAccessKey: (params, ctx) => {
      const key = targetKey(core, params, ctx);
      core.account.deleteKey(key, ctx.now);
      mutated('DeleteAccessKey', key, ctx);
      return undefined;
    },
    GetAccessKeyLastUsed: (params, ctx) => {
      const accessKeyId = params.required('AccessKeyId');
      const key = core.account.findLiveKey(accessKeyId);
      if (!key) throw noSuchKey(accessKeyId);
      const use = core.account.visibleUse(key, ctx.now);
      return {
        UserName: key.userName,
        AccessKeyLastUsed: use
          ? { LastUsedDate: use.date, ServiceName: use.service, Region: use.region }
          : { ServiceName: 'N/A', Region: 'N/A' },
      };
    },
  };
}
