import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { IAMClient } from '@aws-sdk/client-iam';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';

/**
 * SDK clients, created once per container by the handlers. The standard retry mode backs off on
 * throttling and 5xx; five attempts ride out short bursts before the state machine's own retry.
 * Endpoints come from the environment (AWS_ENDPOINT_URL_*), which is how the sandbox is reached.
 * Only the clients every rotation step uses are here: each SDK package a module imports is loaded
 * at every cold start of every function that bundles the module (the runtime provides @aws-sdk,
 * so the bundler cannot drop an unused one). Step Functions and CloudTrail have modules of their
 * own for the steps that call them.
 */
export const retrying = { maxAttempts: 5, retryMode: 'standard' } as const;

export function iamClient(): IAMClient {
  return new IAMClient(retrying);
}

/**
 * CreateAccessKey must not be retried by the SDK: a retry after a lost answer would create a
 * second key whose secret nobody ever sees. The core reconciles an unknown outcome itself.
 */
export function iamClientWithoutRetries(): IAMClient {
  return new IAMClient({ maxAttempts: 1 });
}

export function secretsClient(): SecretsManagerClient {
  return new SecretsManagerClient(retrying);
}

export function eventBridgeClient(): EventBridgeClient {
  return new EventBridgeClient(retrying);
}

export function snsClient(): SNSClient {
  return new SNSClient(retrying);
}
