/**
 * Sandbox throughput: 1,000 due users whose keys were never used (the cutover completes at the
 * first check), 1,000 rotations started at the same sandbox instant, run to completion.
 * Complete rotations per second of real time bound how long an end-to-end suite can take.
 */
import { performance } from 'node:perf_hooks';
import pLimit from 'p-limit';
import type { Sandbox } from '../sandbox/sandbox';
import { countBy, progress, startExecution, type Counts } from './common';

export const THROUGHPUT_USERS = 1_000;
/** StartExecution requests in flight while starting. */
const START_CONCURRENCY = 16;

export interface ThroughputResult {
  readonly rotations: number;
  readonly statuses: Counts;
  readonly startMs: number;
  readonly realMs: number;
  readonly rotationsPerSecond: number;
  readonly sandboxSeconds: number;
  readonly awsCalls: number;
  readonly historyEvents: number;
  readonly peakRssMB: number;
  /** Whether the sandbox evaluated authorization (it does unless switched off). */
  readonly authorization: boolean;
  /** Authorization decisions made during the run, and how many refused. */
  readonly decisions: number;
  readonly decisionsPerRotation: number;
  readonly denied: number;
}

function seedDueUsers(sb: Sandbox, users: number): string[] {
  const created = new Date(sb.clock.now().getTime() - 85 * 86_400_000);
  const names: string[] = [];
  for (let i = 0; i < users; i++) {
    const userName = `due-${String(i).padStart(4, '0')}`;
    sb.emulator.seed.user({ userName });
    sb.emulator.seed.accessKey({ userName, createDate: created });
    names.push(userName);
  }
  return names;
}

export async function runThroughput(sb: Sandbox): Promise<ThroughputResult> {
  // Warm-up: one rotation loads every handler module, so the figure is steady-state throughput.
  sb.emulator.reset();
  const [warm] = seedDueUsers(sb, 1);
  await startExecution(sb, 'rotation', { userName: warm });
  await sb.settle();
  sb.emulator.reset();

  const users = seedDueUsers(sb, THROUGHPUT_USERS);
  progress(`throughput, ${users.length} rotations at once`);
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 100);
  const sandboxStart = sb.clock.now().getTime();
  const started = performance.now();
  const hold = sb.scheduler.activity();
  let arns: string[];
  try {
    const limit = pLimit(START_CONCURRENCY);
    arns = await Promise.all(
      users.map((userName) => limit(() => startExecution(sb, 'rotation', { userName }))),
    );
  } finally {
    hold();
  }
  const startMs = performance.now() - started;
  await sb.settle();
  const realMs = performance.now() - started;
  clearInterval(sampler);
  const executions = arns.map((arn) => sb.execution(arn));
  const succeeded = executions.filter((e) => e.status === 'SUCCEEDED').length;
  const result: ThroughputResult = {
    rotations: executions.length,
    statuses: countBy(executions, (e) => e.status),
    startMs,
    realMs,
    rotationsPerSecond: succeeded / (realMs / 1000),
    sandboxSeconds: (sb.clock.now().getTime() - sandboxStart) / 1000,
    awsCalls: sb.emulator.calls.length,
    historyEvents: executions.reduce((n, e) => n + e.events.length, 0),
    peakRssMB: peakRss / 2 ** 20,
    authorization: sb.emulator.authorization.enabled,
    decisions: sb.emulator.authorizations.length,
    decisionsPerRotation: sb.emulator.authorizations.length / Math.max(1, executions.length),
    denied: sb.emulator.authorizations.filter((d) => d.decision !== 'Allowed').length,
  };
  sb.emulator.reset();
  return result;
}
