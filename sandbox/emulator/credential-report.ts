/** GenerateCredentialReport and GetCredentialReport (docs/aws-semantics.md §1.1). */
import type { Core, QueryOperation } from './core';
import { ServiceError } from './errors';
import type { AccessKeyRecord, RootAccessKeyRecord } from './state/account';
import { reportDate, truncateToMinute } from './time';

export const REPORT_HEADER = [
  'user',
  'arn',
  'user_creation_time',
  'password_enabled',
  'password_last_used',
  'password_last_changed',
  'password_next_rotation',
  'mfa_active',
  'access_key_1_active',
  'access_key_1_last_rotated',
  'access_key_1_last_used_date',
  'access_key_1_last_used_region',
  'access_key_1_last_used_service',
  'access_key_2_active',
  'access_key_2_last_rotated',
  'access_key_2_last_used_date',
  'access_key_2_last_used_region',
  'access_key_2_last_used_service',
  'cert_1_active',
  'cert_1_last_rotated',
  'cert_2_active',
  'cert_2_last_rotated',
].join(',');

const NO_KEY = ['false', 'N/A', 'N/A', 'N/A', 'N/A'];
const NO_CERTS = ['false', 'N/A', 'false', 'N/A'];

function keyColumns(core: Core, key: AccessKeyRecord | undefined, now: Date): string[] {
  if (!key) return NO_KEY;
  const use = core.account.visibleUse(key, now);
  return [
    String(key.status === 'Active'),
    reportDate(key.createDate),
    use ? reportDate(use.date) : 'N/A',
    use ? use.region : 'N/A',
    use ? use.service : 'N/A',
  ];
}

/** The root user's key slots: seeded, never used to sign, so last use is what the seed says (to the minute). */
function rootKeyColumns(key: RootAccessKeyRecord | undefined): string[] {
  if (!key) return NO_KEY;
  return [
    String(key.status === 'Active'),
    reportDate(key.createDate),
    key.lastUsed ? reportDate(truncateToMinute(key.lastUsed.date)) : 'N/A',
    key.lastUsed ? key.lastUsed.region : 'N/A',
    key.lastUsed ? key.lastUsed.service : 'N/A',
  ];
}

/** RFC 4180 quoting: IAM user names may contain commas. */
function csvCell(cell: string): string {
  return /[",\n]/.test(cell) ? `"${cell.replace(/"/g, '""')}"` : cell;
}

/** The CSV as it is at `now`: root row first, then users in creation order; key slots oldest first. */
export function buildReport(core: Core, now: Date, accountCreated: Date): string {
  const root = [
    '<root_account>',
    `arn:aws:iam::${core.accountId}:root`,
    reportDate(accountCreated),
    'not_supported',
    'no_information',
    'not_supported',
    'not_supported',
    'false',
    ...rootKeyColumns(core.account.rootKeys[0]),
    ...rootKeyColumns(core.account.rootKeys[1]),
    ...NO_CERTS,
  ];
  const users = [...core.account.users.values()]
    .sort((a, b) => a.seq - b.seq)
    .map((user) => {
      const keys = core.account.keysOf(user);
      return [
        user.userName,
        user.arn,
        reportDate(user.createDate),
        'false',
        'N/A',
        'N/A',
        'N/A',
        'false',
        ...keyColumns(core, keys[0], now),
        ...keyColumns(core, keys[1], now),
        ...NO_CERTS,
      ];
    });
  return [REPORT_HEADER, root.join(','), ...users.map((row) => row.map(csvCell).join(','))]
    .map((line) => `${line}\n`)
    .join('');
}

export function reportOperations(core: Core, accountCreated: Date): Record<string, QueryOperation> {
  return {
    GenerateCredentialReport: (_params, ctx) => {
      const state = core.reports.state(ctx.now);
      if (state === 'absent' || state === 'expired') {
        const csv = buildReport(core, ctx.now, accountCreated);
        core.reports.start(ctx.now, core.options.credentialReportSeconds, csv);
        return {
          State: 'STARTED',
          Description: 'No report exists. Starting a new report generation task',
        };
      }
      return { State: state === 'in-progress' ? 'INPROGRESS' : 'COMPLETE' };
    },
    GetCredentialReport: (_params, ctx) => {
      const state = core.reports.state(ctx.now);
      const report = core.reports.report;
      if (state === 'absent' || !report) {
        throw new ServiceError(
          'ReportNotPresent',
          'Credential report not present. Call GenerateCredentialReport to generate a report.',
          410,
        );
      }
      if (state === 'in-progress') {
        throw new ServiceError('ReportInProgress', 'Credential report is being generated.', 404);
      }
      if (state === 'expired') {
        throw new ServiceError(
          'ReportExpired',
          'Credential report has expired. Call GenerateCredentialReport to generate a new report.',
          410,
        );
      }
      return {
        Content: Buffer.from(report.csv, 'utf8').toString('base64'),
        ReportFormat: 'text/csv',
        GeneratedTime: report.generatedTime,
      };
    },
  };
}
