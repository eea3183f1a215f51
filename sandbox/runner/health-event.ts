import { randomUUID } from 'node:crypto';
import type { BusEvent } from './event-rules';

/**
 * AWS Health's event for an exposed access key, as EventBridge delivers it (docs/aws-semantics.md
 * §10): a global event, region us-east-1; `startTime` in RFC 1123 form, as AWS Health writes it.
 */
export function exposedKeyEvent(
  accessKeyId: string,
  options: { readonly account: string; readonly now: Date; readonly startTime?: Date },
): BusEvent {
  const id = randomUUID();
  return {
    version: '0',
    id,
    'detail-type': 'AWS Health Event',
    source: 'aws.health',
    account: options.account,
    time: options.now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: 'us-east-1',
    resources: [],
    detail: {
      eventArn: `arn:aws:health:global::event/RISK/AWS_RISK_CREDENTIALS_EXPOSED/AWS_RISK_CREDENTIALS_EXPOSED_${id.slice(0, 8).toUpperCase()}`,
      service: 'RISK',
      eventTypeCode: 'AWS_RISK_CREDENTIALS_EXPOSED',
      eventTypeCategory: 'issue',
      statusCode: 'open',
      startTime: (options.startTime ?? options.now).toUTCString(),
      eventDescription: [
        {
          language: 'en_US',
          latestDescription: `AWS found the access key ${accessKeyId} publicly available (sandbox).`,
        },
      ],
      affectedEntities: [{ entityValue: accessKeyId }],
    },
  };
}
