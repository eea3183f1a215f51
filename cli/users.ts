import { GetUserCommand } from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { awsErrorCode } from '../lambdas/shared/errors';
import type { Clients } from './context';
import { CliError, EXIT, usageError } from './errors';

/** The rule the workflow's input validation applies (lambdas/inspect/input.ts). */
const USER_NAME = /^[\w+=,.@-]{1,128}$/;

export function checkUserName(userName: string): string {
  if (!USER_NAME.test(userName)) {
    throw usageError(
      `"${userName}" is not an IAM user name (1-128 characters: letters, digits and +=,.@_-)`,
    );
  }
  return userName;
}

/** The user's ARN; an unknown user is a clear error before anything starts. */
export async function requireUser(clients: Clients, userName: string): Promise<string> {
  checkUserName(userName);
  try {
    const { User } = await clients.iam.send(new GetUserCommand({ UserName: userName }));
    return User?.Arn ?? userName;
  } catch (error) {
    if (awsErrorCode(error) === 'NoSuchEntity') {
      throw new CliError(
        `IAM user "${userName}" not found: check the name (\`rekey report\` lists every user)`,
        EXIT.notFound,
        'UserNotFound',
      );
    }
    throw error;
  }
}

/** Who is calling, for `requestedBy` and for the rollback's cause. */
export async function callerArn(clients: Clients): Promise<string> {
  const out = await clients.sts.send(new GetCallerIdentityCommand({}));
  return out.Arn ?? 'unknown';
}
