import {
  ageInDays,
  DEFAULT_POLICY,
  isInactiveKeyAction,
  resolvePolicy,
  type Selection,
} from '../../../lambdas/shared/policy';

const NOW = new Date('2026-03-01T12:00:00.000Z');
const OPT_OUT: Selection = { mode: 'opt-out', minRotateAfterDays: 30 };
const OPT_IN: Selection = { mode: 'opt-in', minRotateAfterDays: 30 };

const resolve = (tags: Record<string, string>, selection: Selection = OPT_OUT) =>
  resolvePolicy(DEFAULT_POLICY, selection, tags, NOW);

describe('DEFAULT_POLICY', () => {
  it('rotates at 80 days, under the 90 days of IAM.3 and access-keys-rotated', () => {
    expect(DEFAULT_POLICY).toEqual({
      rotateAfterDays: 80,
      maxKeyAgeDays: 90,
      cutoverDeadlineSeconds: 7 * 86_400,
      deadlineAction: 'fail',
      pollInitialSeconds: 15 * 60,
      pollMaxSeconds: 18 * 3600,
      recoveryWindowSeconds: 7 * 86_400,
      lastUsedLagSeconds: 4 * 3600,
      inactiveKeyAction: 'delete',
    });
  });
});

describe('resolvePolicy', () => {
  it('keeps the defaults for a user without rekey tags', () => {
    expect(resolve({ team: 'payments' })).toEqual({
      policy: DEFAULT_POLICY,
      exemption: undefined,
      notSelected: undefined,
      warnings: [],
    });
  });

  it('applies each override tag', () => {
    const resolved = resolve({
      'rekey:rotate-after-days': '30',
      'rekey:cutover-deadline-hours': '720',
      'rekey:recovery-window-days': '0',
      'rekey:deadline-action': 'enforce',
    });

    expect(resolved.policy).toEqual({
      ...DEFAULT_POLICY,
      rotateAfterDays: 30,
      cutoverDeadlineSeconds: 720 * 3600,
      recoveryWindowSeconds: 0,
      deadlineAction: 'enforce',
    });
    expect(resolved.warnings).toEqual([]);
  });

  it('reads tag keys case-insensitively and trims values, as IAM compares keys', () => {
    const resolved = resolve({ 'REKEY:Rotate-After-Days': ' 45 ' });

    expect(resolved.policy.rotateAfterDays).toBe(45);
  });

  it.each([
    ['rekey:rotate-after-days', '29', 'expected a whole number from 30 to 90'],
    ['rekey:rotate-after-days', '91', 'expected a whole number from 30 to 90'],
    ['rekey:rotate-after-days', '45.5', 'expected a whole number from 30 to 90'],
    ['rekey:rotate-after-days', '-45', 'expected a whole number from 30 to 90'],
    ['rekey:cutover-deadline-hours', '0', 'expected a whole number from 1 to 720'],
    ['rekey:cutover-deadline-hours', '1e3', 'expected a whole number from 1 to 720'],
    ['rekey:recovery-window-days', '31', 'expected a whole number from 0 to 30'],
    ['rekey:recovery-window-days', '', 'expected a whole number from 0 to 30'],
    ['rekey:deadline-action', 'Enforce', 'expected fail or enforce'],
  ])('ignores %s="%s" with a warning, keeping the default', (key, value, expected) => {
    const resolved = resolve({ [key]: value });

    expect(resolved.policy).toEqual(DEFAULT_POLICY);
    expect(resolved.warnings).toEqual([`tag ${key}="${value}" ignored: ${expected}`]);
  });

  it("bounds rotate-after-days by the deployment's minimum", () => {
    const resolved = resolvePolicy(
      DEFAULT_POLICY,
      { mode: 'opt-out', minRotateAfterDays: 60 },
      { 'rekey:rotate-after-days': '45' },
      NOW,
    );

    expect(resolved.policy.rotateAfterDays).toBe(80);
    expect(resolved.warnings).toEqual([
      'tag rekey:rotate-after-days="45" ignored: expected a whole number from 60 to 90',
    ]);
  });
});

describe('resolvePolicy: exemptions', () => {
  it('honours an exemption through the end of its UTC day, with its reason', () => {
    expect(
      resolve({ 'rekey:exempt-until': '2026-03-01', 'rekey:exempt-reason': 'audit' }).exemption,
    ).toEqual({ until: '2026-03-01', reason: 'audit', expired: false });
  });

  it('marks an exemption expired the day after', () => {
    expect(
      resolve({ 'rekey:exempt-until': '2026-02-28', 'rekey:exempt-reason': 'audit' }).exemption,
    ).toEqual({ until: '2026-02-28', reason: 'audit', expired: true });
  });

  it('warns about an exemption without a reason', () => {
    const resolved = resolve({ 'rekey:exempt-until': '2026-12-31' });

    expect(resolved.exemption).toEqual({ until: '2026-12-31', reason: '', expired: false });
    expect(resolved.warnings).toEqual(['tag rekey:exempt-until has no rekey:exempt-reason']);
  });

  it.each([
    '31/12/2026',
    '2026-13-01',
    'next year',
    '2026-1-5',
    '2026-02-30',
    '2025-02-29',
    '2026-04-31',
  ])('treats the unreadable date %s as exempt, with a warning', (until) => {
    const resolved = resolve({ 'rekey:exempt-until': until });

    expect(resolved.exemption).toEqual({
      until,
      reason: 'unreadable exemption date',
      expired: false,
    });
    expect(resolved.warnings).toEqual([
      `tag rekey:exempt-until="${until}" is not a date (YYYY-MM-DD); treated as exempt`,
    ]);
  });
});

it('honours a real leap day: 2028-02-29 is a date', () => {
  const resolved = resolvePolicy(
    DEFAULT_POLICY,
    { mode: 'opt-out', minRotateAfterDays: 30 },
    { 'rekey:exempt-until': '2028-02-29', 'rekey:exempt-reason': 'leap' },
    new Date('2026-03-01T00:00:00Z'),
  );

  expect(resolved.exemption).toEqual({ until: '2028-02-29', reason: 'leap', expired: false });
  expect(resolved.warnings).toEqual([]);
});

describe('resolvePolicy: selection', () => {
  it.each<[Selection, Record<string, string>, string | undefined]>([
    [OPT_OUT, {}, undefined],
    [OPT_OUT, { 'rekey:rotate': 'true' }, undefined],
    [OPT_OUT, { 'rekey:rotate': 'false' }, 'opted out with rekey:rotate=false'],
    [OPT_OUT, { 'rekey:rotate': 'FALSE' }, 'opted out with rekey:rotate=false'],
    [OPT_IN, {}, 'not opted in (rekey:rotate=true is required)'],
    [OPT_IN, { 'rekey:rotate': 'false' }, 'not opted in (rekey:rotate=true is required)'],
    [OPT_IN, { 'rekey:rotate': 'True' }, undefined],
  ])('in %o mode, tags %o select: %s', (selection, tags, notSelected) => {
    expect(resolve(tags, selection).notSelected).toBe(notSelected);
  });

  it('warns about an unreadable rekey:rotate and applies the mode default', () => {
    const optOut = resolve({ 'rekey:rotate': 'yes' });
    const optIn = resolve({ 'rekey:rotate': 'yes' }, OPT_IN);

    expect(optOut.notSelected).toBeUndefined();
    expect(optIn.notSelected).toBe('not opted in (rekey:rotate=true is required)');
    expect(optOut.warnings).toEqual(['tag rekey:rotate="yes" ignored: expected true or false']);
  });
});

describe('ageInDays and isInactiveKeyAction', () => {
  it('counts whole days, rounded down', () => {
    expect(ageInDays(new Date('2025-12-11T12:00:01.000Z'), NOW)).toBe(79);
    expect(ageInDays(new Date('2025-12-11T12:00:00.000Z'), NOW)).toBe(80);
  });

  it('accepts only delete and refuse', () => {
    expect(isInactiveKeyAction('delete')).toBe(true);
    expect(isInactiveKeyAction('refuse')).toBe(true);
    expect(isInactiveKeyAction('Delete')).toBe(false);
    expect(isInactiveKeyAction(undefined)).toBe(false);
  });
});
