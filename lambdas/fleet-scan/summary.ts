import type { UserVerdict } from '../shared/fleet';
import { activeRootKeys, type RootKeyFinding } from '../shared/root-keys';
import type { StartOutcome } from './start';

/** Names per category are capped so the summary stays far below the 256 KB state limit. */
export const LIST_CAP = 50;

export interface ScanSummary {
  readonly dryRun: boolean;
  readonly scannedAt: string;
  readonly reportGeneratedAt?: string;
  readonly usersScanned: number;
  readonly usersManaged: number;
  readonly tagReads: number;
  readonly counts: Readonly<Record<Category, number>>;
  /** Up to LIST_CAP user names per category; `truncated` says where there were more. */
  readonly users: Readonly<Partial<Record<Category, readonly string[]>>>;
  readonly truncated: readonly Category[];
  readonly oldestActiveKeyAgeDays: number;
  /** Active access keys of the root user (0-2): reported, never rotated (see root-keys.ts). */
  readonly rootAccessKeys: number;
  /** Present when the root user has an active access key. */
  readonly rootKeyFinding?: RootKeyFinding;
}

export type Category =
  | 'compliant'
  | 'due'
  | 'overdue'
  | 'exempt'
  | 'exemptionsExpired'
  | 'exemptionsExpiring'
  | 'optedOut'
  | 'noActiveKey'
  | 'refused'
  | 'failed'
  | 'started'
  | 'inProgress'
  | 'recentlyRotated'
  | 'deferred';

export const CATEGORIES: readonly Category[] = [
  'compliant',
  'due',
  'overdue',
  'exempt',
  'exemptionsExpired',
  'exemptionsExpiring',
  'optedOut',
  'noActiveKey',
  'refused',
  'failed',
  'started',
  'inProgress',
  'recentlyRotated',
  'deferred',
];

/** Every category a user falls in (a user can be due, overdue and started at once). */
export function categoriesOf(
  v: UserVerdict,
  outcome: StartOutcome | undefined,
  warningDays: number,
): Category[] {
  const out: Category[] = [];
  const byDecision: Record<UserVerdict['decision'], Category> = {
    compliant: 'compliant',
    due: 'due',
    exempt: 'exempt',
    'opted-out': 'optedOut',
    'no-active-key': 'noActiveKey',
    'two-active-keys': 'refused',
    'unsupported-name': 'refused',
  };
  // Mid-cutover, the scan's own rotation of this key holds both keys active: due and in
  // progress, not a refusal an operator must act on.
  const rotating = v.decision === 'two-active-keys' && outcome?.status === 'in-progress';
  out.push(rotating ? 'due' : byDecision[v.decision]);
  if (v.overdue) out.push('overdue');
  if (v.exemption?.expired) out.push('exemptionsExpired');
  if (v.exemption && !v.exemption.expired && v.exemption.expiresInDays <= warningDays)
    out.push('exemptionsExpiring');
  const byOutcome: Record<StartOutcome['status'], Category> = {
    started: 'started',
    'in-progress': 'inProgress',
    failed: 'failed',
    rotated: 'recentlyRotated',
    deferred: 'deferred',
  };
  if (outcome) out.push(byOutcome[outcome.status]);
  return out;
}

export function summarize(
  verdicts: readonly UserVerdict[],
  outcomes: ReadonlyMap<string, StartOutcome>,
  meta: {
    dryRun: boolean;
    scannedAt: string;
    reportGeneratedAt?: string;
    usersScanned: number;
    warningDays: number;
    rootKeys?: RootKeyFinding;
  },
): ScanSummary {
  const counts = Object.fromEntries(CATEGORIES.map((c) => [c, 0])) as Record<Category, number>;
  const users: Partial<Record<Category, string[]>> = {};
  const truncated = new Set<Category>();
  let oldest = 0;
  for (const v of verdicts) {
    oldest = Math.max(oldest, v.oldestActiveKeyAgeDays ?? 0);
    for (const c of categoriesOf(v, outcomes.get(v.userName), meta.warningDays)) {
      counts[c] += 1;
      const list = (users[c] ??= []);
      if (list.length < LIST_CAP) list.push(v.userName);
      else truncated.add(c);
    }
  }
  return {
    dryRun: meta.dryRun,
    scannedAt: meta.scannedAt,
    reportGeneratedAt: meta.reportGeneratedAt,
    usersScanned: meta.usersScanned,
    usersManaged: verdicts.length,
    tagReads: verdicts.filter((v) => v.tagsRead).length,
    counts,
    users,
    truncated: [...truncated],
    oldestActiveKeyAgeDays: oldest,
    rootAccessKeys: activeRootKeys(meta.rootKeys),
    rootKeyFinding: meta.rootKeys,
  };
}
