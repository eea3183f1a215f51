import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { IAMClient } from '@aws-sdk/client-iam';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';

/**
 * SDK clients, created once per container by the handlers. The standard retry mode backs off on
 * throttling and 5xx; five attempts ride out short bursts before the state machine's own retry.
 * Endpoints come from the environment (AWS_ENDPOINT_URL_*), which is how the sandbox is reached.
 */
const retrying = { maxAttempts: 5, retryMode: 'standard' } as const;

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

export function sfnClient(): SFNClient {
  return new SFNClient(retrying);
}

export function eventBridgeClient(): EventBridgeClient {
  return new EventBridgeClient(retrying);
}

export function snsClient(): SNSClient {
  return new SNSClient(retrying);
}

/**
 * One CloudTrail client per region, created on first use. No SDK retries: attribution paces its
 * lookups and backs off on ThrottlingException itself, on the clock it is given.
 */
export function cloudTrailClients(): (region: string) => CloudTrailClient {
  const clients = new Map<string, CloudTrailClient>();
  return (region) => {
    let client = clients.get(region);
    if (!client) {
      client = new CloudTrailClient({ region, maxAttempts: 1 });
      clients.set(region, client);
    }
    return client;
  };
}
