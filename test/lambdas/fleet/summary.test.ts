import { DescribeExecutionCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { categoriesOf, LIST_CAP, summarize } from '../../../lambdas/fleet-scan/summary';
import { classifyUser } from '../../../lambdas/shared/fleet';
import { ROOT_KEY_ADVICE } from '../../../lambdas/shared/root-keys';
import { ACCOUNT, jsonError, NOW } from '../helpers';
import { daysAgo, fleetPolicy, reportUser, type UserSpec } from './fixtures';
import {
  expectedName,
  givenReport,
  givenTags,
  resetHarness,
  rotationArn,
  runScan,
  SCAN_EXECUTION_ARN,
  sfn,
  type Harness,
} from './harness';

let h: Harness;
beforeEach(() => {
  h = resetHarness();
});
afterEach(() => jest.restoreAllMocks());

/** One user of every kind the summary counts. */
const FLEET: UserSpec[] = [
  { name: 'compliant', keys: [{ age: 10 }] },
  { name: 'due', keys: [{ age: 85 }] },
  { name: 'overdue', keys: [{ age: 95 }] },
  { name: 'exempt', keys: [{ age: 95 }] },
  { name: 'expired', keys: [{ age: 85 }] },
  { name: 'expiring', keys: [{ age: 85 }] },
  { name: 'opted-out', keys: [{ age: 85 }] },
  { name: 'no-key', keys: [{ age: 85, active: false }] },
  { name: 'two-keys', keys: [{ age: 85 }, { age: 5 }] },
  { name: 'failed', keys: [{ age: 86 }] },
];

function givenFleet(): void {
  givenReport(FLEET);
  givenTags({
    exempt: { 'rekey:exempt-until': '2026-12-31', 'rekey:exempt-reason': 'legacy vendor' },
    expired: { 'rekey:exempt-until': '2026-02-01', 'rekey:exempt-reason': 'audit' },
    expiring: { 'rekey:exempt-until': '2026-03-05', 'rekey:exempt-reason': 'migration' },
    'opted-out': { 'rekey:rotate': 'false' },
  });
  // The failed user's rotation of this key ran before and failed.
  const failedName = expectedName('failed', 86);
  sfn
    .on(StartExecutionCommand, { name: failedName })
    .rejects(jsonError('ExecutionAlreadyExists', 400, `Execution Already Exists: '${failedName}'`));
  sfn.on(DescribeExecutionCommand, { executionArn: rotationArn(failedName) }).resolves({
    executionArn: rotationArn(failedName),
    status: 'FAILED',
    error: 'CutoverDeadlineError',
  });
}

describe('scan: the compliance summary', () => {
  it('counts every category and names its users', async () => {
    givenFleet();

    const summary = await runScan(h);

    expect(summary).toMatchObject({
      dryRun: false,
      scannedAt: NOW.toISOString(),
      reportGeneratedAt: new Date(NOW.getTime() - 3_600_000).toISOString(),
      usersScanned: 10,
      usersManaged: 10,
      tagReads: 8, // not the young key or the user without an active key
      truncated: [],
      oldestActiveKeyAgeDays: 95,
      rootAccessKeys: 0,
    });
    expect(summary.rootKeyFinding).toBeUndefined();
    expect(summary.counts).toEqual({
      compliant: 1,
      due: 4,
      overdue: 2,
      exempt: 2,
      exemptionsExpired: 1,
      exemptionsExpiring: 1,
      optedOut: 1,
      noActiveKey: 1,
      refused: 1,
      failed: 1,
      started: 4,
      inProgress: 0,
      recentlyRotated: 0,
      deferred: 0,
    });
    expect(summary.users).toEqual({
      compliant: ['compliant'],
      due: ['due', 'overdue', 'expired', 'failed'],
      overdue: ['overdue', 'exempt'],
      exempt: ['exempt', 'expiring'],
      exemptionsExpired: ['expired'],
      exemptionsExpiring: ['expiring'],
      optedOut: ['opted-out'],
      noActiveKey: ['no-key'],
      refused: ['two-keys'],
      failed: ['failed'],
      started: ['due', 'overdue', 'expired', 'two-keys'],
    });
  });

  it('lists at most LIST_CAP users per category and says which lists were cut', async () => {
    givenReport(
      Array.from({ length: LIST_CAP + 10 }, (_, i) => ({
        name: `old-${String(i).padStart(2, '0')}`,
        keys: [{ age: 95 }],
      })),
    );

    const summary = await runScan(h, { dryRun: true });

    expect(summary.counts).toMatchObject({ due: LIST_CAP + 10, overdue: LIST_CAP + 10 });
    expect(summary.users.overdue).toHaveLength(LIST_CAP);
    expect(summary.users.overdue?.at(-1)).toBe(`old-${LIST_CAP - 1}`);
    expect(summary.truncated.slice().sort()).toEqual(['due', 'overdue']);
    expect(h.telemetry.notifications[0]?.message).toMatch(
      new RegExp(`^Keys past the maximum age \\(${LIST_CAP + 10}\\): old-00, .*, old-49, …$`),
    );
  });
});

describe('scan: publishing the summary', () => {
  it('sends one Fleet Scan Completed event with the summary and the scan execution', async () => {
    givenFleet();

    const summary = await runScan(h);

    expect(h.telemetry.detailTypes()).toEqual(['Fleet Scan Completed']);
    expect(h.telemetry.event('Fleet Scan Completed')).toEqual({
      ...summary,
      executionArn: SCAN_EXECUTION_ARN,
      at: NOW.toISOString(),
    });
  });

  it('prints the compliance counts as CloudWatch metrics (EMF) in namespace rekey', async () => {
    givenFleet();

    const summary = await runScan(h);

    const emf = h.output.records().filter((r) => r._aws !== undefined);
    expect(emf).toHaveLength(1);
    const [record] = emf as [Record<string, unknown>];
    expect(record._aws).toMatchObject({
      CloudWatchMetrics: [
        {
          Namespace: 'rekey',
          Dimensions: [['service']],
          Metrics: expect.arrayContaining([{ Name: 'KeysPastMaxAge', Unit: 'Count' }]) as unknown,
        },
      ],
    });
    expect(record).toMatchObject({
      service: 'rekey',
      UsersScanned: summary.usersManaged,
      UsersCompliant: 1,
      UsersDue: 4,
      KeysPastMaxAge: 2,
      UsersExempt: 2,
      ExemptionsExpired: 1,
      ExemptionsExpiring: 1,
      RotationsRefused: 1,
      RotationsFailed: 1,
      RotationsStarted: 4,
      RotationsDeferred: 0,
      OldestActiveKeyAgeDays: 95,
      RootAccessKeys: 0,
    });
  });

  it('notifies once, naming the users in every category someone must act on', async () => {
    givenFleet();

    await runScan(h);

    expect(h.telemetry.notifications).toEqual([
      {
        subject: 'rekey fleet scan: 5 item(s) need attention',
        message: [
          'Keys past the maximum age (2): overdue, exempt',
          'Rotations that failed and need an operator (1): failed',
          'Refused: two active keys, or a name a secret cannot hold (1): two-keys',
          'Expired exemptions, no longer honoured (1): expired',
          'Exemptions about to expire (1): expiring',
        ].join('\n'),
      },
    ]);
  });

  it('does not notify when nothing needs a person', async () => {
    givenReport([
      { name: 'compliant', keys: [{ age: 10 }] },
      { name: 'due', keys: [{ age: 85 }] },
      { name: 'no-key' },
    ]);

    const summary = await runScan(h);

    expect(summary.counts).toMatchObject({ due: 1, started: 1 });
    expect(h.telemetry.notifications).toEqual([]);
    expect(h.telemetry.detailTypes()).toEqual(['Fleet Scan Completed']);
  });
});

describe('scan: an active root access key', () => {
  const day = (age: number): string => daysAgo(age).slice(0, 10);

  it('is a finding in the summary, apart from the users, and nothing is started for it', async () => {
    givenReport(
      [{ name: 'due', keys: [{ age: 85 }] }],
      [{ age: 400, lastUsed: daysAgo(1), service: 's3', region: 'us-east-1' }],
    );

    const summary = await runScan(h);

    expect(summary).toMatchObject({ usersScanned: 1, usersManaged: 1, rootAccessKeys: 1 });
    expect(summary.rootKeyFinding).toEqual({
      account: ACCOUNT,
      keys: [
        {
          slot: 1,
          active: true,
          lastRotated: new Date(daysAgo(400)).toISOString(),
          lastUsed: new Date(daysAgo(1)).toISOString(),
          lastUsedService: 's3',
          lastUsedRegion: 'us-east-1',
        },
      ],
      control: 'IAM.4',
      advice: ROOT_KEY_ADVICE,
    });
    expect(Object.values(summary.users).flat()).not.toContain('<root_account>');
    expect(
      sfn
        .commandCalls(StartExecutionCommand)
        .map((c): unknown => JSON.parse(c.args[0].input.input ?? '')),
    ).toEqual([{ userName: 'due', mode: 'scheduled', requestedBy: 'rekey fleet scan' }]);
    expect(h.telemetry.event('Fleet Scan Completed')).toMatchObject({
      rootAccessKeys: 1,
      rootKeyFinding: summary.rootKeyFinding,
    });
  });

  it('counts the active root keys as the RootAccessKeys metric (0, 1 or 2)', async () => {
    givenReport([], [{ age: 400 }, { age: 3 }]);

    await runScan(h, { dryRun: true });

    const [record] = h.output.records().filter((r) => r._aws !== undefined);
    expect(record).toMatchObject({ RootAccessKeys: 2 });
  });

  it('leads the notification, and alone makes the scan notify', async () => {
    givenReport(
      [{ name: 'compliant', keys: [{ age: 10 }] }],
      [
        { age: 900, active: false },
        { age: 400, lastUsed: daysAgo(1), service: 's3' },
      ],
    );

    await runScan(h);

    expect(h.telemetry.notifications).toEqual([
      {
        subject: 'rekey fleet scan: root access key active (IAM.4), 1 item(s) need attention',
        message:
          `The root user of account ${ACCOUNT} has 1 active access key(s) (Security Hub IAM.4, critical): ` +
          `key 2 created ${day(400)}, last used ${day(1)} (s3). ${ROOT_KEY_ADVICE}`,
      },
    ]);
  });

  it('comes before every other line someone must act on', async () => {
    givenReport([{ name: 'overdue', keys: [{ age: 95 }] }], [{ age: 400 }]);

    await runScan(h, { dryRun: true });

    const [notice] = h.telemetry.notifications;
    expect(notice?.subject).toBe(
      'rekey fleet scan: root access key active (IAM.4), 2 item(s) need attention',
    );
    expect(notice?.message.split('\n')).toEqual([
      expect.stringMatching(
        /^The root user of account \d{12} has 1 active access key\(s\) .*never used\. rekey never rotates/,
      ) as unknown,
      'Keys past the maximum age (1): overdue',
    ]);
  });

  it('is no finding when the root user has only an inactive key', async () => {
    givenReport([{ name: 'compliant', keys: [{ age: 10 }] }], [{ age: 900, active: false }]);

    const summary = await runScan(h);

    expect(summary.rootAccessKeys).toBe(0);
    expect(summary.rootKeyFinding).toBeUndefined();
    expect(h.telemetry.notifications).toEqual([]);
  });
});

describe('categoriesOf', () => {
  const twoKeys = classifyUser(
    reportUser({ name: 'alice', keys: [{ age: 85 }, { age: 1 }] }),
    fleetPolicy(),
    {},
  );
  const executionArn = rotationArn(expectedName('alice', 85));

  it('puts two active keys with no rotation of them running in refused', () => {
    expect(categoriesOf(twoKeys, undefined, 14)).toEqual(['refused']);
    expect(categoriesOf(twoKeys, { status: 'started', executionArn }, 14)).toEqual([
      'refused',
      'started',
    ]);
    expect(
      categoriesOf(twoKeys, { status: 'failed', executionArn, error: 'CutoverDeadlineError' }, 14),
    ).toEqual(['refused', 'failed']);
  });

  it('puts two active keys whose scheduled rotation is running (its cutover) in due, not refused', () => {
    expect(categoriesOf(twoKeys, { status: 'in-progress', executionArn }, 14)).toEqual([
      'due',
      'inProgress',
    ]);
  });

  it('adds overdue and the start outcome to the decision', () => {
    const old = classifyUser(reportUser({ name: 'bob', keys: [{ age: 95 }] }), fleetPolicy(), {});

    expect(categoriesOf(old, { status: 'deferred' }, 14)).toEqual(['due', 'overdue', 'deferred']);
    expect(categoriesOf(old, { status: 'rotated', executionArn }, 14)).toEqual([
      'due',
      'overdue',
      'recentlyRotated',
    ]);
  });

  it('summarizes nothing as all zeros', () => {
    const summary = summarize([], new Map(), {
      dryRun: true,
      scannedAt: NOW.toISOString(),
      usersScanned: 0,
      warningDays: 14,
    });

    expect(Object.values(summary.counts).every((n) => n === 0)).toBe(true);
    expect(summary).toMatchObject({
      usersManaged: 0,
      tagReads: 0,
      users: {},
      truncated: [],
      rootAccessKeys: 0,
    });
    expect(summary.rootKeyFinding).toBeUndefined();
  });
});
