import { attributionSentence } from '../../lambdas/shared/attribution';
import { forensicsSentence } from '../../lambdas/shared/forensics';
import { shortKey } from '../../lambdas/shared/keys';
import type { Context } from '../context';
import { EXIT } from '../errors';
import { relative, shortenKeys, table, when, type Paint } from '../format';
import type { Output } from '../output';
import { findStack } from '../stack';
import {
  rotationStatus,
  type EmergencyStatus,
  type KeyState,
  type RotationStatus,
} from '../status';
import { clip, requireUser } from '../users';

function keyLine(
  label: string,
  key: KeyState | undefined,
  now: Date,
  p: Paint,
): string | undefined {
  if (!key) return undefined;
  const status = key.status === 'Active' ? p.green(key.status) : p.yellow(key.status);
  const used =
    key.status === 'Deleted'
      ? ''
      : key.lastUsed
        ? `last used ${when(key.lastUsed)} (${relative(key.lastUsed, now)}; ${key.lastUsedService ?? '?'}, ${key.lastUsedRegion ?? '?'})`
        : 'never used';
  return `${label} ${shortKey(key.accessKeyId)}  ${status}  ${used}`.trimEnd();
}

/**
 * An emergency, first and in red: the exposed key and why, what rekey took over or kept, when
 * the key was cut off, and the forensics once they ran.
 */
export function emergencyLines(e: EmergencyStatus, p: Paint): string[] {
  const key = e.accessKeyId ? shortKey(e.accessKeyId) : '(named by AWS Health; Inspect reads it)';
  const cut = e.deactivatedAt
    ? `exposed key cut off ${when(e.deactivatedAt)}; rekey rollback reactivates it only with --force`
    : e.graceSeconds
      ? `exposed key still active: cut off ${e.graceSeconds} s after the new key is current (grace)`
      : undefined;
  const lines = [
    p.red(
      `EMERGENCY: exposed key ${key}${e.reason ? ` (${e.reason})` : ''}${e.exposedAt ? `, exposed ${when(e.exposedAt)}` : ''}`,
    ),
    // The execution's name: its ARN is in --output json.
    e.tookOver ? `took over the planned rotation ${e.tookOver.split(':').at(-1) ?? ''}` : undefined,
    e.keptKey
      ? `kept the other active key ${shortKey(e.keptKey)} (already AWSCURRENT): no key created`
      : undefined,
    cut,
    e.forensics
      ? forensicsSentence(e.forensics)
      : e.forensicsError
        ? `forensics failed (${e.forensicsError}): look the exposed key up in CloudTrail yourself`
        : undefined,
  ];
  return lines.filter((l): l is string => l !== undefined);
}

function runningLines(r: RotationStatus, now: Date, p: Paint): string[] {
  const since = r.phaseSince ? ` since ${when(r.phaseSince)} (${relative(r.phaseSince, now)})` : '';
  // In the recovery window the Wait ends at the next check of the secret, not at the window's
  // end; after the last wait DeleteOldKey reads the secret, so there is no check to announce.
  const windowEnds = r.recoveryWindowEndsAt
    ? `, window ends ${when(r.recoveryWindowEndsAt)} (${relative(r.recoveryWindowEndsAt, now)})`
    : '';
  const nextCheck =
    r.waitingUntil && r.waitingUntil !== r.recoveryWindowEndsAt && !r.lastWait
      ? `, next check${r.recoveryWindowEndsAt ? ' of the secret' : ''} ${when(r.waitingUntil)} (${relative(r.waitingUntil, now)})`
      : '';
  const thenDelete = r.lastWait ? ', then DeleteOldKey' : '';
  const until = `${windowEnds}${nextCheck}${thenDelete}`;
  const lines = [
    `${p.bold(clip(r.userName ?? '?'))}  ${p.cyan(r.phase ?? 'starting')}${since}${until}`,
  ];
  const detail = [
    ...(r.emergency ? emergencyLines(r.emergency, p) : []),
    keyLine('old key', r.oldKey, now, p),
    keyLine('new key', r.newKey, now, p),
    // An emergency has no cutover to wait for: its deadline is the grace's end, said above.
    r.deadlineAt && !r.emergency
      ? `cutover deadline ${when(r.deadlineAt)} (${relative(r.deadlineAt, now)})` +
        (r.cutover?.reason ? `; last check: ${r.cutover.verdict ?? '?'}: ${r.cutover.reason}` : '')
      : undefined,
    r.cutover?.attribution ? attributionSentence(r.cutover.attribution) : undefined,
    `${r.dryRun ? 'dry run, ' : ''}execution ${r.name}, started ${when(r.startDate)}` +
      (r.requestedBy ? ` by ${r.requestedBy}` : ''),
  ];
  return [...lines, ...detail.filter((l): l is string => l !== undefined).map((l) => `    ${l}`)];
}

function recentRow(r: RotationStatus, p: Paint): string[] {
  const status =
    r.status === 'SUCCEEDED'
      ? p.green(r.status)
      : r.status === 'ABORTED'
        ? p.yellow(r.status)
        : p.red(r.status);
  const why = shortenKeys(r.error ? `${r.error}${r.cause ? `: ${r.cause}` : ''}` : '');
  return [
    clip(r.userName ?? '?', 40),
    r.emergency ? `${status} ${p.red('EMERGENCY')}` : status,
    r.phase ?? '-',
    when(r.startDate),
    when(r.stopDate),
    why.length > 100 ? `${why.slice(0, 99)}…` : why,
  ];
}

/** `rekey status [user]`. */
export async function statusCommand(
  ctx: Context,
  out: Output,
  requested: string | undefined,
  flags: { limit: number },
): Promise<number> {
  const stack = await findStack(ctx);
  const userName =
    requested === undefined ? undefined : (await requireUser(ctx.clients, requested)).userName;
  const report = await rotationStatus(ctx.clients, stack, { userName, limit: flags.limit });
  const now = await ctx.now();
  out.data({ stack: stack.stackName, now: now.toISOString(), ...report });
  const p = out.paint;
  if (requested !== undefined && requested !== userName) {
    out.line(`"${clip(requested)}" is IAM user ${p.bold(userName ?? '')}.`);
  }
  const whose = userName === undefined ? '' : ` of ${userName}`;
  if (report.running.length === 0) out.line(`No rotation${whose} is running.`);
  else {
    out.line(p.bold(`Running (${report.running.length})`));
    for (const r of report.running)
      out.line(
        runningLines(r, now, p)
          .map((l) => `  ${l}`)
          .join('\n'),
      );
  }
  if (report.recent.length > 0) {
    out.line();
    out.line(p.bold(`Recent${whose}`));
    const rows = [['user', 'status', 'ended in', 'started', 'stopped', 'error'].map(p.dim)];
    out.line(table([...rows, ...report.recent.map((r) => recentRow(r, p))]).replace(/^/gm, '  '));
    // For one user, the newest failure in full: a deadline's cause names who still uses the old key.
    const failed = userName === undefined ? undefined : report.recent.find((r) => r.error);
    if (failed?.cause) {
      out.line();
      out.line(`  ${p.bold('Last failure')} ${failed.name}: ${shortenKeys(failed.cause)}`);
    }
    // And the newest emergency, whose forensics would otherwise be gone with its recovery window.
    const emergency = userName === undefined ? undefined : report.recent.find((r) => r.emergency);
    if (emergency?.emergency) {
      out.line();
      out.line(`  ${p.bold('Last emergency')} ${emergency.name} (${emergency.status}):`);
      for (const line of emergencyLines(emergency.emergency, p)) out.line(`    ${line}`);
    }
  }
  return EXIT.ok;
}
