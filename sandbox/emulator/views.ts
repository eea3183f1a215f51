/** Read-only snapshots of the emulator's state, for tests and invariant checks. */
import type { ExecutionRecord, StateMachineRecord } from '../contracts';
import type { Core } from './core';
import type { KeyStatus, KeyUse, Tag } from './state/account';

export interface UserView {
  readonly userName: string;
  readonly path: string;
  readonly arn: string;
  readonly userId: string;
  readonly createDate: Date;
  readonly tags: readonly Tag[];
}

export interface LastUsedView {
  readonly date: Date;
  readonly service: string;
  readonly region: string;
}

export interface AccessKeyView {
  readonly accessKeyId: string;
  readonly userName: string;
  readonly status: KeyStatus;
  readonly createDate: Date;
  readonly secretAccessKey: string;
  /** Set for deleted keys, which stay listed as tombstones. */
  readonly deletedAt?: Date;
  /** Who called CreateAccessKey: `role/<name>`, `user/<name>` or `system/<name>`; absent if seeded. */
  readonly createdBy?: string;
  /** The newest recorded use, even if IAM does not report it yet (lastUsedLagSeconds). */
  readonly lastUsed?: LastUsedView;
  /** The use GetAccessKeyLastUsed reports now. */
  readonly visibleLastUsed?: LastUsedView;
}

export interface SecretVersionView {
  readonly versionId: string;
  /** SecretString, or SecretBinary as base64. */
  readonly value: string;
  readonly stages: readonly string[];
  readonly createdDate: Date;
}

export interface SecretView {
  readonly name: string;
  readonly arn: string;
  readonly kmsKeyId?: string;
  readonly tags: readonly Tag[];
  readonly deletedDate?: Date;
  readonly versions: readonly SecretVersionView[];
}

/** An access key of the root user (slot 1 first): only seeds and control routes make one. */
export interface RootAccessKeyView {
  readonly slot: 1 | 2;
  readonly status: KeyStatus;
  readonly createDate: Date;
  readonly lastUsed?: LastUsedView;
}

export interface StateView {
  readonly users: readonly UserView[];
  readonly accessKeys: readonly AccessKeyView[];
  readonly rootAccessKeys: readonly RootAccessKeyView[];
  readonly secrets: readonly SecretView[];
  readonly stateMachines: readonly StateMachineRecord[];
  readonly executions: readonly ExecutionRecord[];
}

const useView = (use: KeyUse | undefined): LastUsedView | undefined =>
  use && { date: use.date, service: use.service, region: use.region };

const copyTags = (tags: readonly Tag[]): Tag[] => tags.map((t) => ({ Key: t.Key, Value: t.Value }));

export function stateView(core: Core): StateView {
  return {
    get users() {
      return [...core.account.users.values()]
        .sort((a, b) => a.seq - b.seq)
        .map(({ userName, path, arn, userId, createDate, tags }) => ({
          userName,
          path,
          arn,
          userId,
          createDate,
          tags: copyTags(tags),
        }));
    },
    get accessKeys() {
      return [...core.account.keys.values()]
        .sort((a, b) => a.seq - b.seq)
        .map((key) => ({
          accessKeyId: key.accessKeyId,
          userName: key.userName,
          status: key.status,
          createDate: key.createDate,
          secretAccessKey: key.secretAccessKey,
          deletedAt: key.deletedAt,
          ...(key.createdBy !== undefined && { createdBy: key.createdBy }),
          lastUsed: useView(key.uses[key.uses.length - 1]),
          visibleLastUsed: useView(core.account.visibleUse(key, core.clock.now())),
        }));
    },
    get rootAccessKeys() {
      return core.account.rootKeys.map((key, i) => ({
        slot: (i + 1) as 1 | 2,
        status: key.status,
        createDate: key.createDate,
        ...(key.lastUsed && { lastUsed: { ...key.lastUsed } }),
      }));
    },
    get secrets() {
      return core.secrets.all(core.clock.now()).map((secret) => ({
        name: secret.name,
        arn: secret.arn,
        kmsKeyId: secret.kmsKeyId,
        tags: copyTags(secret.tags),
        deletedDate: secret.deletedDate,
        versions: secret.versions.map((v) => ({
          versionId: v.versionId,
          value: v.value,
          stages: [...v.stages],
          createdDate: v.createdDate,
        })),
      }));
    },
    get stateMachines() {
      return [...core.executions.stateMachines.values()].map(
        ({ settings: _settings, ...machine }) => machine,
      );
    },
    get executions() {
      return [...core.executions.executions.values()];
    },
  };
}
