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
} from './helpers';

let sb: Sandbox;

beforeAll(async () => {
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

// KNOWN BUG: startDue (lambdas/fleet-scan/core.ts) marks every due user 'deferred' once the
// running rotations fill the cap, without checking which of them are its own running rotations,
// so those are reported and notified as "Due but deferred by the concurrency cap (5): due-81d,
// due-82d, due-83d, due-84d, due-85d" (counts: deferred 5, inProgress 0) instead of in progress.
it.failing(
  'reports its own running rotations as in progress, not deferred, while the cap is full',
  async () => {
    sb.scheduler.setMode('manual');
    seedDue();
    await scanOnly(sb);
    await sb.scheduler.advance(MINUTE);

    const { summary } = await scanOnly(sb);

    expect(summary.users.inProgress).toEqual(['due-84d', 'due-85d']);
    expect(summary.users.deferred).toEqual(['due-81d', 'due-82d', 'due-83d']);
    expect(summary.counts).toMatchObject({ started: 0, inProgress: 2, deferred: 3 });
  },
);

// KNOWN BUG: the same cause, in a rotation's cutover: with the cap full the scan never asks
// Step Functions about due-84d and due-85d, so the fix for users mid-cutover (52a86b1) does not
// apply and they are reported "Refused, two active keys (2)" (and deferred) every day of it.
it.failing(
  'reports its rotations in their cutover as in progress, not refused, while the cap is full',
  async () => {
    sb.scheduler.setMode('manual');
    seedDue();
    await scanOnly(sb);
    // Past the report's 4-hour reuse, before the first cutover check (2 x 15 min + 4 h lag).
    await sb.scheduler.advance(4 * HOUR + 5 * MINUTE);

    const { summary } = await scanOnly(sb);

    expect(summary.counts).toMatchObject({ refused: 0, started: 0, inProgress: 2, deferred: 3 });
    expect(scanNotifications(sb).at(-1)?.Message).toBe(
      'Due but deferred by the concurrency cap (3): due-81d, due-82d, due-83d',
    );
  },
);
