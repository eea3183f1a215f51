import { describeRootKeyFinding } from '../../lambdas/shared/root-keys';
import type { Context } from '../context';
import { EXIT } from '../errors';
import { table, when, type Paint } from '../format';
import {
  combineReports,
  forEachAccount,
  type AccountSummary,
  type OrganizationOptions,
  type OrganizationReport,
} from '../organization';
import type { Output } from '../output';
import { buildReport, fetchCredentialReport } from '../report';
import { CSV_HEADER, csvField, csvRows, REPORT_HEADER, reportRows } from '../report-format';
import { deployedSettings, loadSettings } from '../settings';
import { rotationStatus, type RotationStatus } from '../status';
import { clip } from '../users';

export interface OrganizationFlags {
  readonly readerRole?: string;
  readonly reporterRole?: string;
  readonly concurrency?: number;
}

export interface OrganizationReportFlags extends OrganizationFlags {
  readonly format?: 'table' | 'json' | 'csv';
  readonly maxAge?: number;
  readonly failOnNoncompliant?: boolean;
}

const options = (ctx: Context, flags: OrganizationFlags): OrganizationOptions => ({
  readerRole: flags.readerRole,
  reporterRole: flags.reporterRole,
  concurrency: flags.concurrency,
  stackName: ctx.stackName,
});

/** The decision column of an account that could not be read. */
export const GAP_DECISION = 'account-not-covered';

function accountTable(accounts: readonly AccountSummary[], p: Paint): string {
  const header = [
    'account',
    'name',
    'users',
    'managed',
    'active keys',
    'due',
    'noncompliant',
    'root keys',
    'coverage',
  ];
  const rows = accounts.map((a) =>
    a.covered
      ? [
          a.accountId,
          clip(a.accountName, 30),
          String(a.users),
          String(a.managed),
          String(a.activeKeys),
          String(a.due),
          a.noncompliant ? p.red(String(a.noncompliant)) : '0',
          a.rootAccessKeys ? p.red(String(a.rootAccessKeys)) : '0',
          p.green(`covered (${a.stackName ?? ''})`),
        ]
      : [
          a.accountId,
          clip(a.accountName, 30),
          '',
          '',
          '',
          '',
          '',
          '',
          p.red(`${GAP_DECISION}: ${a.gap?.code ?? ''}`),
        ],
  );
  return table([header.map(p.dim), ...rows]);
}

function combinedTable(report: OrganizationReport, p: Paint): string {
  const rows = report.reports.flatMap((r) =>
    reportRows(r, p).map((row, i) => [i === 0 ? r.accountId : '', ...row]),
  );
  return table([['account', ...REPORT_HEADER].map(p.dim), ...rows]);
}

function combinedCsv(report: OrganizationReport): string {
  const header = ['account_id', 'account_name', ...CSV_HEADER];
  const rows = report.reports.flatMap((r) =>
    csvRows(r).map((row) => [csvField(r.accountId), csvField(r.accountName), ...row]),
  );
  // An account that could not be read is a row too, so a spreadsheet cannot miss it.
  const gaps = report.accounts
    .filter((a) => !a.covered)
    .map((a) => {
      const fields = Object.fromEntries(CSV_HEADER.map((h) => [h, '']));
      fields.decision = GAP_DECISION;
      fields.noncompliant = 'true';
      fields.reason = `${a.gap?.problem ?? ''}; ${a.gap?.fix ?? ''}`;
      return [
        csvField(a.accountId),
        csvField(a.accountName),
        ...CSV_HEADER.map((h) => csvField(fields[h])),
      ];
    });
  return [header, ...rows, ...gaps].map((row) => `${row.join(',')}\n`).join('');
}

function organizationSummary(report: OrganizationReport, p: Paint): string[] {
  const s = report.summary;
  const lines = [
    `Organization ${report.organizationId}: ${s.accounts} accounts, ${s.covered} read through ${report.readerRole}, ` +
      `${s.users} users, ${s.activeKeys} active keys; as of ${when(report.asOf)}`,
  ];
  for (const a of report.accounts.filter((x) => !x.covered)) {
    lines.push(
      p.red(`not covered: ${a.accountId} (${a.accountName}): ${a.gap?.problem ?? ''}`) +
        `\n  fix: ${a.gap?.fix ?? ''}`,
    );
  }
  for (const r of report.reports) {
    if (r.rootKeyFinding)
      lines.push(p.red(`${r.accountId}: ${describeRootKeyFinding(r.rootKeyFinding)}`));
  }
  lines.push(
    s.noncompliant.length === 0
      ? p.green('compliant: no managed user in a covered account has a key past its maximum age')
      : p.red(
          `noncompliant: ${s.noncompliant.length} user(s) with an active key past the maximum age and no exemption: ${s.noncompliant.join(', ')}`,
        ),
  );
  return lines;
}

/**
 * `rekey report --organization`: one credential report per account through its reader role,
 * each decided by the policy that account's stack runs with, combined.
 */
export async function organizationReportCommand(
  ctx: Context,
  out: Output,
  flags: OrganizationReportFlags,
): Promise<number> {
  const region = await ctx.region();
  const now = await ctx.now();
  const { scope, outcomes } = await forEachAccount(
    ctx.organization(),
    options(ctx, flags),
    region,
    async (clients, stack) => {
      const settings = stack.rotationPolicy
        ? deployedSettings(stack.rotationPolicy, stack.stackName, flags.maxAge)
        : {
            ...loadSettings(flags.maxAge),
            source: `defaults (stack ${stack.stackName} has no RotationPolicy output)`,
          };
      const raw = await fetchCredentialReport(clients.iam);
      return {
        stackName: stack.stackName,
        report: await buildReport(clients.iam, settings, now, raw),
      };
    },
  );
  const report = combineReports(scope, now, outcomes);
  const format = flags.format ?? (out.json ? 'json' : 'table');
  if (format === 'json') out.print(JSON.stringify(report, null, 2));
  else if (format === 'csv') out.print(combinedCsv(report));
  else {
    out.print(combinedTable(report, out.paint));
    out.print('');
    out.print(accountTable(report.accounts, out.paint));
    out.print('');
    out.print(organizationSummary(report, out.paint).join('\n'));
  }
  const s = report.summary;
  if (flags.failOnNoncompliant) {
    const problems = [
      s.rootKeyAccounts.length > 0
        ? `${s.rootKeyAccounts.length} account(s) have an active root access key (Security Hub IAM.4): ${s.rootKeyAccounts.join(', ')}`
        : undefined,
      s.noncompliant.length > 0
        ? `${s.noncompliant.length} managed user(s) have an active key past the maximum age and no exemption: ${s.noncompliant.join(', ')}`
        : undefined,
      // An account that was not read cannot be shown compliant.
      s.gaps.length > 0
        ? `${s.gaps.length} account(s) could not be read, so their compliance is unknown: ${s.gaps.join(', ')}`
        : undefined,
    ].filter((l): l is string => l !== undefined);
    for (const line of problems) out.error(line);
    if (problems.length > 0) return EXIT.failed;
  }
  return EXIT.ok;
}

/** `rekey status --organization`: every account's running rotations, and the gaps. */
export async function organizationStatusCommand(
  ctx: Context,
  out: Output,
  flags: OrganizationFlags & { limit: number },
): Promise<number> {
  const region = await ctx.region();
  const now = await ctx.now();
  const { scope, outcomes } = await forEachAccount(
    ctx.organization(),
    options(ctx, flags),
    region,
    async (clients, stack) => rotationStatus(clients, stack, { limit: flags.limit }),
  );
  const accounts = outcomes.map((o) =>
    o.ok
      ? { accountId: o.account.id, accountName: o.account.name, ...o.value }
      : { accountId: o.account.id, accountName: o.account.name, gap: o.gap },
  );
  out.data({ ...scope, now: now.toISOString(), accounts });
  const p = out.paint;
  const running: [string, RotationStatus][] = outcomes.flatMap((o) =>
    o.ok ? o.value.running.map((r): [string, RotationStatus] => [o.account.id, r]) : [],
  );
  const failed: [string, RotationStatus][] = outcomes.flatMap((o) =>
    o.ok
      ? o.value.recent
          .filter((r) => r.status !== 'SUCCEEDED')
          .map((r): [string, RotationStatus] => [o.account.id, r])
      : [],
  );
  out.line(
    `Organization ${scope.organizationId}: ${outcomes.filter((o) => o.ok).length} of ${outcomes.length} accounts read; ` +
      `${running.length} rotation(s) running, ${failed.length} of the recent ones not succeeded`,
  );
  if (running.length > 0) {
    out.line();
    out.line(p.bold(`Running (${running.length})`));
    const rows = running.map(([account, r]) => [
      account,
      clip(r.userName ?? '?', 40),
      p.cyan(r.phase ?? 'starting'),
      when(r.phaseSince ?? r.startDate),
      r.emergency ? p.red('EMERGENCY') : r.dryRun ? 'dry run' : '',
    ]);
    out.line(
      table([['account', 'user', 'phase', 'since', ''].map(p.dim), ...rows]).replace(/^/gm, '  '),
    );
  }
  if (failed.length > 0) {
    out.line();
    out.line(p.bold('Recent, not succeeded'));
    const rows = failed.map(([account, r]) => [
      account,
      clip(r.userName ?? '?', 40),
      r.status === 'ABORTED' ? p.yellow(r.status) : p.red(r.status),
      r.error ?? '',
      when(r.stopDate),
    ]);
    out.line(
      table([['account', 'user', 'status', 'error', 'stopped'].map(p.dim), ...rows]).replace(
        /^/gm,
        '  ',
      ),
    );
  }
  for (const o of outcomes) {
    if (!o.ok) {
      out.line(p.red(`not covered: ${o.account.id} (${o.account.name}): ${o.gap.problem}`));
      out.line(`  fix: ${o.gap.fix}`);
    }
  }
  return EXIT.ok;
}
