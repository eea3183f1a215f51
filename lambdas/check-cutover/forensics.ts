/**
 * An emergency's forensics, once the exposed key is cut off: what the key did since the exposure,
 * from CloudTrail's event history, and the notification at the highest severity. Never fails the
 * rotation: the key is already inactive, and a lookup that cannot be made is said in the result.
 */
import { shortAgent } from '../shared/attribution';
import { forensicsSentence } from '../shared/forensics';
import type { Deps } from '../shared/deps';
import { InvalidInputError, RotationStateError } from '../shared/errors';
import { logger } from '../shared/logger';
import type { Attribution, Caller, Forensics, RotationState } from '../shared/types';
import { regionsFor, whoUses, type AttributionDeps } from './attribution';

const DAY_MS = 86_400_000;
/** Callers kept in the forensics: more than attribution keeps, an unknown one must not hide. */
export const FORENSIC_CALLERS = 10;

/** What the Forensics state sends: the check it wants, and the rotation state. */
export interface ForensicsCheck {
  readonly check: 'forensics';
  readonly state: RotationState;
}

export function isForensicsCheck(event: unknown): event is ForensicsCheck {
  return (
    typeof event === 'object' && event !== null && 'check' in event && event.check === 'forensics'
  );
}

const callerName = (c: Caller): string => `${c.sourceIp} ${shortAgent(c.userAgent)}`;

function unavailable(since: Date, until: Date, problem: string): Attribution {
  return {
    status: 'unavailable',
    since: since.toISOString(),
    until: until.toISOString(),
    regions: [],
    callers: [],
    otherCallers: 0,
    events: 0,
    truncated: false,
    lookups: 0,
    problems: [problem],
  };
}

/**
 * The lookup reaches 24 hours before `since`: a caller seen then used the key while it was still
 * private, so it is one of the applications; a caller first seen since is unexpected. Truncated
 * or unavailable lookups cannot tell first sightings, and say `unknown`.
 */
export function summarize(
  lookup: Attribution,
  since: Date,
  sinceSource: Forensics['sinceSource'],
): Forensics {
  // A truncated lookup holds the newest events only, so an old caller's first sighting can fall
  // after the exposure: nobody is marked new then, and whether anything unexpected used the key
  // is unknown. The same when a region could not be looked up.
  const complete = lookup.status === 'found' && !lookup.truncated && lookup.problems.length === 0;
  const newCallers = complete
    ? lookup.callers.filter((c) => Date.parse(c.firstSeen) >= since.getTime())
    : [];
  const unexpectedUse =
    newCallers.length > 0 ? 'yes' : !complete || lookup.otherCallers > 0 ? 'unknown' : 'no';
  return {
    since: since.toISOString(),
    sinceSource,
    lookup,
    newCallers: newCallers.map(callerName),
    unexpectedUse,
  };
}

export async function lookUpExposure(
  state: RotationState,
  now: Date,
  attribution: AttributionDeps | undefined,
): Promise<Forensics> {
  const exposedAt = state.emergency?.exposedAt;
  const since = exposedAt ? new Date(exposedAt) : new Date(now.getTime() - DAY_MS);
  const sinceSource = exposedAt ? 'exposure' : 'last-24-hours';
  const from = new Date(since.getTime() - DAY_MS);
  if (!attribution) {
    const off =
      'CloudTrail lookups are off for this deployment (attribution: false), so nothing was looked up';
    return summarize(unavailable(from, now, off), since, sinceSource);
  }
  try {
    const regions = regionsFor(attribution, state.cutover?.oldKeyLastUsed?.region);
    const lookup = await whoUses(
      {
        accessKeyId: state.oldKey?.accessKeyId ?? '',
        since: from,
        until: now,
        regions,
        maxCallers: FORENSIC_CALLERS,
      },
      attribution,
    );
    return summarize(lookup, since, sinceSource);
  } catch (error) {
    logger.error('forensics failed', { errorName: (error as Error).name });
    const failed = `the lookup failed unexpectedly (${(error as Error).name})`;
    return summarize(unavailable(from, now, failed), since, sinceSource);
  }
}

/** The applications still on the exposed key when it was cut off: they fail until they re-read. */
function stillOnExposedKey(state: RotationState, f: Forensics): string {
  const promotedAt = Date.parse(state.promotedAt ?? '');
  const late = f.lookup.callers.filter((c) => Date.parse(c.lastSeen) >= promotedAt - 60_000);
  const iam = state.cutover?.oldKeyLastUsed?.date;
  if (late.length > 0) {
    return `These callers used the exposed key after the new key was current, and fail until they read the secret again: ${late.map(callerName).join('; ')}.`;
  }
  if (iam !== undefined && Date.parse(iam) >= promotedAt - 60_000) {
    return `IAM reports a use of the exposed key after the new key was current (${iam}): that application fails until it reads the secret again.`;
  }
  return 'No use of the exposed key after the new key was current is known.';
}

function notification(state: RotationState, f: Forensics): { subject: string; message: string } {
  const e = state.emergency;
  const exposed = state.oldKey?.accessKeyId ?? '';
  const user = state.userName;
  const did = [
    e?.tookOver ? `Stopped the planned rotation ${e.tookOver} and took it over.` : '',
    e?.keptKey
      ? `Kept the other active key ${e.keptKey}, which the secret already gives applications: no key was created.`
      : `The new key ${state.newKey?.accessKeyId ?? ''} is verified and is AWSCURRENT of ${state.secretId}.`,
    `Deactivated the exposed key at ${state.deactivatedAt ?? '?'}${e && e.graceSeconds > 0 ? `, ${e.graceSeconds} s after promotion (grace)` : ''}.`,
    `It is deleted when the recovery window ends, ${state.recovery?.endsAt ?? '?'}; until then it can be reactivated only with rekey rollback --force.`,
  ].filter(Boolean);
  const message = [
    `EXPOSED: access key ${exposed} of IAM user ${user}${e?.exposedAt ? `, exposed at ${e.exposedAt}` : ''}. ${e?.reason ?? ''}${e?.healthEventArn ? ` (AWS Health ${e.healthEventArn})` : ''}`,
    `WHAT REKEY DID: ${did.join(' ')}`,
    `WHO BREAKS: ${stillOnExposedKey(state, f)}`,
    f.unexpectedUse === 'yes' ? `UNEXPECTED USE: ${f.newCallers.join('; ')}` : '',
    forensicsSentence(f),
    'QUARANTINE: if AWS attached its quarantine policy (AWSCompromisedKeyQuarantineV3 or an ' +
      `earlier version) to ${user}, it restricts the new key too, because it is attached to the ` +
      'user, not the key. Detach it once the exposed key is inactive (it is, now), you have ' +
      'reviewed its CloudTrail events and revoked anything it created, and the new key works: ' +
      `aws iam list-attached-user-policies --user-name ${user}, then aws iam detach-user-policy ` +
      `--user-name ${user} --policy-arn <its ARN>.`,
    'NEXT: (1) review the callers above and everything the key did in CloudTrail (S3 object ' +
      'reads and other data events are only in a trail); (2) remove the key from where it was ' +
      `exposed; (3) have the applications above read ${state.secretId}; (4) rekey status ${user} ` +
      'shows this rotation.',
  ].filter(Boolean);
  return {
    subject: `rekey EMERGENCY: exposed key ${exposed} of ${user} cut off`,
    message: message.join('\n\n'),
  };
}

/**
 * The Forensics step: after DeactivateOldKey cut the exposed key off, look up what it did,
 * say it at the highest severity, and keep the summary in the state for `rekey status`.
 */
export async function forensics(
  state: RotationState,
  deps: Deps,
  attribution: AttributionDeps | undefined,
): Promise<RotationState> {
  if (!state.emergency) {
    throw new InvalidInputError('Forensics runs for an emergency rotation only.');
  }
  if (!state.oldKey || !state.deactivatedAt) {
    throw new RotationStateError('forensics needs an emergency whose exposed key was cut off');
  }
  logger.appendKeys({ userName: state.userName, oldKeyId: state.oldKey.accessKeyId });
  const now = deps.clock.now();
  const found = await lookUpExposure(state, now, attribution);
  logger.info('exposed key looked up', {
    status: found.lookup.status,
    unexpectedUse: found.unexpectedUse,
    events: found.lookup.events,
    lookups: found.lookup.lookups,
  });
  const next: RotationState = {
    ...state,
    emergency: { ...state.emergency, deactivatedAt: state.deactivatedAt, forensics: found },
  };
  const { subject, message } = notification(next, found);
  await deps.telemetry.emit('Exposed Key Cut Off', {
    userName: state.userName,
    executionArn: state.executionArn,
    oldKeyId: state.oldKey.accessKeyId,
    newKeyId: state.newKey?.accessKeyId,
    emergency: next.emergency,
    forensicsSummary: forensicsSentence(found),
    at: now.toISOString(),
  });
  await deps.telemetry.notify(subject, message);
  return next;
}
