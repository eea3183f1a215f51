/**
 * Attribution: who still uses an old key, from CloudTrail's event history. This module holds
 * what the Lambdas and the CLI share: the bounds, grouping events into callers, and the words.
 * The lookups themselves are in lambdas/check-cutover/attribution.ts.
 */
import type { Attribution, Caller } from './types';

/** Callers kept in the state; the rest are counted. */
export const MAX_CALLERS = 5;
/** Caps on each caller's fields, so one odd caller cannot grow the state. */
const MAX_AGENT = 256;
const MAX_IP = 64;
const MAX_LIST = 10;

/** The fields of a CloudTrail record attribution reads (docs/aws-semantics.md §8). */
export interface TrailRecord {
  readonly eventTime: string;
  readonly eventSource: string;
  readonly awsRegion: string;
  readonly sourceIPAddress: string;
  readonly userAgent: string;
  readonly eventName: string;
}

/** Reads a record from `Events[].CloudTrailEvent`; undefined when it is not a record. */
export function parseRecord(json: string | undefined): TrailRecord | undefined {
  if (json === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const r = value as Record<string, unknown>;
  const str = (v: unknown): string => (typeof v === 'string' ? v : '');
  if (typeof r.eventTime !== 'string' || Number.isNaN(Date.parse(r.eventTime))) return undefined;
  return {
    eventTime: new Date(r.eventTime).toISOString(),
    eventSource: str(r.eventSource),
    awsRegion: str(r.awsRegion),
    sourceIPAddress: str(r.sourceIPAddress) || 'unknown',
    userAgent: str(r.userAgent) || 'unknown',
    eventName: str(r.eventName).slice(0, 128),
  };
}

const serviceOf = (eventSource: string): string => eventSource.replace(/\.amazonaws\.com$/, '');

const addTo = (list: string[], value: string): void => {
  if (value !== '' && !list.includes(value) && list.length < MAX_LIST) list.push(value);
};

/** Groups records into callers by source IP and user agent, counting each group's events. */
export class CallerTally {
  private readonly groups = new Map<
    string,
    {
      ip: string;
      agent: string;
      services: string[];
      regions: string[];
      eventNames: string[];
      first: string;
      last: string;
      count: number;
    }
  >();
  events = 0;

  add(record: TrailRecord): void {
    this.events += 1;
    const ip = record.sourceIPAddress.slice(0, MAX_IP);
    const agent = record.userAgent.slice(0, MAX_AGENT);
    const id = `${ip}\n${agent}`;
    const group = this.groups.get(id) ?? {
      ip,
      agent,
      services: [],
      regions: [],
      eventNames: [],
      first: record.eventTime,
      last: record.eventTime,
      count: 0,
    };
    group.count += 1;
    if (record.eventTime < group.first) group.first = record.eventTime;
    if (record.eventTime > group.last) group.last = record.eventTime;
    addTo(group.services, serviceOf(record.eventSource));
    addTo(group.regions, record.awsRegion);
    addTo(group.eventNames, record.eventName);
    this.groups.set(id, group);
  }

  /** The top callers (most events, then the latest) and how many others there were. */
  top(limit = MAX_CALLERS): { callers: Caller[]; others: number } {
    const all = [...this.groups.values()].sort(
      (a, b) => b.count - a.count || b.last.localeCompare(a.last),
    );
    return {
      callers: all.slice(0, limit).map((g) => ({
        sourceIp: g.ip,
        userAgent: g.agent,
        services: [...g.services].sort(),
        regions: [...g.regions].sort(),
        firstSeen: g.first,
        lastSeen: g.last,
        count: g.count,
        ...(g.eventNames.length > 0 && { eventNames: [...g.eventNames].sort() }),
      })),
      others: Math.max(0, all.length - limit),
    };
  }
}

/**
 * A user agent short enough for a sentence. SDKs put their own product first and what the
 * application adds (`customUserAgent`) last, so a long one keeps the first and last tokens.
 */
export function shortAgent(agent: string): string {
  if (agent.length <= 48) return agent;
  const tokens = agent.split(/\s+/).filter(Boolean);
  const first = tokens[0] ?? agent;
  const last = tokens.at(-1) ?? '';
  return tokens.length > 1
    ? `${first.slice(0, 48)} … ${last.slice(0, 48)}`
    : `${agent.slice(0, 47)}…`;
}

/** `14:02 UTC`, with the date when it is not the day of `reference`. */
function at(iso: string, reference: string): string {
  const time = `${iso.slice(11, 16)} UTC`;
  return iso.slice(0, 10) === reference.slice(0, 10) ? time : `${iso.slice(0, 10)} ${time}`;
}

/** `from 203.0.113.7 by aws-cli/2.15 (s3, ec2 in eu-west-1), last 14:02 UTC, 12 calls` */
export function describeCaller(caller: Caller, reference: string): string {
  const calls = caller.count === 1 ? '1 call' : `${caller.count} calls`;
  return (
    `from ${caller.sourceIp} by ${shortAgent(caller.userAgent)} ` +
    `(${caller.services.join(', ')} in ${caller.regions.join(', ')}), ` +
    `last ${at(caller.lastSeen, reference)}, ${calls}`
  );
}

/** CloudTrail's limits, said wherever attribution is shown: they are facts, not failures. */
export function limitsSentence(regions: readonly string[]): string {
  return (
    'CloudTrail event history shows management events only (S3 object reads and other data ' +
    'events are invisible unless a trail records them), for 90 days, one region per lookup ' +
    `(looked up: ${regions.join(', ') || 'none'}).`
  );
}

/** One paragraph for notifications, failure causes and the CLI. */
export function attributionSentence(a: Attribution): string {
  if (a.status === 'unavailable') {
    return `Attribution unavailable: ${a.problems.join('; ') || 'no region could be looked up'}.`;
  }
  const parts: string[] = [];
  if (a.callers.length === 0) {
    parts.push(`CloudTrail shows no use of the old key since ${at(a.since, a.until)}.`);
  } else {
    const named = a.callers.map((c) => describeCaller(c, a.until)).join('; ');
    const more = a.otherCallers > 0 ? `; and ${a.otherCallers} more callers` : '';
    parts.push(`Still used ${named}${more}.`);
  }
  if (a.truncated) parts.push(`Counts cover the newest ${a.events} events only (page budget).`);
  if (a.problems.length > 0) parts.push(`Not looked up: ${a.problems.join('; ')}.`);
  parts.push(limitsSentence(a.regions));
  return parts.join(' ');
}

/**
 * An attribution read back from a rotation's state (the CLI reads execution histories): checked
 * field by field, so a state written by another version shows nothing rather than nonsense.
 */
export function attributionOf(value: unknown): Attribution | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const a = value as Partial<Record<keyof Attribution, unknown>>;
  const strings = (v: unknown): v is string[] =>
    Array.isArray(v) && v.every((x) => typeof x === 'string');
  const caller = (c: unknown): c is Caller => {
    if (typeof c !== 'object' || c === null) return false;
    const x = c as Partial<Record<keyof Caller, unknown>>;
    return (
      typeof x.sourceIp === 'string' &&
      typeof x.userAgent === 'string' &&
      strings(x.services) &&
      strings(x.regions) &&
      typeof x.lastSeen === 'string' &&
      typeof x.firstSeen === 'string' &&
      typeof x.count === 'number' &&
      (x.eventNames === undefined || strings(x.eventNames))
    );
  };
  if (
    (a.status !== 'found' && a.status !== 'unavailable') ||
    typeof a.since !== 'string' ||
    typeof a.until !== 'string' ||
    !strings(a.regions) ||
    !strings(a.problems) ||
    !Array.isArray(a.callers) ||
    !a.callers.every(caller)
  ) {
    return undefined;
  }
  return {
    status: a.status,
    since: a.since,
    until: a.until,
    regions: a.regions,
    callers: a.callers,
    otherCallers: typeof a.otherCallers === 'number' ? a.otherCallers : 0,
    events: typeof a.events === 'number' ? a.events : 0,
    truncated: a.truncated === true,
    lookups: typeof a.lookups === 'number' ? a.lookups : 0,
    problems: a.problems,
  };
}
