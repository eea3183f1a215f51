import { createHash } from 'node:crypto';
import {
  classifyUser,
  isManaged,
  needsTags,
  rotationExecutionName,
} from '../../../lambdas/shared/fleet';
import { categoriesOf } from '../../../lambdas/fleet-scan/summary';
import { daysAgo, fleetPolicy, reportUser, type SlotSpec } from './fixtures';

const sha = (s: string): string => createHash('sha256').update(s).digest('hex');

const user = (keys: SlotSpec[], name = 'alice') => reportUser({ name, keys });
const EXEMPT = 'rekey:exempt-until';
const REASON = 'rekey:exempt-reason';

describe('classifyUser', () => {
  it('finds a young key compliant from the report alone, with its due date', () => {
    const verdict = classifyUser(
      user([{ age: 10, lastUsed: daysAgo(1), service: 's3' }]),
      fleetPolicy(),
    );

    expect(verdict).toEqual({
      userName: 'alice',
      path: '/',
      decision: 'compliant',
      reason: 'key is 10 days old, due after 80',
      overdue: false,
      oldestActiveKeyAgeDays: 10,
      dueDate: daysAgo(10 - 80).slice(0, 10),
      oldKeyCreatedAt: new Date(daysAgo(10)).toISOString(),
      tagsRead: false,
      keys: [
        {
          slot: 1,
          active: true,
          ageDays: 10,
          createdAt: new Date(daysAgo(10)).toISOString(),
          lastUsed: new Date(daysAgo(1)).toISOString(),
          lastUsedService: 's3',
          lastUsedRegion: undefined,
        },
      ],
      warnings: [],
      exemption: undefined,
    });
  });

  it('finds a key past rotate-after due, and not overdue before the 90-day maximum', () => {
    const verdict = classifyUser(user([{ age: 81 }]), fleetPolicy(), {});

    expect(verdict).toMatchObject({
      decision: 'due',
      reason: 'key is 81 days old, due after 80',
      overdue: false,
      dueDate: daysAgo(1).slice(0, 10),
      tagsRead: true,
    });
  });

  it('flags a key older than the 90-day maximum as overdue', () => {
    expect(classifyUser(user([{ age: 91 }]), fleetPolicy(), {})).toMatchObject({
      decision: 'due',
      overdue: true,
    });
    expect(classifyUser(user([{ age: 90 }]), fleetPolicy(), {}).overdue).toBe(false);
  });

  it('counts an inactive key past the maximum as not overdue', () => {
    const verdict = classifyUser(
      user([{ age: 5 }, { age: 200, active: false }]),
      fleetPolicy(),
      {},
    );

    expect(verdict).toMatchObject({ decision: 'compliant', overdue: false });
  });

  describe('exemptions', () => {
    it('honours an exemption until its date, with its reason and days left', () => {
      const verdict = classifyUser(user([{ age: 95 }]), fleetPolicy(), {
        [EXEMPT]: '2026-06-30',
        [REASON]: 'vendor migration',
      });

      expect(verdict).toMatchObject({
        decision: 'exempt',
        reason: 'exempt until 2026-06-30: vendor migration',
        // Compliance does not care about exemptions: the key is still past 90 days.
        overdue: true,
        exemption: {
          until: '2026-06-30',
          reason: 'vendor migration',
          expired: false,
          expiresInDays: 121,
        },
      });
    });

    it('honours an exemption through the last day it names', () => {
      const verdict = classifyUser(user([{ age: 85 }]), fleetPolicy(), {
        [EXEMPT]: '2026-03-01',
        [REASON]: 'quarter close',
      });

      expect(verdict).toMatchObject({ decision: 'exempt', exemption: { expiresInDays: 0 } });
    });

    it('no longer honours an expired exemption, and says so in the reason', () => {
      const verdict = classifyUser(user([{ age: 85 }]), fleetPolicy(), {
        [EXEMPT]: '2026-02-01',
        [REASON]: 'audit',
      });

      expect(verdict).toMatchObject({
        decision: 'due',
        reason: 'key is 85 days old, due after 80; exemption expired on 2026-02-01',
        exemption: { until: '2026-02-01', expired: true },
      });
      expect(categoriesOf(verdict, undefined, 14)).toEqual(['due', 'exemptionsExpired']);
    });

    it('reports an expired exemption on a compliant user too', () => {
      const verdict = classifyUser(user([{ age: 40 }]), fleetPolicy(), { [EXEMPT]: '2026-02-01' });

      expect(verdict.decision).toBe('compliant');
      expect(verdict.reason).toContain('exemption expired on 2026-02-01');
      expect(categoriesOf(verdict, undefined, 14)).toEqual(['compliant', 'exemptionsExpired']);
    });

    it('announces an exemption ending within the warning window, and not one ending later', () => {
      const soon = classifyUser(user([{ age: 85 }]), fleetPolicy(), {
        [EXEMPT]: '2026-03-10',
        [REASON]: 'migration',
      });

      expect(soon.exemption?.expiresInDays).toBe(9);
      expect(categoriesOf(soon, undefined, 14)).toEqual(['exempt', 'exemptionsExpiring']);
      expect(categoriesOf(soon, undefined, 9)).toEqual(['exempt', 'exemptionsExpiring']);
      expect(categoriesOf(soon, undefined, 8)).toEqual(['exempt']);
    });

    it('honours an exemption with an unreadable date, with a warning', () => {
      const verdict = classifyUser(user([{ age: 85 }]), fleetPolicy(), { [EXEMPT]: 'next year' });

      expect(verdict.decision).toBe('exempt');
      expect(verdict.warnings).toEqual([
        'tag rekey:exempt-until="next year" is not a date (YYYY-MM-DD); treated as exempt',
      ]);
      expect(categoriesOf(verdict, undefined, 14)).toEqual(['exempt']);
    });
  });

  describe('selection', () => {
    it('leaves out a user opted out with rekey:rotate=false in opt-out mode', () => {
      const verdict = classifyUser(user([{ age: 95 }]), fleetPolicy(), { 'rekey:rotate': 'false' });

      expect(verdict).toMatchObject({
        decision: 'opted-out',
        reason: 'opted out with rekey:rotate=false',
        overdue: true,
      });
    });

    it('leaves out a user not opted in in opt-in mode, and rotates one that is', () => {
      const optIn = fleetPolicy({ selection: { mode: 'opt-in', minRotateAfterDays: 30 } });

      expect(classifyUser(user([{ age: 85 }]), optIn, {})).toMatchObject({
        decision: 'opted-out',
        reason: 'not opted in (rekey:rotate=true is required)',
      });
      expect(classifyUser(user([{ age: 85 }]), optIn, { 'rekey:rotate': 'true' }).decision).toBe(
        'due',
      );
    });
  });

  describe('key slots', () => {
    it('skips a user with no active key', () => {
      for (const keys of [[], [{ age: 200, active: false }]]) {
        expect(classifyUser(user(keys), fleetPolicy(), {})).toMatchObject({
          decision: 'no-active-key',
          reason: 'no active access key',
          oldestActiveKeyAgeDays: undefined,
          dueDate: undefined,
          oldKeyCreatedAt: undefined,
        });
      }
    });

    it('marks two active keys, the oldest due, for refusal', () => {
      const verdict = classifyUser(user([{ age: 85 }, { age: 3 }]), fleetPolicy(), {});

      expect(verdict).toMatchObject({
        decision: 'two-active-keys',
        reason: 'two active keys; the oldest is 85 days old',
        oldestActiveKeyAgeDays: 85,
        oldKeyCreatedAt: new Date(daysAgo(85)).toISOString(),
      });
    });

    it('refuses a due user whose name a secret cannot hold (a comma), saying why', () => {
      const verdict = classifyUser(user([{ age: 85 }], 'svc,ops'), fleetPolicy(), {});

      expect(verdict.decision).toBe('unsupported-name');
      expect(verdict.reason).toContain('"svc,ops", which Secrets Manager does not allow');
    });

    it('finds two young active keys compliant', () => {
      expect(classifyUser(user([{ age: 20 }, { age: 3 }]), fleetPolicy()).decision).toBe(
        'compliant',
      );
    });

    it('dates the rotation by the oldest active key, whichever slot holds it', () => {
      const verdict = classifyUser(
        user([{ age: 3, active: false }, { age: 82 }]),
        fleetPolicy(),
        {},
      );

      expect(verdict).toMatchObject({
        decision: 'due',
        oldestActiveKeyAgeDays: 82,
        oldKeyCreatedAt: new Date(daysAgo(82)).toISOString(),
      });
    });
  });

  describe('rekey:rotate-after-days', () => {
    it('moves the due date within bounds (down to the minimum, up to 90)', () => {
      const sooner = classifyUser(user([{ age: 65 }]), fleetPolicy(), {
        'rekey:rotate-after-days': '60',
      });
      const later = classifyUser(user([{ age: 85 }]), fleetPolicy(), {
        'rekey:rotate-after-days': '90',
      });

      expect(sooner).toMatchObject({
        decision: 'due',
        reason: 'key is 65 days old, due after 60',
        dueDate: daysAgo(5).slice(0, 10),
        warnings: [],
      });
      expect(later).toMatchObject({
        decision: 'compliant',
        reason: 'key is 85 days old, due after 90',
      });
    });

    it.each([
      ['10', 'tag rekey:rotate-after-days="10" ignored: expected a whole number from 30 to 90'],
      ['200', 'tag rekey:rotate-after-days="200" ignored: expected a whole number from 30 to 90'],
      ['soon', 'tag rekey:rotate-after-days="soon" ignored: expected a whole number from 30 to 90'],
    ])('ignores %s, out of bounds, keeping the default with a warning', (value, warning) => {
      const verdict = classifyUser(user([{ age: 65 }]), fleetPolicy(), {
        'rekey:rotate-after-days': value,
      });

      expect(verdict).toMatchObject({
        decision: 'compliant',
        reason: 'key is 65 days old, due after 80',
        warnings: [warning],
      });
    });
  });
});

describe('needsTags', () => {
  const p = fleetPolicy({ selection: { mode: 'opt-out', minRotateAfterDays: 30 } });

  it.each<[string, SlotSpec[], boolean]>([
    ['no key', [], false],
    ['only an inactive key, however old', [{ age: 300, active: false }], false],
    ['an active key younger than the smallest rotate-after', [{ age: 29 }], false],
    ['an active key exactly the smallest rotate-after old', [{ age: 30 }], true],
    ['an old active key', [{ age: 95 }], true],
    [
      'a young active key beside an old inactive one',
      [{ age: 2 }, { age: 95, active: false }],
      false,
    ],
    ['two active keys, the oldest old enough', [{ age: 2 }, { age: 31 }], true],
  ])('reads tags for a user with %s: %s', (_, keys, expected) => {
    expect(needsTags(user(keys), p)).toBe(expected);
  });

  it('follows the smallest rotate-after a tag may set, not the default', () => {
    const u = user([{ age: 50 }]);

    expect(
      needsTags(u, fleetPolicy({ selection: { mode: 'opt-out', minRotateAfterDays: 80 } })),
    ).toBe(false);
    expect(
      needsTags(u, fleetPolicy({ selection: { mode: 'opt-out', minRotateAfterDays: 45 } })),
    ).toBe(true);
  });
});

describe('isManaged', () => {
  it.each([
    ['/', '/', true],
    ['/apps/', '/', true],
    ['/apps/', '/apps/', true],
    ['/apps/eu/', '/apps/', true],
    ['/', '/apps/', false],
    ['/applications/', '/apps/', false],
  ])('counts path %s under managed path %s: %s', (path, managedPath, expected) => {
    expect(isManaged(reportUser({ name: 'u', path }), managedPath)).toBe(expected);
  });
});

describe('rotationExecutionName', () => {
  const KEY = '2025-12-01T09:00:00.000Z';
  const valid = (name: string): void => {
    expect(name.length).toBeLessThanOrEqual(80);
    expect(name).toMatch(/^[A-Za-z0-9_-]+$/);
  };

  it('is the same for the same user and key', () => {
    expect(rotationExecutionName('alice', KEY, sha)).toBe(rotationExecutionName('alice', KEY, sha));
    expect(rotationExecutionName('alice', KEY, sha)).toBe('scan-alice-20251201090000');
  });

  it('differs for another key of the same user (the next rotation)', () => {
    expect(rotationExecutionName('alice', KEY, sha)).not.toBe(
      rotationExecutionName('alice', '2026-02-19T09:00:00.000Z', sha),
    );
  });

  it.each(['svc.batch@example.com', 'team+ops=eu,1', 'a'.repeat(128), `${'+=,.@_-'.repeat(18)}ab`])(
    'keeps %s within 80 characters of [A-Za-z0-9_-]',
    (userName) => {
      valid(rotationExecutionName(userName, KEY, sha));
    },
  );

  it('gives distinct names to user names that sanitize alike', () => {
    const names = ['a.b', 'a,b', 'a@b', 'a+b', 'a=b', 'a_b', 'a-b'].map((u) =>
      rotationExecutionName(u, KEY, sha),
    );

    names.forEach(valid);
    expect(new Set(names).size).toBe(names.length);
  });

  it('gives distinct names to long user names that share their first 48 characters', () => {
    const prefix = 'x'.repeat(48);
    const names = [prefix, `${prefix}1`, `${prefix}2`].map((u) =>
      rotationExecutionName(u, KEY, sha),
    );

    names.forEach(valid);
    expect(new Set(names).size).toBe(3);
  });
});
