import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { createHash } from 'node:crypto';
import { awsErrorCode } from '../lambdas/shared/errors';
import { userPart } from '../lambdas/shared/fleet';
import type { Clients } from './context';
import { CliError, EXIT } from './errors';
import { findRunningRotation } from './find-rotation';
import type { StackInfo } from './stack';
import { callerArn, requireUser } from './users';

export interface StartedRotation {
  /** The user as IAM spells it. */
  readonly userName: string;
  /** The name as typed, when it differs from IAM's. */
  readonly requestedUserName?: string;
  readonly executionArn: string;
  readonly name: string;
  readonly startDate: string;
  readonly dryRun: boolean;
  readonly requestedBy: string;
  /** The exposed key, for an emergency rotation. */
  readonly emergency?: EmergencyFlags;
}

/** What `rekey rotate --emergency` passes: the execution input's `emergency` field. */
export interface EmergencyFlags {
  readonly accessKeyId: string;
  readonly reason: string;
  readonly exposedAt?: string;
}

const sha = (s: string): string => createHash('sha256').update(s).digest('hex');

/**
 * `rekey-<user>-<UTC timestamp to the millisecond>`: readable in the console, within the 80
 * characters and the characters CloudWatch logging allows; a user name with other characters
 * gets a short hash. Two starts in the same second get different names.
 */
export function executionName(userName: string, at: Date): string {
  const stamp = at
    .toISOString()
    .replace(/[^0-9]/g, '')
    .slice(0, 17);
  return `rekey-${userPart(userName, sha)}-${stamp}`;
}

/**
 * Starts a rotation of one user, as the console would but with the caller recorded. Refuses
 * early (changing nothing) for an unknown user or one already being rotated.
 */
export async function startRotation(
  clients: Clients,
  stack: StackInfo,
  request: { userName: string; dryRun: boolean; emergency?: EmergencyFlags },
  at: Date = new Date(),
): Promise<StartedRotation> {
  const { dryRun, emergency } = request;
  const user = await requireUser(clients, request.userName);
  const { userName } = user;
  // An emergency never waits behind a planned rotation: the workflow takes that one over.
  if (!emergency) {
    const running = await findRunningRotation(clients, stack, userName);
    if (running) throw alreadyRotating(userName, running.name, running.startDate);
  }
  const requestedBy = `rekey-cli:${await callerArn(clients)}`.slice(0, 256);
  const name = executionName(userName, at);
  const input = {
    userName,
    ...(dryRun && { dryRun: true }),
    requestedBy,
    ...(emergency && { emergency }),
  };
  try {
    const out = await clients.sfn.send(
      new StartExecutionCommand({
        stateMachineArn: stack.rotationStateMachineArn,
        name,
        input: JSON.stringify(input),
      }),
    );
    const startDate = out.startDate ?? at;
    return {
      userName,
      ...(userName !== request.userName && { requestedUserName: request.userName }),
      executionArn: out.executionArn ?? '',
      name,
      startDate: startDate.toISOString(),
      dryRun,
      requestedBy,
      ...(emergency && { emergency }),
    };
  } catch (error) {
    if (awsErrorCode(error) === 'ExecutionAlreadyExists') {
      throw new CliError(
        `an execution named ${name} already exists: run the command again`,
        EXIT.failed,
        'ExecutionAlreadyExists',
      );
    }
    throw error;
  }
}

function alreadyRotating(userName: string, name: string, startDate: Date): CliError {
  return new CliError(
    `${userName} is already being rotated by ${name} (started ${startDate.toISOString()}): ` +
      `follow it with \`rekey status ${userName}\``,
    EXIT.failed,
    'RotationInProgress',
  );
}
