/**
 * One rotation per switch delay: a user whose only key is used by an application that re-reads
 * the secret only when its cache expires (1 hour, 1 day, 7 days). State transitions, Lambda
 * invocations, AWS calls the Lambdas make, cutover polls, and what it would cost.
 */
import { performance } from 'node:perf_hooks';
import { SimulatedConsumer } from '../sandbox/apps/consumer';
import type { CallRecord } from '../sandbox/contracts';
import type { Sandbox } from '../sandbox/sandbox';
import {
  callsByOperation,
  countBy,
  finished,
  lambdaCost,
  PRICES,
  progress,
  startExecution,
  sum,
  transitions,
  type Counts,
  type Invocation,
} from './common';
import { STATES } from '../lambdas/shared/states';

const HOUR = 3600;
export const SWITCH_DELAYS = [
  { label: '1 hour', seconds: HOUR },
  { label: '1 day', seconds: 24 * HOUR },
  { label: '7 days', seconds: 7 * 24 * HOUR },
] as const;
/** Sandbox seconds between the application's signed requests. */
export const CONSUMER_PERIOD_SECONDS = 600;
/** The 7-day case would race the default 168 h deadline, so every case runs with this one. */
export const CUTOVER_DEADLINE_HOURS = 192;

export interface RotationResult {
  readonly switchDelay: string;
  readonly switchDelaySeconds: number;
  readonly status: string;
  readonly verdict?: string;
  readonly cutoverPolls?: number;
  /** Sandbox seconds from promotion to the application's first call with the new key. */
  readonly switchedAfterSeconds?: number;
  readonly statesEntered: number;
  readonly retries: number;
  /** What Step Functions bills: states entered plus retries. */
  readonly stateTransitions: number;
  readonly lambdaInvocations: number;
  readonly invocationsByStep: Counts;
  readonly lambdaMs: number;
  readonly lambdaGbSeconds: number;
  readonly awsCalls: Counts;
  readonly awsCallsTotal: number;
  /** Of those, answered with an error (verify-key's attempts before the key propagated). */
  readonly awsCallsFailed: number;
  /** CloudTrail LookupEvents requests (attribution of the old key), throttled ones included. */
  readonly lookupEvents: number;
  /** Cutover checks that looked up who still used the old key. */
  readonly attributedChecks: number;
  readonly sandboxSeconds: number;
  readonly realMs: number;
  readonly cost: { stepFunctionsUsd: number; lambdaUsd: number; totalUsd: number };
}

interface RotationOutput {
  cutover?: { polls?: number; verdict?: string };
  newKey?: { accessKeyId?: string };
  promotedAt?: string;
  verifiedAt?: string;
}

async function rotateOnce(
  sb: Sandbox,
  delay: (typeof SWITCH_DELAYS)[number],
  invocations: Invocation[],
): Promise<RotationResult> {
  const userName = `app-${delay.seconds}`;
  const now = sb.clock.now().getTime();
  sb.emulator.seed.user({ userName });
  const oldKey = sb.emulator.seed.accessKey({
    userName,
    createDate: new Date(now - 85 * 86_400_000),
    lastUsed: { date: new Date(now - 86_400_000), service: 'sts', region: sb.region },
  });
  const app = new SimulatedConsumer({
    name: `${userName}-consumer`,
    behaviour: 'late',
    secretId: `${sb.secretPrefix}${userName}`,
    initialKey: oldKey,
    readerCredentials: sb.applicationCredentials(`${userName}-role`, userName),
    endpoint: sb.endpoint,
    region: sb.region,
    clock: sb.clock,
    scheduler: sb.scheduler,
    periodSeconds: CONSUMER_PERIOD_SECONDS,
    cacheSeconds: delay.seconds,
  });
  sb.emulator.clearCalls();
  invocations.length = 0;
  const started = performance.now();
  // The clock stands still until the application has read (and cached) its key and the
  // rotation has started: its cache then expires `delay` after the rotation began.
  const hold = sb.scheduler.activity();
  let arn: string;
  try {
    app.start();
    while (app.calls.length === 0) await new Promise((resolve) => setTimeout(resolve, 1));
    arn = await startExecution(sb, 'rotation', { userName });
  } finally {
    hold();
  }
  const execution = await finished(sb, arn);
  const realMs = performance.now() - started;
  await app.stop();

  const output = JSON.parse(execution.output ?? 'null') as RotationOutput | null;
  const lambdaKey = process.env.AWS_ACCESS_KEY_ID;
  // Under authorization each function signs as a session of its own role
  // (`arn:aws:sts::<account>:assumed-role/<role>/<session>`); without it, with the sandbox's key.
  const lambdaRoles = new Set(
    sb.stack.functions.flatMap((f) => (f.roleArn ? [f.roleArn.split('/').pop() ?? ''] : [])),
  );
  const sessionRole = (principal = ''): string =>
    /:assumed-role\/([^/]+)\//.exec(principal)?.[1] ?? '';
  const byLambda = (c: CallRecord): boolean =>
    c.accessKeyId === lambdaKey || lambdaRoles.has(sessionRole(c.principal));
  const newKey = output?.newKey?.accessKeyId;
  const verifiedAt = Date.parse(output?.verifiedAt ?? '');
  // The Lambdas' calls: everything signed by their roles, and verify-key's STS calls signed
  // with the new key until it verified it (the application moves to the new key only later).
  // The emulator attributes no key to a request it refused (a key not yet propagated).
  const verifyCall = (c: CallRecord): boolean =>
    c.service === 'sts' &&
    c.at.getTime() <= verifiedAt &&
    (c.accessKeyId === newKey || c.accessKeyId === undefined);
  const calls = sb.emulator.calls.filter((c) => byLambda(c) || verifyCall(c));
  const promotedAt = Date.parse(output?.promotedAt ?? '');
  const firstOnNewKey = app.calls.find((c) => c.accessKeyId === newKey && c.ok);
  const t = transitions(execution);
  const lambda = lambdaCost(invocations);
  const stepFunctionsUsd = t.billed * PRICES.stateTransition;
  return {
    switchDelay: delay.label,
    switchDelaySeconds: delay.seconds,
    status: execution.status,
    verdict: output?.cutover?.verdict,
    cutoverPolls: output?.cutover?.polls,
    switchedAfterSeconds: firstOnNewKey
      ? Math.round((firstOnNewKey.at.getTime() - promotedAt) / 1000)
      : undefined,
    statesEntered: t.statesEntered,
    retries: t.retries,
    stateTransitions: t.billed,
    lambdaInvocations: t.lambdaInvocations,
    invocationsByStep: countBy(invocations, (i) => i.step),
    lambdaMs: sum(invocations.map((i) => i.ms)),
    lambdaGbSeconds: lambda.gbSeconds,
    awsCalls: callsByOperation(calls),
    awsCallsTotal: calls.length,
    awsCallsFailed: calls.filter((c) => c.status >= 400).length,
    lookupEvents: calls.filter((c) => c.service === 'cloudtrail' && c.operation === 'LookupEvents')
      .length,
    attributedChecks: execution.events.filter(
      (e) =>
        e.stateExitedEventDetails?.name === STATES.checkCutover &&
        e.stateExitedEventDetails.output?.includes('"attribution"'),
    ).length,
    sandboxSeconds: ((execution.stopDate?.getTime() ?? now) - execution.startDate.getTime()) / 1000,
    realMs,
    cost: { stepFunctionsUsd, lambdaUsd: lambda.usd, totalUsd: stepFunctionsUsd + lambda.usd },
  };
}

export async function runRotations(
  sb: Sandbox,
  invocations: Invocation[],
): Promise<RotationResult[]> {
  // Warm-up: one rotation without an application loads every handler module and SDK client,
  // so the first case is measured like the others.
  sb.emulator.seed.user({ userName: 'warm-up' });
  sb.emulator.seed.accessKey({
    userName: 'warm-up',
    createDate: new Date(sb.clock.now().getTime() - 85 * 86_400_000),
  });
  await finished(sb, await startExecution(sb, 'rotation', { userName: 'warm-up' }));
  const results: RotationResult[] = [];
  for (const delay of SWITCH_DELAYS) {
    progress(`rotation, application switching after ${delay.label}`);
    results.push(await rotateOnce(sb, delay, invocations));
  }
  return results;
}
