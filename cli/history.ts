import { GetExecutionHistoryCommand, type HistoryEvent, type SFNClient } from '@aws-sdk/client-sfn';
import { attributionOf, attributionSentence } from '../lambdas/shared/attribution';
import { forensicsOf, forensicsSentence } from '../lambdas/shared/forensics';
import { shortKey } from '../lambdas/shared/keys';
import { when } from './format';
import { STATES } from '../lambdas/shared/states';

export type StepStatus = 'running' | 'succeeded' | 'failed' | 'aborted';

/** One visit of a state, as the execution history tells it. */
export interface Step {
  readonly name: string;
  /** Task, Wait, Choice, Pass, Succeed or Fail. */
  readonly type: string;
  status: StepStatus;
  readonly enteredAt: Date;
  exitedAt?: Date;
  /** Failed attempts (the state machine's Retry, or a failure its Catch handled). */
  attemptsFailed: number;
  lastError?: string;
  /** A Wait state's end, from the seconds in its input. */
  readonly waitUntil?: Date;
  detail?: string;
}

export interface ExecutionEnd {
  readonly status: 'SUCCEEDED' | 'FAILED' | 'ABORTED' | 'TIMED_OUT';
  readonly at: Date;
  readonly error?: string;
  readonly cause?: string;
}

type Json = Record<string, unknown>;

const isJson = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const field = (value: unknown, ...path: string[]): unknown =>
  path.reduce<unknown>((at, key) => (isJson(at) ? at[key] : undefined), value);
const text = (value: unknown): string | undefined =>
  typeof value === 'string' ? value : undefined;
const keyOf = (state: unknown, which: 'oldKey' | 'newKey'): string =>
  shortKey(text(field(state, which, 'accessKeyId')) ?? '?');

export function parseJson(raw: string | undefined): unknown {
  if (raw === undefined) return undefined;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return undefined;
  }
}

/** The message inside a Lambda error's Cause (`{"errorMessage": ...}`), or the Cause itself. */
export function causeMessage(cause: string | undefined): string | undefined {
  const message = text(field(parseJson(cause), 'errorMessage'));
  return message ?? cause;
}

/**
 * Seconds a Wait state of the rotation workflow waits, read from its input. RecoveryWindow waits
 * at most three days before the next check of the secret (`recovery.waitSeconds`); executions
 * started before that loop waited the whole window at once (`policy.recoveryWindowSeconds`).
 */
function waitSeconds(name: string, input: unknown): number | undefined {
  const seconds =
    name === STATES.waitForCutover
      ? field(input, 'cutover', 'waitSeconds')
      : name === STATES.recoveryWindow
        ? (field(input, 'recovery', 'waitSeconds') ??
          field(input, 'policy', 'recoveryWindowSeconds'))
        : undefined;
  return typeof seconds === 'number' ? seconds : undefined;
}

/**
 * The states of the recovery window loop: the Wait, the check of the secret and the
 * Choice that ends the loop. A rotation in any of them has deactivated its old key and not yet
 * deleted it, so `rekey rollback` may restore it.
 */
export const RECOVERY_WINDOW_STATES: ReadonlySet<string> = new Set([
  STATES.recoveryWindow,
  STATES.checkRecoveryWindow,
  STATES.recoveryWindowEnded,
]);

/**
 * When the recovery window ends, from the rotation state (`recovery.endsAt`), or for an
 * execution started before those checks, the end of its one RecoveryWindow wait.
 */
export function recoveryWindowEnd(state: unknown, steps: readonly Step[]): Date | undefined {
  const endsAt = text(field(state, 'recovery', 'endsAt'));
  if (endsAt !== undefined && !Number.isNaN(Date.parse(endsAt))) return new Date(endsAt);
  return steps.findLast((s) => s.name === STATES.recoveryWindow)?.waitUntil;
}

/** What a step did, from named fields of the rotation state only (it never holds a secret). */
function describeExit(name: string, output: unknown): string | undefined {
  switch (name) {
    case STATES.inspect:
      return `${text(field(output, 'decision')) ?? '?'}: ${text(field(output, 'reason')) ?? ''}`;
    case STATES.stageKey:
      return `new key ${keyOf(output, 'newKey')} created and staged as AWSPENDING`;
    case STATES.verifyKey:
      return `new key ${keyOf(output, 'newKey')} answers as the user`;
    case STATES.promoteKey:
      return `AWSCURRENT -> ${keyOf(output, 'newKey')}`;
    case STATES.checkCutover: {
      const found = attributionOf(field(output, 'cutover', 'attribution'));
      const verdict = `${text(field(output, 'cutover', 'verdict')) ?? '?'}: ${text(field(output, 'cutover', 'reason')) ?? ''}`;
      return found ? `${verdict}. ${attributionSentence(found)}` : verdict;
    }
    case STATES.deactivateOldKey:
      return `old key ${keyOf(output, 'oldKey')} deactivated`;
    case STATES.deactivateExposedKey:
      return `exposed key ${keyOf(output, 'oldKey')} deactivated (cut off)`;
    case STATES.forensics: {
      const found = forensicsOf(field(output, 'emergency', 'forensics'));
      return found ? forensicsSentence(found) : undefined;
    }
    case STATES.checkRecoveryWindow: {
      const endsAt = when(text(field(output, 'recovery', 'endsAt')));
      // `ended`: executions started before DeleteOldKey took over the window's last check.
      return field(output, 'recovery', 'ended') === true
        ? `secret still there; the recovery window ended ${endsAt}`
        : `secret still there; the recovery window ends ${endsAt}`;
    }
    case STATES.deleteOldKey:
      return `old key ${keyOf(output, 'oldKey')} deleted`;
    case STATES.compensate:
      return text(field(output, 'compensation', 'outcome'));
    default:
      return undefined;
  }
}

/** The steps of an execution, in order, from its history events (ascending). */
export function stepsOf(events: readonly HistoryEvent[]): Step[] {
  const steps: Step[] = [];
  /** Steps whose latest attempt failed: if they exit now, a Catch handled the failure. */
  const failing = new Set<Step>();
  const open = (): Step | undefined => steps.findLast((s) => s.status === 'running');
  for (const e of events) {
    const type = e.type ?? '';
    const at = e.timestamp ?? new Date(0);
    if (type.endsWith('StateEntered')) {
      const name = e.stateEnteredEventDetails?.name ?? '?';
      const kind = type.slice(0, -'StateEntered'.length);
      const seconds = waitSeconds(name, parseJson(e.stateEnteredEventDetails?.input));
      steps.push({
        name,
        type: kind,
        status: kind === 'Fail' ? 'failed' : 'running',
        enteredAt: at,
        ...(kind === 'Fail' && { exitedAt: at }),
        attemptsFailed: 0,
        ...(seconds !== undefined && { waitUntil: new Date(at.getTime() + seconds * 1000) }),
      });
    } else if (type.endsWith('StateExited')) {
      const step = open();
      if (!step) continue;
      step.exitedAt = at;
      step.status = failing.has(step) ? 'failed' : 'succeeded';
      if (step.status === 'succeeded') {
        step.detail = describeExit(step.name, parseJson(e.stateExitedEventDetails?.output));
      }
    } else if (/^(Lambda|Task)\w*(Failed|TimedOut)$/.test(type)) {
      const step = open();
      const details =
        e.lambdaFunctionFailedEventDetails ??
        e.lambdaFunctionTimedOutEventDetails ??
        e.taskFailedEventDetails ??
        e.taskTimedOutEventDetails;
      if (step) {
        step.attemptsFailed += 1;
        step.lastError = details?.error ?? type;
        failing.add(step);
      }
    } else if (/^(Lambda\w*|Task)Succeeded$/.test(type)) {
      const step = open();
      if (step) failing.delete(step);
    } else if (type === 'ExecutionAborted' || type === 'ExecutionTimedOut') {
      const step = open();
      if (step) {
        step.status = 'aborted';
        step.exitedAt = at;
      }
    }
  }
  return steps;
}

/** How the execution ended, if it has. */
export function endOf(events: readonly HistoryEvent[]): ExecutionEnd | undefined {
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i];
    const at = e?.timestamp ?? new Date(0);
    switch (e?.type) {
      case 'ExecutionSucceeded':
        return { status: 'SUCCEEDED', at };
      case 'ExecutionFailed':
        return { status: 'FAILED', at, ...details(e.executionFailedEventDetails) };
      case 'ExecutionAborted':
        return { status: 'ABORTED', at, ...details(e.executionAbortedEventDetails) };
      case 'ExecutionTimedOut':
        return { status: 'TIMED_OUT', at, ...details(e.executionTimedOutEventDetails) };
    }
  }
  return undefined;
}

const details = (d?: { error?: string; cause?: string }): { error?: string; cause?: string } => ({
  ...(d?.error !== undefined && { error: d.error }),
  ...(d?.cause !== undefined && { cause: causeMessage(d.cause) }),
});

/** The rotation state as the most recent state received it (the workflow's own view). */
export function latestState(events: readonly HistoryEvent[]): unknown {
  for (let i = events.length - 1; i >= 0; i--) {
    const input = events[i]?.stateEnteredEventDetails?.input;
    if (input !== undefined) return parseJson(input);
  }
  return undefined;
}

/** The output of the latest exit from `stateName`, parsed. */
export function outputOf(events: readonly HistoryEvent[], stateName: string): unknown {
  const exit = events.findLast((e) => e.stateExitedEventDetails?.name === stateName);
  return parseJson(exit?.stateExitedEventDetails?.output);
}

/** The whole history, oldest first. */
export async function readHistory(sfn: SFNClient, executionArn: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const out = await sfn.send(
      new GetExecutionHistoryCommand({ executionArn, maxResults: 1000, nextToken }),
    );
    events.push(...(out.events ?? []));
    nextToken = out.nextToken;
  } while (nextToken);
  return events;
}

/**
 * Events newer than `afterId`, oldest first: read newest first in small pages until reaching
 * what was already seen, so following a long rotation does not re-read its whole history.
 */
export async function readNewEvents(
  sfn: SFNClient,
  executionArn: string,
  afterId: number,
): Promise<HistoryEvent[]> {
  // By id: events appended while paging newest-first can shift a page onto one already read.
  const fresh = new Map<number, HistoryEvent>();
  const done = (): HistoryEvent[] => [...fresh.values()].sort((a, b) => (a.id ?? 0) - (b.id ?? 0));
  let nextToken: string | undefined;
  let pageSize = 25;
  do {
    const out = await sfn.send(
      new GetExecutionHistoryCommand({
        executionArn,
        reverseOrder: true,
        maxResults: pageSize,
        nextToken,
      }),
    );
    const page = out.events ?? [];
    for (const e of page) {
      if ((e.id ?? 0) <= afterId) return done();
      fresh.set(e.id ?? 0, e);
    }
    nextToken = out.nextToken;
    pageSize = 200;
  } while (nextToken);
  return done();
}

export { field, text, isJson };
