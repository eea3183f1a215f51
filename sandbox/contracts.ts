/**
 * Contracts between the sandbox's parts: the emulator (wire protocols and account state)
 * and the runner (which executes state machines with aws-local-stepfunctions).
 */
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import type { Clock } from '../lambdas/shared/clock';

export type { Clock, HistoryEvent };

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

export interface StateMachineRecord {
  readonly stateMachineArn: string;
  readonly name: string;
  readonly type: 'STANDARD' | 'EXPRESS';
  /** The ASL definition as JSON text, exactly as given to CreateStateMachine. */
  readonly definition: string;
  readonly roleArn: string;
  readonly creationDate: Date;
  /** The customer managed key of its encryptionConfiguration, if any. */
  readonly kmsKeyId?: string;
}

export interface ExecutionRecord {
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly name: string;
  /** JSON text of the input, as given to StartExecution ("{}" when omitted). */
  readonly input: string;
  status: ExecutionStatus;
  readonly startDate: Date;
  stopDate?: Date;
  /** JSON text, only when SUCCEEDED. */
  output?: string;
  error?: string;
  cause?: string;
  /** History in order; ids are assigned by the registry when appended. */
  readonly events: HistoryEvent[];
}

/**
 * Implemented by the runner. The emulator's Step Functions API stores state machines and
 * executions; it calls `run` after StartExecution registered a new RUNNING execution, and
 * `abort` after StopExecution marked a RUNNING execution ABORTED.
 */
export interface ExecutionRunner {
  run(execution: ExecutionRecord, stateMachine: StateMachineRecord): void;
  abort(executionArn: string): void;
}

/** What the runner may do to an execution it runs (implemented by the emulator's registry). */
export interface ExecutionSink {
  /** Appends one history event; the registry sets `id` and `previousEventId` when absent. */
  appendEvent(
    executionArn: string,
    event: Omit<HistoryEvent, 'id' | 'previousEventId'> &
      Partial<Pick<HistoryEvent, 'id' | 'previousEventId'>>,
  ): void;
  succeed(executionArn: string, output: string): void;
  fail(executionArn: string, error: string | undefined, cause: string | undefined): void;
}

/**
 * `permission-removed`: the request is evaluated as if a service control policy denying its
 * actions had just been attached to the account (a permission taken away mid-rotation); it has
 * an effect only while authorization is on.
 */
export type FaultKind =
  'throttle' | 'server-error' | 'latency' | 'crash-after-success' | 'permission-removed';

export type ServiceName =
  'iam' | 'sts' | 'secretsmanager' | 'states' | 'events' | 'sns' | 'cloudformation' | 'cloudtrail';

/** A fault injected into matching requests. */
export interface FaultRule {
  readonly service: ServiceName;
  /** Operation name as on the wire (`CreateAccessKey`, `PutSecretValue`), or `*`. */
  readonly operation: string;
  readonly kind: FaultKind;
  /** How many matching requests the fault applies to. Default: every one. */
  readonly times?: number;
  /** Matching requests to let through before the fault applies. Default 0. */
  readonly after?: number;
  /** For `latency`: milliseconds of real time added before answering. */
  readonly latencyMs?: number;
  /** Only requests signed with this access key id. Default: every caller. */
  readonly accessKeyId?: string;
}

/** One request the emulator answered, for counting calls (tests, benchmark). */
export interface CallRecord {
  readonly service: ServiceName;
  readonly operation: string;
  readonly accessKeyId?: string;
  /** Who signed: a user's ARN, or a role session's (`arn:aws:sts::…:assumed-role/…`). */
  readonly principal?: string;
  readonly status: number;
  readonly errorCode?: string;
  /** Sandbox time of the call. */
  readonly at: Date;
  readonly fault?: FaultKind;
}
