import type { RecordedEvent } from '../emulator';
import { span } from '../../core/format';
import { forensicsOf } from '../../lambdas/shared/forensics';
import { attributionOf, attributionSentence } from '../../lambdas/shared/attribution';
import { key } from './format';

type Detail = Record<string, unknown>;

const text = (value: unknown): string => (typeof value === 'string' ? value : '');
const num = (value: unknown): number | undefined => (typeof value === 'number' ? value : undefined);

/** One readable line for a rekey event. Built from named fields only: never a secret. */
export function describeEvent(detailType: string, d: Detail): string {
  switch (detailType) {
    case 'Rotation Started':
    case 'Rotation Skipped':
    case 'Rotation Planned':
      return text(d.reason);
    case 'Rotation Refused':
      return `${text(d.error)}: ${text(d.reason)}`;
    case 'Key Staged':
      return `new key ${key(d.newKeyId)} created and staged as AWSPENDING`;
    case 'Key Verified':
      return `new key ${key(d.newKeyId)} answers sts:GetCallerIdentity as the user`;
    case 'Key Promoted':
      return `AWSCURRENT -> ${key(d.newKeyId)}, AWSPREVIOUS -> ${key(d.oldKeyId)}`;
    case 'Cutover Complete':
      return `${text(d.verdict)}: ${text(d.reason)}`;
    case 'Cutover Deadline Passed': {
      // Who still uses the old key, from CloudTrail, when the check could look it up.
      const who = attributionOf(d.attribution);
      return `${text(d.reason)} (policy: ${text(d.deadlineAction)})${who ? `. ${attributionSentence(who)}` : ''}`;
    }
    case 'Old Key Deactivated': {
      const window = num(d.recoveryWindowSeconds);
      return `old key ${key(d.oldKeyId)} deactivated; restorable for ${window === undefined ? '?' : span(window * 1000)}`;
    }
    case 'Exposed Key Cut Off': {
      const f = forensicsOf((d.emergency as { forensics?: unknown } | undefined)?.forensics);
      const unexpected = f
        ? f.unexpectedUse === 'yes'
          ? `; NEW callers since the exposure: ${f.newCallers.join(', ')}`
          : f.unexpectedUse === 'no'
            ? '; no caller but those seen before the exposure'
            : '; whether anything unexpected used it: unknown'
        : '';
      return `exposed key ${key(d.oldKeyId)} cut off, new key ${key(d.newKeyId)} current${unexpected}`;
    }
    case 'Old Key Deleted':
      return `old key ${key(d.oldKeyId)} deleted`;
    case 'Rotation Completed': {
      const cutover = num(d.cutoverSeconds);
      return `done: ${key(d.oldKeyId)} -> ${key(d.newKeyId)}${cutover === undefined ? '' : `, cutover took ${span(cutover * 1000)}`}`;
    }
    case 'Fleet Scan Completed': {
      const counts = (typeof d.counts === 'object' && d.counts !== null ? d.counts : {}) as Record<
        string,
        number
      >;
      const parts = Object.entries(counts)
        .filter(([, n]) => n > 0)
        .map(([name, n]) => `${n} ${name}`);
      return `${num(d.usersManaged) ?? 0} users, ${num(d.tagReads) ?? 0} tag reads: ${parts.join(', ')}`;
    }
    case 'Rotation Failed':
      return `${text(d.error)}: ${text(d.reason)} (${text(d.outcome)})`;
    default:
      return '';
  }
}

export interface TimelineEntry {
  readonly at: Date;
  readonly user: string;
  readonly what: string;
  readonly text: string;
}

export function entryOf(event: RecordedEvent): TimelineEntry | undefined {
  if (event.Source !== 'rekey') return undefined;
  const detail = (
    typeof event.Detail === 'object' && event.Detail !== null ? event.Detail : {}
  ) as Detail;
  const at = typeof detail.at === 'string' ? new Date(detail.at) : event.Time;
  return {
    at,
    user: text(detail.userName) || '-',
    what: event.DetailType,
    text: describeEvent(event.DetailType, detail).replace(/\bA[KS]IA[A-Z0-9]{16}\b/g, (id) =>
      key(id),
    ),
  };
}
