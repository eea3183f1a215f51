/**
 * Prepares a state machine definition for aws-local-stepfunctions. The library sleeps in real
 * time (Wait states, retry intervals, timeouts) and stamps `$$.Execution.StartTime` with the
 * real time, so the runner executes a private copy in which:
 * - each Wait state is a Task whose local handler sleeps on the sandbox scheduler;
 * - Task states lose Retry and TimeoutSeconds: the runner's task wrapper retries (sleeping in
 *   sandbox time between attempts, one history event per attempt) and times out itself;
 * - the top-level TimeoutSeconds is enforced by the runner, in sandbox time;
 * - `$$.Execution.StartTime` reads a context field that the library does not overwrite.
 * The original state definitions are kept, by state name, for the history and the wrappers.
 */
import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import { StateMachine } from 'aws-local-stepfunctions';

export type StateType =
  'Task' | 'Parallel' | 'Map' | 'Pass' | 'Wait' | 'Choice' | 'Succeed' | 'Fail';

export interface Retrier {
  readonly ErrorEquals: string[];
  readonly IntervalSeconds?: number;
  readonly MaxAttempts?: number;
  readonly BackoffRate?: number;
  readonly MaxDelaySeconds?: number;
  readonly JitterStrategy?: 'NONE' | 'FULL';
}

export interface StateInfo {
  readonly name: string;
  /** The type in the original definition (a Wait stays a Wait here). */
  readonly type: StateType;
  /** The original state definition. */
  readonly raw: Readonly<Record<string, unknown>>;
}

export interface PreparedDefinition {
  readonly definition: StateMachineDefinition;
  readonly states: ReadonlyMap<string, StateInfo>;
  readonly timeoutSeconds?: number;
}

/** The resource a rewritten Wait state carries (never called: its local handler runs instead). */
export const WAIT_RESOURCE = 'arn:aws:states:::sandbox:wait';
/** The longest timeout the library can arm (setTimeout's limit); the runner enforces the real one. */
const UNLIMITED_SECONDS = 2_147_483;
/** The context field that carries the sandbox start time. */
export const SANDBOX_START_TIME = 'SandboxStartTime';

const STATE_TYPES = new Set<string>([
  'Task',
  'Parallel',
  'Map',
  'Pass',
  'Wait',
  'Choice',
  'Succeed',
  'Fail',
]);

type Json = Record<string, unknown>;

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function prepareDefinition(text: string): PreparedDefinition {
  const rewritten = text.replace(
    /\$\$\.Execution\.StartTime\b/g,
    () => `$$.Execution.${SANDBOX_START_TIME}`,
  );
  const original: unknown = JSON.parse(text);
  const copy: unknown = JSON.parse(rewritten);
  if (!isRecord(original) || !isRecord(copy))
    throw new Error('The definition is not a JSON object');
  if (original.QueryLanguage === 'JSONata') {
    throw new Error('The sandbox runs JSONPath state machines only; this one uses JSONata');
  }
  // Validates the definition as written, with the library's ASL validator.
  new StateMachine(original as unknown as StateMachineDefinition, {
    validationOptions: { checkArn: false },
  });
  const states = new Map<string, StateInfo>();
  const definition = rewriteMachine(copy, original, states);
  const timeoutSeconds =
    typeof original.TimeoutSeconds === 'number' ? original.TimeoutSeconds : undefined;
  delete definition.TimeoutSeconds;
  return { definition: definition as unknown as StateMachineDefinition, states, timeoutSeconds };
}

function rewriteMachine(copy: Json, original: Json, states: Map<string, StateInfo>): Json {
  const copyStates = isRecord(copy.States) ? copy.States : {};
  const originalStates = isRecord(original.States) ? original.States : {};
  const out: Json = {};
  for (const [name, state] of Object.entries(copyStates)) {
    const raw = originalStates[name];
    if (
      !isRecord(state) ||
      !isRecord(raw) ||
      typeof raw.Type !== 'string' ||
      !STATE_TYPES.has(raw.Type)
    ) {
      throw new Error(`State ${name} is not a valid state`);
    }
    if (states.has(name)) {
      throw new Error(
        `State name ${name} is used twice; state names must be unique in a state machine`,
      );
    }
    if (raw.QueryLanguage === 'JSONata') {
      throw new Error(`State ${name} uses JSONata; the sandbox runs JSONPath states only`);
    }
    states.set(name, { name, type: raw.Type as StateType, raw });
    out[name] = rewriteState(state, raw, states);
  }
  return { ...copy, States: out };
}

function omit(state: Json, keys: readonly string[]): Json {
  return Object.fromEntries(Object.entries(state).filter(([key]) => !keys.includes(key)));
}

function rewriteState(state: Json, raw: Json, states: Map<string, StateInfo>): Json {
  switch (state.Type) {
    case 'Wait': {
      const rest = omit(state, ['Seconds', 'SecondsPath', 'Timestamp', 'TimestampPath']);
      return { ...rest, Type: 'Task', Resource: WAIT_RESOURCE, TimeoutSeconds: UNLIMITED_SECONDS };
    }
    case 'Task': {
      const rest = omit(state, [
        'Retry',
        'TimeoutSeconds',
        'TimeoutSecondsPath',
        'HeartbeatSeconds',
        'HeartbeatSecondsPath',
        'Credentials',
      ]);
      return { ...rest, TimeoutSeconds: UNLIMITED_SECONDS };
    }
    case 'Map': {
      const key = isRecord(state.ItemProcessor) ? 'ItemProcessor' : 'Iterator';
      const processor = state[key];
      const rawProcessor = raw[key];
      if (!isRecord(processor) || !isRecord(rawProcessor)) return state;
      return { ...state, [key]: rewriteMachine(processor, rawProcessor, states) };
    }
    case 'Parallel': {
      const branches = Array.isArray(state.Branches) ? state.Branches : [];
      const rawBranches = Array.isArray(raw.Branches) ? raw.Branches : [];
      return {
        ...state,
        Branches: branches.map((branch: unknown, i) => {
          const rawBranch: unknown = rawBranches[i];
          return isRecord(branch) && isRecord(rawBranch)
            ? rewriteMachine(branch, rawBranch, states)
            : branch;
        }),
      };
    }
    default:
      return state;
  }
}

/** Map and Parallel states keep their Retry in the library; its real-time interval is zeroed. */
export function retryOverrides(prepared: PreparedDefinition): Record<string, number> {
  const out: Record<string, number> = {};
  for (const info of prepared.states.values()) {
    if ((info.type === 'Map' || info.type === 'Parallel') && Array.isArray(info.raw.Retry)) {
      out[info.name] = 0;
    }
  }
  return out;
}

export function retriersOf(info: StateInfo): Retrier[] {
  return Array.isArray(info.raw.Retry) ? (info.raw.Retry as Retrier[]) : [];
}
