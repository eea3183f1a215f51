/**
 * A scheduled rotation must not be blocked forever by something that changed nothing: a running
 * on-demand rotation of the same user, a throttled Inspect when many rotations start at once, or a
 * later failure after which compensation read the user as it was. "Never start a duplicate" and
 * "a failure that left something changed is reported, not retried daily" still hold.
 */
import type { ExecutionRecord } from '../../../sandbox/contracts';
import { Sandbox } from '../../../sandbox/sandbox';
import {
  HOUR,
  MINUTE,
  liveKeys,
  rotationName,
  rotations,
  scanAndSettle,
  scanOnly,
  seedOne,
  shortenSdkBackoff,
  watch,
} from './helpers';

let sb: Sandbox;

/** The state an execution ended in: the scan reads it from the history without data. */
const endedIn = (execution: ExecutionRecord | undefined): string | undefined =>
  execution?.events.findLast((e) => e.stateEnteredEventDetails)?.stateEnteredEventDetails?.name;

beforeAll(async () => {
  shortenSdkBackoff();
  sb = await Sandbox.start();
}, 60_000);

afterAll(async () => {
  await sb?.stop();
});

beforeEach(() => {
  sb.scheduler.setMode('auto');
  sb.emulator.reset();
});

it('reports a running on-demand rotation of a due user as in progress, and starts nothing for it', async () => {
  sb.scheduler.setMode('manual');
  const key = seedOne(sb, { userName: 'busy' });
  const monitor = watch(sb, ['busy']);
  const onDemand = await sb.startRotation({ userName: 'busy' }, 'rekey-busy-20261201120000000');
  await sb.scheduler.advance(MINUTE);

  const scan = await scanOnly(sb);

  expect(scan.summary.counts).toMatchObject({ due: 1, inProgress: 1, started: 0, failed: 0 });
  expect(rotations(sb).map((e) => e.executionArn)).toEqual([onDemand]);
  sb.scheduler.setMode('auto');
  await sb.settle();
  expect(sb.execution(onDemand).status).toBe('SUCCEEDED');
  expect(liveKeys(sb, 'busy').map((k) => k.accessKeyId)).not.toContain(key.accessKeyId);
  expect(monitor.violations).toEqual([]);
});

it('retries, under the next attempt name, a scheduled rotation whose Inspect failed on throttling', async () => {
  const key = seedOne(sb, { userName: 'throttled' });
  const monitor = watch(sb, ['throttled']);
  // Every GetUser is throttled for the whole first scan: its rotation fails in Inspect.
  const fault = sb.emulator.faults.add({ service: 'iam', operation: 'GetUser', kind: 'throttle' });

  const first = await scanAndSettle(sb);
  sb.emulator.faults.remove(fault);
  sb.clock.advanceBy(5 * HOUR); // past the credential report's 4-hour reuse
  const second = await scanAndSettle(sb);

  const name = rotationName('throttled', key);
  expect(first.summary.counts).toMatchObject({ started: 1 });
  expect(rotations(sb).map((e) => `${e.name}: ${e.status}`)).toEqual([
    `${name}: FAILED`,
    `${name}-2: SUCCEEDED`,
  ]);
  expect(rotations(sb)[0]?.error).toBe('AwsTransientError');
  expect(second.summary.counts).toMatchObject({ started: 1, failed: 0 });
  expect(liveKeys(sb, 'throttled').map((k) => k.accessKeyId)).not.toContain(key.accessKeyId);
  expect(monitor.violations).toEqual([]);
});

it.each([
  [
    'CreateAccessKey was throttled for the whole first scan (nothing was created)',
    { service: 'iam', operation: 'CreateAccessKey', kind: 'throttle' },
    'unchanged',
    /Nothing was changed: the old key \w+ is active and current\./,
  ],
  [
    'STS failed until the new key could not be verified (compensation deleted it)',
    { service: 'sts', operation: 'GetCallerIdentity', kind: 'server-error' },
    'restored',
    /The user is as it was: the old key \w+ is active and current; the new key \w+ was deleted\./,
  ],
] as const)(
  'retries, under the next attempt name, a scheduled rotation that failed after Inspect when %s',
  async (_, rule, outcome, cause) => {
    const key = seedOne(sb, { userName: `as-it-was-${outcome}` });
    const userName = `as-it-was-${outcome}`;
    const monitor = watch(sb, [userName]);
    const fault = sb.emulator.faults.add(rule);

    const first = await scanAndSettle(sb);
    sb.emulator.faults.remove(fault);
    const failed = rotations(sb)[0];
    sb.clock.advanceBy(5 * HOUR); // past the credential report's 4-hour reuse
    const second = await scanAndSettle(sb);

    const name = rotationName(userName, key);
    expect(first.summary.counts).toMatchObject({ started: 1 });
    expect(failed?.status).toBe('FAILED');
    // The outcome is in the metadata the scan reads: the state the attempt ended in.
    expect(endedIn(failed)).toBe('RotationFailedUnchanged');
    expect(failed?.cause).toMatch(cause);
    expect(failed?.cause).not.toMatch(/"errorType"|"trace"|\.ts:\d+/);
    expect(rotations(sb).map((e) => `${e.name}: ${e.status}`)).toEqual([
      `${name}: FAILED`,
      `${name}-2: SUCCEEDED`,
    ]);
    expect(second.summary.counts).toMatchObject({ started: 1, failed: 0 });
    expect(liveKeys(sb, userName).map((k) => k.accessKeyId)).not.toContain(key.accessKeyId);
    expect(monitor.violations).toEqual([]);
  },
);

it('does not retry a scheduled rotation that failed leaving something changed: it is reported', async () => {
  seedOne(sb, { userName: 'broken' });
  // After promotion the cutover check is refused for good: compensation leaves both keys active,
  // the new one current (published), which an operator must finish.
  const fault = sb.emulator.faults.add({
    service: 'iam',
    operation: 'GetAccessKeyLastUsed',
    kind: 'permission-removed',
  });

  await scanAndSettle(sb);
  sb.emulator.faults.remove(fault);
  const failed = rotations(sb)[0];
  sb.clock.advanceBy(5 * HOUR);
  const second = await scanAndSettle(sb);

  expect(failed?.status).toBe('FAILED');
  expect(endedIn(failed)).toBe('RotationFailed');
  expect(failed?.cause).toContain('Both keys are active and the new key');
  expect(rotations(sb)).toHaveLength(1);
  expect(second.summary.counts).toMatchObject({ started: 0, failed: 1 });
  expect(second.summary.users.failed).toEqual(['broken']);
});
