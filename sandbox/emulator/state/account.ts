/**
 * IAM account state: users, their access keys (deleted ones kept as tombstones so tests can
 * check what happened to every key), and the sandbox's non-user system principals.
 */
import { ServiceError } from '../errors';
import { newRoleId, newSecretAccessKey, newSystemKeyId } from '../ids';
import { addSeconds, truncateToMinute } from '../time';
import type { SessionRecord } from './policies';

export interface Tag {
  Key: string;
  Value: string;
}

export interface UserRecord {
  readonly userName: string;
  readonly path: string;
  readonly arn: string;
  readonly userId: string;
  readonly createDate: Date;
  tags: Tag[];
  /** Creation order: listing order and pagination markers follow it. */
  readonly seq: number;
}

export interface KeyUse {
  readonly date: Date;
  readonly service: string;
  readonly region: string;
  /** When IAM starts reporting this use (date of use plus the configured lag). */
  readonly visibleAt: Date;
}

export type KeyStatus = 'Active' | 'Inactive';

export interface AccessKeyRecord {
  readonly accessKeyId: string;
  readonly userName: string;
  status: KeyStatus;
  readonly createDate: Date;
  readonly secretAccessKey: string;
  deletedAt?: Date;
  /** Who called CreateAccessKey (see principalName); absent for seeded keys. */
  readonly createdBy?: string;
  /** Every recorded use, oldest first (only the first use in each 15-minute span). */
  readonly uses: KeyUse[];
  readonly seq: number;
}

/**
 * An access key of the account's root user, as the credential report shows it. The sandbox has
 * no root principal: nothing signs with it and no API call changes it (on AWS only the root user
 * could), so it exists only for the report's `<root_account>` row.
 */
export interface RootAccessKeyRecord {
  readonly status: KeyStatus;
  readonly createDate: Date;
  readonly lastUsed?: { readonly date: Date; readonly service: string; readonly region: string };
}

/**
 * A workload identity the sandbox stands in for (the administrator, a simulated application's
 * role): credentials the platform keeps fresh, so they never expire. It acts as the role of the
 * same name when one exists; the administrator holds AdministratorAccess.
 */
export interface SystemPrincipal {
  readonly name: string;
  readonly admin: boolean;
  readonly roleId: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

export type Principal =
  | { readonly kind: 'user'; readonly user: UserRecord; readonly key: AccessKeyRecord }
  | { readonly kind: 'session'; readonly session: SessionRecord }
  | { readonly kind: 'system'; readonly principal: SystemPrincipal };

/**
 * A principal as the sandbox's own bookkeeping names it: `role/<name>` for a role session (a
 * Lambda function's role), `user/<name>`, or `system/<name>` (the administrator, a workload).
 */
export function principalName(principal: Principal): string {
  switch (principal.kind) {
    case 'session':
      return `role/${principal.session.roleName}`;
    case 'user':
      return `user/${principal.user.userName}`;
    case 'system':
      return `system/${principal.principal.name}`;
  }
}

/** AWS records only the first use of a key in a 15-minute span (docs/aws-semantics.md §1.2). */
const USE_SPAN_MS = 15 * 60_000;

export class Account {
  readonly users = new Map<string, UserRecord>();
  readonly keys = new Map<string, AccessKeyRecord>();
  readonly system = new Map<string, SystemPrincipal>();
  /** The root user's access keys, slot 1 first (at most two, as for a user). */
  readonly rootKeys: RootAccessKeyRecord[] = [];
  private readonly liveKeys = new Map<string, Set<AccessKeyRecord>>();
  private seq = 0;

  nextSeq(): number {
    this.seq += 1;
    return this.seq;
  }

  /** User names are unique regardless of case, so lookups ignore case too. */
  findUser(userName: string): UserRecord | undefined {
    return this.users.get(userName.toLowerCase());
  }

  requireUser(userName: string): UserRecord {
    const user = this.findUser(userName);
    if (!user) {
      throw new ServiceError(
        'NoSuchEntity',
        `The user with name ${userName} cannot be found.`,
        404,
      );
    }
    return user;
  }

  /** Keys that exist (not deleted), oldest first. Indexed: the fleet scan reads 10,000 users. */
  keysOf(user: UserRecord): AccessKeyRecord[] {
    return [...(this.liveKeys.get(user.userName.toLowerCase()) ?? [])].sort(
      (a, b) => a.createDate.getTime() - b.createDate.getTime() || a.seq - b.seq,
    );
  }

  addKey(key: AccessKeyRecord): void {
    this.keys.set(key.accessKeyId, key);
    const owner = key.userName.toLowerCase();
    const live = this.liveKeys.get(owner) ?? new Set<AccessKeyRecord>();
    live.add(key);
    this.liveKeys.set(owner, live);
  }

  /** Deleted keys stay in `keys` as tombstones. */
  deleteKey(key: AccessKeyRecord, at: Date): void {
    key.deletedAt = at;
    this.liveKeys.get(key.userName.toLowerCase())?.delete(key);
  }

  findLiveKey(accessKeyId: string): AccessKeyRecord | undefined {
    const key = this.keys.get(accessKeyId);
    return key && key.deletedAt === undefined ? key : undefined;
  }

  addSystemPrincipal(name: string, admin = false): SystemPrincipal {
    const principal: SystemPrincipal = {
      name,
      admin,
      roleId: newRoleId(),
      accessKeyId: newSystemKeyId(),
      secretAccessKey: newSecretAccessKey(),
    };
    this.system.set(principal.accessKeyId, principal);
    return principal;
  }

  /** Records a use unless the key already has one within the last 15 minutes. */
  recordUse(key: AccessKeyRecord, at: Date, service: string, region: string, lagSeconds: number) {
    const last = key.uses[key.uses.length - 1];
    if (last && at.getTime() - last.date.getTime() < USE_SPAN_MS) return;
    key.uses.push({
      date: truncateToMinute(at),
      service,
      region,
      visibleAt: addSeconds(at, lagSeconds),
    });
  }

  /** The newest use IAM reports at `now`: uses still inside the lag stay hidden. */
  visibleUse(key: AccessKeyRecord, now: Date): KeyUse | undefined {
    for (let i = key.uses.length - 1; i >= 0; i--) {
      const use = key.uses[i];
      if (use && use.visibleAt.getTime() <= now.getTime()) return use;
    }
    return undefined;
  }

  /** Forgets users, keys and root keys; system principals stay (they belong to the sandbox, not the account). */
  reset(): void {
    this.users.clear();
    this.keys.clear();
    this.liveKeys.clear();
    this.rootKeys.length = 0;
  }
}
