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

/** Counts running rotations, stopping once the cap is reached (pages are 1,000 long). */
export async function countRunning(
  sfn: SFNClient,
  stateMachineArn: string,
  cap: number,
): Promise<number> {
  let running = 0;
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
    running += out.executions?.length ?? 0;
    nextToken = out.nextToken;
  } while (nextToken && running < cap);
  return running;
}

const executionArnOf = (stateMachineArn: string, name: string): string =>
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
  const name = rotationExecutionName(verdict.userName, verdict.oldKeyCreatedAt ?? '', sha);
  const input = JSON.stringify({ userName: verdict.userName, requestedBy: SCHEDULED_REQUESTER });
  try {
    const out = await sfn.send(new StartExecutionCommand({ stateMachineArn, name, input }));
    const executionArn = out.executionArn ?? executionArnOf(stateMachineArn, name);
    const isNew = (out.startDate?.getTime() ?? scanStart.getTime()) >= scanStart.getTime() - 1000;
    return { status: isNew ? 'started' : 'in-progress', executionArn };
  } catch (error) {
    if (awsErrorCode(error) !== 'ExecutionAlreadyExists') throw error;
    const executionArn = executionArnOf(stateMachineArn, name);
    // The rotation state machine's data is encrypted with the customer managed key: without
    // METADATA_ONLY, DescribeExecution needs kms:Decrypt, which this role does not have.
    const previous = await sfn.send(
      new DescribeExecutionCommand({ executionArn, includedData: 'METADATA_ONLY' }),
    );
    if (previous.status === 'RUNNING') return { status: 'in-progress', executionArn };
    if (previous.status === 'SUCCEEDED') return { status: 'rotated', executionArn };
    return { status: 'failed', executionArn, error: previous.error ?? previous.status ?? 'FAILED' };
  }
}
