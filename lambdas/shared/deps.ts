import type { IAMClient } from '@aws-sdk/client-iam';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Clock } from './clock';
import type { Config } from './config';
import type { Telemetry } from './telemetry';

/** What every rotation core is given: clients, clock, configuration, telemetry. */
export interface Deps {
  readonly iam: IAMClient;
  readonly secrets: SecretsManagerClient;
  readonly telemetry: Telemetry;
  readonly clock: Clock;
  readonly config: Config;
}
