import { ROOT_ROW_USER } from '../lambdas/shared/credential-report';
import { ageInDays } from '../lambdas/shared/policy';
import { describeRootKeyFinding, type RootKey } from '../lambdas/shared/root-keys';
import { table, when, type Paint } from './format';
import type { ComplianceReport, ReportEntry } from './report';

/** The decision column of the root user's keys: reported, never rotated. */
export const ROOT_DECISION = 'root-access-key';

const day = (iso: string | undefined): string => (iso ? iso.slice(0, 10) : '');

interface KeyRow {
  readonly entry: ReportEntry;
  readonly first: boolean;
  readonly slot?: number;
  readonly status?: 'Active' | 'Inactive';
  readonly ageDays?: number;
  readonly createdAt?: string;
  readonly lastUsed?: string;
  readonly lastUsedService?: string;
}

/** One row per key (a user without keys gets one row), user columns on the first only. */
function keyRows(report: ComplianceReport): KeyRow[] {
  return report.users.flatMap((entry): KeyRow[] =>
    entry.keys.length === 0
      ? [{ entry, first: true }]
      : entry.keys.map((k, i) => ({
          entry,
          first: i === 0,
          slot: k.slot,
          status: k.active ? ('Active' as const) : ('Inactive' as const),
          ageDays: k.ageDays,
          createdAt: k.createdAt,
          lastUsed: k.lastUsed,
          lastUsedService: k.lastUsedService,
        })),
  );
}

/** The root user's keys, when one is active: first, as in the credential report. */
const rootKeys = (report: ComplianceReport): readonly RootKey[] =>
  report.rootKeyFinding?.keys ?? [];

const rootAge = (k: RootKey, report: ComplianceReport): number | undefined =>
  k.lastRotated === undefined
    ? undefined
    : ageInDays(new Date(k.lastRotated), new Date(report.asOf));

const exemption = (e: ReportEntry): string =>
  e.exemption ? `${e.exemption.expired ? 'expired ' : 'until '}${e.exemption.until}` : '';

export const REPORT_HEADER = [
  'user',
  'key',
  'status',
  'age',
  'last used',
  'exemption',
  'due',
  'decision',
] as const;

export function reportTable(report: ComplianceReport, p: Paint): string {
  return table([REPORT_HEADER.map(p.dim), ...reportRows(report, p)]);
}

/** The table's rows: the root user's keys first, then one row per key. */
export function reportRows(report: ComplianceReport, p: Paint): string[][] {
  const colour = (e: ReportEntry): ((s: string) => string) =>
    e.noncompliant
      ? p.red
      : e.decision === 'due' || e.decision === 'two-active-keys'
        ? p.yellow
        : e.decision === 'compliant'
          ? p.green
          : (s) => s;
  const control = report.rootKeyFinding?.control ?? '';
  const root = rootKeys(report).map((k, i) => {
    const age = rootAge(k, report);
    return [
      i === 0 ? ROOT_ROW_USER : '',
      String(k.slot),
      k.active ? 'Active' : 'Inactive',
      age === undefined ? '' : `${age}d`,
      k.lastUsed ? `${day(k.lastUsed)} ${k.lastUsedService ?? ''}` : 'never',
      '',
      '',
      i === 0 ? p.red(`${ROOT_DECISION} (${control}: delete it as root)`) : '',
    ];
  });
  const rows = keyRows(report).map((r) => {
    const e = r.entry;
    return [
      r.first ? e.userName : '',
      r.slot === undefined ? '-' : String(r.slot),
      r.status ?? 'no keys',
      r.ageDays === undefined ? '' : `${r.ageDays}d`,
      r.slot === undefined
        ? ''
        : r.lastUsed
          ? `${day(r.lastUsed)} ${r.lastUsedService ?? ''}`
          : 'never',
      r.first ? exemption(e) : '',
      r.first ? (e.dueDate ?? '') : '',
      r.first ? colour(e)(e.decision + (e.noncompliant ? ' (past max age)' : '')) : '',
    ];
  });
  return [...root, ...rows];
}

export function summaryLines(report: ComplianceReport, p: Paint): string[] {
  const s = report.summary;
  const decisions = Object.entries(s.decisions)
    .map(([d, n]) => `${d} ${n}`)
    .join(', ');
  const lines = [
    `${s.users} users (${s.managed} managed under ${report.settings.managedPath}), ${s.activeKeys} active keys` +
      (s.oldestActiveKeyAgeDays === undefined ? '' : `, oldest ${s.oldestActiveKeyAgeDays} days`),
    `decisions: ${decisions || 'none'}`,
    `policy (${report.settings.source}): rotate after ${report.settings.rotateAfterDays} days, ` +
      `maximum age ${report.settings.maxKeyAgeDays} days, ${report.settings.userSelection}; ` +
      `report generated ${when(report.generatedAt)}`,
  ];
  if (report.rootKeyFinding)
    lines.push(p.red(`noncompliant: ${describeRootKeyFinding(report.rootKeyFinding)}`));
  lines.push(
    s.noncompliant.length === 0
      ? p.green(
          `compliant: no managed user has an active key older than ${report.settings.maxKeyAgeDays} days`,
        )
      : p.red(
          `noncompliant: ${s.noncompliant.length} user(s) with an active key older than ${report.settings.maxKeyAgeDays} days and no exemption: ${s.noncompliant.join(', ')}`,
        ),
  );
  return lines;
}

/** RFC 4180: quote a field with a comma, quote or line break (IAM user names may hold commas). */
export function csvField(value: string | number | boolean | undefined): string {
  const textValue = value === undefined ? '' : String(value);
  return /[",\r\n]/.test(textValue) ? `"${textValue.replace(/"/g, '""')}"` : textValue;
}

export const CSV_HEADER = [
  'user',
  'path',
  'managed',
  'key_slot',
  'key_status',
  'key_age_days',
  'key_created',
  'key_last_used',
  'key_last_used_service',
  'exempt_until',
  'exempt_reason',
  'due_date',
  'decision',
  'noncompliant',
  'reason',
] as const;

export function reportCsv(report: ComplianceReport): string {
  return [[...CSV_HEADER], ...csvRows(report)].map((row) => `${row.join(',')}\n`).join('');
}

/** The CSV's rows, each field already quoted where RFC 4180 asks. */
export function csvRows(report: ComplianceReport): string[][] {
  const finding = report.rootKeyFinding;
  const root = rootKeys(report).map((k) =>
    [
      ROOT_ROW_USER,
      '',
      false,
      k.slot,
      k.active ? 'Active' : 'Inactive',
      rootAge(k, report),
      k.lastRotated,
      k.lastUsed,
      k.lastUsedService,
      undefined,
      undefined,
      undefined,
      ROOT_DECISION,
      true,
      `${finding?.control ?? ''}: ${finding?.advice ?? ''}`,
    ].map(csvField),
  );
  const rows = keyRows(report).map((r) => {
    const e = r.entry;
    return [
      e.userName,
      e.path,
      e.managed,
      r.slot,
      r.status,
      r.ageDays,
      r.createdAt,
      r.lastUsed,
      r.lastUsedService,
      e.exemption?.until,
      e.exemption?.reason,
      e.dueDate,
      e.decision,
      e.noncompliant,
      e.reason,
    ].map(csvField);
  });
  return [...root, ...rows];
}
