import { GetExecutionHistoryCommand, type SFNClient } from '@aws-sdk/client-sfn';
import pLimit from 'p-limit';
import { attributionOf } from '../lambdas/shared/attribution';
import { forensicsOf } from '../lambdas/shared/forensics';
import { awsErrorCode } from '../lambdas/shared/errors';
import type { Attribution, Forensics } from '../lambdas/shared/types';
import { lastUsed, listKeys, type AccessKey } from '../lambdas/shared/keys';
import type { Clients } from './context';

/** What status reads: Step Functions and IAM (a member's reader role holds no more). */
type StatusClients = Pick<Clients, 'iam' | 'sfn'>;
import { listRotations, sameUser, type Rotation } from './find-rotation';
import {
  causeMessage,
  field,
  isJson,
  latestState,
  outputOf,
  readHistory,
  RECOVERY_WINDOW_STATES,
  recoveryWindowEnd,
  stepsOf,
  text,
} from './history';
import type { StackInfo } from './stack';
import { STATES } from '../lambdas/shared/states';

export interface KeyState {
  readonly accessKeyId: string;
  readonly status: 'Active' | 'Inactive' | 'Deleted';
  readonly lastUsed?: string;
  readonly lastUsedService?: string;
  readonly lastUsedRegion?: string;
}

export interface RotationStatus {
  readonly userName?: string;
  readonly executionArn: string;
  readonly name: string;
  readonly status: string;
  readonly startDate: string;
  readonly stopDate?: string;
  readonly requestedBy?: string;
  readonly dryRun?: boolean;
  /** The state the execution is in (running) or ended in. */
  readonly phase?: string;
  /** When it entered that state. */
  readonly phaseSince?: string;
  /**
   * A Wait state's end: the next cutover check, or the next check of the secret in the recovery
   * window (at most three days away; for an execution started before those checks, the window's end).
   */
  readonly waitingUntil?: string;
  /** In the recovery window: when it ends and the old key is deleted. */
  readonly recoveryWindowEndsAt?: string;
  /** In the recovery window: the wait runs to its end, and DeleteOldKey follows (no check). */
  readonly lastWait?: boolean;
  readonly deadlineAt?: string;
  readonly cutover?: {
    readonly verdict?: string;
    readonly reason?: string;
    readonly polls?: number;
    /** Who used the old key at the last check that found it in use (CloudTrail). */
    readonly attribution?: Attribution;
  };
  readonly oldKey?: KeyState;
  readonly newKey?: KeyState;
  readonly error?: string;
  readonly cause?: string;
  /**
   * An emergency rotation: the exposed key (absent until Inspect read AWS Health's event), what
   * it took over or kept, when the key was cut off, and the forensics once they ran.
   */
  readonly emergency?: EmergencyStatus;
}

export interface EmergencyStatus {
  readonly accessKeyId?: string;
  readonly reason?: string;
  readonly exposedAt?: string;
  readonly tookOver?: string;
  readonly keptKey?: string;
  readonly graceSeconds?: number;
  readonly deactivatedAt?: string;
  readonly forensics?: Forensics;
  /** The Forensics step failed (caught: the key stays cut off); its error name. */
  readonly forensicsError?: string;
}

export interface StatusReport {
  readonly running: readonly RotationStatus[];
  readonly recent: readonly RotationStatus[];
}

async function keyState(clients: StatusClients, keys: AccessKey[], id: string): Promise<KeyState> {
  const key = keys.find((k) => k.accessKeyId === id);
  if (!key) return { accessKeyId: id, status: 'Deleted' };
  try {
    const used = await lastUsed(clients.iam, id);
    return {
      accessKeyId: id,
      status: key.status,
      lastUsed: used.date,
      ...(used.date && { lastUsedService: used.serviceName, lastUsedRegion: used.region }),
    };
  } catch (error) {
    if (awsErrorCode(error) === 'NoSuchEntity') return { accessKeyId: id, status: 'Deleted' };
    throw error;
  }
}

const base = (r: Rotation): RotationStatus => ({
  userName: r.userName,
  executionArn: r.executionArn,
  name: r.name,
  status: r.status,
  startDate: r.startDate.toISOString(),
  stopDate: r.stopDate?.toISOString(),
  requestedBy: r.requestedBy,
  dryRun: r.dryRun,
  ...(r.emergency && { emergency: r.emergency }),
  error: r.error,
  cause: causeMessage(r.cause),
});

/** A running rotation: its phase from the history, its deadline, and both keys' last use. */
async function runningStatus(clients: StatusClients, r: Rotation): Promise<RotationStatus> {
  const events = await readHistory(clients.sfn, r.executionArn);
  const steps = stepsOf(events);
  const current = steps.at(-1);
  const state = latestState(events);
  const oldId = text(field(state, 'oldKey', 'accessKeyId'));
  const newId = text(field(state, 'newKey', 'accessKeyId'));
  const userName = text(field(state, 'userName')) ?? r.userName;
  const keys = userName && (oldId || newId) ? await listKeys(clients.iam, userName) : [];
  const polls = field(state, 'cutover', 'polls');
  return {
    ...base(r),
    phase: current?.name,
    phaseSince: current?.enteredAt.toISOString(),
    waitingUntil: current?.status === 'running' ? current.waitUntil?.toISOString() : undefined,
    recoveryWindowEndsAt:
      current && RECOVERY_WINDOW_STATES.has(current.name)
        ? recoveryWindowEnd(state, steps)?.toISOString()
        : undefined,
    lastWait:
      current && RECOVERY_WINDOW_STATES.has(current.name)
        ? field(state, 'recovery', 'lastWait') === true
        : undefined,
    deadlineAt: text(field(state, 'cutover', 'deadlineAt')),
    cutover: field(state, 'cutover')
      ? {
          verdict: text(field(state, 'cutover', 'verdict')),
          reason: text(field(state, 'cutover', 'reason')),
          polls: typeof polls === 'number' ? polls : undefined,
          attribution: attributionOf(field(state, 'cutover', 'attribution')),
        }
      : undefined,
    oldKey: oldId ? await keyState(clients, keys, oldId) : undefined,
    newKey: newId ? await keyState(clients, keys, newId) : undefined,
    emergency: emergencyOf(state, events, r),
  };
}

/**
 * An emergency as the workflow sees it: the rotation state's `emergency` (Inspect's
 * EmergencyState), the forensics from it or from the Forensics step's output, and before
 * Inspect ran, what the execution input says. Read field by field: a state written by another
 * version shows what it can.
 */
export function emergencyOf(
  state: unknown,
  events: Parameters<typeof outputOf>[0],
  r: Pick<Rotation, 'emergency'>,
): EmergencyStatus | undefined {
  const inState = isJson(field(state, 'emergency'));
  if (!inState && !r.emergency && field(state, 'mode') !== 'emergency') return undefined;
  const optional = (name: string): string | undefined => text(field(state, 'emergency', name));
  const forensics =
    forensicsOf(field(state, 'emergency', 'forensics')) ??
    forensicsOf(field(outputOf(events, STATES.forensics), 'emergency', 'forensics'));
  const grace = field(state, 'emergency', 'graceSeconds');
  return {
    accessKeyId: optional('accessKeyId') ?? r.emergency?.accessKeyId,
    reason: optional('reason') ?? r.emergency?.reason,
    exposedAt: optional('exposedAt'),
    tookOver: optional('tookOver'),
    keptKey: optional('keptKey'),
    graceSeconds: typeof grace === 'number' ? grace : undefined,
    deactivatedAt: optional('deactivatedAt') ?? text(field(state, 'deactivatedAt')),
    forensics,
    forensicsError: text(field(state, 'forensicsError', 'Error')),
  };
}

/** The state a finished execution ended in: the newest StateEntered event. */
async function finalPhase(sfn: SFNClient, executionArn: string): Promise<string | undefined> {
  const out = await sfn.send(
    new GetExecutionHistoryCommand({
      executionArn,
      reverseOrder: true,
      maxResults: 10,
      includeExecutionData: false,
    }),
  );
  return out.events?.find((e) => e.type?.endsWith('StateEntered'))?.stateEnteredEventDetails?.name;
}

/** Running rotations (all of them) and the `limit` most recent finished ones, of one user or all. */
export async function rotationStatus(
  clients: StatusClients,
  stack: StackInfo,
  options: { userName?: string; limit: number },
): Promise<StatusReport> {
  const mine = (r: Rotation): boolean =>
    options.userName === undefined || sameUser(r.userName, options.userName);
  const limit = pLimit(4);
  const running = await listRotations(clients.sfn, stack.rotationStateMachineArn, {
    statusFilter: 'RUNNING',
    userName: options.userName,
    keep: mine,
  });
  const finished = (
    await listRotations(clients.sfn, stack.rotationStateMachineArn, {
      userName: options.userName,
      keep: (r) => mine(r) && r.status !== 'RUNNING',
      enough: (kept) => kept.length >= options.limit,
      pages: 5,
    })
  ).slice(0, options.limit);
  // For one user, the newest finished emergency in full (its forensics): after its recovery
  // window it is no longer running, and this is where it can still be read.
  const lastEmergency =
    options.userName === undefined ? undefined : finished.find((r) => r.emergency);
  return {
    running: await Promise.all(running.map((r) => limit(() => runningStatus(clients, r)))),
    recent: await Promise.all(
      finished.map((r) =>
        limit(async (): Promise<RotationStatus> => {
          if (r !== lastEmergency) {
            return { ...base(r), phase: await finalPhase(clients.sfn, r.executionArn) };
          }
          const events = await readHistory(clients.sfn, r.executionArn);
          return {
            ...base(r),
            phase: stepsOf(events).at(-1)?.name,
            emergency: emergencyOf(latestState(events), events, r),
          };
        }),
      ),
    ),
  };
}
