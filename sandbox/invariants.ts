import type { Emulator } from './emulator';
import type { AccessKeyView, SecretView } from './emulator';
import { SECRET_TAGS } from '../lambdas/shared/secret';

/**
 * Whether a principal (`role/<name>`, `user/<name>`, `system/<name>`) is rekey's: the sandbox runs
 * rekey's functions as their roles, and people and applications as users or its own identities.
 */
const isRekey = (principal: string): boolean => principal.startsWith('role/');

/**
 * Watches the emulator's account while rotations run and checks the invariants of docs/invariants.md:
 * I1 and I2 after every state change, I3, I4 and I6 on demand at the end.
 */
export interface InvariantOptions {
  /** Users to watch (the ones being rotated). */
  readonly users: readonly string[];
  /** Secret name prefix (`rekey/`). */
  readonly secretPrefix: string;
}

interface Snapshot {
  readonly keys: ReadonlyMap<string, AccessKeyView>;
  readonly currentKeyOf: ReadonlyMap<string, string | undefined>;
}

const keyIdOf = (value: string): string | undefined => {
  try {
    const parsed = JSON.parse(value) as { AccessKeyId?: unknown };
    return typeof parsed.AccessKeyId === 'string' ? parsed.AccessKeyId : undefined;
  } catch {
    return undefined;
  }
};

export class InvariantMonitor {
  readonly violations: string[] = [];
  private readonly watched: Set<string>;
  private readonly hadActiveKey = new Set<string>();
  private readonly keysAtStart = new Set<string>();
  private last: Snapshot;
  private unsubscribe?: () => void;
  /** Users whose secret someone deleted: rekey never deletes a secret. */
  private readonly secretsDeleted = new Set<string>();
  /** Keys I3 does not hold rekey to, with the reason (a person destroyed their secret). */
  readonly excused: string[] = [];
  /** Keys any version of a watched user's secret has named. */
  private readonly everHeld = new Set<string>();
  private readonly inactiveAtStart = new Set<string>();

  constructor(
    private readonly emulator: Emulator,
    private readonly options: InvariantOptions,
  ) {
    this.watched = new Set(options.users);
    this.last = this.snapshot();
    for (const key of this.last.keys.values()) {
      this.keysAtStart.add(key.accessKeyId);
      if (key.status === 'Active' && !key.deletedAt) this.hadActiveKey.add(key.userName);
      if (key.status === 'Inactive' && !key.deletedAt) this.inactiveAtStart.add(key.accessKeyId);
    }
    this.noteHeldKeys();
  }

  start(): this {
    this.unsubscribe = this.emulator.onMutation((m) => {
      if (m.operation === 'DeleteSecret' && m.secretId?.startsWith(this.options.secretPrefix)) {
        this.secretsDeleted.add(m.secretId.slice(this.options.secretPrefix.length));
      }
      if (m.service === 'iam' && m.accessKeyId !== undefined && m.principal !== undefined) {
        this.checkOwnership(m.operation, m.accessKeyId, m.principal);
      }
      this.check(`${m.service}:${m.operation}`);
    });
    return this;
  }

  private noteHeldKeys(): void {
    for (const user of this.watched) {
      for (const version of this.secretOf(user)?.versions ?? []) {
        const id = keyIdOf(version.value);
        if (id !== undefined) this.everHeld.add(id);
      }
    }
  }

  /**
   * rekey never destroys what it cannot prove it owns: a key rekey deactivates or deletes is one
   * it created, one the user's secret named (the key being rotated), or one inactive from the
   * start (the second slot that policy lets it free). Deactivating before deleting does not make
   * a person's key rekey's.
   */
  private checkOwnership(operation: string, accessKeyId: string, principal: string): void {
    if (!isRekey(principal)) return;
    const key = this.emulator.state.accessKeys.find((k) => k.accessKeyId === accessKeyId);
    if (!key || !this.watched.has(key.userName)) return;
    const destroys =
      operation === 'DeleteAccessKey' ||
      (operation === 'UpdateAccessKey' && key.status === 'Inactive');
    if (!destroys) return;
    const owned =
      (key.createdBy !== undefined && isRekey(key.createdBy)) ||
      this.everHeld.has(accessKeyId) ||
      this.inactiveAtStart.has(accessKeyId);
    if (!owned) {
      this.violation(
        `ownership: ${principal} ran ${operation} on ${accessKeyId} of ${key.userName}, which ` +
          `${key.createdBy ?? 'a setup step'} created and no secret of the user ever held`,
      );
    }
  }

  stop(): void {
    this.unsubscribe?.();
  }

  /** The user's secret, when rekey made it (a secret of that name somebody else made is not). */
  private secretOf(userName: string): SecretView | undefined {
    return this.emulator.state.secrets.find(
      (s) =>
        s.name === `${this.options.secretPrefix}${userName}` &&
        s.tags.some((t) => t.Key === SECRET_TAGS.managedBy && t.Value === 'rekey'),
    );
  }

  private snapshot(): Snapshot {
    const keys = new Map<string, AccessKeyView>();
    for (const k of this.emulator.state.accessKeys)
      if (this.watched.has(k.userName)) keys.set(k.accessKeyId, k);
    const currentKeyOf = new Map<string, string | undefined>();
    for (const user of this.watched) {
      const current = this.secretOf(user)?.versions.find((v) => v.stages.includes('AWSCURRENT'));
      currentKeyOf.set(user, current ? keyIdOf(current.value) : undefined);
    }
    return { keys, currentKeyOf };
  }

  private violation(what: string): void {
    this.violations.push(what);
  }

  /** I1 and I2 against the state just after a change. */
  private check(change: string): void {
    const now = this.snapshot();
    const before = this.last;
    for (const [id, prev] of before.keys) {
      const cur = now.keys.get(id);
      if (!prev.deletedAt && cur?.deletedAt && prev.status === 'Active') {
        this.violation(`I2 after ${change}: active key ${id} of ${prev.userName} was deleted`);
      }
      if (prev.status === 'Active' && cur?.status === 'Inactive') {
        const current =
          now.currentKeyOf.get(prev.userName) ?? before.currentKeyOf.get(prev.userName);
        if (current === id)
          this.violation(`I2 after ${change}: the AWSCURRENT key ${id} was deactivated`);
      }
    }
    for (const user of this.hadActiveKey) {
      const active = [...now.keys.values()].filter(
        (k) => k.userName === user && k.status === 'Active' && !k.deletedAt,
      );
      if (active.length === 0) this.violation(`I1 after ${change}: ${user} has no active key`);
      const current = now.currentKeyOf.get(user);
      if (this.secretOf(user) && !active.some((k) => k.accessKeyId === current)) {
        this.violation(
          `I1 after ${change}: ${user}'s AWSCURRENT (${current ?? 'none'}) is not an active key`,
        );
      }
    }
    this.last = now;
    this.noteHeldKeys();
  }

  /**
   * I3: every key created since the start is in the secret (a labelled version) or deleted.
   * `notByRekey` lists keys a person made (the monitor cannot tell who called CreateAccessKey).
   * A key whose secret a person deleted is excused, and listed in `excused`.
   */
  checkNoOrphans(notByRekey: readonly string[] = []): void {
    for (const key of this.snapshot().keys.values()) {
      if (this.keysAtStart.has(key.accessKeyId) || key.deletedAt) continue;
      if (notByRekey.includes(key.accessKeyId)) continue;
      if (this.secretsDeleted.has(key.userName)) {
        this.excused.push(`I3: key ${key.accessKeyId} of ${key.userName}: its secret was deleted`);
        continue;
      }
      const labelled = this.secretOf(key.userName)?.versions.some(
        (v) => v.stages.length > 0 && keyIdOf(v.value) === key.accessKeyId,
      );
      if (!labelled)
        this.violation(
          `I3: key ${key.accessKeyId} of ${key.userName} is neither in the secret nor deleted`,
        );
    }
  }

  /**
   * I6 for a failed rotation: the user is as it was (old key active and current) or safely
   * published (both active, new current); never without a working key.
   */
  checkSafeFailure(userName: string, oldKeyId: string): void {
    const snap = this.snapshot();
    const keys = [...snap.keys.values()].filter((k) => k.userName === userName && !k.deletedAt);
    const current = snap.currentKeyOf.get(userName);
    const old = keys.find((k) => k.accessKeyId === oldKeyId);
    const currentKey = keys.find((k) => k.accessKeyId === current);
    const asItWas = old?.status === 'Active' && (current === oldKeyId || current === undefined);
    const published =
      old?.status === 'Active' && currentKey?.status === 'Active' && current !== oldKeyId;
    const finished =
      currentKey?.status === 'Active' && current !== oldKeyId && old?.status !== 'Active';
    if (!asItWas && !published && !finished) {
      this.violation(
        `I6: ${userName} is left with old key ${old?.status ?? 'deleted'} and AWSCURRENT ${current ?? 'none'}`,
      );
    }
  }

  /** I4: no secret access key of any key ever created appears in the given texts. */
  checkSecrecy(texts: ReadonlyArray<{ readonly where: string; readonly text: string }>): void {
    const secrets = this.emulator.state.accessKeys.map((k) => k.secretAccessKey);
    for (const { where, text } of texts) {
      for (const secret of secrets) {
        if (text.includes(secret)) this.violation(`I4: a secret access key appears in ${where}`);
      }
    }
  }
}
