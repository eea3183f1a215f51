/**
 * A scheduled rotation must not be blocked forever by something that changed nothing: a running
 * on-demand rotation of the same user, or a throttled Inspect when many rotations start at once.
 * "Never start a duplicate" and "a real failure is reported, not retried daily" still hold.
 */
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

it('does not retry a scheduled rotation that failed after changing something: it is reported', async () => {
  seedOne(sb, { userName: 'broken' });
  // The new key never verifies: the rotation fails in VerifyKey and compensation deletes the key.
  const fault = sb.emulator.faults.add({
    service: 'sts',
    operation: 'GetCallerIdentity',
    kind: 'server-error',
  });

  await scanAndSettle(sb);
  sb.emulator.faults.remove(fault);
  sb.clock.advanceBy(5 * HOUR);
  const second = await scanAndSettle(sb);

  expect(rotations(sb)).toHaveLength(1);
  expect(second.summary.counts).toMatchObject({ started: 0, failed: 1 });
  expect(second.summary.users.failed).toEqual(['broken']);
});
