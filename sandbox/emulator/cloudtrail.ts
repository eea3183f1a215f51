/**
 * CloudTrail LookupEvents (awsJson1_1) over the event history the front end records
 * (state/trail.ts): one region per lookup, newest first, 2 lookups per second per region on the
 * sandbox clock, 90 days. docs/aws-semantics.md §8 is the spec.
 */
import { createHash } from 'node:crypto';
import type { CallContext, Core, JsonService } from './core';
import { ServiceError } from './errors';
import type { JsonInput, JsonObject } from './json-protocol';
import { isoSeconds } from './time';
import type { TrailEvent } from './state/trail';

const ATTRIBUTE_KEYS = [
  'EventId',
  'EventName',
  'ReadOnly',
  'Username',
  'ResourceType',
  'ResourceName',
  'EventSource',
  'AccessKeyId',
] as const;
type AttributeKey = (typeof ATTRIBUTE_KEYS)[number];

const MAX_RESULTS = 50;

const fail = (code: string, message: string): ServiceError => new ServiceError(code, message);

interface Query {
  readonly attribute?: { readonly key: AttributeKey; readonly value: string };
  readonly start?: number;
  readonly end?: number;
}

function parseQuery(input: JsonInput): Query {
  const attributes = input.records('LookupAttributes') ?? [];
  if (attributes.length > 1) {
    throw fail('InvalidLookupAttributesException', 'You can only specify one lookup attribute.');
  }
  let attribute: Query['attribute'];
  const [first] = attributes;
  if (first) {
    const key = first.AttributeKey;
    const value = first.AttributeValue;
    if (!ATTRIBUTE_KEYS.includes(key as AttributeKey) || typeof value !== 'string') {
      throw fail(
        'InvalidLookupAttributesException',
        `AttributeKey must be one of ${ATTRIBUTE_KEYS.join(', ')}, with an AttributeValue.`,
      );
    }
    attribute = { key: key as AttributeKey, value };
  }
  const start = input.number('StartTime');
  const end = input.number('EndTime');
  if (start !== undefined && end !== undefined && start > end) {
    throw fail('InvalidTimeRangeException', 'Start time must be before the end time.');
  }
  return { attribute, start, end };
}

function matches(event: TrailEvent, query: Query): boolean {
  const t = event.eventTime.getTime() / 1000;
  if (query.start !== undefined && t < query.start) return false;
  if (query.end !== undefined && t > query.end) return false;
  const a = query.attribute;
  if (!a) return true;
  switch (a.key) {
    case 'AccessKeyId':
      return event.accessKeyId === a.value;
    case 'EventName':
      return event.eventName === a.value;
    case 'EventSource':
      return event.eventSource === a.value;
    case 'EventId':
      return event.eventId === a.value;
    case 'Username':
      return event.identity.userName === a.value;
    case 'ReadOnly':
      return String(event.readOnly) === a.value;
    // The sandbox records no resources with its events: nothing matches.
    case 'ResourceType':
    case 'ResourceName':
      return false;
  }
}

/** A token names the last event returned and the query it belongs to. */
function fingerprint(region: string, query: Query): string {
  return createHash('sha256')
    .update(JSON.stringify([region, query]))
    .digest('hex')
    .slice(0, 16);
}

function encodeCursor(seq: number, print: string): string {
  return Buffer.from(`${print}:${seq}`).toString('base64');
}

function decodeCursor(token: string | undefined, print: string): number | undefined {
  if (token === undefined) return undefined;
  const match = /^([0-9a-f]{16}):(\d+)$/.exec(Buffer.from(token, 'base64').toString('utf8'));
  if (!match?.[2] || match[1] !== print) {
    throw fail(
      'InvalidNextTokenException',
      'The token is not valid, or was issued for other parameters.',
    );
  }
  return Number(match[2]);
}

/** The record as CloudTrail writes it (record contents for management events). */
export function cloudTrailEvent(core: Core, e: TrailEvent): string {
  const identity =
    e.identity.type === 'IAMUser'
      ? {
          type: 'IAMUser',
          principalId: e.identity.principalId,
          arn: e.identity.arn,
          accountId: core.accountId,
          accessKeyId: e.accessKeyId,
          userName: e.identity.userName,
        }
      : {
          type: 'AssumedRole',
          principalId: `${e.identity.principalId}:${e.identity.userName}`,
          arn: e.identity.arn,
          accountId: core.accountId,
          accessKeyId: e.accessKeyId,
        };
  return JSON.stringify({
    eventVersion: '1.08',
    userIdentity: identity,
    eventTime: isoSeconds(e.eventTime),
    eventSource: e.eventSource,
    eventName: e.eventName,
    awsRegion: e.awsRegion,
    sourceIPAddress: e.sourceIPAddress,
    userAgent: e.userAgent,
    ...(e.errorCode !== undefined && { errorCode: e.errorCode }),
    // CloudTrail leaves secrets out of request parameters; the sandbox records none at all.
    requestParameters: null,
    responseElements: null,
    eventID: e.eventId,
    readOnly: e.readOnly,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: core.accountId,
    eventCategory: 'Management',
  });
}

function lookupEvents(core: Core, input: JsonInput, ctx: CallContext): JsonObject {
  const query = parseQuery(input);
  const maxResults = input.number('MaxResults') ?? MAX_RESULTS;
  if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > MAX_RESULTS) {
    throw fail('InvalidMaxResultsException', `MaxResults must be from 1 to ${MAX_RESULTS}.`);
  }
  const category = input.string('EventCategory');
  if (category !== undefined && category !== 'insight') {
    throw fail('InvalidEventCategoryException', 'EventCategory must be insight.');
  }
  const print = fingerprint(ctx.region, query);
  const after = decodeCursor(input.string('NextToken'), print);
  // The rate limit counts well-formed lookups: a throttled one may be retried as it is.
  if (!core.trail.admitLookup(ctx.region, ctx.now)) {
    throw new ServiceError('ThrottlingException', 'Rate exceeded', 400, true);
  }
  // The sandbox records no Insights events.
  const found =
    category === 'insight'
      ? []
      : core.trail
          .newestFirst(ctx.region, ctx.now)
          .filter((e) => (after === undefined || e.seq < after) && matches(e, query));
  const page = found.slice(0, maxResults);
  const last = page.at(-1);
  return {
    Events: page.map((e) => ({
      EventId: e.eventId,
      EventName: e.eventName,
      ReadOnly: String(e.readOnly),
      AccessKeyId: e.accessKeyId,
      EventTime: e.eventTime,
      EventSource: e.eventSource,
      Username: e.identity.userName,
      Resources: [],
      CloudTrailEvent: cloudTrailEvent(core, e),
    })),
    NextToken: found.length > page.length && last ? encodeCursor(last.seq, print) : undefined,
  };
}

export function cloudTrailService(core: Core): JsonService {
  return {
    protocol: 'json',
    name: 'cloudtrail',
    contentType: 'application/x-amz-json-1.1',
    invalid: (message) => new ServiceError('ValidationException', message),
    operations: {
      LookupEvents: (input, ctx) => lookupEvents(core, input, ctx),
    },
  };
}
