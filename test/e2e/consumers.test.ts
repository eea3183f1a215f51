/**
 * Rotations with an application using the key: one that follows the secret promptly, one with
 * a stale cache, one that never moves (deadline: fail, and enforce). The simulated application
 * signs sts:GetCallerIdentity with the key it holds, so IAM's last-used data is real.
 */
import type { SimulatedConsumer } from '../../sandbox/apps/consumer';
import type { ExecutionRecord } from '../../sandbox/contracts';
import type { InvariantMonitor } from '../../sandbox/invariants';
import { Sandbox } from '../../sandbox/sandbox';
import {
  advanceUntil,
  allKeys,
  checkSecrecy,
  consumerOf,
  DAY,
  HOUR,
  keyById,
  liveKeys,
  MINUTE,
  output,
  seedUser,
  staged,
  watch,
  type SeededUser,
} from './helpers';

let sb: Sandbox;
let monitor: InvariantMonitor | undefined;
let app: SimulatedConsumer | undefined;

beforeAll(async () => {
  sb = await Sandbox.start({ clockMode: 'manual' });
}, 60_000);

afterAll(async () => {
  await sb?.stop();
});

afterEach(async () => {
  await app?.stop();
  app = undefined;
  monitor?.stop();
  monitor = undefined;
});

interface Outcome {
  readonly user: SeededUser;
  readonly execution: ExecutionRecord;
  readonly consumer: SimulatedConsumer;
  readonly monitor: InvariantMonitor;
  readonly newKeyId: string;
  readonly promotedAt: Date;
}

/**
 * The recovery window is not what these tests are about: a day of it (a user tag) keeps the
 * consumer's sandbox ticks, and so the test, short. The deadlines stay the default week.
 */
const ONE_DAY_WINDOW = [{ Key: 'rekey:recovery-window-days', Value: '1' }];

/**
 * Starts the application, lets it work with its key for an hour, then rotates the user and
 * moves sandbox time (one consumer period at a time) until the execution has finished.
 */
async function rotateWithConsumer(
  name: string,
  behaviour: 'prompt' | 'late' | 'never',
  tags: { Key: string; Value: string }[] = [],
): Promise<Outcome> {
  const user = seedUser(sb, name, { tags, lastUsedDaysAgo: 1 });
  monitor = watch(sb, [name]);
  return runWithConsumer(user, behaviour, monitor);
}

async function runWithConsumer(
  user: SeededUser,
  behaviour: 'prompt' | 'late' | 'never',
  watcher: InvariantMonitor,
): Promise<Outcome> {
  const period = 15;
  const consumer = consumerOf(sb, user, behaviour, period);
  app = consumer;
  consumer.start();
  await sb.scheduler.advance(HOUR);

  const arn = await sb.startRotation({ userName: user.userName });
  await advanceUntil(sb, () => sb.execution(arn).status !== 'RUNNING', {
    stepMs: period * MINUTE,
  });
  await consumer.stop();
  app = undefined;

  const execution = sb.execution(arn);
  const state = output(execution) as Record<string, unknown> | null;
  const fromHistory = execution.events
    .map((e) => e.stateExitedEventDetails)
    .find((d) => d?.name === 'PromoteKey')?.output;
  const promoted = (state?.newKey ? state : JSON.parse(fromHistory ?? '{}')) as {
    newKey?: { accessKeyId?: string };
    promotedAt?: string;
  };
  watcher.checkNoOrphans();
  checkSecrecy(sb, watcher, [execution]);
  return {
    user,
    execution,
    consumer,
    monitor: watcher,
    newKeyId: promoted.newKey?.accessKeyId ?? '',
    promotedAt: new Date(promoted.promotedAt ?? 0),
  };
}

describe('an application that follows the secret promptly', () => {
  it('switches within minutes: cutover verdict switched, SUCCEEDED, no failed call', async () => {
    const { user, execution, consumer, monitor, newKeyId, promotedAt } = await rotateWithConsumer(
      'app-prompt',
      'prompt',
      ONE_DAY_WINDOW,
    );

    expect(execution.status).toBe('SUCCEEDED');
    expect(output(execution)).toMatchObject({ cutover: { verdict: 'switched' } });
    expect(consumer.failures).toEqual([]);
    const firstOnNewKey = consumer.calls.find((c) => c.accessKeyId === newKeyId);
    expect(firstOnNewKey?.at.getTime()).toBeLessThanOrEqual(promotedAt.getTime() + 20 * MINUTE);
    expect(consumer.calls.some((c) => c.accessKeyId === user.oldKey.accessKeyId)).toBe(true);
    expect(keyById(sb, user.oldKey.accessKeyId)?.deletedAt).toBeInstanceOf(Date);
    expect(liveKeys(sb, user.userName).map((k) => k.accessKeyId)).toEqual([newKeyId]);
    expect(monitor.violations).toEqual([]);
  });
});

describe('an application with a stale cache', () => {
  it('switches hours late; the old key is deactivated only after that: SUCCEEDED, no failed call', async () => {
    const { user, execution, consumer, monitor, newKeyId, promotedAt } = await rotateWithConsumer(
      'app-late',
      'late',
      ONE_DAY_WINDOW,
    );

    expect(execution.status).toBe('SUCCEEDED');
    expect(output(execution)).toMatchObject({ cutover: { verdict: 'switched' } });
    expect(consumer.failures).toEqual([]);
    const onOldKeyAfterPromotion = consumer.calls.filter(
      (c) => c.accessKeyId === user.oldKey.accessKeyId && c.at > promotedAt,
    );
    const firstOnNewKey = consumer.calls.find((c) => c.accessKeyId === newKeyId);
    expect(onOldKeyAfterPromotion.length).toBeGreaterThan(0);
    expect(firstOnNewKey?.at.getTime()).toBeGreaterThan(promotedAt.getTime() + 4 * HOUR);
    const deactivatedAt = Date.parse(String(output(execution).deactivatedAt));
    expect(deactivatedAt).toBeGreaterThan(firstOnNewKey?.at.getTime() ?? Infinity);
    expect(liveKeys(sb, user.userName).map((k) => k.accessKeyId)).toEqual([newKeyId]);
    expect(monitor.violations).toEqual([]);
  });
});

describe('an application that never switches', () => {
  it('fails at the deadline (policy fail): both keys active, the new one current, operators told who uses the old key', async () => {
    const { user, execution, consumer, monitor, newKeyId, promotedAt } = await rotateWithConsumer(
      'app-never-fail',
      'never',
    );

    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('CutoverDeadlineError');
    expect(execution.cause).toContain(user.oldKey.accessKeyId);
    expect(execution.stopDate?.getTime()).toBeGreaterThanOrEqual(promotedAt.getTime() + 7 * DAY);
    expect(consumer.failures).toEqual([]);
    expect(liveKeys(sb, user.userName).map((k) => [k.accessKeyId, k.status])).toEqual([
      [user.oldKey.accessKeyId, 'Active'],
      [newKeyId, 'Active'],
    ]);
    expect(staged(sb, user.userName, 'AWSCURRENT')?.value.AccessKeyId).toBe(newKeyId);
    monitor.checkSafeFailure(user.userName, user.oldKey.accessKeyId);
    const deadline = sb.emulator.notifications.find(
      (n) => n.Subject === `rekey: cutover deadline passed for ${user.userName}`,
    );
    // Who still uses it: the application signs STS requests in the sandbox's region.
    expect(deadline?.Message).toContain(user.oldKey.accessKeyId);
    expect(deadline?.Message).toContain(`by sts in ${sb.region}`);
    expect(deadline?.Message).toMatch(/both keys stay active/);
    expect(monitor.violations).toEqual([]);
  });

  it('enforces the deadline when the user is tagged rekey:deadline-action=enforce: deactivated, deleted after the recovery window, SUCCEEDED', async () => {
    const { user, execution, consumer, monitor, newKeyId, promotedAt } = await rotateWithConsumer(
      'app-never-enforce',
      'never',
      [{ Key: 'rekey:deadline-action', Value: 'enforce' }, ...ONE_DAY_WINDOW],
    );

    expect(execution.status).toBe('SUCCEEDED');
    const state = output(execution);
    expect(state).toMatchObject({
      policy: { deadlineAction: 'enforce' },
      cutover: { verdict: 'deadline-enforced' },
    });
    const deactivatedAt = Date.parse(String(state.deactivatedAt));
    const deletedAt = Date.parse(String(state.deletedAt));
    expect(deactivatedAt).toBeGreaterThanOrEqual(promotedAt.getTime() + 7 * DAY);
    expect(deletedAt - deactivatedAt).toBeGreaterThanOrEqual(DAY);
    expect(keyById(sb, user.oldKey.accessKeyId)?.deletedAt?.getTime()).toBe(deletedAt);
    expect(liveKeys(sb, user.userName).map((k) => k.accessKeyId)).toEqual([newKeyId]);
    // The application that never moved breaks once its key is deactivated, and not before.
    const failures = consumer.failures;
    expect(failures.length).toBeGreaterThan(0);
    expect(failures.every((c) => c.at.getTime() >= deactivatedAt)).toBe(true);
    expect(failures.map((c) => c.error)).toContain('InvalidClientTokenId');
    expect(consumer.calls.filter((c) => c.at.getTime() < deactivatedAt).every((c) => c.ok)).toBe(
      true,
    );
    expect(
      sb.emulator.notifications.some(
        (n) => n.Subject === `rekey: cutover deadline passed for ${user.userName}`,
      ),
    ).toBe(true);
    expect(monitor.violations).toEqual([]);
  });

  it('completes on a re-run once the application is fixed: it resumes with the published key, no third key', async () => {
    const failed = await rotateWithConsumer('app-never-then-fixed', 'never', [
      ...ONE_DAY_WINDOW,
      { Key: 'rekey:cutover-deadline-hours', Value: '24' },
    ]);
    expect(failed.execution.error).toBe('CutoverDeadlineError');

    // The team fixes the application (it now follows the secret) and the operator re-runs.
    const rerun = await runWithConsumer(failed.user, 'prompt', failed.monitor);

    expect(rerun.execution.status).toBe('SUCCEEDED');
    expect(output(rerun.execution)).toMatchObject({
      resumed: 'promoted',
      newKey: { accessKeyId: failed.newKeyId },
      cutover: { verdict: 'switched' },
    });
    expect(rerun.consumer.failures).toEqual([]);
    expect(allKeys(sb, failed.user.userName).map((k) => k.accessKeyId)).toEqual([
      failed.user.oldKey.accessKeyId,
      failed.newKeyId,
    ]);
    expect(liveKeys(sb, failed.user.userName).map((k) => k.accessKeyId)).toEqual([failed.newKeyId]);
    expect(rerun.monitor.violations).toEqual([]);
  });
});
