import { PutEventsCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { logger } from './logger';

export const EVENT_SOURCE = 'rekey';

/** Fields an event may carry. Built field by field so a secret can never ride along (I4). */
export interface EventDetail {
  readonly userName?: string;
  readonly executionArn?: string;
  readonly oldKeyId?: string;
  readonly newKeyId?: string;
  readonly at: string;
  readonly [field: string]: unknown;
}

/** Phase events to EventBridge and operator notifications to SNS. */
export interface Telemetry {
  emit(detailType: string, detail: EventDetail): Promise<void>;
  notify(subject: string, message: string): Promise<void>;
}

export interface TelemetryOptions {
  readonly eventBridge: EventBridgeClient;
  readonly sns: SNSClient;
  readonly eventBusName: string;
  readonly topicArn?: string;
}

/**
 * Telemetry failures are logged, not thrown: a rotation halfway through must not be abandoned
 * because an event could not be delivered. Events are at-least-once (a retried step re-emits).
 */
export function createTelemetry(options: TelemetryOptions): Telemetry {
  return {
    async emit(detailType, detail) {
      try {
        const result = await options.eventBridge.send(
          new PutEventsCommand({
            Entries: [
              {
                Source: EVENT_SOURCE,
                DetailType: detailType,
                Detail: JSON.stringify(detail),
                EventBusName: options.eventBusName,
                Resources: detail.executionArn ? [detail.executionArn] : undefined,
              },
            ],
          }),
        );
        if (result.FailedEntryCount) {
          logger.error('event not accepted', {
            detailType,
            errorCode: result.Entries?.[0]?.ErrorCode,
          });
        }
      } catch (error) {
        logger.error('event not sent', { detailType, errorName: (error as Error).name });
      }
    },
    async notify(subject, message) {
      if (!options.topicArn) return;
      try {
        await options.sns.send(
          new PublishCommand({
            TopicArn: options.topicArn,
            Subject: subject.slice(0, 99),
            Message: message,
          }),
        );
      } catch (error) {
        logger.error('notification not sent', { subject, errorName: (error as Error).name });
      }
    },
  };
}
