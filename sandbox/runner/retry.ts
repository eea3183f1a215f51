/**
 * Task errors and the ASL retry policy, applied by the runner's task wrapper so that retry
 * intervals pass in sandbox time and each attempt shows in the history.
 */
import type { Retrier } from './definition';

/**
 * An error a state fails with. aws-local-stepfunctions matches `name` against ErrorEquals,
 * makes `message` the Catch's Cause, and reads `isRetryable` / `isCatchable`.
 */
export class StatesError extends Error {
  constructor(
    name: string,
    cause: string,
    readonly isRetryable = true,
    readonly isCatchable = true,
  ) {
    super(cause);
    this.name = name;
  }
}

/** States.Runtime: a definition or data problem that neither Retry nor Catch can handle. */
export function runtimeError(message: string): StatesError {
  return new StatesError('States.Runtime', message, false, false);
}

const TERMINAL = new Set(['States.Runtime', 'States.DataLimitExceeded']);

/** Whether one ErrorEquals list matches an error name, as ASL defines the wildcards. */
export function errorMatches(errorEquals: readonly string[], name: string): boolean {
  if (TERMINAL.has(name)) return false;
  return errorEquals.some(
    (pattern) =>
      pattern === name ||
      pattern === 'States.ALL' ||
      (pattern === 'States.TaskFailed' && name !== 'States.Timeout'),
  );
}

/** The retriers of one state entry: attempts count per retrier, as ASL specifies. */
export class RetryPolicy {
  private readonly attempts: number[];

  constructor(
    private readonly retriers: readonly Retrier[],
    private readonly random: () => number = Math.random,
  ) {
    this.attempts = retriers.map(() => 0);
  }

  /**
   * Milliseconds to wait before retrying after an error named `name`, or undefined when the
   * first retrier that matches is exhausted or none matches.
   */
  next(name: string): number | undefined {
    const index = this.retriers.findIndex((r) => errorMatches(r.ErrorEquals, name));
    const retrier = this.retriers[index];
    if (!retrier) return undefined;
    const done = this.attempts[index] ?? 0;
    if (done >= (retrier.MaxAttempts ?? 3)) return undefined;
    this.attempts[index] = done + 1;
    let seconds = (retrier.IntervalSeconds ?? 1) * (retrier.BackoffRate ?? 2) ** done;
    if (retrier.MaxDelaySeconds !== undefined) seconds = Math.min(seconds, retrier.MaxDelaySeconds);
    if (retrier.JitterStrategy === 'FULL') seconds *= this.random();
    return Math.round(seconds * 1000);
  }
}
