/**
 * Every policy decision of the fleet scan, end to end: one account holding a user for each
 * case, scanned by the synthesized fleet-scan state machine with the real Lambdas, the
 * rotations it starts run by the real rotation workflow until they end.
 */
import type { ScanSummary } from '../../../lambdas/fleet-scan/summary';
import type { InvariantMonitor } from '../../../sandbox/invariants';
import { Sandbox } from '../../../sandbox/sandbox';
import {
  accountSnapshot,
  currentKeyId,
  dateIn,
  liveKeys,
  rotationName,
  rotations,
  rotationStatuses,
  scanAndSettle,
  scanEvents,
  scanMetrics,
  scanNotifications,
  seedUser,
  userSnapshot,
  watch,
  type FleetUser,
  type ScanRun,
  type SeededKey,
} from './helpers';

let sb: Sandbox;

beforeAll(async () => {
  sb = await Sandbox.start();
}, 60_000);

afterAll(async () => {
  await sb?.stop();
});

/** One user per decision, in this order (the credential report's order, and the lists'). */
function fleet(): FleetUser[] {
  return [
    { userName: 'young-key', keys: [{ ageDays: 10 }] },
    { userName: 'due-key', keys: [{ ageDays: 85 }] },
    { userName: 'overdue-key', keys: [{ ageDays: 95 }] },
    {
      userName: 'exempt',
      tags: { 'rekey:exempt-until': dateIn(sb, 60), 'rekey:exempt-reason': 'vendor migration' },
    },
    {
      userName: 'exemption-expired',
      tags: { 'rekey:exempt-until': dateIn(sb, -2), 'rekey:exempt-reason': 'audit freeze' },
    },
    {
      userName: 'exemption-expiring',
      tags: { 'rekey:exempt-until': dateIn(sb, 5), 'rekey:exempt-reason': 'batch window' },
    },
    { userName: 'opted-out', tags: { 'rekey:rotate': 'false' } },
    { userName: 'no-keys', keys: [] },
    { userName: 'inactive-key-only', keys: [{ ageDays: 85, status: 'Inactive' }] },
    { userName: 'two-active-keys', keys: [{ ageDays: 85 }, { ageDays: 30 }] },
    { userName: 'rotate-after-88-at-85', tags: { 'rekey:rotate-after-days': '88' } },
    {
      userName: 'rotate-after-88-at-89',
      tags: { 'rekey:rotate-after-days': '88' },
      keys: [{ ageDays: 89 }],
    },
    {
      userName: 'rotate-after-30-at-50',
      tags: { 'rekey:rotate-after-days': '30' },
      keys: [{ ageDays: 50 }],
    },
  ];
}

/** Users whose rotation the scan starts and the workflow completes. */
const ROTATED = ['due-key', 'overdue-key', 'exemption-expired', 'rotate-after-88-at-89'];
/** Users the scan leaves alone. */
const UNTOUCHED = [
  'young-key',
  'exempt',
  'exemption-expiring',
  'opted-out',
  'no-keys',
  'inactive-key-only',
  'rotate-after-88-at-85',
  'rotate-after-30-at-50',
];

const EXPECTED_COUNTS: ScanSummary['counts'] = {
  compliant: 3,
  due: 4,
  overdue: 1,
  exempt: 2,
  exemptionsExpired: 1,
  exemptionsExpiring: 1,
  optedOut: 1,
  noActiveKey: 2,
  refused: 1,
  failed: 0,
  started: 5,
  inProgress: 0,
  recentlyRotated: 0,
  deferred: 0,
};

describe('a dry run of the fleet scan', () => {
  let run: ScanRun;
  let before: string;

  beforeAll(async () => {
    sb.emulator.reset();
    for (const user of fleet()) seedUser(sb, user);
    before = accountSnapshot(sb);
    run = await scanAndSettle(sb, { dryRun: true });
  });

  it('changes nothing in the account', () => {
    expect(accountSnapshot(sb)).toBe(before);
  });

  it('starts no rotation execution', () => {
    expect(rotations(sb)).toEqual([]);
    expect(
      sb.emulator.calls.filter((c) => c.service === 'states' && c.operation === 'StartExecution'),
    ).toHaveLength(1); // the test's own start of the scan
  });

  it('says which users it would rotate, and that it started none', () => {
    expect(run.summary.dryRun).toBe(true);
    expect(run.summary.users.due).toEqual(ROTATED);
    expect(run.summary.users.refused).toEqual(['two-active-keys']);
    expect(run.summary.counts).toEqual({ ...EXPECTED_COUNTS, started: 0 });
    expect(run.summary.users.started).toBeUndefined();
  });
});

describe('a scheduled fleet scan over one user of each kind', () => {
  let run: ScanRun;
  let keys: Map<string, SeededKey[]>;
  let untouchedBefore: Map<string, string>;
  let monitor: InvariantMonitor;

  beforeAll(async () => {
    sb.emulator.reset();
    keys = new Map(fleet().map((user) => [user.userName, seedUser(sb, user)]));
    untouchedBefore = new Map(
      [...UNTOUCHED, 'two-active-keys'].map((u) => [u, userSnapshot(sb, u)]),
    );
    monitor = watch(sb, [...keys.keys()]);
    run = await scanAndSettle(sb);
    monitor.stop();
  });

  const oldKey = (userName: string): SeededKey => {
    const key = keys.get(userName)?.[0];
    if (!key) throw new Error(`no seeded key for ${userName}`);
    return key;
  };

  it('decides every user from one credential report and reads tags only of users old enough to be due', () => {
    expect(run.summary).toMatchObject({
      dryRun: false,
      usersScanned: 13,
      usersManaged: 13,
      tagReads: 9,
      counts: EXPECTED_COUNTS,
      truncated: [],
      oldestActiveKeyAgeDays: 95,
    });
  });

  it('puts each user in the categories its policy gives', () => {
    expect(run.summary.users).toEqual({
      compliant: ['young-key', 'rotate-after-88-at-85', 'rotate-after-30-at-50'],
      due: ROTATED,
      overdue: ['overdue-key'],
      exempt: ['exempt', 'exemption-expiring'],
      exemptionsExpired: ['exemption-expired'],
      exemptionsExpiring: ['exemption-expiring'],
      optedOut: ['opted-out'],
      noActiveKey: ['no-keys', 'inactive-key-only'],
      refused: ['two-active-keys'],
      started: [...ROTATED.slice(0, 3), 'two-active-keys', ROTATED[3]],
    });
  });

  it('starts one rotation per due user under its deterministic name, and each completes', () => {
    expect(rotationStatuses(sb)).toEqual(
      [
        ...ROTATED.map((u) => `${rotationName(u, oldKey(u))}: SUCCEEDED`),
        `${rotationName('two-active-keys', oldKey('two-active-keys'))}: FAILED`,
      ].sort(),
    );
    for (const execution of rotations(sb)) {
      expect(JSON.parse(execution.input)).toEqual({
        userName: expect.any(String) as string,
        mode: 'scheduled',
        requestedBy: 'rekey fleet scan',
      });
    }
  });

  it.each(ROTATED)('leaves %s with one new active key, current in its secret', (userName) => {
    const live = liveKeys(sb, userName);

    expect(live).toHaveLength(1);
    expect(live[0]?.accessKeyId).not.toBe(oldKey(userName).accessKeyId);
    expect(live[0]?.status).toBe('Active');
    expect(currentKeyId(sb, userName)).toBe(live[0]?.accessKeyId);
  });

  it.each(UNTOUCHED)('changes nothing for %s', (userName) => {
    expect(userSnapshot(sb, userName)).toBe(untouchedBefore.get(userName));
  });

  it('has the workflow refuse the two-active-keys user, changing nothing', () => {
    const refusal = rotations(sb).find((e) => e.name.startsWith('scan-two-active-keys-'));

    expect(refusal?.status).toBe('FAILED');
    expect(refusal?.error).toBe('TwoActiveKeysError');
    expect(userSnapshot(sb, 'two-active-keys')).toBe(untouchedBefore.get('two-active-keys'));
    expect(
      sb.emulator.events
        .filter((e) => e.Detail.userName === 'two-active-keys')
        .map((e) => e.DetailType),
    ).toEqual(['Rotation Refused']);
    expect(sb.emulator.notifications.map((n) => n.Subject)).toContain(
      'rekey refused to rotate two-active-keys',
    );
  });

  it('keeps I1 and I2 through every change, and leaves no orphaned key (I3)', () => {
    monitor.checkNoOrphans();

    expect(monitor.violations).toEqual([]);
  });

  it('publishes the summary on EventBridge as one Fleet Scan Completed event', () => {
    const events = scanEvents(sb);

    expect(events).toHaveLength(1);
    expect(events[0]?.Source).toBe('rekey');
    expect(events[0]?.Detail).toEqual({
      ...run.summary,
      executionArn: run.execution.executionArn,
      at: run.summary.scannedAt,
    });
  });

  it('publishes one Powertools metric per category', () => {
    expect(scanMetrics(sb)).toEqual({
      'rekey/UsersScanned': 13,
      'rekey/UsersCompliant': 3,
      'rekey/UsersDue': 4,
      'rekey/KeysPastMaxAge': 1,
      'rekey/UsersExempt': 2,
      'rekey/ExemptionsExpired': 1,
      'rekey/ExemptionsExpiring': 1,
      'rekey/RotationsRefused': 1,
      'rekey/RotationsFailed': 0,
      'rekey/RotationsStarted': 5,
      'rekey/RotationsDeferred': 0,
      'rekey/OldestActiveKeyAgeDays': 95,
      'rekey/RootAccessKeys': 0,
    });
  });

  it('notifies on SNS once, naming the users that need attention', () => {
    const notices = scanNotifications(sb);

    expect(notices.map((n) => [n.Subject, n.Message])).toEqual([
      [
        'rekey fleet scan: 4 item(s) need attention',
        [
          'Keys past the maximum age (1): overdue-key',
          'Refused: two active keys, or a name a secret cannot hold (1): two-active-keys',
          'Expired exemptions, no longer honoured (1): exemption-expired',
          'Exemptions about to expire (1): exemption-expiring',
        ].join('\n'),
      ],
    ]);
  });

  it('returns the summary as the execution output, in a short history', () => {
    expect(JSON.parse(run.execution.output ?? 'null')).toEqual(run.summary);
    expect(run.execution.events).toHaveLength(25);
  });
});

describe('a scan of users whose names execution names cannot hold', () => {
  const NAMES = ['svc.deploy@corp.example', 'svc_deploy@corp.example', `team-${'a'.repeat(59)}`];
  const COMMA = 'billing,eu+ops=1';
  let keys: Map<string, SeededKey>;
  let summary: ScanSummary;

  beforeAll(async () => {
    sb.emulator.reset();
    keys = new Map(
      [...NAMES, COMMA].map((userName) => [userName, seedUser(sb, { userName })[0] as SeededKey]),
    );
    summary = (await scanAndSettle(sb)).summary;
  });

  const rotationOf = (userName: string) =>
    rotations(sb).find((e) => (JSON.parse(e.input) as { userName: string }).userName === userName);

  it('starts each rotation under its own valid execution name of at most 80 characters', () => {
    const names = NAMES.map((u) => rotationOf(u)?.name ?? '');

    expect(new Set(names).size).toBe(3);
    for (const name of names) expect(name).toMatch(/^scan-[A-Za-z0-9_-]{1,75}$/);
  });

  it.each(NAMES)('rotates %s to completion', (userName) => {
    expect(rotationOf(userName)?.status).toBe('SUCCEEDED');
    expect(liveKeys(sb, userName).map((k) => k.accessKeyId)).not.toContain(
      keys.get(userName)?.accessKeyId,
    );
    expect(currentKeyId(sb, userName)).toBe(liveKeys(sb, userName)[0]?.accessKeyId);
  });

  // IAM user names may hold ',' but Secrets Manager names may not, and the secret is named
  // `${secretPrefix}${userName}`: such a user is refused by the scan, with the reason, and no
  // rotation is started for it (Inspect refuses it too, up front).
  it('refuses a user whose name holds a comma (IAM allows it, secret names do not), starting nothing', () => {
    expect(rotationOf(COMMA)).toBeUndefined();
    expect(summary.users.refused).toContain(COMMA);
    expect(liveKeys(sb, COMMA).map((k) => k.accessKeyId)).toEqual([keys.get(COMMA)?.accessKeyId]);
  });
});
