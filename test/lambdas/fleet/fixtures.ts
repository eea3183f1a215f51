/**
 * IAM credential reports as GetCredentialReport returns them (the CSV in `Content`), and the
 * fleet policy the scan tests use. Column order and the `N/A` / `not_supported` /
 * `no_information` markers follow the IAM User Guide's description of the report.
 */
import type { ReportUser } from '../../../lambdas/shared/credential-report';
import type { FleetPolicy } from '../../../lambdas/shared/fleet';
import { DEFAULT_POLICY } from '../../../lambdas/shared/policy';
import { ACCOUNT, NOW } from '../helpers';

export const COLUMNS = [
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
] as const;

const DAY = 86_400_000;

/** An instant `days` before NOW, as the report writes it (`2025-12-01T12:00:00+00:00`). */
export const daysAgo = (days: number): string =>
  new Date(NOW.getTime() - days * DAY).toISOString().replace('.000Z', '+00:00');

export interface SlotSpec {
  /** `true` by default; a string is written as is (the report's own spelling may vary). */
  readonly active?: boolean | string;
  /** Age in days of the key (its last_rotated). */
  readonly age: number;
  readonly lastUsed?: string;
  readonly region?: string;
  readonly service?: string;
}

export interface UserSpec {
  readonly name: string;
  /** IAM path, `/` by default. */
  readonly path?: string;
  readonly keys?: readonly SlotSpec[];
}

/** RFC 4180: a cell with a comma, quote or newline is quoted, quotes doubled. */
const cell = (value: string): string =>
  /[",\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;

function slot(spec: SlotSpec | undefined): string[] {
  if (!spec) return ['false', 'N/A', 'N/A', 'N/A', 'N/A'];
  return [
    String(spec.active ?? true),
    daysAgo(spec.age),
    spec.lastUsed ?? 'N/A',
    spec.region ?? 'N/A',
    spec.service ?? 'N/A',
  ];
}

export function userRow(spec: UserSpec): string {
  const path = spec.path ?? '/';
  const [k1, k2] = spec.keys ?? [];
  return [
    spec.name,
    `arn:aws:iam::${ACCOUNT}:user${path}${spec.name}`,
    daysAgo(400),
    'false',
    'N/A',
    'N/A',
    'N/A',
    'false',
    ...slot(k1),
    ...slot(k2),
    'false',
    'N/A',
    'false',
    'N/A',
  ]
    .map(cell)
    .join(',');
}

/**
 * The account root's row: always first, `not_supported` where it differs from users. Its key
 * slots are written as a user's are (`keys`: none by default, as most accounts have).
 */
export function rootRow(keys: readonly SlotSpec[] = []): string {
  const [k1, k2] = keys;
  return [
    '<root_account>',
    `arn:aws:iam::${ACCOUNT}:root`,
    daysAgo(2000),
    'not_supported',
    daysAgo(3),
    'not_supported',
    'not_supported',
    'true',
    ...slot(k1),
    ...slot(k2),
    'false',
    'N/A',
    'false',
    'N/A',
  ].join(',');
}

/** The root row of an account whose root user has no access key. */
export const ROOT_ROW = rootRow();

/** A report of these users; `rootKeys` are the root user's key slots (none by default). */
export function reportCsv(users: readonly UserSpec[], rootKeys: readonly SlotSpec[] = []): string {
  return [COLUMNS.join(','), rootRow(rootKeys), ...users.map(userRow)].join('\n') + '\n';
}

/** GetCredentialReport's answer: the SDK hands `Content` over as bytes. */
export const reportContent = (
  users: readonly UserSpec[],
  rootKeys: readonly SlotSpec[] = [],
): Uint8Array => new TextEncoder().encode(reportCsv(users, rootKeys));

/** A parsed report user, for tests of the pure policy functions. */
export function reportUser(spec: UserSpec): ReportUser {
  const path = spec.path ?? '/';
  return {
    userName: spec.name,
    arn: `arn:aws:iam::${ACCOUNT}:user${path}${spec.name}`,
    path,
    keys: (spec.keys ?? []).map((k, i) => ({
      slot: (i + 1) as 1 | 2,
      active: String(k.active ?? true).toLowerCase() === 'true',
      lastRotated: new Date(daysAgo(k.age)),
      lastUsed: k.lastUsed ? new Date(k.lastUsed) : undefined,
      lastUsedService: k.service,
      lastUsedRegion: k.region,
    })),
  };
}

/** Defaults (rotate after 80 days, 90-day maximum), opt-out, tags may not go below 30 days. */
export function fleetPolicy(overrides: Partial<FleetPolicy> = {}): FleetPolicy {
  return {
    policy: DEFAULT_POLICY,
    selection: { mode: 'opt-out', minRotateAfterDays: 30 },
    managedPath: '/',
    now: NOW,
    ...overrides,
  };
}
