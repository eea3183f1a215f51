import { InvalidInputError } from '../shared/errors';
import { ACCESS_KEY_ID, EXPOSED_EVENT_TYPE } from '../shared/exposure';
import type { EmergencyRequest } from '../shared/types';
const REASON_LIMIT = 512;
/** Reasons land in events and notifications: printable text only. */
const PRINTABLE = /^[\P{C}]+$/u;
const EXAMPLE =
  'Start it with {"userName": "alice", "emergency": {"accessKeyId": "AKIA…", "reason": "found in a public repository"}}.';

type Echo = (value: unknown) => string;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function exposedAtOf(value: unknown, field: string, echo: Echo): string | undefined {
  if (value === undefined) return undefined;
  const at = typeof value === 'string' ? Date.parse(value) : NaN;
  if (Number.isNaN(at)) {
    throw new InvalidInputError(
      `"${field}" must be a date and time such as "2026-12-02T10:00:00Z"; got ${echo(value)}.`,
    );
  }
  return new Date(at).toISOString();
}

function keyIdOf(value: unknown, field: string, echo: Echo): string {
  if (typeof value !== 'string' || !ACCESS_KEY_ID.test(value)) {
    throw new InvalidInputError(
      `"${field}" must be an IAM user's access key id (AKIA and 16 capital letters or digits); got ${echo(value)}. ${EXAMPLE}`,
    );
  }
  return value;
}

function reasonOf(value: unknown, field: string, echo: Echo): string {
  if (typeof value !== 'string' || value.trim() === '' || !PRINTABLE.test(value)) {
    throw new InvalidInputError(
      `"${field}" must say why the key is exposed, in printable text; got ${echo(value)}. ${EXAMPLE}`,
    );
  }
  return value.trim().slice(0, REASON_LIMIT);
}

/**
 * AWS Health's event detail as EventBridge delivers it (docs/aws-semantics.md §9): the event
 * type, its ARN, the start time and the exposed key in `affectedEntities[].entityValue`. One
 * key per execution: an event naming several is refused, with what to do.
 */
function fromHealth(detail: unknown, echo: Echo): EmergencyRequest {
  if (!isRecord(detail)) {
    throw new InvalidInputError(
      `"emergency.health" must be an AWS Health event's detail (an object); got ${echo(detail)}.`,
    );
  }
  if (detail.eventTypeCode !== EXPOSED_EVENT_TYPE) {
    throw new InvalidInputError(
      `"emergency.health.eventTypeCode" must be ${EXPOSED_EVENT_TYPE}; got ${echo(detail.eventTypeCode)}. rekey rotates for exposed access keys only.`,
    );
  }
  const entities = Array.isArray(detail.affectedEntities) ? detail.affectedEntities : [];
  const keys = entities
    .map((e: unknown) => (isRecord(e) ? e.entityValue : undefined))
    .filter((v): v is string => typeof v === 'string' && ACCESS_KEY_ID.test(v));
  const [accessKeyId, another] = [...new Set(keys)];
  if (accessKeyId === undefined) {
    throw new InvalidInputError(
      `The AWS Health event names no access key ("emergency.health.affectedEntities[].entityValue" holds none); got ${echo(detail.affectedEntities)}.`,
    );
  }
  if (another !== undefined) {
    throw new InvalidInputError(
      `The AWS Health event names more than one access key (${keys.join(', ')}); rekey rotates one key per execution. Start one emergency rotation per key: rekey rotate <user> --emergency --key <key> --reason "…".`,
    );
  }
  const arn = typeof detail.eventArn === 'string' ? detail.eventArn.slice(0, 512) : undefined;
  const descriptions = Array.isArray(detail.eventDescription) ? detail.eventDescription : [];
  const description = descriptions
    .map((d: unknown) => (isRecord(d) ? d.latestDescription : undefined))
    .find((d): d is string => typeof d === 'string' && d.trim() !== '');
  const printable = description?.replace(/\p{C}+/gu, ' ').trim();
  return {
    accessKeyId,
    reason: (printable || `AWS Health ${EXPOSED_EVENT_TYPE}`).slice(0, REASON_LIMIT),
    ...(detail.startTime !== undefined && {
      exposedAt: exposedAtOf(detail.startTime, 'emergency.health.startTime', echo),
    }),
    source: 'aws.health',
    ...(arn !== undefined && { healthEventArn: arn }),
  };
}

/** The `emergency` field: the console's and the CLI's form, or the Health rule's. */
export function parseEmergency(raw: unknown, echo: Echo): EmergencyRequest {
  if (!isRecord(raw)) {
    throw new InvalidInputError(`"emergency" must be an object; got ${echo(raw)}. ${EXAMPLE}`);
  }
  const fields = Object.keys(raw);
  if ('health' in raw) {
    const extra = fields.filter((k) => k !== 'health');
    if (extra.length > 0) {
      throw new InvalidInputError(
        `"emergency" from AWS Health holds only "health"; got also ${extra.map(echo).join(', ')}.`,
      );
    }
    return fromHealth(raw.health, echo);
  }
  const allowed = ['accessKeyId', 'reason', 'exposedAt'];
  const unknown = fields.filter((k) => !allowed.includes(k));
  if (unknown.length > 0) {
    throw new InvalidInputError(
      `Unknown "emergency" field${unknown.length > 1 ? 's' : ''} ${unknown.slice(0, 5).map(echo).join(', ')}: the fields are accessKeyId, reason and exposedAt (optional). ${EXAMPLE}`,
    );
  }
  const exposedAt = exposedAtOf(raw.exposedAt, 'emergency.exposedAt', echo);
  return {
    accessKeyId: keyIdOf(raw.accessKeyId, 'emergency.accessKeyId', echo),
    reason: reasonOf(raw.reason, 'emergency.reason', echo),
    ...(exposedAt !== undefined && { exposedAt }),
    source: 'request',
  };
}
