import {
  cutoverVerdict,
  describe as describeUse,
  initialCutover,
  nextWaitSeconds,
  RECORDING_SPAN_SECONDS,
  settleSeconds,
  type CutoverFacts,
} from '../../../lambdas/shared/cutover';
import { DEFAULT_POLICY } from '../../../lambdas/shared/policy';
import type { LastUsed, RotationPolicy } from '../../../lambdas/shared/types';
import { PROMOTED_AT, VERIFIED_AT } from '../helpers';

/** Promotion at 12:00:30; default policy: 15-min recording span, 4 h lag, 7-day deadline. */
const DEADLINE_AT = '2026-03-08T12:00:30.000Z';

const used = (date: string, serviceName = 's3', region = 'eu-west-1'): LastUsed => ({
  date,
  serviceName,
  region,
});
const NEVER: LastUsed = { serviceName: 'N/A', region: 'N/A' };

function verdictAt(
  now: string,
  oldKey: LastUsed,
  newKey: LastUsed,
  policy: RotationPolicy = DEFAULT_POLICY,
): ReturnType<typeof cutoverVerdict> {
  const facts: CutoverFacts = {
    now: new Date(now),
    promotedAt: new Date(PROMOTED_AT),
    verifiedAt: new Date(VERIFIED_AT),
    deadlineAt: new Date(DEADLINE_AT),
    policy,
    oldKey,
    newKey,
  };
  return cutoverVerdict(facts);
}

describe('cutoverVerdict', () => {
  // Old key last used 11:50 (before promotion): quiet from 12:05, settled 15 min + 4 h later.
  const OLD_BEFORE = used('2026-03-01T11:50:00.000Z');
  const NEW_BY_APP = used('2026-03-01T13:00:00.000Z');

  it('says switched once the applications use the new key and the old key is provably quiet', () => {
    expect(verdictAt('2026-03-01T16:20:00.000Z', OLD_BEFORE, NEW_BY_APP)).toEqual({
      verdict: 'switched',
      reason:
        'applications use the new key (last used 2026-03-01T13:00:00.000Z) and the old key is quiet',
    });
  });

  it("waits while inside IAM's recording span and reporting lag, even with the new key in use", () => {
    expect(verdictAt('2026-03-01T16:19:59.000Z', OLD_BEFORE, NEW_BY_APP)).toEqual({
      verdict: 'waiting',
      reason: 'waiting for last-used data to show the applications moved',
    });
  });

  it('says idle when the old key was never used, once the quiet span is observed', () => {
    expect(verdictAt('2026-03-01T16:15:30.000Z', NEVER, NEVER)).toEqual({
      verdict: 'idle',
      reason: 'the old key was never used',
    });
    expect(verdictAt('2026-03-01T16:15:29.000Z', NEVER, NEVER).verdict).toBe('waiting');
  });

  it('says idle when the old key has been unused for as long as the cutover deadline', () => {
    expect(verdictAt('2026-03-01T16:15:30.000Z', used('2026-02-01T08:00:00.000Z'), NEVER)).toEqual({
      verdict: 'idle',
      reason: 'the old key has not been used since 2026-02-01T08:00:00.000Z',
    });
  });

  it('keeps waiting for an old key unused for less than the deadline when nothing uses the new key', () => {
    expect(
      verdictAt('2026-03-02T12:00:00.000Z', used('2026-02-27T08:00:00.000Z'), NEVER).verdict,
    ).toBe('waiting');
  });

  it('says in-use when the old key was used after promotion', () => {
    expect(verdictAt('2026-03-01T15:00:00.000Z', used('2026-03-01T14:00:00.000Z'), NEVER)).toEqual({
      verdict: 'in-use',
      reason: 'the old key is still in use (last used 2026-03-01T14:00:00.000Z by s3 in eu-west-1)',
    });
  });

  it('counts an old-key use recorded in the minute of promotion as a use since promotion', () => {
    expect(
      verdictAt('2026-03-01T12:30:00.000Z', used('2026-03-01T12:00:00.000Z'), NEVER).verdict,
    ).toBe('in-use');
  });

  it("does not take rekey's own verification call for an application using the new key", () => {
    const verification = used('2026-03-01T12:00:00.000Z', 'sts', 'us-east-1');

    expect(
      verdictAt('2026-03-02T12:00:00.000Z', used('2026-02-27T08:00:00.000Z'), verification).verdict,
    ).toBe('waiting');
  });

  it('keeps waiting when the old key was used after the new key last was', () => {
    expect(
      verdictAt(
        '2026-03-01T19:00:00.000Z',
        used('2026-03-01T13:30:00.000Z'),
        used('2026-03-01T13:00:00.000Z'),
      ).verdict,
    ).toBe('waiting');
  });

  it('says deadline when the deadline passes with the old key in use, keeping the reason', () => {
    expect(verdictAt(DEADLINE_AT, used('2026-03-08T12:00:00.000Z'), NEW_BY_APP)).toEqual({
      verdict: 'deadline',
      reason:
        'cutover deadline passed: the old key is still in use (last used 2026-03-08T12:00:00.000Z by s3 in eu-west-1)',
    });
  });

  it('says deadline when the deadline passes while still waiting', () => {
    expect(verdictAt(DEADLINE_AT, used('2026-03-05T08:00:00.000Z'), NEVER)).toEqual({
      verdict: 'deadline',
      reason: 'cutover deadline passed: waiting for last-used data to show the applications moved',
    });
  });

  it('lets a switch found at the deadline stand', () => {
    expect(verdictAt(DEADLINE_AT, OLD_BEFORE, NEW_BY_APP).verdict).toBe('switched');
  });
});

describe('initialCutover', () => {
  it('first waits three recording spans plus the reporting lag, with the deadline from promotion', () => {
    expect(initialCutover(DEFAULT_POLICY, new Date(PROMOTED_AT))).toEqual({
      polls: 0,
      verdict: 'waiting',
      waitSeconds: 3 * 900 + 4 * 3600,
      deadlineAt: DEADLINE_AT,
      reason: 'waiting for applications to pick up the new key',
    });
  });

  it('never waits less than 3 x 15 min + lag, however short the poll interval', () => {
    const policy = { ...DEFAULT_POLICY, pollInitialSeconds: 60, lastUsedLagSeconds: 0 };

    expect(initialCutover(policy, new Date(PROMOTED_AT)).waitSeconds).toBe(
      3 * RECORDING_SPAN_SECONDS,
    );
    expect(settleSeconds(policy)).toBe(2700);
  });

  it('waits the poll interval when it is longer', () => {
    const policy = { ...DEFAULT_POLICY, pollInitialSeconds: 6 * 3600 };

    expect(initialCutover(policy, new Date(PROMOTED_AT)).waitSeconds).toBe(6 * 3600);
  });

  it('never waits past the deadline', () => {
    const policy = { ...DEFAULT_POLICY, cutoverDeadlineSeconds: 3600 };

    const cutover = initialCutover(policy, new Date(PROMOTED_AT));

    expect(cutover.waitSeconds).toBe(3600);
    expect(cutover.deadlineAt).toBe('2026-03-01T13:00:30.000Z');
  });
});

describe('nextWaitSeconds', () => {
  const deadline = new Date(DEADLINE_AT);
  const early = new Date('2026-03-02T00:00:00.000Z');
  const secondsBefore = (s: number) => new Date(deadline.getTime() - s * 1000);

  it.each([
    [900, 1800],
    [16_200, 32_400],
    [32_400, 64_800],
    [64_800, 64_800],
    [0, 900],
  ])('after a wait of %i s waits %i s (doubling up to the 18 h cap)', (previous, next) => {
    expect(nextWaitSeconds(DEFAULT_POLICY, previous, early, deadline)).toBe(next);
  });

  it('clamps the wait to the deadline', () => {
    expect(nextWaitSeconds(DEFAULT_POLICY, 16_200, secondsBefore(1000), deadline)).toBe(1000);
  });

  it('waits at least a minute, even right before or after the deadline', () => {
    expect(nextWaitSeconds(DEFAULT_POLICY, 16_200, secondsBefore(10), deadline)).toBe(60);
    expect(nextWaitSeconds(DEFAULT_POLICY, 16_200, secondsBefore(-600), deadline)).toBe(60);
  });
});

describe('describe (last use)', () => {
  it('names the date, service and region, or says never', () => {
    expect(describeUse(used('2026-03-01T14:00:00.000Z', 'ec2', 'eu-central-1'))).toBe(
      '2026-03-01T14:00:00.000Z by ec2 in eu-central-1',
    );
    expect(describeUse(NEVER)).toBe('never');
  });
});
