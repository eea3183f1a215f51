/**
 * The ExecutionRunner: runs each execution the emulator starts with aws-local-stepfunctions,
 * on the private definition copy (see definition.ts), with the runner's task handlers, and
 * reports history and outcome to the emulator's registry (the ExecutionSink).
 */
import { StateMachine } from 'aws-local-stepfunctions';
import type {
  ExecutionRecord,
  ExecutionRunner,
  ExecutionSink,
  StateMachineRecord,
} from '../contracts';
import {
  SANDBOX_START_TIME,
  prepareDefinition,
  retryOverrides,
  type PreparedDefinition,
} from './definition';
import { EnteredTracker, HistoryRecorder, type Outcome } from './history';
import type { HistoryFields } from './integrations';
import type { JsonValue } from './json-path';
import type { ExecutionIdentity } from './integrations';
import { localHandlers, type ExecutionScope, type TaskServices } from './tasks';

export interface ExecutorServices extends TaskServices {
  /** The role each execution runs as; without it, nothing is authorized. */
  readonly identityFor?: (stateMachine: StateMachineRecord) => ExecutionIdentity;
}

/** A registry that can also record a timeout (the contract's sink has only succeed and fail). */
type Sink = ExecutionSink & {
  timeOut?: (executionArn: string, error: string | undefined, cause: string | undefined) => void;
};

interface Running {
  readonly controller: AbortController;
  readonly tracker: EnteredTracker;
  abortRun?: () => void;
  closed: boolean;
  /** History events so far, ExecutionStarted included. */
  events: number;
}

/** Step Functions' history quota; AWS fails the execution with States.Runtime on reaching it. */
const HISTORY_LIMIT = 25_000;

export class Executor implements ExecutionRunner {
  private readonly running = new Map<string, Running>();
  private readonly prepared = new Map<string, PreparedDefinition>();

  constructor(
    private readonly sink: Sink,
    private readonly services: ExecutorServices,
  ) {}

  /** Executions still running in this runner. */
  get runningExecutions(): string[] {
    return [...this.running.keys()];
  }

  run(execution: ExecutionRecord, stateMachine: StateMachineRecord): void {
    const arn = execution.executionArn;
    const state: Running = {
      controller: new AbortController(),
      tracker: new EnteredTracker(),
      closed: false,
      events: execution.events.length,
    };
    this.running.set(arn, state);
    try {
      this.start(execution, stateMachine, state);
    } catch (error) {
      this.finish(arn, state, {
        status: 'FAILED',
        error: 'States.Runtime',
        cause: error instanceof Error ? error.message : String(error),
      });
    }
  }

  /** The registry has already marked the execution ABORTED and written ExecutionAborted. */
  abort(executionArn: string): void {
    const state = this.running.get(executionArn);
    if (state) this.close(executionArn, state);
  }

  /** Stops every execution without reporting anything (the sandbox is shutting down). */
  dispose(): void {
    for (const [arn, state] of this.running) this.close(arn, state);
  }

  private start(
    execution: ExecutionRecord,
    stateMachine: StateMachineRecord,
    state: Running,
  ): void {
    const arn = execution.executionArn;
    const prepared = this.prepare(stateMachine.definition);
    const input = JSON.parse(execution.input) as JsonValue;
    const startTime = execution.startDate.toISOString();
    const context = {
      Execution: {
        Id: arn,
        Name: execution.name,
        RoleArn: stateMachine.roleArn,
        [SANDBOX_START_TIME]: startTime,
      },
      StateMachine: { Id: stateMachine.stateMachineArn, Name: stateMachine.name },
    };
    const emit = (event: HistoryFields): void => {
      if (state.closed) return;
      // The last slot is kept for the ExecutionFailed event itself.
      if (state.events + 1 >= HISTORY_LIMIT) {
        const cause = `The execution reached the maximum number of history events (${HISTORY_LIMIT}).`;
        this.finish(arn, state, { status: 'FAILED', error: 'States.Runtime', cause });
        return;
      }
      state.events += 1;
      this.sink.appendEvent(arn, { ...event, timestamp: this.services.clock.now() });
    };
    const scope: ExecutionScope = {
      executionArn: arn,
      signal: state.controller.signal,
      context: {
        ...context,
        Execution: { ...context.Execution, Input: input, StartTime: startTime },
      },
      emit,
      entered: (name) => state.tracker.called(name),
    };
    const machine = new StateMachine(prepared.definition, {
      validationOptions: { noValidate: true },
    });
    const run = machine.run(input, {
      overrides: {
        taskResourceLocalHandlers: localHandlers(prepared, scope, {
          ...this.services,
          identity: this.services.identityFor?.(stateMachine),
        }),
        retryIntervalOverrides: retryOverrides(prepared),
      },
      context,
      noThrowOnAbort: true,
    });
    state.abortRun = run.abort;
    // The outcome is read from the event log, which ends after every state's events.
    run.result.catch(() => undefined);
    const recorder = new HistoryRecorder(prepared, emit, state.tracker);
    void this.drain(arn, state, recorder, run.eventLogs);
    if (prepared.timeoutSeconds !== undefined) this.armTimeout(arn, state, prepared.timeoutSeconds);
  }

  private async drain(
    arn: string,
    state: Running,
    recorder: HistoryRecorder,
    events: ReturnType<StateMachine['run']>['eventLogs'],
  ): Promise<void> {
    try {
      for await (const event of events) {
        if (state.closed) return;
        const outcome = recorder.record(event);
        if (outcome) {
          this.finish(arn, state, outcome);
          return;
        }
      }
    } catch (error) {
      const cause = `The sandbox runner failed: ${error instanceof Error ? error.message : String(error)}`;
      this.finish(arn, state, { status: 'FAILED', error: 'States.Runtime', cause });
    }
  }

  /** The execution's TimeoutSeconds, in sandbox time: a timer on the scheduler. */
  private armTimeout(arn: string, state: Running, seconds: number): void {
    this.services.scheduler.sleep(seconds * 1000, state.controller.signal).then(
      () => {
        if (state.closed) return;
        this.close(arn, state);
        const cause = `The execution timed out after ${seconds} seconds`;
        if (this.sink.timeOut) this.sink.timeOut(arn, 'States.Timeout', cause);
        else this.sink.fail(arn, 'States.Timeout', cause);
      },
      () => undefined,
    );
  }

  private finish(arn: string, state: Running, outcome: Outcome): void {
    if (state.closed) return;
    this.close(arn, state);
    if (outcome.status === 'SUCCEEDED') this.sink.succeed(arn, outcome.output);
    else this.sink.fail(arn, outcome.error, outcome.cause);
  }

  private close(arn: string, state: Running): void {
    state.closed = true;
    state.controller.abort();
    state.abortRun?.();
    state.tracker.close();
    this.running.delete(arn);
  }

  private prepare(definition: string): PreparedDefinition {
    let prepared = this.prepared.get(definition);
    if (!prepared) {
      prepared = prepareDefinition(definition);
      this.prepared.set(definition, prepared);
    }
    return prepared;
  }
}
