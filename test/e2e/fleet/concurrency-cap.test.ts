/**
 * The fleet scan's concurrency cap, on a sandbox deployed with `rekey:maxConcurrentRotations`
 * 2: a scan starts no more rotations than the running ones leave room for, oldest keys first,
 * defers the rest, and later scans start them.
 */
import { Sandbox } from '../../../sandbox/sandbox';
import {
  MINUTE,
  HOUR,
  liveKeys,
  rotationName,
  rotationStatuses,
  rotations,
  scanAndSettle,
  scanMetrics,
  scanNotifications,
  scanOnly,
  seedOne,
  shortenSdkBackoff,
} from './helpers';

let sb: Sandbox;

beforeAll(async () => {
  shortenSdkBackoff(); // the failed-rotation test injects an IAM fault
  sb = await Sandbox.start({ context: { 'rekey:maxConcurrentRotations': 2 } });
}, 60_000);

afterAll(async () => {
  await sb?.stop();
});

beforeEach(() => {
  sb.scheduler.setMode('auto');
  sb.emulator.reset();
});

/** Five due users, seeded youngest key first: due-81d ... due-85d. */
function seedDue(): Map<string, string> {
  const names = new Map<string, string>();
  for (const age of [81, 82, 83, 84, 85]) {
    const userName = `due-${age}d`;
    names.set(
      userName,
      rotationName(userName, seedOne(sb, { userName, keys: [{ ageDays: age }] })),
    );
  }
  return names;
}

it('starts only as many rotations as the cap allows, oldest keys first, and defers the rest', async () => {
  const names = seedDue();
  const metricsFrom = sb.runner.metrics.length;

  const { summary } = await scanAndSettle(sb);

  expect(summary.counts).toMatchObject({ due: 5, started: 2, deferred: 3 });
  expect(summary.users.started).toEqual(['due-84d', 'due-85d']);
  expect(summary.users.deferred).toEqual(['due-81d', 'due-82d', 'due-83d']);
  expect(rotationStatuses(sb)).toEqual(
    [`${names.get('due-84d')}: SUCCEEDED`, `${names.get('due-85d')}: SUCCEEDED`].sort(),
  );
  expect(scanMetrics(sb, metricsFrom)).toMatchObject({
    'rekey/RotationsStarted': 2,
    'rekey/RotationsDeferred': 3,
  });
  expect(scanNotifications(sb).map((n) => n.Message)).toEqual([
    'Due but deferred by the concurrency cap (3): due-81d, due-82d, due-83d',
  ]);
});

it('starts the deferred users in later scans until every due user is rotated', async () => {
  const names = seedDue();

  const started: string[][] = [];
  for (let scan = 0; scan < 4; scan += 1) {
    const { summary } = await scanAndSettle(sb); // the rotations end, days later
    started.push([...(summary.users.started ?? [])]);
    sb.clock.advanceBy(5 * HOUR); // a fresh credential report next time
  }

  expect(started).toEqual([['due-84d', 'due-85d'], ['due-82d', 'due-83d'], ['due-81d'], []]);
  expect(rotationStatuses(sb)).toEqual([...names.values()].map((n) => `${n}: SUCCEEDED`).sort());
  for (const userName of names.keys()) expect(liveKeys(sb, userName)).toHaveLength(1);
});

it('counts a rotation started by an operator against the cap', async () => {
  sb.scheduler.setMode('manual');
  seedOne(sb, { userName: 'on-demand', keys: [{ ageDays: 20 }] });
  for (const age of [83, 84, 85])
    seedOne(sb, { userName: `due-${age}d`, keys: [{ ageDays: age }] });
  await sb.startRotation({ userName: 'on-demand' });
  await sb.scheduler.advance(MINUTE);

  const { summary } = await scanOnly(sb);

  expect(summary.users.started).toEqual(['due-85d']);
  expect(summary.users.deferred).toEqual(['due-83d', 'due-84d']);
  expect(rotations(sb).filter((e) => e.status === 'RUNNING')).toHaveLength(2);
});

// Found by this test; fixed in lambdas/fleet-scan (5735b93).
it('reports its own running rotations as in progress, not deferred, while the cap is full', async () => {
  sb.scheduler.setMode('manual');
  seedDue();
  await scanOnly(sb);
  await sb.scheduler.advance(MINUTE);

  const { summary } = await scanOnly(sb);

  expect(summary.users.inProgress).toEqual(['due-84d', 'due-85d']);
  expect(summary.users.deferred).toEqual(['due-81d', 'due-82d', 'due-83d']);
  expect(summary.counts).toMatchObject({ started: 0, inProgress: 2, deferred: 3 });
});

// Found by this test: with the cap full, users mid-cutover were reported refused; fixed in 5735b93.
it('reports its rotations in their cutover as in progress, not refused, while the cap is full', async () => {
  sb.scheduler.setMode('manual');
  seedDue();
  await scanOnly(sb);
  // Past the report's 4-hour reuse, before the first cutover check (the 4 h last-used lag and more).
  await sb.scheduler.advance(4 * HOUR + 5 * MINUTE);

  const { summary } = await scanOnly(sb);

  expect(summary.counts).toMatchObject({ refused: 0, started: 0, inProgress: 2, deferred: 3 });
  expect(scanNotifications(sb).at(-1)?.Message).toBe(
    'Due but deferred by the concurrency cap (3): due-81d, due-82d, due-83d',
  );
});

// Fixed in 215fa66: a failed rotation is reported as failed even while the cap is full.
it('still reports a failed rotation as failed, not deferred, while the cap is full', async () => {
  const key = seedOne(sb, { userName: 'failed-before' });
  for (const userName of ['on-demand-1', 'on-demand-2']) {
    seedOne(sb, { userName, keys: [{ ageDays: 20 }] });
  }
  // A failure that leaves something changed (the cutover check refused after promotion: both
  // keys active, the new one current); one that changed nothing would be tried again.
  const faultId = sb.emulator.faults.add({
    service: 'iam',
    operation: 'GetAccessKeyLastUsed',
    kind: 'permission-removed',
  });
  await scanAndSettle(sb);
  sb.emulator.faults.remove(faultId);
  sb.scheduler.setMode('manual');
  await sb.startRotation({ userName: 'on-demand-1' });
  await sb.startRotation({ userName: 'on-demand-2' });
  await sb.scheduler.advance(MINUTE);

  const { summary } = await scanOnly(sb);

  expect(rotations(sb).map((e) => `${e.name}: ${e.status}`)).toContain(
    `${rotationName('failed-before', key)}: FAILED`,
  );
  expect(rotations(sb).filter((e) => e.status === 'RUNNING')).toHaveLength(2);
  expect(summary.users.failed).toEqual(['failed-before']);
  expect(summary.counts).toMatchObject({ failed: 1, deferred: 0 });
  // Its two active keys (the new one current) are reported too.
  expect(scanNotifications(sb).at(-1)?.Message).toBe(
    'Rotations that failed and need an operator (1): failed-before\n' +
      'Refused: two active keys, or a name a secret cannot hold (1): failed-before',
  );
});
