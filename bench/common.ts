/**
 * Helpers the benchmark sections share: waiting for executions in real time, counting calls
 * and history events, timing the in-process handler invocations, and the published prices.
 */
import { performance } from 'node:perf_hooks';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { CallRecord, ExecutionRecord } from '../sandbox/contracts';
import { LambdaHost, type LambdaFunctionSpec } from '../sandbox/runner/lambda-host';
import type { Sandbox } from '../sandbox/sandbox';

/**
 * Published on-demand prices in us-east-1 as of 2026 (they vary by region; free tiers ignored):
 * https://aws.amazon.com/step-functions/pricing/ and https://aws.amazon.com/lambda/pricing/.
 */
export const PRICES = {
  /** Step Functions Standard, per state transition (retries count as transitions). */
  stateTransition: 0.025 / 1000,
  /** Lambda on arm64, per GB-second of billed duration (first pricing tier). */
  lambdaGbSecond: 0.0000133334,
  /** Lambda, per request. */
  lambdaRequest: 0.2 / 1_000_000,
} as const;

export type Counts = Record<string, number>;

export function countBy<T>(items: readonly T[], key: (item: T) => string | undefined): Counts {
  const out: Counts = {};
  for (const item of items) {
    const k = key(item);
    if (k !== undefined) out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}

export const sum = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0);

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return NaN;
  return sorted.length % 2 === 1
    ? (sorted[mid] ?? NaN)
    : ((sorted[mid - 1] ?? NaN) + (sorted[mid] ?? NaN)) / 2;
}

/** Calls by `service:Operation`, in the order each operation was first called. */
export const callsByOperation = (calls: readonly CallRecord[]): Counts =>
  countBy(calls, (c) => `${c.service}:${c.operation}`);

/** A small deterministic PRNG (mulberry32), so every run seeds the same fleet. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export async function startExecution(
  sb: Sandbox,
  machine: 'rotation' | 'fleet-scan',
  input: unknown,
): Promise<string> {
  const sfn = new SFNClient(sb.clientConfig());
  try {
    const out = await sfn.send(
      new StartExecutionCommand({
        stateMachineArn: sb.stateMachineArn(machine),
        input: JSON.stringify(input),
      }),
    );
    if (!out.executionArn) throw new Error('StartExecution returned no executionArn');
    return out.executionArn;
  } finally {
    sfn.destroy();
  }
}

/** Resolves once the execution has left RUNNING (polled in real time). */
export async function finished(sb: Sandbox, executionArn: string): Promise<ExecutionRecord> {
  while (sb.execution(executionArn).status === 'RUNNING') {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return sb.execution(executionArn);
}

/**
 * What Step Functions bills: one transition per state entered (the history's *StateEntered
 * events) plus one per retry (a Lambda scheduled again within the same state entry).
 */
export function transitions(execution: ExecutionRecord): {
  statesEntered: number;
  retries: number;
  billed: number;
  lambdaInvocations: number;
} {
  const types = execution.events.map((e) => e.type ?? '');
  const statesEntered = types.filter((t) => t.endsWith('StateEntered')).length;
  const lambdaInvocations = types.filter((t) => t === 'LambdaFunctionScheduled').length;
  const taskEntries = types.filter((t) => t === 'TaskStateEntered').length;
  const retries = Math.max(0, lambdaInvocations - taskEntries);
  return { statesEntered, retries, billed: statesEntered + retries, lambdaInvocations };
}

export interface Invocation {
  readonly functionName: string;
  /** The step's folder under lambdas/, e.g. `check-cutover`. */
  readonly step: string;
  readonly memoryMB: number;
  /** Real milliseconds the handler took in this process (module already loaded). */
  readonly ms: number;
}

export const stepOf = (fn: Pick<LambdaFunctionSpec, 'handlerPath' | 'functionName'>): string =>
  /lambdas\/([^/]+)\/handler\.ts$/.exec(fn.handlerPath ?? '')?.[1] ?? fn.functionName;

/**
 * Records the real duration of every handler invocation the runner makes in this process, as
 * the stand-in for Lambda's billed duration. Measurement only: the invocation is unchanged.
 */
export function recordInvocations(): Invocation[] {
  const recorded: Invocation[] = [];
  const original = Object.getOwnPropertyDescriptor(LambdaHost.prototype, 'invoke')?.value as
    LambdaHost['invoke'] | undefined;
  if (!original) throw new Error('LambdaHost.invoke not found');
  LambdaHost.prototype.invoke = async function timed(this: LambdaHost, fn, event) {
    const started = performance.now();
    try {
      return await original.call(this, fn, event);
    } finally {
      const ms = performance.now() - started;
      recorded.push({ functionName: fn.functionName, step: stepOf(fn), memoryMB: fn.memoryMB, ms });
    }
  };
  return recorded;
}

/** Lambda cost of invocations: GB-seconds of their duration (rounded up to 1 ms) plus requests. */
export function lambdaCost(invocations: readonly { memoryMB: number; ms: number }[]): {
  gbSeconds: number;
  usd: number;
} {
  const gbSeconds = sum(invocations.map((i) => (i.memoryMB / 1024) * (Math.ceil(i.ms) / 1000)));
  return {
    gbSeconds,
    usd: gbSeconds * PRICES.lambdaGbSecond + invocations.length * PRICES.lambdaRequest,
  };
}

/** Progress for whoever watches the run; stdout carries only the report. */
export function progress(message: string): void {
  process.stderr.write(`  … ${message}\n`);
}
