import type { Context } from '../context';
import { EXIT } from '../errors';
import { describeRotation } from '../find-rotation';
import { follow } from '../follow';
import { duration, shortenKeys } from '../format';
import { field, latestState, outputOf, text } from '../history';
import type { Output } from '../output';
import { startRotation, type EmergencyFlags, type StartedRotation } from '../rotate';
import { usageError } from '../errors';
import { ACCESS_KEY_ID } from '../../lambdas/shared/exposure';
import { findStack } from '../stack';
import { isShown, stepJson, StepPrinter } from '../steps-view';
import { STATES } from '../../lambdas/shared/states';

/** Printable text, as Inspect checks an emergency's reason. */
const PRINTABLE = /^[\P{C}]+$/u;

export interface RotateFlags {
  readonly wait?: boolean;
  readonly dryRun?: boolean;
  readonly emergency?: boolean;
  readonly key?: string;
  readonly reason?: string;
  readonly exposedAt?: string;
}

/** The emergency flags, checked before anything is read: all of them or none. */
export function emergencyOf(flags: RotateFlags): EmergencyFlags | undefined {
  const { key, reason, exposedAt } = flags;
  if (!flags.emergency) {
    // An empty value is still a flag given: `--reason ""` is not an ordinary rotation.
    const stray = [
      key !== undefined && '--key',
      reason !== undefined && '--reason',
      exposedAt !== undefined && '--exposed-at',
    ].filter(Boolean);
    if (stray.length > 0) {
      throw usageError(
        `${new Intl.ListFormat('en').format(stray as string[])} ${stray.length > 1 ? 'go' : 'goes'} only with --emergency (rotate an exposed key now)`,
      );
    }
    return undefined;
  }
  const missing = [
    (key === undefined || key === '') && '--key',
    (reason === undefined || reason.trim() === '') && '--reason',
  ].filter(Boolean);
  if (key === undefined || reason === undefined || missing.length > 0) {
    throw usageError(
      `--emergency needs the exposed key and why (missing ${missing.join(' and ')}): rekey rotate alice --emergency --key AKIA… --reason "found in a public repository"`,
    );
  }
  if (!ACCESS_KEY_ID.test(key)) {
    throw usageError(
      `--key must be an IAM user's access key id (AKIA and 16 capital letters or digits); got "${key}"`,
    );
  }
  // Inspect refuses the same: the reason lands in events and notifications.
  if (!PRINTABLE.test(reason.trim())) {
    throw usageError('--reason must be printable text (no control characters or line breaks)');
  }
  if (exposedAt !== undefined && Number.isNaN(Date.parse(exposedAt))) {
    throw usageError(
      `--exposed-at must be a date and time such as 2026-12-02T09:40:00Z; got "${exposedAt}"`,
    );
  }
  return {
    accessKeyId: key,
    reason: reason.trim(),
    ...(exposedAt !== undefined && { exposedAt: new Date(exposedAt).toISOString() }),
  };
}

function consoleLink(region: string, executionArn: string): string {
  return `https://${region}.console.aws.amazon.com/states/home?region=${region}#/v2/executions/details/${executionArn}`;
}

/** `rekey rotate <user> [--wait] [--dry-run]`. */
export async function rotateCommand(
  ctx: Context,
  out: Output,
  userName: string,
  flags: RotateFlags,
): Promise<number> {
  const emergency = emergencyOf(flags);
  const stack = await findStack(ctx);
  const started = await startRotation(ctx.clients, stack, {
    userName,
    dryRun: flags.dryRun === true,
    ...(emergency && { emergency }),
  });
  const p = out.paint;
  const kind = emergency ? 'emergency rotation' : 'rotation';
  const what = started.dryRun
    ? `Dry run of the ${kind}`
    : emergency
      ? 'Emergency rotation'
      : 'Rotation';
  if (emergency && !started.dryRun) {
    out.error(
      `EMERGENCY: ${emergency.accessKeyId} is deactivated as soon as the new key is current (after the grace, if the deployment has one); applications whose only identity is that key are cut off with it.`,
    );
  } else if (emergency) {
    out.error(
      `dry run: ${emergency.accessKeyId} is not deactivated; the workflow only says what the emergency would do.`,
    );
  }
  if (started.requestedUserName) {
    out.line(`"${started.requestedUserName}" is IAM user ${p.bold(started.userName)}.`);
  }
  const name = started.userName;
  if (!flags.wait) {
    out.data({ ...started, status: 'RUNNING' });
    out.line(`${what} of ${p.bold(name)} started: ${started.name}`);
    out.line(`  follow it:  rekey status ${name}`);
    if (!ctx.endpoint) out.line(`  console:    ${consoleLink(stack.region, started.executionArn)}`);
    return EXIT.ok;
  }
  return followRotation(ctx, out, started, `${what} of ${p.bold(name)}: ${started.name}`);
}

async function followRotation(
  ctx: Context,
  out: Output,
  started: StartedRotation,
  heading: string,
): Promise<number> {
  const printer = new StepPrinter(out);
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  // Ctrl-C stops following, not the rotation: handled from before the first line is printed.
  process.once('SIGINT', onSignal);
  out.line(heading);
  let followed;
  try {
    followed = await follow(ctx.clients.sfn, started.executionArn, {
      onUpdate: (steps) => printer.update(steps),
      onTick: () => printer.tick(),
      signal: stop.signal,
    });
  } finally {
    process.off('SIGINT', onSignal);
    printer.clear();
  }
  if (!followed.end) {
    out.data({ ...started, status: 'RUNNING', steps: followed.steps.map(stepJson) });
    out.error(
      `stopped following; the rotation goes on. See it with \`rekey status ${started.userName}\``,
    );
    return EXIT.interrupted;
  }
  const final = await describeRotation(ctx.clients.sfn, started.executionArn);
  const outcome = followed.steps.filter(isShown).at(-1)?.name;
  const plan = outputOf(followed.events, STATES.inspect);
  const state = latestState(followed.events);
  const result = {
    outcome,
    decision: text(field(plan, 'decision')),
    reason: text(field(plan, 'reason')),
    oldKeyId: text(field(state, 'oldKey', 'accessKeyId')),
    newKeyId: text(field(state, 'newKey', 'accessKeyId')),
    ...(started.emergency && {
      keptKeyId: text(field(state, 'emergency', 'keptKey')),
      exposedKeyDeactivatedAt:
        text(field(state, 'emergency', 'deactivatedAt')) ?? text(field(state, 'deactivatedAt')),
    }),
  };
  out.data({
    ...started,
    status: final.status,
    stopDate: final.stopDate?.toISOString(),
    ...result,
    error: final.error,
    cause: followed.end.cause,
    steps: followed.steps.map(stepJson),
  });
  if (final.status === 'SUCCEEDED') {
    const first = followed.steps[0]?.enteredAt ?? followed.end.at;
    const took = duration(followed.end.at.getTime() - first.getTime());
    out.line(shortenKeys(summary(started.userName, result, took, out)));
    return EXIT.ok;
  }
  const reason = [followed.end.error ?? final.error, followed.end.cause].filter(Boolean).join(': ');
  out.error(
    shortenKeys(`rotation of ${started.userName} ${final.status}: ${reason || 'no reason given'}`),
  );
  return EXIT.failed;
}

function summary(
  userName: string,
  r: {
    outcome?: string;
    reason?: string;
    oldKeyId?: string;
    newKeyId?: string;
    keptKeyId?: string;
    exposedKeyDeactivatedAt?: string;
  },
  took: string,
  out: Output,
): string {
  const mark = out.tty ? `${out.paint.green('✔')} ` : '';
  switch (r.outcome) {
    case STATES.skipped:
      return `${mark}${userName} skipped: ${r.reason ?? ''}`;
    case STATES.dryRunComplete:
      return `${mark}dry run of ${userName}, nothing changed: would rotate (${r.reason ?? ''})`;
    default:
      if (r.exposedKeyDeactivatedAt !== undefined) {
        const current = r.keptKeyId
          ? `the kept key ${r.keptKeyId} is current`
          : `new key ${r.newKeyId ?? '?'} is current`;
        return `${mark}${userName}'s exposed key ${r.oldKeyId ?? '?'} was cut off and deleted after the recovery window (${took}); ${current}`;
      }
      return `${mark}${userName} rotated in ${took}: ${r.oldKeyId ?? '?'} -> ${r.newKeyId ?? '?'}`;
  }
}
