import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  StartExecutionCommand,
  type DescribeExecutionCommandOutput,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import { createHash } from 'node:crypto';
import pLimit from 'p-limit';
import { awsErrorCode } from '../shared/errors';
import { FAILED_AS_IT_WAS } from '../shared/failed-states';
import { rotationExecutionName, userPart, userPartOfName, type UserVerdict } from '../shared/fleet';
import { logger } from '../shared/logger';

export type StartOutcome =
  | { readonly status: 'started'; readonly executionArn: string }
  | { readonly status: 'in-progress'; readonly executionArn: string }
  | { readonly status: 'failed'; readonly executionArn: string; readonly error: string }
  | { readonly status: 'rotated'; readonly executionArn: string }
  | { readonly status: 'deferred' };

const sha = (s: string): string => createHash('sha256').update(s).digest('hex');
const lower = (s: string): string => s.toLowerCase();

/** The running rotations: how many (the cap bounds them), and whose, of whatever origin. */
export interface RunningRotations {
  readonly count: number;
  /** By the user part of names rekey chose (`rekey-…` from the CLI, `scan-…`), lower case. */
  readonly byUserPart: ReadonlyMap<string, string>;
  /** By the input's user name (lower case) for other names, such as the console's UUIDs. */
  readonly byUserName: ReadonlyMap<string, string>;
}

async function inputUserName(sfn: SFNClient, executionArn: string): Promise<string | undefined> {
  try {
    // With data: the input is encrypted with the stack's key (kms:Decrypt, bounded to this machine).
    const { input } = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    const parsed: unknown = JSON.parse(input ?? 'null');
    const userName = (parsed as { userName?: unknown } | null)?.userName;
    return typeof userName === 'string' ? userName : undefined;
  } catch (error) {
    // Inspect refuses a second rotation anyway; the scan only loses the early answer.
    logger.warn('could not read a running rotation', { executionArn, error: awsErrorCode(error) });
    return undefined;
  }
}

/**
 * Every running rotation, on-demand ones included: their number is what the cap bounds, and a
 * due user with any running rotation is in progress. rekey's own names carry the user; other
 * names (the console's) are described for their input. Pages are 1,000 long; the cap keeps the
 * running rotations to a few pages.
 */
export async function runningRotations(
  sfn: SFNClient,
  stateMachineArn: string,
): Promise<RunningRotations> {
  const byUserPart = new Map<string, string>();
  const unnamed: string[] = [];
  let count = 0;
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
    for (const e of out.executions ?? []) {
      count += 1;
      const part = userPartOfName(e.name ?? '');
      if (part !== undefined) byUserPart.set(lower(part), e.executionArn ?? '');
      else if (e.executionArn) unnamed.push(e.executionArn);
    }
    nextToken = out.nextToken;
  } while (nextToken);
  const byUserName = new Map<string, string>();
  const limit = pLimit(8);
  await Promise.all(
    unnamed.map((arn) =>
      limit(async () => {
        const userName = await inputUserName(sfn, arn);
        if (userName !== undefined) byUserName.set(lower(userName), arn);
      }),
    ),
  );
  return { count, byUserPart, byUserName };
}

/** The running rotation of this user, if the scan can tell. */
export function runningOf(running: RunningRotations, verdict: UserVerdict): string | undefined {
  return (
    running.byUserPart.get(lower(userPart(verdict.userName, sha))) ??
    running.byUserName.get(lower(verdict.userName))
  );
}

/** The deterministic name of attempt `n` at the scheduled rotation of this user's oldest key. */
export const scheduledName = (verdict: UserVerdict, attempt = 1): string =>
  rotationExecutionName(verdict.userName, verdict.oldKeyCreatedAt ?? '', sha, attempt);

export const executionArnOf = (stateMachineArn: string, name: string): string =>
  `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;

/** Attempts at one key are probed no further than this (three years of daily refusals). */
export const MAX_ATTEMPTS = 1024;

/**
 * States an execution can end in having changed nothing: Inspect's refusals and skips, and the
 * Fail state after compensation read that the user is as it was (lambdas/shared/failed-states.ts).
 */
const NO_CHANGE = new RegExp(
  `^(Inspect|Decide|Skipped|DryRunComplete|Refused\\w*|InspectFailed\\w*|${FAILED_AS_IT_WAS})$`,
);

/** The last state the execution entered (metadata only: no execution data is read). */
async function finalState(sfn: SFNClient, executionArn: string): Promise<string | undefined> {
  const out = await sfn.send(
    new GetExecutionHistoryCommand({
      executionArn,
      reverseOrder: true,
      maxResults: 20,
      includeExecutionData: false,
    }),
  );
  return out.events?.find((e) => e.type?.endsWith('StateEntered'))?.stateEnteredEventDetails?.name;
}

type Judged = StartOutcome | { readonly status: 'no-change' };

/** What a closed or running attempt means for this key. */
async function judge(
  sfn: SFNClient,
  executionArn: string,
  described: DescribeExecutionCommandOutput,
): Promise<Judged> {
  if (described.status === 'RUNNING') return { status: 'in-progress', executionArn };
  const state = await finalState(sfn, executionArn);
  if (state !== undefined && NO_CHANGE.test(state)) return { status: 'no-change' };
  if (described.status === 'SUCCEEDED') return { status: 'rotated', executionArn };
  return {
    status: 'failed',
    executionArn,
    error: described.error ?? (state ? `ended in ${state}` : (described.status ?? 'FAILED')),
  };
}

async function describe(
  sfn: SFNClient,
  executionArn: string,
): Promise<DescribeExecutionCommandOutput | undefined> {
  try {
    // The rotation state machine's data is encrypted with the customer managed key: without
    // METADATA_ONLY, DescribeExecution needs kms:Decrypt.
    return await sfn.send(
      new DescribeExecutionCommand({ executionArn, includedData: 'METADATA_ONLY' }),
    );
  } catch (error) {
    if (awsErrorCode(error) === 'ExecutionDoesNotExist') return undefined;
    throw error;
  }
}

/**
 * The latest attempt at this key, given that attempt 1 exists. Attempts are contiguous (n + 1
 * starts only after n ended having changed nothing), so doubling then halving finds the last
 * one in O(log n) DescribeExecution calls.
 */
async function latestAttempt(
  sfn: SFNClient,
  stateMachineArn: string,
  verdict: UserVerdict,
): Promise<{ attempt: number; executionArn: string; described: DescribeExecutionCommandOutput }> {
  const arnOf = (n: number): string => executionArnOf(stateMachineArn, scheduledName(verdict, n));
  const known = new Map<number, DescribeExecutionCommandOutput>();
  const exists = async (n: number): Promise<boolean> => {
    const found = await describe(sfn, arnOf(n));
    if (found) known.set(n, found);
    return found !== undefined;
  };
  let lo = 1;
  let hi = 2;
  while (hi <= MAX_ATTEMPTS && (await exists(hi))) {
    lo = hi;
    hi *= 2;
  }
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (await exists(mid)) lo = mid;
    else hi = mid;
  }
  const described = known.get(lo) ?? (await describe(sfn, arnOf(lo)));
  if (!described) throw new Error(`attempt ${lo} at ${verdict.userName}'s rotation vanished`);
  return { attempt: lo, executionArn: arnOf(lo), described };
}

async function tryStart(
  sfn: SFNClient,
  stateMachineArn: string,
  verdict: UserVerdict,
  attempt: number,
  scanStart: Date,
): Promise<StartOutcome | undefined> {
  const name = scheduledName(verdict, attempt);
  const input = JSON.stringify({
    userName: verdict.userName,
    mode: 'scheduled',
    requestedBy: 'rekey fleet scan',
  });
  try {
    const out = await sfn.send(new StartExecutionCommand({ stateMachineArn, name, input }));
    const executionArn = out.executionArn ?? executionArnOf(stateMachineArn, name);
    const isNew = (out.startDate?.getTime() ?? scanStart.getTime()) >= scanStart.getTime() - 1000;
    return { status: isNew ? 'started' : 'in-progress', executionArn };
  } catch (error) {
    if (awsErrorCode(error) !== 'ExecutionAlreadyExists') throw error;
    return undefined;
  }
}

/**
 * Starts the scheduled rotation of one due user under a deterministic name. Step Functions
 * answers a repeated start of a running execution (same name, same input) with the original and
 * refuses a name already used, so a repeated scan never starts a duplicate. An attempt that
 * ended having changed nothing (a refusal, a skip, a transient failure in Inspect, or a failure
 * after which compensation read the user as it was) does not use the key up: the next attempt
 * gets the next name. A rotation that failed leaving something changed is reported for an
 * operator instead of being retried every day.
 */
export async function startRotation(
  sfn: SFNClient,
  stateMachineArn: string,
  verdict: UserVerdict,
  scanStart: Date,
): Promise<StartOutcome> {
  const first = await tryStart(sfn, stateMachineArn, verdict, 1, scanStart);
  if (first) return first;
  const latest = await latestAttempt(sfn, stateMachineArn, verdict);
  const judged = await judge(sfn, latest.executionArn, latest.described);
  if (judged.status !== 'no-change') return judged;
  const next = latest.attempt + 1;
  if (next > MAX_ATTEMPTS) {
    return {
      status: 'failed',
      executionArn: latest.executionArn,
      error: `${MAX_ATTEMPTS} scheduled attempts at this key changed nothing; rotate it with rekey rotate`,
    };
  }
  return (
    (await tryStart(sfn, stateMachineArn, verdict, next, scanStart)) ?? {
      status: 'in-progress',
      executionArn: executionArnOf(stateMachineArn, scheduledName(verdict, next)),
    }
  );
}

/**
 * A due user the cap leaves no room for: deferred, unless a scheduled rotation of this key
 * already ended having changed something (reported, so a failure still reaches operators while
 * the cap stays full) or still runs.
 */
export async function deferRotation(
  sfn: SFNClient,
  stateMachineArn: string,
  verdict: UserVerdict,
): Promise<StartOutcome> {
  if (!(await describe(sfn, executionArnOf(stateMachineArn, scheduledName(verdict))))) {
    return { status: 'deferred' };
  }
  const latest = await latestAttempt(sfn, stateMachineArn, verdict);
  const judged = await judge(sfn, latest.executionArn, latest.described);
  return judged.status === 'no-change' ? { status: 'deferred' } : judged;
}
