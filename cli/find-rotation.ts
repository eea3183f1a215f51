import {
  DescribeExecutionCommand,
  ListExecutionsCommand,
  type DescribeExecutionCommandOutput,
  type ExecutionStatus,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import pLimit from 'p-limit';
import { createHash } from 'node:crypto';
import { awsErrorCode } from '../lambdas/shared/errors';
import { userPart, userPartOfName } from '../lambdas/shared/fleet';
import { describeStages, SECRET_TAGS, secretName } from '../lambdas/shared/secret';
import type { Clients } from './context';
import { field, isJson, parseJson, text } from './history';
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
  /**
   * Started as an emergency (the input's `emergency` field): the exposed key, when the input
   * names it (AWS Health's input names it in `emergency.health`, read by Inspect).
   */
  readonly emergency?: { readonly accessKeyId?: string; readonly reason?: string };
  readonly error?: string;
  readonly cause?: string;
}

function rotationOf(out: DescribeExecutionCommandOutput): Rotation {
  const input = parseJson(out.input);
  const dryRun = field(input, 'dryRun');
  const emergency = field(input, 'emergency');
  return {
    executionArn: out.executionArn ?? '',
    name: out.name ?? '',
    status: out.status ?? 'RUNNING',
    startDate: out.startDate ?? new Date(0),
    stopDate: out.stopDate,
    userName: text(field(input, 'userName')),
    requestedBy: text(field(input, 'requestedBy')),
    dryRun: typeof dryRun === 'boolean' ? dryRun : undefined,
    ...(isJson(emergency) && {
      emergency: {
        accessKeyId: text(emergency.accessKeyId),
        reason: text(emergency.reason),
      },
    }),
    error: out.error,
    cause: out.cause,
  };
}

const sha = (s: string): string => createHash('sha256').update(s).digest('hex');

/** IAM user names ignore case: so do rekey's lookups by user. */
export function sameUser(a: string | undefined, b: string): boolean {
  return a !== undefined && a.toLowerCase() === b.toLowerCase();
}

/**
 * Whether an execution's name may belong to the user. Rotations started by the CLI and the
 * fleet scan are named `rekey-<user>-<stamp>` / `scan-<user>-<stamp>[-<attempt>]` (the user
 * name made safe); those of other users need not be described. Any other name (the console's
 * UUIDs) might be anyone's.
 */
export function mightBeFor(executionName: string, userName: string): boolean {
  const part = userPartOfName(executionName);
  return part === undefined || sameUser(part, userPart(userName, sha));
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
    /** Only this user's executions are wanted: others are skipped by name where possible. */
    userName?: string;
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
    const candidates = (out.executions ?? []).filter(
      (e) => options.userName === undefined || mightBeFor(e.name ?? '', options.userName),
    );
    const described = await Promise.all(
      candidates.map((e) => limit(() => describeRotation(sfn, e.executionArn ?? ''))),
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
  const owner = await owningExecution(clients, secretName(stack.secretPrefix, userName));
  if (owner) {
    try {
      const rotation = await describeRotation(clients.sfn, owner);
      if (rotation.status === 'RUNNING' && sameUser(rotation.userName, userName)) return rotation;
    } catch (error) {
      if (awsErrorCode(error) !== 'ExecutionDoesNotExist') throw error;
    }
  }
  const running = await listRotations(clients.sfn, stack.rotationStateMachineArn, {
    statusFilter: 'RUNNING',
    userName,
    keep: (r) => sameUser(r.userName, userName),
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
    userName,
    keep: (r) => sameUser(r.userName, userName) && r.status !== 'RUNNING',
    enough: (kept) => kept.length > 0,
    pages: 3,
  });
  return found[0];
}

/** The secret's `rekey:execution` tag; a caller who may not describe secrets falls back to listing. */
async function owningExecution(clients: Clients, secretId: string): Promise<string | undefined> {
  try {
    return (await describeStages(clients.secrets, secretId))?.tags[SECRET_TAGS.execution];
  } catch (error) {
    if (/AccessDenied/.test(awsErrorCode(error) ?? '')) return undefined;
    throw error;
  }
}
