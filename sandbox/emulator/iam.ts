/** IAM as a query service (STS is in sts.ts). */
import type { Core, QueryService } from './core';
import { reportOperations } from './credential-report';
import { keyOperations } from './iam-keys';
import { policyOperations } from './iam-policies';
import { roleOperations } from './iam-roles';
import { userOperations } from './iam-users';
import { newPolicyId } from './ids';

export function iamService(core: Core, accountCreated: Date): QueryService {
  return {
    protocol: 'query',
    name: 'iam',
    namespace: 'https://iam.amazonaws.com/doc/2010-05-08/',
    operations: {
      ...userOperations(core),
      ...keyOperations(core),
      ...reportOperations(core, accountCreated),
      ...roleOperations(core),
      ...policyOperations(core, newPolicyId),
    },
  };
}
