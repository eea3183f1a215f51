/** IAM and STS as query services. */
import type { Core, QueryService } from './core';
import { reportOperations } from './credential-report';
import { keyOperations } from './iam-keys';
import { userOperations } from './iam-users';

export function iamService(core: Core, accountCreated: Date): QueryService {
  return {
    protocol: 'query',
    name: 'iam',
    namespace: 'https://iam.amazonaws.com/doc/2010-05-08/',
    operations: {
      ...userOperations(core),
      ...keyOperations(core),
      ...reportOperations(core, accountCreated),
    },
  };
}

export function stsService(core: Core): QueryService {
  return {
    protocol: 'query',
    name: 'sts',
    namespace: 'https://sts.amazonaws.com/doc/2011-06-15/',
    operations: {
      // Needs no permissions and answers for whoever signed (AWS-SEMANTICS §2).
      GetCallerIdentity: (_params, ctx) => {
        if (ctx.principal.kind === 'user') {
          const { user } = ctx.principal;
          return { Arn: user.arn, UserId: user.userId, Account: core.accountId };
        }
        const { principal } = ctx.principal;
        return {
          Arn: `arn:aws:sts::${core.accountId}:assumed-role/${principal.name}/sandbox`,
          UserId: `${principal.roleId}:sandbox`,
          Account: core.accountId,
        };
      },
    },
  };
}
