import type { ReportKey, ReportUser } from './credential-report';
import { ageInDays, resolvePolicy, type Exemption, type Selection } from './policy';
import { secretNameProblem } from './secret';
import type { RotationPolicy } from './types';

/** What the fleet scan decides for a user, and what `rekey report` shows. */
export type FleetDecision =
  | 'compliant'
  | 'due'
  | 'exempt'
  | 'opted-out'
  | 'no-active-key'
  | 'two-active-keys'
  | 'unsupported-name';

export interface FleetKey {
  readonly slot: 1 | 2;
  readonly active: boolean;
  readonly ageDays: number;
  readonly createdAt: string;
  readonly lastUsed?: string;
  readonly lastUsedService?: string;
  readonly lastUsedRegion?: string;
}

export interface UserVerdict {
  readonly userName: string;
  readonly path: string;
  readonly decision: FleetDecision;
  readonly reason: string;
  /** An active key is older than the compliance maximum (90 days). */
  readonly overdue: boolean;
  /** Age of the oldest active key. */
  readonly oldestActiveKeyAgeDays?: number;
  /** When the oldest active key becomes due (YYYY-MM-DD). */
  readonly dueDate?: string;
  /** The oldest active key's creation date: part of the deterministic execution name. */
  readonly oldKeyCreatedAt?: string;
  readonly exemption?: Exemption & { readonly expiresInDays: number };
  readonly tagsRead: boolean;
  readonly keys: readonly FleetKey[];
  readonly warnings: readonly string[];
}

export interface FleetPolicy {
  readonly policy: RotationPolicy;
  readonly selection: Selection;
  readonly managedPath: string;
  readonly now: Date;
}

const DAY = 86_400_000;
const day = (d: Date): string => d.toISOString().slice(0, 10);

function fleetKey(k: ReportKey, now: Date): FleetKey {
  const created = k.lastRotated ?? now;
  return {
    slot: k.slot,
    active: k.active,
    ageDays: ageInDays(created, now),
    createdAt: created.toISOString(),
    lastUsed: k.lastUsed?.toISOString(),
    lastUsedService: k.lastUsedService,
    lastUsedRegion: k.lastUsedRegion,
  };
}

export function isManaged(user: ReportUser, managedPath: string): boolean {
  return user.path.startsWith(managedPath);
}

function oldestActive(user: ReportUser): ReportKey | undefined {
  return user.keys
    .filter((k) => k.active && k.lastRotated)
    .sort((a, b) => (a.lastRotated?.getTime() ?? 0) - (b.lastRotated?.getTime() ?? 0))[0];
}

/**
 * Whether the scan must read the user's tags: only a user whose oldest active key is at least
 * as old as the smallest rotate-after a tag may set can be due. Everyone else is decided from
 * the credential report alone, which keeps IAM calls constant as the fleet grows.
 */
export function needsTags(user: ReportUser, p: FleetPolicy): boolean {
  const oldest = oldestActive(user);
  return (
    oldest?.lastRotated !== undefined &&
    ageInDays(oldest.lastRotated, p.now) >= p.selection.minRotateAfterDays
  );
}

/** Decides one user from its report row and, for candidates, its tags. */
export function classifyUser(
  user: ReportUser,
  p: FleetPolicy,
  tags?: Readonly<Record<string, string>>,
): UserVerdict {
  const keys = user.keys.map((k) => fleetKey(k, p.now));
  const oldest = oldestActive(user);
  const resolved = resolvePolicy(p.policy, p.selection, tags ?? {}, p.now);
  const policy = tags ? resolved.policy : p.policy;
  const age = oldest?.lastRotated ? ageInDays(oldest.lastRotated, p.now) : undefined;
  const activeCount = user.keys.filter((k) => k.active).length;
  const base = {
    userName: user.userName,
    path: user.path,
    overdue: keys.some((k) => k.active && k.ageDays > p.policy.maxKeyAgeDays),
    oldestActiveKeyAgeDays: age,
    dueDate: oldest?.lastRotated
      ? day(new Date(oldest.lastRotated.getTime() + policy.rotateAfterDays * DAY))
      : undefined,
    oldKeyCreatedAt: oldest?.lastRotated?.toISOString(),
    tagsRead: tags !== undefined,
    keys,
    warnings: tags ? resolved.warnings : [],
    exemption:
      tags && resolved.exemption
        ? {
            ...resolved.exemption,
            expiresInDays: Math.floor(
              (Date.parse(`${resolved.exemption.until}T23:59:59Z`) - p.now.getTime()) / DAY,
            ),
          }
        : undefined,
  };
  if (age === undefined)
    return { ...base, decision: 'no-active-key', reason: 'no active access key' };
  if (tags && resolved.notSelected)
    return { ...base, decision: 'opted-out', reason: resolved.notSelected };
  if (resolved.exemption && tags && !resolved.exemption.expired) {
    return {
      ...base,
      decision: 'exempt',
      reason: `exempt until ${resolved.exemption.until}: ${resolved.exemption.reason}`,
    };
  }
  const expired =
    tags && resolved.exemption?.expired ? `; exemption expired on ${resolved.exemption.until}` : '';
  if (age < policy.rotateAfterDays) {
    return {
      ...base,
      decision: 'compliant',
      reason: `key is ${age} days old, due after ${policy.rotateAfterDays}${expired}`,
    };
  }
  const unnamable = secretNameProblem('', user.userName);
  if (unnamable) return { ...base, decision: 'unsupported-name', reason: unnamable };
  if (activeCount > 1) {
    return {
      ...base,
      decision: 'two-active-keys',
      reason: `two active keys; the oldest is ${age} days old${expired}`,
    };
  }
  return {
    ...base,
    decision: 'due',
    reason: `key is ${age} days old, due after ${policy.rotateAfterDays}${expired}`,
  };
}

/**
 * The execution name for a scheduled rotation of one key: the same user, key and attempt give
 * the same name, so a second scan while the rotation runs starts nothing new. Attempt 1 is
 * `scan-<user>-<key stamp>`; a later attempt (after one that ended having changed nothing)
 * appends `-<n>`. Execution names allow 80 characters; characters CloudWatch logging dislikes
 * become `_` with a hash to stay unique.
 */
export function rotationExecutionName(
  userName: string,
  keyCreatedAt: string,
  hash: (s: string) => string,
  attempt = 1,
): string {
  const stamp = keyCreatedAt.replace(/[^0-9]/g, '').slice(0, 14);
  return `scan-${userPart(userName, hash)}-${stamp}${attempt > 1 ? `-${attempt}` : ''}`;
}

/**
 * A user name as rekey's execution names carry it: up to 44 characters of [A-Za-z0-9_-], and a
 * short hash when the name had to be changed to fit. `rekey-<part>-<stamp>` (the CLI) and
 * `scan-<part>-<stamp>[-<attempt>]` (the fleet scan) both use it.
 */
export function userPart(userName: string, hash: (s: string) => string): string {
  const safe = userName.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 44);
  return safe === userName ? safe : `${safe}-${hash(userName).slice(0, 8)}`;
}

const REKEY_NAME = /^(?:rekey|scan)-(.+)-(?:\d{14}|\d{17})(?:-\d+)?$/;

/** The user part of an execution name rekey chose, or undefined for any other name. */
export function userPartOfName(executionName: string): string | undefined {
  return REKEY_NAME.exec(executionName)?.[1];
}
