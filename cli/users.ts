import { GetUserCommand } from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { awsErrorCode } from '../lambdas/shared/errors';
import type { Clients } from './context';
import { CliError, EXIT, usageError } from './errors';

/** The rule the workflow's input validation applies (lambdas/inspect/input.ts). */
const USER_NAME = /^[\w+=,.@-]{1,128}$/;

/** A name for a message: a 200 KB argument must not come back in full. */
export function clip(text: string, max = 64): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

export function checkUserName(userName: string): string {
  if (!USER_NAME.test(userName)) {
    throw usageError(
      `"${clip(userName)}" is not an IAM user name (1-128 characters: letters, digits and +=,.@_-)`,
    );
  }
  return userName;
}

export interface ResolvedUser {
  /** The name as IAM spells it. IAM user names ignore case; secrets and executions do not. */
  readonly userName: string;
  readonly arn: string;
}

/**
 * The user as IAM knows it: any spelling of its name resolves to the canonical one, which every
 * lookup then uses. An unknown user is a clear error before anything starts.
 */
export async function requireUser(clients: Clients, userName: string): Promise<ResolvedUser> {
  checkUserName(userName);
  try {
    const { User } = await clients.iam.send(new GetUserCommand({ UserName: userName }));
    return { userName: User?.UserName ?? userName, arn: User?.Arn ?? userName };
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
