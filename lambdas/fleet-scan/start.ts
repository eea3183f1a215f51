import {
  DescribeExecutionCommand,
  ListExecutionsCommand,
  StartExecutionCommand,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import { createHash } from 'node:crypto';
import { awsErrorCode } from '../shared/errors';
import { rotationExecutionName, type UserVerdict } from '../shared/fleet';
import { SCHEDULED_REQUESTER } from '../inspect/plan';

export type StartOutcome =
  | { readonly status: 'started'; readonly executionArn: string }
  | { readonly status: 'in-progress'; readonly executionArn: string }
  | { readonly status: 'failed'; readonly executionArn: string; readonly error: string }
  | { readonly status: 'rotated'; readonly executionArn: string }
  | { readonly status: 'deferred' };

const sha = (s: string): string => createHash('sha256').update(s).digest('hex');

/**
 * The names of the running rotations, on-demand ones included: their number is what the cap
 * bounds, and the names tell the scan which due users its own rotations are already rotating.
 * Pages are 1,000 long, and the cap keeps the running rotations to a few pages.
 */
export async function runningRotations(
  sfn: SFNClient,
  stateMachineArn: string,
): Promise<Set<string>> {
  const running = new Set<string>();
  let nextToken: string | undefined;
  do {
    const out = await sfn.send(
      new ListExecutionsCommand({
        stateMachineArn,
        statusFilter: 'RUNNING',
        maxResults: 1000,
        nextToken,
      }),
    );
    for (const e of out.executions ?? []) running.add(e.name ?? e.executionArn ?? '');
    nextToken = out.nextToken;
  } while (nextToken);
  return running;
}

/** The deterministic name of the scheduled rotation of this user's oldest active key. */
export const scheduledName = (verdict: UserVerdict): string =>
  rotationExecutionName(verdict.userName, verdict.oldKeyCreatedAt ?? '', sha);

export const executionArnOf = (stateMachineArn: string, name: string): string =>
  `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;

/**
 * Starts the rotation of one due user under its deterministic name. Step Functions answers a
 * repeated start of a running execution (same name, same input) with the original, and refuses
 * a name already used by a closed one: so a repeated scan never starts a duplicate, and a failed
 * rotation is reported for an operator instead of being retried every day.
 */
export async function startRotation(
  sfn: SFNClient,
  stateMachineArn: string,
  verdict: UserVerdict,
  scanStart: Date,
): Promise<StartOutcome> {
  const name = scheduledName(verdict);
  const input = JSON.stringify({ userName: verdict.userName, requestedBy: SCHEDULED_REQUESTER });
  try {
    const out = await sfn.send(new StartExecutionCommand({ stateMachineArn, name, input }));
    const executionArn = out.executionArn ?? executionArnOf(stateMachineArn, name);
    const isNew = (out.startDate?.getTime() ?? scanStart.getTime()) >= scanStart.getTime() - 1000;
    return { status: isNew ? 'started' : 'in-progress', executionArn };
  } catch (error) {
    if (awsErrorCode(error) !== 'ExecutionAlreadyExists') throw error;
    return describeEarlier(sfn, executionArnOf(stateMachineArn, name));
  }
}

async function describeEarlier(sfn: SFNClient, executionArn: string): Promise<StartOutcome> {
  // The rotation state machine's data is encrypted with the customer managed key: without
  // METADATA_ONLY, DescribeExecution needs kms:Decrypt, which this role does not have.
  const previous = await sfn.send(
    new DescribeExecutionCommand({ executionArn, includedData: 'METADATA_ONLY' }),
  );
  if (previous.status === 'RUNNING') return { status: 'in-progress', executionArn };
  if (previous.status === 'SUCCEEDED') return { status: 'rotated', executionArn };
  return { status: 'failed', executionArn, error: previous.error ?? previous.status ?? 'FAILED' };
}

/**
 * A due user the cap leaves no room for: deferred, unless a scheduled rotation of this key
 * already ended. A failed one is reported as failed, so it still reaches operators while the
 * cap stays full.
 */
export async function deferRotation(
  sfn: SFNClient,
  stateMachineArn: string,
  verdict: UserVerdict,
): Promise<StartOutcome> {
  try {
    return await describeEarlier(sfn, executionArnOf(stateMachineArn, scheduledName(verdict)));
  } catch (error) {
    if (awsErrorCode(error) === 'ExecutionDoesNotExist') return { status: 'deferred' };
    throw error;
  }
}
