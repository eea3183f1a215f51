import { parse } from 'csv-parse/sync';

/** One key slot of a credential report row. */
export interface ReportKey {
  readonly slot: 1 | 2;
  readonly active: boolean;
  /** Creation (or last change) date; undefined when the slot is empty. */
  readonly lastRotated?: Date;
  readonly lastUsed?: Date;
  readonly lastUsedService?: string;
  readonly lastUsedRegion?: string;
}

export interface ReportUser {
  readonly userName: string;
  readonly arn: string;
  /** The IAM path, read from the ARN (`arn:aws:iam::1:user/apps/alice` -> `/apps/`). */
  readonly path: string;
  readonly keys: readonly ReportKey[];
}

const date = (value: string | undefined): Date | undefined => {
  if (!value || value === 'N/A' || value === 'no_information' || value === 'not_supported')
    return undefined;
  const parsed = new Date(value);
  return Number.isNaN(parsed.getTime()) ? undefined : parsed;
};

const text = (value: string | undefined): string | undefined =>
  !value || value === 'N/A' || value === 'not_supported' ? undefined : value;

/** The path of an IAM user ARN: everything between `user` and the name. */
export function pathOfUserArn(arn: string, userName: string): string {
  const resource = arn.slice(arn.indexOf(':user') + ':user'.length);
  return resource.endsWith(userName)
    ? resource.slice(0, resource.length - userName.length) || '/'
    : '/';
}

/** The credential report's row for the account's root user (always the first row). */
export const ROOT_ROW_USER = '<root_account>';

/** The root user's row: its ARN (`arn:aws:iam::<account>:root`) and its key slots in use. */
export interface ReportRoot {
  readonly arn: string;
  readonly keys: readonly ReportKey[];
}

export interface CredentialReport {
  /** IAM users, in report order; never the root user. */
  readonly users: ReportUser[];
  /** The root user's row, when the report has one (AWS's always does). */
  readonly root?: ReportRoot;
}

/** A row's key slots in use (a slot whose last_rotated is N/A holds no key). */
function keysOf(row: Record<string, string>): ReportKey[] {
  const slot = (n: 1 | 2): ReportKey => ({
    slot: n,
    active: (row[`access_key_${n}_active`] ?? '').toLowerCase() === 'true',
    lastRotated: date(row[`access_key_${n}_last_rotated`]),
    lastUsed: date(row[`access_key_${n}_last_used_date`]),
    lastUsedService: text(row[`access_key_${n}_last_used_service`]),
    lastUsedRegion: text(row[`access_key_${n}_last_used_region`]),
  });
  return [slot(1), slot(2)].filter((k) => k.lastRotated !== undefined);
}

/**
 * Reads the IAM credential report (GetCredentialReport's CSV): every user's key ages and last
 * use, from one API call whatever the number of users, and apart from them the root user's row,
 * whose keys rekey reports but never manages (only the root user can).
 */
export function readCredentialReport(csv: string): CredentialReport {
  const rows = parse<Record<string, string>>(csv, { columns: true, skip_empty_lines: true });
  let root: ReportRoot | undefined;
  const users: ReportUser[] = [];
  for (const row of rows) {
    if (row.user === ROOT_ROW_USER) {
      root = { arn: row.arn ?? '', keys: keysOf(row) };
      continue;
    }
    const userName = row.user ?? '';
    const arn = row.arn ?? '';
    users.push({ userName, arn, path: pathOfUserArn(arn, userName), keys: keysOf(row) });
  }
  return { users, root };
}

/** The report's IAM users only: the root user's row is never a user to decide or rotate. */
export function parseCredentialReport(csv: string): ReportUser[] {
  return readCredentialReport(csv).users;
}
