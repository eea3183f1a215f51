/** STS: GetCallerIdentity for every kind of principal, and AssumeRole with role sessions. */
import { randomBytes } from 'node:crypto';
import type { CallContext, Core, QueryService } from './core';
import { ServiceError } from './errors';
import { requireRole } from './iam-roles';
import { newSecretAccessKey, newSystemKeyId } from './ids';
import type { RoleRecord, SessionRecord } from './state/policies';
import { addSeconds } from './time';

const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;

/** A new session of `role` on the sandbox clock (the caller has been authorized already). */
export function issueSession(
  core: Core,
  role: RoleRecord,
  sessionName: string,
  durationSeconds = 3600,
): SessionRecord {
  const now = core.clock.now();
  const session: SessionRecord = {
    accessKeyId: newSystemKeyId(),
    secretAccessKey: newSecretAccessKey(),
    sessionToken: randomBytes(96).toString('base64'),
    roleArn: role.arn,
    roleName: role.roleName,
    roleId: role.roleId,
    sessionName,
    arn: `arn:aws:sts::${core.accountId}:assumed-role/${role.roleName}/${sessionName}`,
    expiration: addSeconds(now, durationSeconds),
  };
  core.policies.sessions.set(session.accessKeyId, session);
  return session;
}

function callerIdentity(core: Core, ctx: CallContext) {
  const { principal } = ctx;
  switch (principal.kind) {
    case 'user':
      return { Arn: principal.user.arn, UserId: principal.user.userId, Account: core.accountId };
    case 'session': {
      const { session } = principal;
      return {
        Arn: session.arn,
        UserId: `${session.roleId}:${session.sessionName}`,
        Account: core.accountId,
      };
    }
    case 'system':
      return {
        Arn: `arn:aws:sts::${core.accountId}:assumed-role/${principal.principal.name}/sandbox`,
        UserId: `${principal.principal.roleId}:sandbox`,
        Account: core.accountId,
      };
  }
}

export function stsService(core: Core): QueryService {
  return {
    protocol: 'query',
    name: 'sts',
    namespace: 'https://sts.amazonaws.com/doc/2011-06-15/',
    operations: {
      // Needs no permissions and answers for whoever signed (docs/aws-semantics.md §2).
      GetCallerIdentity: (_params, ctx) => callerIdentity(core, ctx),
      AssumeRole: (params) => {
        const roleArn = params.required('RoleArn');
        const sessionName = params.required('RoleSessionName');
        if (!SESSION_NAME.test(sessionName)) {
          throw new ServiceError(
            'ValidationError',
            `1 validation error detected: Value '${sessionName}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*`,
          );
        }
        const name = /^arn:aws:iam::\d{12}:role\/(?:.*\/)?([^/]+)$/.exec(roleArn)?.[1];
        if (name === undefined) {
          throw new ServiceError('ValidationError', `${roleArn} is invalid`);
        }
        const role = requireRole(core, name);
        const duration = params.int('DurationSeconds') ?? 3600;
        if (duration < 900 || duration > role.maxSessionDuration) {
          throw new ServiceError(
            'ValidationError',
            `The requested DurationSeconds exceeds the MaxSessionDuration set for this role.`,
          );
        }
        const session = issueSession(core, role, sessionName, duration);
        return {
          Credentials: {
            AccessKeyId: session.accessKeyId,
            SecretAccessKey: session.secretAccessKey,
            SessionToken: session.sessionToken,
            Expiration: session.expiration,
          },
          AssumedRoleUser: {
            AssumedRoleId: `${session.roleId}:${sessionName}`,
            Arn: session.arn,
          },
        };
      },
    },
  };
}
