/**
 * The fleet scan at 10,000 users (docs/design.md "Fleet scan"): one credential report for the whole
 * account and tags only for candidates, so its IAM calls do not grow with the fleet; a history
 * and payloads far below Step Functions' 25,000-event and 256 KiB quotas.
 */
import { Sandbox } from '../../../sandbox/sandbox';
import {
  bytes,
  iamCallCounts,
  largestStatePayload,
  rotationName,
  rotationStatuses,
  scanAndSettle,
  scanIamCalls,
  seedOne,
  type ScanRun,
} from './helpers';

let sb: Sandbox;

beforeAll(async () => {
  sb = await Sandbox.start();
}, 60_000);

afterAll(async () => {
  await sb?.stop();
});

const DUE = 5;
/** The scan's IAM calls whatever the fleet's size: the report (asked for twice), then tags. */
const SCAN_IAM_CALLS = { GenerateCredentialReport: 2, GetCredentialReport: 1, ListUserTags: DUE };

/** A fresh account of `size` users: DUE with an 85-day key, everyone else a 10-day key. */
function seedFleet(size: number): Map<string, string> {
  sb.emulator.reset();
  const names = new Map<string, string>();
  for (let i = 0; i < size; i += 1) {
    const userName = `user-${String(i).padStart(5, '0')}`;
    const key = seedOne(sb, { userName, keys: [{ ageDays: i < DUE ? 85 : 10 }] });
    if (i < DUE) names.set(userName, rotationName(userName, key));
  }
  return names;
}

interface Measure {
  readonly run: ScanRun;
  readonly iam: Record<string, number>;
}

function report(label: string, m: Measure): void {
  const { execution, realMs } = m.run;
  console.log(
    `${label}: ${realMs} ms real, IAM calls ${JSON.stringify(m.iam)}, ` +
      `${execution.events.length} history events, output ${bytes(execution.output)} bytes, ` +
      `largest state payload ${largestStatePayload(execution)} bytes`,
  );
}

async function measuredScan(size: number, input: unknown, label: string): Promise<Measure> {
  const run = await scanAndSettle(sb, input);
  const m = { run, iam: iamCallCounts(scanIamCalls(sb)) };
  report(`${label}, ${size} users`, m);
  return m;
}

describe('dry-run scans of 100 and of 10,000 users', () => {
  let small: Measure;
  let large: Measure;

  beforeAll(async () => {
    seedFleet(100);
    small = await measuredScan(100, { dryRun: true }, 'dry run');
    seedFleet(10_000);
    large = await measuredScan(10_000, { dryRun: true }, 'dry run');
  }, 120_000);

  it.each([
    [100, () => small],
    [10_000, () => large],
  ])('decides every one of %i users and finds the same due users', (size, measure) => {
    const { summary } = measure().run;

    expect(summary).toMatchObject({
      usersScanned: size,
      usersManaged: size,
      tagReads: DUE,
      counts: { compliant: size - DUE, due: DUE, started: 0 },
      truncated: ['compliant'],
    });
    expect(summary.users.due).toEqual([
      'user-00000',
      'user-00001',
      'user-00002',
      'user-00003',
      'user-00004',
    ]);
    expect(summary.users.compliant).toHaveLength(50);
  });

  it('makes the same IAM calls for 10,000 users as for 100: the report, and tags per candidate', () => {
    expect(small.iam).toEqual(SCAN_IAM_CALLS);
    expect(large.iam).toEqual(SCAN_IAM_CALLS);
  });

  it('keeps the same 25-event history at 10,000 users, every state payload under 8 KiB', () => {
    const types = (m: Measure): string[] => m.run.execution.events.map((e) => e.type ?? '');

    expect(types(large)).toEqual(types(small));
    expect(large.run.execution.events).toHaveLength(25);
    expect(largestStatePayload(large.run.execution)).toBeLessThan(8 * 1024);
    expect(bytes(large.run.execution.output)).toBeLessThan(8 * 1024);
  });
});

it('starts exactly the due rotations in a real scan of 10,000 users, and they complete', async () => {
  const names = seedFleet(10_000);

  const m = await measuredScan(10_000, {}, 'real scan (its 5 rotations included)');

  expect(m.iam).toEqual(SCAN_IAM_CALLS);
  expect(m.run.summary.counts).toMatchObject({ due: DUE, started: DUE, deferred: 0 });
  expect(m.run.execution.events).toHaveLength(25);
  expect(rotationStatuses(sb)).toEqual([...names.values()].map((n) => `${n}: SUCCEEDED`).sort());
}, 120_000);
