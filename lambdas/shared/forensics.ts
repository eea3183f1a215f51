/**
 * The words of an emergency's forensics, shared by the Forensics step (notification, event) and
 * the CLI (`rekey status`); the lookups are in lambdas/check-cutover/forensics.ts.
 */
import { attributionOf, describeCaller, limitsSentence } from './attribution';
import type { Forensics } from './types';

/** The forensics paragraph: for the notification, the event and `rekey status`. */
export function forensicsSentence(f: Forensics): string {
  const window = `since ${f.since}${f.sinceSource === 'exposure' ? ' (the exposure)' : ' (the last 24 hours: the exposure time is unknown)'}`;
  const a = f.lookup;
  if (a.status === 'unavailable') {
    return `Forensics ${window}: unavailable (${a.problems.join('; ')}). Look the key up in CloudTrail yourself.`;
  }
  const parts = [`Forensics ${window}, from 24 hours before:`];
  if (a.callers.length === 0) {
    parts.push('CloudTrail shows no use of the key.');
  } else {
    const named = a.callers
      .map((c) => {
        // Only the callers the summary found new (none from a truncated or partial lookup).
        const isNew =
          f.newCallers.length > 0 &&
          f.unexpectedUse === 'yes' &&
          Date.parse(c.firstSeen) >= Date.parse(f.since);
        const first = isNew ? 'NEW since the exposure, ' : '';
        const calls = c.eventNames?.length ? ` [${c.eventNames.join(', ')}]` : '';
        return `${first}${describeCaller(c, a.until)}${calls}`;
      })
      .join('; ');
    parts.push(`Callers: ${named}${a.otherCallers > 0 ? `; and ${a.otherCallers} more` : ''}.`);
  }
  parts.push(
    f.unexpectedUse === 'yes'
      ? `Something other than the key's earlier callers used it since the exposure: ${f.newCallers.join('; ')}. Treat it as an attacker until you know it.`
      : f.unexpectedUse === 'no'
        ? 'Nothing but callers seen before the exposure used it since.'
        : 'Whether anything unexpected used it cannot be told from this lookup (truncated, partial or more callers than listed).',
  );
  if (a.truncated) parts.push(`The newest ${a.events} events only (page budget).`);
  if (a.problems.length > 0) parts.push(`Not looked up: ${a.problems.join('; ')}.`);
  parts.push(limitsSentence(a.regions));
  return parts.join(' ');
}

/** Forensics read back from a rotation's state: checked field by field, or nothing. */
export function forensicsOf(value: unknown): Forensics | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const f = value as Partial<Record<keyof Forensics, unknown>>;
  const lookup = attributionOf(f.lookup);
  if (
    !lookup ||
    typeof f.since !== 'string' ||
    (f.sinceSource !== 'exposure' && f.sinceSource !== 'last-24-hours') ||
    !Array.isArray(f.newCallers) ||
    !f.newCallers.every((c) => typeof c === 'string') ||
    (f.unexpectedUse !== 'yes' && f.unexpectedUse !== 'no' && f.unexpectedUse !== 'unknown')
  ) {
    return undefined;
  }
  return {
    since: f.since,
    sinceSource: f.sinceSource,
    lookup,
    newCallers: f.newCallers,
    unexpectedUse: f.unexpectedUse,
  };
}
