/** What the front end writes into CloudTrail's event history for each authenticated request. */
import type { ServiceName } from '../contracts';
import type { Core } from './core';
import type { SignedRequest } from './sigv4';
import type { Principal } from './state/account';
import type { TrailIdentity } from './state/trail';

/**
 * SNS Publish is a data event: CloudTrail's event history never shows it
 * (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/logging-data-events-with-cloudtrail.html).
 */
const DATA_EVENTS = new Set(['sns:Publish', 'sns:PublishBatch']);

const READ_ONLY = /^(Get|List|Describe|Lookup)/;

export interface AnsweredCall {
  readonly principal: Principal;
  /** The region the request was signed for. */
  readonly region: string;
  readonly service: ServiceName;
  readonly operation: string;
  readonly now: Date;
  readonly requestId: string;
  readonly errorCode?: string;
}

function identityOf(core: Core, principal: Principal): { id: TrailIdentity; key: string } {
  switch (principal.kind) {
    case 'user':
      return {
        key: principal.key.accessKeyId,
        id: {
          type: 'IAMUser',
          principalId: principal.user.userId,
          arn: principal.user.arn,
          userName: principal.user.userName,
        },
      };
    case 'session':
      return {
        key: principal.session.accessKeyId,
        id: {
          type: 'AssumedRole',
          principalId: principal.session.roleId,
          arn: principal.session.arn,
          userName: principal.session.sessionName,
        },
      };
    case 'system':
      return {
        key: principal.principal.accessKeyId,
        id: {
          type: 'AssumedRole',
          principalId: principal.principal.roleId,
          arn: `arn:aws:sts::${core.accountId}:assumed-role/${principal.principal.name}/sandbox`,
          userName: 'sandbox',
        },
      };
  }
}

export function recordManagementEvent(
  core: Core,
  request: SignedRequest,
  call: AnsweredCall,
): void {
  if (DATA_EVENTS.has(`${call.service}:${call.operation}`)) return;
  const { id, key } = identityOf(core, call.principal);
  const agent: string | undefined = request.headers['user-agent'];
  core.trail.record({
    eventId: call.requestId,
    eventTime: call.now,
    eventSource: `${call.service}.amazonaws.com`,
    eventName: call.operation,
    // IAM is global: CloudTrail records its events in us-east-1, as IAM reports its last use.
    awsRegion: call.service === 'iam' ? 'us-east-1' : call.region,
    sourceIPAddress: request.sourceIp ?? '127.0.0.1',
    userAgent: agent ?? '',
    accessKeyId: key,
    readOnly: READ_ONLY.test(call.operation),
    identity: id,
    errorCode: call.errorCode,
  });
}
