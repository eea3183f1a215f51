/**
 * Each service's refusal when authorization denies a request. The sentence is AWS's:
 * "User: <arn> is not authorized to perform: <action> on resource: <resource> because no
 * identity-based policy allows the <action> action", with "with an explicit deny in an
 * identity-based policy" / "... in a resource-based policy" and "because no resource-based policy
 * allows ..." variants. Shapes seen in public error reports (observed):
 * - IAM/STS `AccessDenied` 403 (the issue's GetUser example);
 * - Secrets Manager `AccessDeniedException` 400, naming the secret's full ARN when it exists and
 *   the SecretId as given otherwise; the KMS-caused variant is "Access to KMS is not allowed";
 * - SNS `AuthorizationError` 403, with the action written `SNS:Publish`;
 * - Step Functions and EventBridge `AccessDeniedException` 400 (the sentence is assumed to follow
 *   the same form: unverified). Step Functions' KMS-caused refusal is `KmsAccessDeniedException`
 *   (in its model; message text unverified), SNS's is `KMSAccessDenied` (in its model).
 */
import type { ServiceName } from '../../contracts';
import { ServiceError } from '../errors';
import type { DenialCause } from './authorizer';

export function denialSentence(
  callerArn: string,
  action: string,
  resource: string,
  cause: DenialCause,
): string {
  const head = `User: ${callerArn} is not authorized to perform: ${action} on resource: ${resource}`;
  switch (cause) {
    case 'no-identity-allow':
      return `${head} because no identity-based policy allows the ${action} action`;
    case 'no-resource-allow':
      return `${head} because no resource-based policy allows the ${action} action`;
    case 'explicit-identity-deny':
      return `${head} with an explicit deny in an identity-based policy`;
    case 'explicit-resource-deny':
      return `${head} with an explicit deny in a resource-based policy`;
    case 'explicit-scp-deny':
      return `${head} with an explicit deny in a service control policy`;
  }
}

/** SNS writes its own actions with an upper-case prefix in these messages (observed). */
function shownAction(service: ServiceName, action: string): string {
  return service === 'sns' && action.startsWith('sns:') ? `SNS:${action.slice(4)}` : action;
}

export function accessDenied(
  service: ServiceName,
  callerArn: string,
  action: string,
  resource: string,
  cause: DenialCause,
): ServiceError {
  const message = denialSentence(callerArn, shownAction(service, action), resource, cause);
  switch (service) {
    case 'iam':
    case 'sts':
      return new ServiceError('AccessDenied', message, 403);
    case 'cloudformation':
      return new ServiceError('AccessDenied', message, 403);
    case 'sns':
      return new ServiceError('AuthorizationError', message, 403);
    case 'secretsmanager':
    case 'states':
    case 'events':
    case 'cloudtrail':
      return new ServiceError('AccessDeniedException', message, 400);
  }
}

/** When the key policy or the caller's KMS permissions refuse what the service does for it. */
export function kmsDenied(service: ServiceName, kmsMessage: string): ServiceError {
  switch (service) {
    case 'secretsmanager':
      return new ServiceError('AccessDeniedException', 'Access to KMS is not allowed', 400);
    case 'sns':
      return new ServiceError(
        'KMSAccessDenied',
        `${kmsMessage} (Service: AWSKMS; Status Code: 400; Error Code: AccessDeniedException)`,
        400,
      );
    case 'states':
      return new ServiceError('KmsAccessDeniedException', kmsMessage, 400);
    default:
      return new ServiceError('AccessDeniedException', kmsMessage, 400);
  }
}
