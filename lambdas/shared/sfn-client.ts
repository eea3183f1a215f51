import { SFNClient } from '@aws-sdk/client-sfn';
import { retrying } from './clients';

/** Step Functions, for the steps that read executions or start them (see clients.ts). */
export function sfnClient(): SFNClient {
  return new SFNClient(retrying);
}
