import { describeRootKeyFinding } from '../../lambdas/shared/root-keys';
import type { Context } from '../context';
import { CliError, EXIT } from '../errors';
import type { Output } from '../output';
import { buildReport, fetchCredentialReport } from '../report';
import { reportCsv, reportTable, summaryLines } from '../report-format';
import { deployedSettings, loadSettings, type ReportSettings } from '../settings';
import { findStack } from '../stack';

/** AWS's error codes for a refused permission. */
const DENIED = new Set(['AccessDenied', 'AccessDeniedException']);

export interface ReportFlags {
  readonly format?: 'table' | 'json' | 'csv';
  readonly maxAge?: number;
  readonly failOnNoncompliant?: boolean;
}

/** `rekey report`: the fleet's keys from one credential report, decided as the fleet scan would. */
export async function reportCommand(
  ctx: Context,
  out: Output,
  flags: ReportFlags,
): Promise<number> {
  const settings = await reportSettings(ctx, flags.maxAge);
  const raw = await fetchCredentialReport(ctx.clients.iam);
  const report = await buildReport(ctx.clients.iam, settings, await ctx.now(), raw);
  const format = flags.format ?? (out.json ? 'json' : 'table');
  if (format === 'json') out.print(JSON.stringify(report, null, 2));
  else if (format === 'csv') out.print(reportCsv(report));
  else {
    out.print(reportTable(report, out.paint));
    out.print('');
    out.print(summaryLines(report, out.paint).join('\n'));
  }
  const bad = report.summary.noncompliant;
  const root = report.rootKeyFinding;
  if (flags.failOnNoncompliant && (bad.length > 0 || root)) {
    // The root user's key first: IAM.4 is a critical control, and no rotation will clear it.
    if (root) out.error(describeRootKeyFinding(root));
    if (bad.length > 0)
      out.error(
        `${bad.length} managed user(s) have an active key older than ${report.settings.maxKeyAgeDays} days ` +
          `and no exemption: ${bad.join(', ')}`,
      );
    return EXIT.failed;
  }
  return EXIT.ok;
}

/**
 * The deployed stack's policy when it publishes one (its RotationPolicy output). cdk.json, saying
 * so in `source`, for a stack deployed before that output existed, when no stack is deployed, or
 * when the caller may not describe it (a report needs only IAM read access).
 */
async function reportSettings(ctx: Context, maxAgeDays?: number): Promise<ReportSettings> {
  let why: string;
  try {
    const stack = await findStack(ctx);
    if (stack.rotationPolicy) {
      return deployedSettings(stack.rotationPolicy, stack.stackName, maxAgeDays);
    }
    why = `stack ${stack.stackName} has no RotationPolicy output: redeploy it`;
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    if (error.code === 'StackNotFound') why = `no stack ${ctx.stackName} deployed`;
    else if (DENIED.has(error.code)) why = `not allowed to describe stack ${ctx.stackName}`;
    else throw error;
  }
  const fallback = loadSettings(maxAgeDays);
  return { ...fallback, source: `${fallback.source} (${why})` };
}
