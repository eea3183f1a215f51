/**
 * The local handlers the runner gives aws-local-stepfunctions, one per Task and rewritten Wait
 * state. A Task handler runs the attempts (retrying as the state's Retry says, sleeping between
 * attempts in sandbox time) and writes each attempt's history events between the state's
 * Entered and Exited events. A Wait handler sleeps on the scheduler for what ASL says.
 */
import type { Clock } from '../../lambdas/shared/clock';
import type { Scheduler } from '../clock';
import { retriersOf, type PreparedDefinition, type StateInfo } from './definition';
import { integrationFor, type HistoryFields, type IntegrationServices } from './integrations';
import { readPath, type JsonValue } from './json-path';
import { RetryPolicy, StatesError, runtimeError } from './retry';

export interface ExecutionScope {
  readonly executionArn: string;
  /** Aborted when the execution stops, times out or the runner is disposed. */
  readonly signal: AbortSignal;
  /** The context object (`$$`) for the paths the runner evaluates. */
  readonly context: Readonly<Record<string, unknown>>;
  /** Appends a history event at the current sandbox time (nothing once the execution closed). */
  emit(event: HistoryFields): void;
  /** Resolves once the history holds the Entered event that precedes this call of the state. */
  entered(stateName: string): Promise<void>;
}

export interface TaskServices extends IntegrationServices {
  readonly scheduler: Scheduler;
  readonly clock: Clock;
}

export type LocalHandler = (input: JsonValue) => Promise<JsonValue>;

export function localHandlers(
  prepared: PreparedDefinition,
  scope: ExecutionScope,
  services: TaskServices,
): Record<string, LocalHandler> {
  const handlers: Record<string, LocalHandler> = {};
  for (const info of prepared.states.values()) {
    if (info.type === 'Task') handlers[info.name] = taskHandler(info, scope, services);
    if (info.type === 'Wait') handlers[info.name] = waitHandler(info, scope, services);
  }
  return handlers;
}

function stopped(scope: ExecutionScope): StatesError {
  // Neither retried nor caught: the library only has to unwind.
  return runtimeError(`Execution ${scope.executionArn} was stopped`);
}

function asStatesError(error: unknown): StatesError {
  if (error instanceof StatesError) return error;
  if (error instanceof Error) return new StatesError(error.name || 'Error', error.message);
  return new StatesError('Error', String(error));
}

function taskHandler(info: StateInfo, scope: ExecutionScope, services: TaskServices): LocalHandler {
  const integration = integrationFor(String(info.raw.Resource), services);
  const attempt = async (input: JsonValue, timeoutSeconds: number | undefined) => {
    // The work holds the clock; the sleep between attempts does not.
    const release = services.scheduler.activity();
    try {
      await integration.prepare(input);
      scope.emit(integration.scheduled(input, timeoutSeconds));
      scope.emit(integration.started());
      try {
        const output = await withTimeout(integration.invoke(input), timeoutSeconds);
        if (scope.signal.aborted) throw stopped(scope);
        scope.emit(integration.succeeded(output));
        return { ok: true as const, output };
      } catch (caught) {
        if (scope.signal.aborted) throw stopped(scope);
        const error = asStatesError(caught);
        const timedOut = error.name === 'States.Timeout';
        scope.emit(timedOut ? integration.timedOut(error) : integration.failed(error));
        return { ok: false as const, error };
      }
    } finally {
      release();
    }
  };
  return async (input) => {
    await scope.entered(info.name);
    const retry = new RetryPolicy(retriersOf(info));
    const timeoutSeconds = taskTimeout(info, input, scope.context);
    for (;;) {
      if (scope.signal.aborted) throw stopped(scope);
      const result = await attempt(input, timeoutSeconds);
      if (result.ok) return result.output;
      const delay = result.error.isRetryable ? retry.next(result.error.name) : undefined;
      if (delay === undefined) throw result.error;
      await services.scheduler.sleep(delay, scope.signal).catch(() => {
        throw stopped(scope);
      });
    }
  };
}

function taskTimeout(info: StateInfo, input: JsonValue, context: unknown): number | undefined {
  const { TimeoutSeconds: seconds, TimeoutSecondsPath: path } = info.raw;
  if (typeof seconds === 'number') return seconds;
  if (typeof path !== 'string') return undefined;
  const value = readPath(path, input, context);
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw runtimeError(
      `TimeoutSecondsPath ${path} of state ${info.name} is not a positive integer`,
    );
  }
  return value;
}

/** Task timeouts run in real time: they bound how long the work itself takes. */
async function withTimeout(
  work: Promise<JsonValue>,
  seconds: number | undefined,
): Promise<JsonValue> {
  if (seconds === undefined) return work;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new StatesError('States.Timeout', 'Task timed out')),
      seconds * 1000,
    );
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function waitHandler(info: StateInfo, scope: ExecutionScope, services: TaskServices): LocalHandler {
  return async (input) => {
    const ms = waitMillis(info, input, scope.context, services.clock.now());
    await services.scheduler.sleep(ms, scope.signal).catch(() => {
      throw stopped(scope);
    });
    return input;
  };
}

/** How long a Wait state waits, from Seconds, SecondsPath, Timestamp or TimestampPath. */
export function waitMillis(info: StateInfo, input: JsonValue, context: unknown, now: Date): number {
  const { Seconds, SecondsPath, Timestamp, TimestampPath } = info.raw;
  if (typeof Seconds === 'number') return Seconds * 1000;
  if (typeof SecondsPath === 'string') {
    const value = readPath(SecondsPath, input, context);
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
      throw runtimeError(
        `The SecondsPath parameter of state ${info.name} does not reference a valid non-negative ` +
          `integer value: ${JSON.stringify(value) ?? 'undefined'}`,
      );
    }
    return value * 1000;
  }
  const stamp = typeof Timestamp === 'string' ? Timestamp : undefined;
  const path = typeof TimestampPath === 'string' ? TimestampPath : undefined;
  const value = stamp ?? (path === undefined ? undefined : readPath(path, input, context));
  const at = typeof value === 'string' && RFC3339.test(value) ? Date.parse(value) : NaN;
  if (Number.isNaN(at)) {
    throw runtimeError(
      `The Timestamp of state ${info.name} is not a valid RFC 3339 timestamp: ${JSON.stringify(value) ?? 'undefined'}`,
    );
  }
  return Math.max(0, at - now.getTime());
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
