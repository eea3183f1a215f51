/** EventBridge PutEvents (awsJson1_1) and SNS Publish (awsQuery): recorded, not delivered. */
import { useKey } from './authz';
import type { Core, JsonService, QueryService } from './core';
import { ServiceError, isRecord } from './errors';
import { uuid } from './ids';
import type { JsonObject } from './json-protocol';
import type { RecordedMessage } from './state/recorder';

const MAX_ENTRIES = 10;

function busName(nameOrArn: string | undefined): string {
  if (nameOrArn === undefined || nameOrArn === '') return 'default';
  const arnMatch = /^arn:aws:events:[^:]*:\d{12}:event-bus\/(.+)$/.exec(nameOrArn);
  return arnMatch?.[1] ?? nameOrArn;
}

function parseDetail(detail: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(detail);
    return isRecord(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

function entryTime(value: unknown, now: Date): Date {
  if (typeof value === 'number') return new Date(value * 1000);
  if (typeof value === 'string' && !Number.isNaN(Date.parse(value))) return new Date(value);
  return now;
}

function putEntry(core: Core, entry: JsonObject, now: Date): JsonObject {
  const { Source, DetailType, Detail } = entry;
  if (typeof Source !== 'string' || typeof DetailType !== 'string' || typeof Detail !== 'string') {
    return {
      ErrorCode: 'InvalidArgument',
      ErrorMessage: 'Parameters Source, DetailType and Detail are required.',
    };
  }
  // Sources beginning "aws." are AWS's own: a customer's entry with one fails (PutEvents' per-entry
  // NotAuthorizedForSourceException). The sandbox delivers such events through the runner instead.
  if (Source.startsWith('aws.')) {
    return {
      ErrorCode: 'NotAuthorizedForSourceException',
      ErrorMessage: 'Not authorized for the source.',
    };
  }
  const detail = parseDetail(Detail);
  if (!detail) return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
  const bus = busName(typeof entry.EventBusName === 'string' ? entry.EventBusName : undefined);
  if (!core.recorder.buses.has(bus)) {
    return {
      ErrorCode: 'ResourceNotFoundException',
      ErrorMessage: `Event bus ${bus} does not exist.`,
    };
  }
  const eventId = uuid();
  const resources = Array.isArray(entry.Resources)
    ? entry.Resources.filter((r): r is string => typeof r === 'string')
    : [];
  core.recorder.events.push({
    EventId: eventId,
    EventBusName: bus,
    Source,
    DetailType,
    Detail: detail,
    Time: entryTime(entry.Time, now),
    Resources: resources,
  });
  return { EventId: eventId };
}

export function eventBridgeService(core: Core): JsonService {
  const invalid = (message: string): ServiceError =>
    new ServiceError('ValidationException', message);
  return {
    protocol: 'json',
    name: 'events',
    contentType: 'application/x-amz-json-1.1',
    invalid,
    operations: {
      PutEvents: (input, ctx) => {
        const entries = input.records('Entries') ?? [];
        if (entries.length < 1 || entries.length > MAX_ENTRIES) {
          throw invalid(
            `1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length between 1 and ${MAX_ENTRIES}`,
          );
        }
        const complete = (e: JsonObject): boolean =>
          typeof e.Source === 'string' &&
          typeof e.DetailType === 'string' &&
          typeof e.Detail === 'string';
        // When no entry has all three members, the whole request fails (docs/aws-semantics.md §5).
        if (!entries.some(complete)) {
          throw invalid(
            'Parameters Source, DetailType and Detail are required for at least one entry.',
          );
        }
        const results = entries.map((entry) => putEntry(core, entry, ctx.now));
        return {
          FailedEntryCount: results.filter((r) => r.ErrorCode !== undefined).length,
          Entries: results,
        };
      },
    },
  };
}

export function snsService(core: Core): QueryService {
  return {
    protocol: 'query',
    name: 'sns',
    namespace: 'http://sns.amazonaws.com/doc/2010-03-31/',
    operations: {
      Publish: (params, ctx) => {
        const topicArn = params.get('TopicArn') ?? params.get('TargetArn');
        if (topicArn === undefined) {
          throw new ServiceError(
            'InvalidParameter',
            'Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter',
          );
        }
        const message = params.get('Message');
        if (message === undefined || message === '') {
          throw new ServiceError('InvalidParameter', 'Invalid parameter: Empty message');
        }
        if (!core.recorder.topics.has(topicArn)) {
          throw new ServiceError('NotFound', 'Topic does not exist', 404);
        }
        // An encrypted topic: SNS generates and decrypts the message's data key as the publisher.
        const keyId = core.policies.topics.get(topicArn)?.kmsMasterKeyId;
        const key = keyId === undefined ? undefined : core.policies.findKey(keyId);
        if (key) {
          for (const action of ['kms:GenerateDataKey', 'kms:Decrypt'] as const) {
            useKey(core, ctx, 'sns', {
              key,
              action,
              viaService: 'sns',
              encryptionContext: { 'aws:sns:topicArn': topicArn },
            });
          }
        }
        const attributes: Record<string, { DataType: string; StringValue?: string }> = {};
        for (const [name, value] of params.map('MessageAttributes')) {
          attributes[name] = {
            DataType: value.get('DataType') ?? 'String',
            StringValue: value.get('StringValue'),
          };
        }
        const record: RecordedMessage = {
          MessageId: uuid(),
          TopicArn: topicArn,
          Subject: params.get('Subject'),
          Message: message,
          MessageAttributes: attributes,
          at: ctx.now,
        };
        core.recorder.notifications.push(record);
        return { MessageId: record.MessageId };
      },
    },
  };
}
