/**
 * Turns aws-local-stepfunctions' event log into AWS-shaped history events (docs/aws-semantics.md §4).
 * The library reports states by their type in the private definition copy; the recorder uses
 * the original type, so a rewritten Wait still shows as WaitStateEntered / WaitStateExited.
 * The library's log drains asynchronously, so task wrappers wait (`EnteredTracker`) until their
 * state's Entered event is in the history before writing their own events.
 */
import type { StateMachine } from 'aws-local-stepfunctions';
import type { PreparedDefinition, StateInfo } from './definition';
import type { HistoryFields } from './integrations';
import { readPath } from './json-path';

type LibraryEvent =
  ReturnType<StateMachine['run']>['eventLogs'] extends AsyncGenerator<infer E> ? E : never;

export type Outcome =
  | { readonly status: 'SUCCEEDED'; readonly output: string }
  | { readonly status: 'FAILED'; readonly error?: string; readonly cause?: string };

const truncated = { truncated: false };
/** Step Functions' limit on a state's output (AWS fails the execution beyond it). */
const PAYLOAD_LIMIT_BYTES = 256 * 1024;

/** Counts Entered events per state against task-wrapper calls per state. */
export class EnteredTracker {
  private readonly entries = new Map<string, number>();
  private readonly calls = new Map<string, number>();
  private waiters: { name: string; call: number; wake: () => void }[] = [];

  /** A wrapper call of `name`: resolves once the matching Entered event was recorded. */
  called(name: string): Promise<void> {
    const call = (this.calls.get(name) ?? 0) + 1;
    this.calls.set(name, call);
    if ((this.entries.get(name) ?? 0) >= call) return Promise.resolve();
    return new Promise((wake) => this.waiters.push({ name, call, wake }));
  }

  entered(name: string): void {
    const count = (this.entries.get(name) ?? 0) + 1;
    this.entries.set(name, count);
    const ready = this.waiters.filter((w) => w.name === name && w.call <= count);
    this.waiters = this.waiters.filter((w) => !ready.includes(w));
    for (const waiter of ready) waiter.wake();
  }

  /** Releases every waiter (the execution ended). */
  close(): void {
    for (const waiter of this.waiters) waiter.wake();
    this.waiters = [];
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(value: unknown): string {
  return JSON.stringify(value ?? null);
}

export class HistoryRecorder {
  private first = true;
  private lastFailState?: StateInfo;

  constructor(
    private readonly prepared: PreparedDefinition,
    private readonly emit: (event: HistoryFields) => void,
    private readonly tracker: EnteredTracker,
  ) {}

  /** Records one library event; returns the outcome once the execution has ended. */
  record(event: LibraryEvent): Outcome | undefined {
    switch (event.type) {
      case 'StateEntered':
        this.lastFailState = undefined;
        this.entered(this.info(event.state.name, event.state.type), event.state.input);
        return undefined;
      case 'StateExited':
        this.lastFailState = undefined;
        return this.exited(this.info(event.state.name, event.state.type), event.state.output);
      case 'StateFailed': {
        const info = this.info(event.state.name, event.state.type);
        if (info.type === 'Fail') this.lastFailState = info;
        if (info.type === 'Map' || info.type === 'Parallel')
          this.emit({ type: `${info.type}StateFailed` });
        return undefined;
      }
      case 'MapIterationStarted':
      case 'MapIterationSucceeded':
      case 'MapIterationFailed': {
        const key = `mapIteration${event.type.slice('MapIteration'.length)}EventDetails`;
        this.emit({
          type: event.type,
          [key]: { name: event.parentState.name, index: event.index },
        });
        return undefined;
      }
      case 'ExecutionSucceeded':
        return { status: 'SUCCEEDED', output: text(event.output) };
      case 'ExecutionFailed':
        return this.failure(event.Error, event.Cause);
      default:
        // ExecutionStarted (the registry wrote it), retries and catches (no AWS event of their
        // own: the attempts show as task events), Parallel branches, aborts (the registry).
        return undefined;
    }
  }

  private info(name: string, libraryType: string): StateInfo {
    return (
      this.prepared.states.get(name) ?? { name, type: libraryType as StateInfo['type'], raw: {} }
    );
  }

  private entered(info: StateInfo, input: unknown): void {
    // AWS points the first state's Entered event at 0, like ExecutionStarted (docs/aws-semantics.md §4).
    const previous = this.first ? { previousEventId: 0 } : {};
    this.first = false;
    this.emit({
      type: `${info.type}StateEntered`,
      ...previous,
      stateEnteredEventDetails: { name: info.name, input: text(input), inputDetails: truncated },
    });
    if (info.type === 'Map') {
      const length = this.mapLength(info, input);
      this.emit({
        type: 'MapStateStarted',
        mapStateStartedEventDetails: length === undefined ? {} : { length },
      });
    }
    if (info.type === 'Parallel') this.emit({ type: 'ParallelStateStarted' });
    this.tracker.entered(info.name);
  }

  private exited(info: StateInfo, output: unknown): Outcome | undefined {
    const type = info.type;
    if (type === 'Fail') return undefined; // a Fail state has no Exited event
    const outputText = text(output);
    if (Buffer.byteLength(outputText) > PAYLOAD_LIMIT_BYTES) {
      const cause =
        `The state/task '${info.name}' returned a result with a size exceeding the maximum ` +
        'number of bytes service limit.';
      return { status: 'FAILED', error: 'States.DataLimitExceeded', cause };
    }
    if (type === 'Map' || type === 'Parallel') this.emit({ type: `${type}StateSucceeded` });
    this.emit({
      type: `${type}StateExited`,
      stateExitedEventDetails: { name: info.name, output: outputText, outputDetails: truncated },
    });
    return undefined;
  }

  private mapLength(info: StateInfo, rawInput: unknown): number | undefined {
    try {
      const inputPath = info.raw.InputPath;
      const input = typeof inputPath === 'string' ? readPath(inputPath, rawInput, {}) : rawInput;
      const itemsPath = typeof info.raw.ItemsPath === 'string' ? info.raw.ItemsPath : '$';
      const items = readPath(itemsPath, input, {});
      return Array.isArray(items) ? items.length : undefined;
    } catch {
      return undefined;
    }
  }

  /** A Fail state without Error or Cause fails the execution without them, as AWS does. */
  private failure(error: string, cause: unknown): Outcome {
    const fail = this.lastFailState?.raw;
    const causeText =
      typeof cause === 'string' ? cause : cause === undefined ? undefined : text(cause);
    if (fail && isRecord(fail)) {
      return {
        status: 'FAILED',
        error: fail.Error !== undefined || fail.ErrorPath !== undefined ? error : undefined,
        cause: fail.Cause !== undefined || fail.CausePath !== undefined ? causeText : undefined,
      };
    }
    return { status: 'FAILED', error, cause: causeText };
  }
}
