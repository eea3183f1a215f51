/**
 * Shared by the two pickup tests: an application whose only AWS identity is alice's key
 * follows three consecutive rotations. It reads alice's secret signed with the key it holds, so
 * each new key reaches it through the old one, which rekey keeps active until the cutover.
 */
import type { CallRecord, ExecutionRecord } from '../../sandbox/contracts';
import { Sandbox } from '../../sandbox/sandbox';
import { currentKey, type Key } from '../credentials/process-helpers';
import { advanceUntil, MINUTE, output, seedUser } from './helpers';

export const PERIOD_MINUTES = 5;
/** No recovery window: the next rotation may start as soon as the old key is deleted. */
const TAGS = [{ Key: 'rekey:recovery-window-days', Value: '0' }];

/** Last-used data without lag, so that a cutover can be decided within the hour. */
export async function startSandbox(): Promise<Sandbox> {
  return Sandbox.start({
    clockMode: 'manual',
    lastUsedLagSeconds: 0,
    context: { 'rekey:lastUsedReportingLagHours': 0 },
  });
}

/**
 * Runs a rotation of `userName` to its end, moving sandbox time one consumer period at a time.
 * A rotation whose consumer follows takes about an hour and a half here; one that has not ended
 * within 12 hours, or an application call that failed, ends the wait for the checks to report.
 */
export async function rotateToEnd(
  sb: Sandbox,
  userName: string,
  failed: () => boolean = () => false,
): Promise<ExecutionRecord> {
  const arn = await sb.startRotation({ userName });
  const over = (): boolean => sb.execution(arn).status !== 'RUNNING';
  await advanceUntil(sb, () => over() || failed(), {
    stepMs: PERIOD_MINUTES * MINUTE,
    maxSteps: (12 * 60) / PERIOD_MINUTES,
  }).catch(() => undefined);
  return sb.execution(arn);
}

/**
 * alice as rekey leaves her after a first rotation nobody watched: one key, held in her secret.
 * That key is what the application is configured with.
 */
export async function aliceRotatedOnce(sb: Sandbox): Promise<Key> {
  seedUser(sb, 'alice', { tags: TAGS });
  const first = await rotateToEnd(sb, 'alice');
  expect(first.status).toBe('SUCCEEDED');
  return currentKey(sb, 'alice');
}

/** Three rotations while the application works; each must succeed with the verdict switched. */
export async function threeRotations(
  sb: Sandbox,
  app: { readonly failures: readonly unknown[] },
): Promise<ExecutionRecord[]> {
  const executions: ExecutionRecord[] = [];
  const failed = (): boolean => app.failures.length > 0;
  for (let i = 0; i < 3 && !failed(); i += 1) {
    executions.push(await rotateToEnd(sb, 'alice', failed));
  }
  return executions;
}

/** The keys the application signed with, in order, each once. */
export function keysInOrder(calls: readonly { accessKeyId: string }[]): string[] {
  return calls.map((c) => c.accessKeyId).filter((id, i, all) => i === 0 || all[i - 1] !== id);
}

/** What every rotation published, in order: the key the application must move to. */
export function newKeys(executions: readonly ExecutionRecord[]): string[] {
  return executions.map((e) => {
    const state = output(e) as { newKey?: { accessKeyId?: string } } | null;
    return state?.newKey?.accessKeyId ?? '';
  });
}

export function secretReadsBy(calls: readonly CallRecord[], keys: readonly string[]): CallRecord[] {
  return calls.filter(
    (c) => c.operation === 'GetSecretValue' && keys.includes(c.accessKeyId ?? ''),
  );
}
