/** IAM user operations: create, read, list, tag, delete. */
import type { CallContext, Core, QueryOperation } from './core';
import { ServiceError } from './errors';
import {
  validatePath,
  validateTags,
  validateUserName,
  mergeTags,
  page,
  MAX_TAGS,
} from './iam-validation';
import { newUserId } from './ids';
import type { QueryParams, XmlValue } from './query-protocol';
import { principalName, type Tag, type UserRecord } from './state/account';

export interface NewUser {
  readonly userName: string;
  readonly path?: string;
  readonly tags?: readonly Tag[];
  readonly createDate?: Date;
}

/** Shared by CreateUser and the seed helper, so both keep the same rules. */
export function createUser(core: Core, input: NewUser, source: 'api' | 'seed'): UserRecord {
  const path = input.path ?? '/';
  const tags = input.tags ?? [];
  validateUserName(input.userName, 64);
  validatePath(path);
  validateTags(tags);
  if (tags.length > MAX_TAGS) {
    throw new ServiceError(
      'LimitExceeded',
      `Cannot exceed quota for TagsPerUser: ${MAX_TAGS}`,
      409,
    );
  }
  if (core.account.findUser(input.userName)) {
    throw new ServiceError(
      'EntityAlreadyExists',
      `User with name ${input.userName} already exists.`,
      409,
    );
  }
  const user: UserRecord = {
    userName: input.userName,
    path,
    arn: `arn:aws:iam::${core.accountId}:user${path}${input.userName}`,
    userId: newUserId(),
    createDate: input.createDate ?? core.clock.now(),
    tags: tags.map((tag) => ({ Key: tag.Key, Value: tag.Value })),
    seq: core.account.nextSeq(),
  };
  core.account.users.set(user.userName.toLowerCase(), user);
  core.mutations.emit({ service: 'iam', operation: 'CreateUser', userName: user.userName, source });
  return user;
}

function userXml(user: UserRecord, withTags: boolean): XmlValue {
  return {
    Path: user.path,
    UserName: user.userName,
    UserId: user.userId,
    Arn: user.arn,
    CreateDate: user.createDate,
    Tags:
      withTags && user.tags.length > 0
        ? user.tags.map((t) => ({ Key: t.Key, Value: t.Value }))
        : undefined,
  };
}

function readTags(params: QueryParams): Tag[] {
  return params
    .structList('Tags', ['Key', 'Value'] as const)
    .map((tag) => ({ Key: tag.Key ?? '', Value: tag.Value ?? '' }));
}

/** The user named by `UserName`, or the caller's own user when it is omitted. */
export function targetUser(core: Core, params: QueryParams, ctx: CallContext): UserRecord {
  const userName = params.get('UserName');
  if (userName !== undefined) return core.account.requireUser(userName);
  if (ctx.principal.kind === 'user') return ctx.principal.user;
  throw new ServiceError(
    'ValidationError',
    'Must specify userName when calling with non-User credentials',
  );
}

export function userOperations(core: Core): Record<string, QueryOperation> {
  const mutated = (operation: string, userName: string, ctx: CallContext): void =>
    core.mutations.emit({
      service: 'iam',
      operation,
      userName,
      source: 'api',
      principal: principalName(ctx.principal),
    });
  return {
    CreateUser: (params) => {
      const user = createUser(
        core,
        { userName: params.required('UserName'), path: params.get('Path'), tags: readTags(params) },
        'api',
      );
      return { User: userXml(user, true) };
    },
    GetUser: (params, ctx) => ({ User: userXml(targetUser(core, params, ctx), true) }),
    ListUsers: (params) => {
      const prefix = params.get('PathPrefix') ?? '/';
      const users = [...core.account.users.values()]
        .filter((user) => user.path.startsWith(prefix))
        .sort((a, b) => a.seq - b.seq);
      const result = page(users, (u) => u.seq, params.get('Marker'), params.int('MaxItems'));
      return {
        Users: result.items.map((user) => userXml(user, false)),
        IsTruncated: result.IsTruncated,
        Marker: result.Marker,
      };
    },
    TagUser: (params, ctx) => {
      const user = core.account.requireUser(params.required('UserName'));
      const tags = readTags(params);
      validateTags(tags);
      user.tags = mergeTags(user.tags, tags);
      mutated('TagUser', user.userName, ctx);
      return undefined;
    },
    UntagUser: (params, ctx) => {
      const user = core.account.requireUser(params.required('UserName'));
      const keys = new Set(params.stringList('TagKeys').map((key) => key.toLowerCase()));
      user.tags = user.tags.filter((tag) => !keys.has(tag.Key.toLowerCase()));
      mutated('UntagUser', user.userName, ctx);
      return undefined;
    },
    ListUserTags: (params) => {
      const user = core.account.requireUser(params.required('UserName'));
      const sorted = [...user.tags].sort((a, b) => (a.Key < b.Key ? -1 : a.Key > b.Key ? 1 : 0));
      const indexed = sorted.map((tag, index) => ({ tag, index }));
      const result = page(indexed, (t) => t.index, params.get('Marker'), params.int('MaxItems'));
      return {
        Tags: result.items.map(({ tag }) => ({ Key: tag.Key, Value: tag.Value })),
        IsTruncated: result.IsTruncated,
        Marker: result.Marker,
      };
    },
    DeleteUser: (params, ctx) => {
      const user = core.account.requireUser(params.required('UserName'));
      if (core.account.keysOf(user).length > 0) {
        throw new ServiceError(
          'DeleteConflict',
          'Cannot delete entity, must delete access keys first.',
          409,
        );
      }
      const own = core.policies.users.get(user.userName.toLowerCase());
      if (own && (own.inline.size > 0 || own.attached.size > 0)) {
        throw new ServiceError(
          'DeleteConflict',
          'Cannot delete entity, must delete policies first.',
          409,
        );
      }
      core.account.users.delete(user.userName.toLowerCase());
      mutated('DeleteUser', user.userName, ctx);
      return undefined;
    },
  };
}
