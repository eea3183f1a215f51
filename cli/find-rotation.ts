import {
  DescribeExecutionCommand,
  ListExecutionsCommand,
  type DescribeExecutionCommandOutput,
  type ExecutionStatus,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import pLimit from 'p-limit';
import { awsErrorCode } from '../lambdas/shared/errors';
import { describeStages, SECRET_TAGS, secretName } from '../lambdas/shared/secret';
import type { Clients } from './context';
import { field, parseJson, text } from './history';
import type { StackInfo } from './stack';

/** One execution of the rotation state machine, with the input it was started with. */
export interface Rotation {
  readonly executionArn: string;
  readonly name: string;
  readonly status: ExecutionStatus;
  readonly startDate: Date;
  readonly stopDate?: Date;
  /** Undefined when the input was not a valid rotation input. */
  readonly userName?: string;
  readonly requestedBy?: string;
  readonly dryRun?: boolean;
  readonly error?: string;
  readonly cause?: string;
}

function rotationOf(out: DescribeExecutionCommandOutput): Rotation {
  const input = parseJson(out.input);
  const dryRun = field(input, 'dryRun');
  return {
    executionArn: out.executionArn ?? '',
    name: out.name ?? '',
    status: out.status ?? 'RUNNING',
    startDate: out.startDate ?? new Date(0),
    stopDate: out.stopDate,
    userName: text(field(input, 'userName')),
    requestedBy: text(field(input, 'requestedBy')),
    dryRun: typeof dryRun === 'boolean' ? dryRun : undefined,
    error: out.error,
    cause: out.cause,
  };
}

export async function describeRotation(sfn: SFNClient, executionArn: string): Promise<Rotation> {
  return rotationOf(await sfn.send(new DescribeExecutionCommand({ executionArn })));
}

/**
 * Executions of the rotation state machine, newest first, described (for their input) with
 * bounded concurrency. Stops after `pages` pages of ListExecutions or once `enough` says so.
 */
export async function listRotations(
  sfn: SFNClient,
  stateMachineArn: string,
  options: {
    statusFilter?: ExecutionStatus;
    keep?: (r: Rotation) => boolean;
    enough?: (kept: readonly Rotation[]) => boolean;
    pages?: number;
  } = {},
): Promise<Rotation[]> {
  const kept: Rotation[] = [];
  const limit = pLimit(8);
  let nextToken: string | undefined;
  let pages = 0;
  do {
    const out = await sfn.send(
      new ListExecutionsCommand({
        stateMachineArn,
        statusFilter: options.statusFilter,
        maxResults: 100,
        nextToken,
      }),
    );
    const described = await Promise.all(
      (out.executions ?? []).map((e) => limit(() => describeRotation(sfn, e.executionArn ?? ''))),
    );
    kept.push(...described.filter((r) => options.keep?.(r) ?? true));
    nextToken = out.nextToken;
    pages += 1;
  } while (nextToken && pages < (options.pages ?? 10) && !options.enough?.(kept));
  return kept;
}

/**
 * The user's running rotation: the execution named by the secret's `rekey:execution` tag (set
 * once a rotation has staged its key), else a running execution whose input names the user.
 */
export async function findRunningRotation(
  clients: Clients,
  stack: StackInfo,
  userName: string,
): Promise<Rotation | undefined> {
  const stages = await describeStages(clients.secrets, secretName(stack.secretPrefix, userName));
  const owner = stages?.tags[SECRET_TAGS.execution];
  if (owner) {
    try {
      const rotation = await describeRotation(clients.sfn, owner);
      if (rotation.status === 'RUNNING' && rotation.userName === userName) return rotation;
    } catch (error) {
      if (awsErrorCode(error) !== 'ExecutionDoesNotExist') throw error;
    }
  }
  const running = await listRotations(clients.sfn, stack.rotationStateMachineArn, {
    statusFilter: 'RUNNING',
    keep: (r) => r.userName === userName,
  });
  return running[0];
}

/** The user's most recent finished rotation, if any is among the latest executions. */
export async function latestFinishedRotation(
  clients: Clients,
  stack: StackInfo,
  userName: string,
): Promise<Rotation | undefined> {
  const found = await listRotations(clients.sfn, stack.rotationStateMachineArn, {
    keep: (r) => r.userName === userName && r.status !== 'RUNNING',
    enough: (kept) => kept.length > 0,
    pages: 3,
  });
  return found[0];
}
