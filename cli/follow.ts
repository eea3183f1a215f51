import type { HistoryEvent, SFNClient } from '@aws-sdk/client-sfn';
import { endOf, readNewEvents, stepsOf, type ExecutionEnd, type Step } from './history';

export interface FollowOptions {
  /** Called after every poll that brought new events. */
  readonly onUpdate: (steps: readonly Step[]) => void;
  /** Called on every tick (~100 ms) while waiting, for a spinner. */
  readonly onTick?: () => void;
  /** Stops following (Ctrl-C); the execution goes on. */
  readonly signal?: AbortSignal;
  /** First and longest pause between polls. @default 250 ms, 5 s */
  readonly minPollMs?: number;
  readonly maxPollMs?: number;
}

export interface Followed {
  readonly events: readonly HistoryEvent[];
  readonly steps: readonly Step[];
  /** Undefined when following was stopped before the execution ended. */
  readonly end?: ExecutionEnd;
}

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

/**
 * Follows an execution through GetExecutionHistory until it ends. Polls quickly while things
 * happen and back off to `maxPollMs` while the execution waits (a cutover takes hours on AWS).
 */
export async function follow(
  sfn: SFNClient,
  executionArn: string,
  options: FollowOptions,
): Promise<Followed> {
  const events: HistoryEvent[] = [];
  const min = options.minPollMs ?? 250;
  const max = options.maxPollMs ?? 5000;
  let pause = min;
  for (;;) {
    const fresh = await readNewEvents(sfn, executionArn, events.at(-1)?.id ?? 0);
    events.push(...fresh);
    const steps = stepsOf(events);
    if (fresh.length > 0) options.onUpdate(steps);
    const end = endOf(events);
    if (end || options.signal?.aborted) return { events, steps, end };
    pause = fresh.length > 0 ? min : Math.min(max, Math.round(pause * 1.5));
    const started = Date.now();
    while (Date.now() - started < pause && !options.signal?.aborted) {
      options.onTick?.();
      await sleep(Math.min(100, pause), options.signal);
    }
  }
}
