import type { DeadlineAction, InactiveKeyAction, RotationPolicy, SelectionMode } from './types';

const DAY = 86_400;
const HOUR = 3_600;

/** The defaults of docs/design.md's policy; the construct documents each one. */
export const DEFAULT_POLICY: RotationPolicy = {
  rotateAfterDays: 80,
  maxKeyAgeDays: 90,
  cutoverDeadlineSeconds: 7 * DAY,
  deadlineAction: 'fail',
  pollInitialSeconds: 15 * 60,
  pollMaxSeconds: 18 * HOUR,
  recoveryWindowSeconds: 7 * DAY,
  lastUsedLagSeconds: 4 * HOUR,
  inactiveKeyAction: 'delete',
};

/** Tags rekey reads on IAM users. Every tag key starts with `rekey:`. */
export const TAGS = {
  rotate: 'rekey:rotate',
  exemptUntil: 'rekey:exempt-until',
  exemptReason: 'rekey:exempt-reason',
  rotateAfterDays: 'rekey:rotate-after-days',
  cutoverDeadlineHours: 'rekey:cutover-deadline-hours',
  deadlineAction: 'rekey:deadline-action',
  recoveryWindowDays: 'rekey:recovery-window-days',
} as const;

export interface Exemption {
  readonly until: string;
  readonly reason: string;
  readonly expired: boolean;
}

/** Which users rekey rotates and how far tags may move the policy. */
export interface Selection {
  readonly mode: SelectionMode;
  /** The smallest `rekey:rotate-after-days` a tag may set (the scan reads tags of users this old). */
  readonly minRotateAfterDays: number;
}

export interface ResolvedPolicy {
  readonly policy: RotationPolicy;
  readonly exemption?: Exemption;
  /** Why the user is not selected (opted out, or not opted in), if so. */
  readonly notSelected?: string;
  /** Tags that were present but unusable; the default applied instead. */
  readonly warnings: readonly string[];
}

/** IAM tag keys are case-insensitive; look them up that way. */
function tagMap(tags: Readonly<Record<string, string>>): Map<string, string> {
  return new Map(Object.entries(tags).map(([k, v]) => [k.toLowerCase(), v.trim()]));
}

function intTag(
  tags: Map<string, string>,
  key: string,
  min: number,
  max: number,
  warnings: string[],
): number | undefined {
  const raw = tags.get(key);
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max) {
    warnings.push(`tag ${key}="${raw}" ignored: expected a whole number from ${min} to ${max}`);
    return undefined;
  }
  return value;
}

/** A YYYY-MM-DD that names a day of the calendar: 2026-02-30 does not (Date.parse rolls it over). */
export function realDate(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  const parsed = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(parsed.getTime()) && parsed.toISOString().slice(0, 10) === text;
}

/** Parses `rekey:exempt-until` (YYYY-MM-DD, exempt through the end of that UTC day). */
function exemption(
  tags: Map<string, string>,
  now: Date,
  warnings: string[],
): Exemption | undefined {
  const until = tags.get(TAGS.exemptUntil);
  if (until === undefined) return undefined;
  const reason = tags.get(TAGS.exemptReason) ?? '';
  const end = realDate(until) ? Date.parse(`${until}T23:59:59.999Z`) : NaN;
  if (Number.isNaN(end)) {
    // A human meant to exempt this user: honour it rather than rotate on a typo, and say so.
    warnings.push(
      `tag ${TAGS.exemptUntil}="${until}" is not a date (YYYY-MM-DD); treated as exempt`,
    );
    return { until, reason: reason || 'unreadable exemption date', expired: false };
  }
  if (!reason) warnings.push(`tag ${TAGS.exemptUntil} has no ${TAGS.exemptReason}`);
  return { until, reason, expired: now.getTime() > end };
}

/** Applies a user's `rekey:` tags to the deployment's policy. */
export function resolvePolicy(
  defaults: RotationPolicy,
  selection: Selection,
  userTags: Readonly<Record<string, string>>,
  now: Date,
): ResolvedPolicy {
  const tags = tagMap(userTags);
  const warnings: string[] = [];
  const rotateAfterDays = intTag(
    tags,
    TAGS.rotateAfterDays,
    selection.minRotateAfterDays,
    defaults.maxKeyAgeDays,
    warnings,
  );
  const deadlineHours = intTag(tags, TAGS.cutoverDeadlineHours, 1, 30 * 24, warnings);
  const recoveryDays = intTag(tags, TAGS.recoveryWindowDays, 0, 30, warnings);
  const action = tags.get(TAGS.deadlineAction);
  let deadlineAction: DeadlineAction | undefined;
  if (action === 'fail' || action === 'enforce') deadlineAction = action;
  else if (action !== undefined) {
    warnings.push(`tag ${TAGS.deadlineAction}="${action}" ignored: expected fail or enforce`);
  }
  const policy: RotationPolicy = {
    ...defaults,
    ...(rotateAfterDays !== undefined && { rotateAfterDays }),
    ...(deadlineHours !== undefined && { cutoverDeadlineSeconds: deadlineHours * 3600 }),
    ...(recoveryDays !== undefined && { recoveryWindowSeconds: recoveryDays * 86_400 }),
    ...(deadlineAction !== undefined && { deadlineAction }),
  };
  return {
    policy,
    exemption: exemption(tags, now, warnings),
    notSelected: notSelected(tags, selection.mode, warnings),
    warnings,
  };
}

function notSelected(
  tags: Map<string, string>,
  mode: SelectionMode,
  warnings: string[],
): string | undefined {
  const raw = tags.get(TAGS.rotate);
  const value = raw?.toLowerCase();
  if (raw !== undefined && value !== 'true' && value !== 'false') {
    warnings.push(`tag ${TAGS.rotate}="${raw}" ignored: expected true or false`);
  }
  if (mode === 'opt-out' && value === 'false') return `opted out with ${TAGS.rotate}=false`;
  if (mode === 'opt-in' && value !== 'true')
    return `not opted in (${TAGS.rotate}=true is required)`;
  return undefined;
}

export function isInactiveKeyAction(value: unknown): value is InactiveKeyAction {
  return value === 'delete' || value === 'refuse';
}

/** Whole days between two instants, rounded down. */
export function ageInDays(from: Date, now: Date): number {
  return Math.floor((now.getTime() - from.getTime()) / (DAY * 1000));
}
