import { table, when, type Paint } from './format';
import type { ComplianceReport, ReportEntry } from './report';

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

const exemption = (e: ReportEntry): string =>
  e.exemption ? `${e.exemption.expired ? 'expired ' : 'until '}${e.exemption.until}` : '';

export function reportTable(report: ComplianceReport, p: Paint): string {
  const colour = (e: ReportEntry): ((s: string) => string) =>
    e.noncompliant
      ? p.red
      : e.decision === 'due' || e.decision === 'two-active-keys'
        ? p.yellow
        : e.decision === 'compliant'
          ? p.green
          : (s) => s;
  const header = ['user', 'key', 'status', 'age', 'last used', 'exemption', 'due', 'decision'];
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
  return table([header.map(p.dim), ...rows]);
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
function csvField(value: string | number | boolean | undefined): string {
  const textValue = value === undefined ? '' : String(value);
  return /[",\r\n]/.test(textValue) ? `"${textValue.replace(/"/g, '""')}"` : textValue;
}

export function reportCsv(report: ComplianceReport): string {
  const header = [
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
  ];
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
  return [header, ...rows].map((row) => `${row.join(',')}\n`).join('');
}
