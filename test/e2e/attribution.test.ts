/**
 * Attribution end to end: simulated applications sign with the user's old key, each with its own
 * user agent and loopback address; the emulator's CloudTrail records them; check-cutover names
 * them. Two applications, one of which moves half an hour after promotion; the other never does.
 */
import type { SimulatedConsumer } from '../../sandbox/apps/consumer';
import type { ExecutionRecord } from '../../sandbox/contracts';
import { Sandbox } from '../../sandbox/sandbox';
import { rekey, sandboxEnv, type CliRun } from '../cli/helpers';
import type { Attribution } from '../../lambdas/shared/types';
import {
  advanceUntil,
  checkSecrecy,
  consumerOf,
  liveKeys,
  MINUTE,
  seedUser,
  watch,
  type SeededUser,
} from './helpers';

const NEVER = { userAgent: 'never-app/1.0', localAddress: '127.0.0.2' };
const MOVER = { userAgent: 'mover-app/3.1', localAddress: '127.0.0.3' };
/** A day's deadline keeps the run short; the recovery window is not what this is about. */
const TAGS = [
  { Key: 'rekey:cutover-deadline-hours', Value: '24' },
  { Key: 'rekey:recovery-window-days', Value: '1' },
];

let sb: Sandbox;
let apps: SimulatedConsumer[] = [];

beforeAll(async () => {
  sb = await Sandbox.start({ clockMode: 'manual' });
}, 60_000);

afterAll(async () => {
  await sb?.stop();
});

afterEach(async () => {
  await Promise.all(apps.map((a) => a.stop()));
  apps = [];
  sb.emulator.faults.clear();
});

function app(
  user: SeededUser,
  identity: typeof NEVER,
  behaviour: 'never' | 'late',
  cacheSeconds?: number,
): SimulatedConsumer {
  const consumer = consumerOf(sb, user, behaviour, 15, {
    name: identity.userAgent,
    cacheSeconds,
    identity,
  });
  apps.push(consumer);
  return consumer;
}

interface Run {
  readonly execution: ExecutionRecord;
  /** Each CheckCutover's attribution, in order (undefined when it looked nothing up). */
  readonly checks: { verdict?: string; attribution?: Attribution }[];
}

/**
 * The never-moving application and, if `withMover`, one whose cache expires half an hour after
 * the rotation starts (it then reads the new key). Runs until the execution ends.
 */
async function rotateWithApps(
  userName: string,
  withMover: boolean,
  /** Runs once, while the rotation waits after its first check that attributed the old key. */
  whileWaiting?: () => Promise<void>,
): Promise<Run> {
  const user = seedUser(sb, userName, { tags: TAGS, lastUsedDaysAgo: 1 });
  const monitor = watch(sb, [userName]);
  const never = app(user, NEVER, 'never');
  never.start();
  // Its cache, filled now (no secret yet: the configured key), expires 2 h from now.
  const mover = withMover ? app(user, MOVER, 'late', 2 * 3600) : undefined;
  mover?.start();
  await sb.scheduler.advance(90 * MINUTE);

  const arn = await sb.startRotation({ userName });
  if (whileWaiting) {
    const attributed = (): boolean =>
      sb
        .execution(arn)
        .events.some((e) => e.stateExitedEventDetails?.output?.includes('"attribution"'));
    await advanceUntil(sb, attributed, { stepMs: 15 * MINUTE });
    await whileWaiting();
  }
  await advanceUntil(sb, () => sb.execution(arn).status !== 'RUNNING', { stepMs: 15 * MINUTE });
  await Promise.all(apps.map((a) => a.stop()));
  apps = [];

  const execution = sb.execution(arn);
  const checks = execution.events
    .filter((e) => e.stateExitedEventDetails?.name === 'CheckCutover')
    .map((e) => {
      const out = JSON.parse(e.stateExitedEventDetails?.output ?? '{}') as {
        cutover?: { verdict?: string; attribution?: Attribution };
      };
      return { verdict: out.cutover?.verdict, attribution: out.cutover?.attribution };
    });
  monitor.checkNoOrphans();
  checkSecrecy(sb, monitor, [execution]);
  expect(monitor.violations).toEqual([]);
  monitor.stop();
  return { execution, checks };
}

const named = (a: Attribution | undefined): string[] =>
  (a?.callers ?? []).map((c) => `${c.sourceIp} ${c.userAgent.split(' ').at(-1) ?? ''}`);

describe('attribution of the old key', () => {
  it('names the application that never moved, and no other, at the deadline', async () => {
    let status: CliRun | undefined;
    const { execution, checks } = await rotateWithApps('attr-two', true, async () => {
      status = await rekey(['--endpoint-url', sb.endpoint, 'status', 'attr-two'], {
        env: sandboxEnv(sb),
      });
    });

    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('CutoverDeadlineError');
    // The first check after promotion sees both; the mover moved before the next window began.
    const attributed = checks.filter((c) => c.attribution);
    expect(named(attributed[0]?.attribution).sort()).toEqual([
      '127.0.0.2 never-app/1.0',
      '127.0.0.3 mover-app/3.1',
    ]);
    // Checks after the first (the deadline check's failure leaves the state of the one before).
    expect(attributed.length).toBeGreaterThanOrEqual(2);
    for (const later of attributed.slice(1)) {
      expect(named(later.attribution)).toEqual(['127.0.0.2 never-app/1.0']);
    }
    // rekey status shows the running rotation's last attribution, with CloudTrail's limits.
    expect(status?.code).toBe(0);
    expect(status?.stdout).toMatch(/Still used from 127\.0\.0\.\d by .*(never|mover)-app/);
    expect(status?.stdout).toContain('management events only');
    // After the deadline, the failure's cause in full.
    const after = await rekey(['--endpoint-url', sb.endpoint, 'status', 'attr-two'], {
      env: sandboxEnv(sb),
    });
    expect(after.stdout).toMatch(
      /Last failure .*Still used from 127\.0\.0\.2 by .*never-app\/1\.0/,
    );
    const cause = execution.cause ?? '';
    expect(cause).toContain('Still used from 127.0.0.2 by aws-sdk-js/');
    expect(cause).toContain('never-app/1.0 (sts in us-east-1)');
    expect(cause).not.toContain('mover-app');
    expect(cause).toContain('management events only');
    const notice = sb.emulator.notifications.find(
      (n) => n.Subject === 'rekey: cutover deadline passed for attr-two',
    );
    expect(notice?.Message).toContain('never-app/1.0');
    expect(notice?.Message).toContain('127.0.0.2');
    expect(notice?.Message).not.toContain('mover-app');
    const event = sb.emulator.events.find(
      (e) => e.DetailType === 'Cutover Deadline Passed' && e.Detail.userName === 'attr-two',
    );
    expect(named(event?.Detail.attribution as Attribution)).toEqual(['127.0.0.2 never-app/1.0']);
    // Each check stays within its page budget and CloudTrail's rate.
    for (const { attribution } of attributed) expect(attribution?.lookups).toBeLessThanOrEqual(10);
  }, 120_000);

  it.each([
    ['throttled', 'throttle', /CloudTrail throttled LookupEvents 4 times/],
    ['denied', 'permission-removed', /CloudTrail refused LookupEvents \(AccessDeniedException/],
  ] as const)(
    'rotates exactly as without attribution when LookupEvents is %s, and says why',
    async (_, kind, why) => {
      const baseline = await rotateWithApps(`attr-base-${kind}`, false);
      sb.emulator.faults.add({ service: 'cloudtrail', operation: 'LookupEvents', kind });

      const faulted = await rotateWithApps(`attr-${kind}`, false);

      const verdicts = (r: Run): (string | undefined)[] => r.checks.map((c) => c.verdict);
      expect(verdicts(faulted)).toEqual(verdicts(baseline));
      expect([faulted.execution.status, faulted.execution.error]).toEqual([
        baseline.execution.status,
        baseline.execution.error,
      ]);
      expect(liveKeys(sb, `attr-${kind}`).map((k) => k.status)).toEqual(['Active', 'Active']);
      expect(faulted.execution.cause).toMatch(why);
      expect(faulted.execution.cause).toMatch(/^cutover deadline passed/);
      expect(baseline.execution.cause).toContain('never-app/1.0');
      for (const { attribution } of faulted.checks.filter((c) => c.attribution)) {
        expect(attribution?.status).toBe('unavailable');
      }
    },
    240_000,
  );
});
