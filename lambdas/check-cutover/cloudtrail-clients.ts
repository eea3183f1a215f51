import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';

/**
 * One CloudTrail client per region, created on first use, for check-cutover alone (see
 * lambdas/shared/clients.ts for why it is not there). No SDK retries: attribution paces its
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
