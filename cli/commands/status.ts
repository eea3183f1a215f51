import { attributionSentence } from '../../lambdas/shared/attribution';
import { forensicsSentence } from '../../lambdas/shared/forensics';
import { shortKey } from '../../lambdas/shared/keys';
import type { Context } from '../context';
import { EXIT } from '../errors';
import { relative, shortenKeys, table, when, type Paint } from '../format';
import type { Output } from '../output';
import { findStack } from '../stack';
import { rotationStatus, type KeyState, type RotationStatus } from '../status';
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
  const e = r.emergency;
  const emergency = e
    ? [
        p.red(
          `EMERGENCY: exposed key ${shortKey(e.accessKeyId)}${e.reason ? ` (${e.reason})` : ''}${e.exposedAt ? `, exposed ${when(e.exposedAt)}` : ''}`,
        ),
        e.tookOver ? `took over the planned rotation ${e.tookOver}` : undefined,
        e.keptKey ? `kept the other active key ${shortKey(e.keptKey)}: no key created` : undefined,
        e.forensics ? forensicsSentence(e.forensics) : undefined,
      ]
    : [];
  const detail = [
    ...emergency,
    keyLine('old key', r.oldKey, now, p),
    keyLine('new key', r.newKey, now, p),
    r.deadlineAt
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
    status,
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
  }
  return EXIT.ok;
}
