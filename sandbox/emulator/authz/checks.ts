/** Which checks each service's operations make, by service (see query-checks.ts, json-checks.ts). */
import type { ServiceName } from '../../contracts';
import type { CallContext, Core } from '../core';
import type { JsonInput } from '../json-protocol';
import type { QueryParams } from '../query-protocol';
import { EVENTS_CHECKS, SECRETS_MANAGER_CHECKS, STEP_FUNCTIONS_CHECKS } from './json-checks';
import {
  CLOUDFORMATION_CHECKS,
  IAM_CHECKS,
  SNS_CHECKS,
  STS_CHECKS,
  type PlannedCheck,
} from './query-checks';

type QueryPlanner = (core: Core, params: QueryParams, ctx: CallContext) => PlannedCheck[];
type JsonPlanner = (core: Core, input: JsonInput, ctx: CallContext) => PlannedCheck[];

export const QUERY_CHECKS: Partial<Record<ServiceName, Readonly<Record<string, QueryPlanner>>>> = {
  iam: IAM_CHECKS,
  sts: STS_CHECKS,
  sns: SNS_CHECKS,
  cloudformation: CLOUDFORMATION_CHECKS,
};
export const JSON_CHECKS: Partial<Record<ServiceName, Readonly<Record<string, JsonPlanner>>>> = {
  secretsmanager: SECRETS_MANAGER_CHECKS,
  states: STEP_FUNCTIONS_CHECKS,
  events: EVENTS_CHECKS,
  // LookupEvents has no resource type: it is authorized on "*".
  cloudtrail: {
    LookupEvents: () => [{ check: { action: 'cloudtrail:LookupEvents', resource: '*' } }],
  },
};
