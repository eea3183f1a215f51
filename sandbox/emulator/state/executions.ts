/**
 * The Step Functions registry: state machines and executions. It is also the ExecutionSink
 * the runner writes to; calls for executions that are no longer RUNNING are ignored, so an
 * aborted execution stays aborted whatever its runner still reports.
 */
import type {
  Clock,
  ExecutionRecord,
  ExecutionRunner,
  ExecutionSink,
  HistoryEvent,
  StateMachineRecord,
} from '../../contracts';

export interface StoredStateMachine extends StateMachineRecord {
  /** The settings CreateStateMachine compares for idempotency, as canonical JSON text. */
  readonly settings: string;
}

type NewEvent = Parameters<ExecutionSink['appendEvent']>[1];

export class ExecutionRegistry implements ExecutionSink {
  readonly stateMachines = new Map<string, StoredStateMachine>();
  readonly executions = new Map<string, ExecutionRecord>();
  /** Creation order of executions, newest last (ties in ListExecutions). */
  private readonly order = new Map<string, number>();
  runner?: ExecutionRunner;

  constructor(private readonly clock: Clock) {}

  sequenceOf(executionArn: string): number {
    return this.order.get(executionArn) ?? 0;
  }

  add(execution: ExecutionRecord): void {
    this.executions.set(execution.executionArn, execution);
    this.order.set(execution.executionArn, this.order.size + 1);
  }

  /** Appends regardless of status: the registry's own events (started, aborted) use it too. */
  push(execution: ExecutionRecord, event: NewEvent): HistoryEvent {
    const previous = execution.events[execution.events.length - 1];
    const stored: HistoryEvent = {
      ...event,
      timestamp: event.timestamp ?? this.clock.now(),
      id: event.id ?? execution.events.length + 1,
      previousEventId: event.previousEventId ?? previous?.id ?? 0,
    };
    execution.events.push(stored);
    return stored;
  }

  appendEvent(executionArn: string, event: NewEvent): void {
    const execution = this.running(executionArn);
    if (execution) this.push(execution, event);
  }

  succeed(executionArn: string, output: string): void {
    const execution = this.running(executionArn);
    if (!execution) return;
    execution.status = 'SUCCEEDED';
    execution.output = output;
    execution.stopDate = this.clock.now();
    this.push(execution, {
      type: 'ExecutionSucceeded',
      timestamp: execution.stopDate,
      executionSucceededEventDetails: { output, outputDetails: { truncated: false } },
    });
  }

  fail(executionArn: string, error: string | undefined, cause: string | undefined): void {
    const execution = this.running(executionArn);
    if (!execution) return;
    execution.status = 'FAILED';
    execution.error = error;
    execution.cause = cause;
    execution.stopDate = this.clock.now();
    this.push(execution, {
      type: 'ExecutionFailed',
      timestamp: execution.stopDate,
      executionFailedEventDetails: withoutUndefined({ error, cause }),
    });
  }

  private running(executionArn: string): ExecutionRecord | undefined {
    const execution = this.executions.get(executionArn);
    return execution?.status === 'RUNNING' ? execution : undefined;
  }

  /** State machines are deployed infrastructure, like topics: a reset keeps them. */
  reset(): void {
    this.executions.clear();
    this.order.clear();
  }
}

export function withoutUndefined(details: { error?: string; cause?: string }): {
  error?: string;
  cause?: string;
} {
  const out: { error?: string; cause?: string } = {};
  if (details.error !== undefined) out.error = details.error;
  if (details.cause !== undefined) out.cause = details.cause;
  return out;
}
