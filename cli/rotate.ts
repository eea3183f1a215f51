import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { createHash } from 'node:crypto';
import { awsErrorCode } from '../lambdas/shared/errors';
import type { Clients } from './context';
import { CliError, EXIT } from './errors';
import { findRunningRotation } from './find-rotation';
import type { StackInfo } from './stack';
import { callerArn, requireUser } from './users';

export interface StartedRotation {
  readonly userName: string;
  readonly executionArn: string;
  readonly name: string;
  readonly startDate: string;
  readonly dryRun: boolean;
  readonly requestedBy: string;
}

/**
 * `rekey-<user>-<UTC timestamp>`: readable in the console, within the 80 characters and the
 * characters CloudWatch logging allows; a user name with other characters gets a short hash.
 */
export function executionName(userName: string, at: Date): string {
  const safe = userName.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 48);
  const suffix =
    safe === userName ? '' : `-${createHash('sha256').update(userName).digest('hex').slice(0, 8)}`;
  const stamp = at
    .toISOString()
    .replace(/[^0-9]/g, '')
    .slice(0, 14);
  return `rekey-${safe}${suffix}-${stamp}`;
}

/**
 * Starts a rotation of one user, as the console would but with the caller recorded. Refuses
 * early (changing nothing) for an unknown user or one already being rotated.
 */
export async function startRotation(
  clients: Clients,
  stack: StackInfo,
  request: { userName: string; dryRun: boolean },
  at: Date = new Date(),
): Promise<StartedRotation> {
  const { userName, dryRun } = request;
  await requireUser(clients, userName);
  const running = await findRunningRotation(clients, stack, userName);
  if (running) {
    throw new CliError(
      `${userName} is already being rotated by ${running.name} (started ${running.startDate.toISOString()}): ` +
        `follow it with \`rekey status ${userName}\``,
      EXIT.failed,
      'RotationInProgress',
    );
  }
  const requestedBy = `rekey-cli:${await callerArn(clients)}`.slice(0, 256);
  const name = executionName(userName, at);
  const input = { userName, ...(dryRun && { dryRun: true }), requestedBy };
  try {
    const out = await clients.sfn.send(
      new StartExecutionCommand({
        stateMachineArn: stack.rotationStateMachineArn,
        name,
        input: JSON.stringify(input),
      }),
    );
    return {
      userName,
      executionArn: out.executionArn ?? '',
      name,
      startDate: (out.startDate ?? at).toISOString(),
      dryRun,
      requestedBy,
    };
  } catch (error) {
    if (awsErrorCode(error) === 'ExecutionAlreadyExists') {
      throw new CliError(
        `an execution named ${name} already exists: wait a second and run the command again`,
        EXIT.failed,
        'ExecutionAlreadyExists',
      );
    }
    throw error;
  }
}
