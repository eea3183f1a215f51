import { summarize, lookUpExposure } from '../../../lambdas/check-cutover/forensics';
import { forensicsOf, forensicsSentence } from '../../../lambdas/shared/forensics';
import type { Attribution, Caller, RotationState } from '../../../lambdas/shared/types';
import { promotedState } from '../helpers';

const SINCE = new Date('2026-03-01T10:00:00Z');

const caller = (ip: string, firstSeen: string, names = ['GetCallerIdentity']): Caller => ({
  sourceIp: ip,
  userAgent: `app-${ip}/1.0`,
  services: ['sts'],
  regions: ['us-east-1'],
  firstSeen,
  lastSeen: '2026-03-01T11:00:00.000Z',
  count: 3,
  eventNames: names,
});

const lookup = (callers: Caller[], extra: Partial<Attribution> = {}): Attribution => ({
  status: 'found',
  since: '2026-02-28T10:00:00.000Z',
  until: '2026-03-01T12:00:00.000Z',
  regions: ['us-east-1'],
  callers,
  otherCallers: 0,
  events: callers.length * 3,
  truncated: false,
  lookups: 1,
  problems: [],
  ...extra,
});

describe('forensics of an exposed key', () => {
  it('marks a caller first seen since the exposure as unexpected, and says so', () => {
    const f = summarize(
      lookup([
        caller('198.51.100.4', '2026-02-28T20:00:00.000Z'),
        caller('203.0.113.9', '2026-03-01T10:30:00.000Z', ['CreateUser', 'ListBuckets']),
      ]),
      SINCE,
      'exposure',
    );
    expect(f.unexpectedUse).toBe('yes');
    expect(f.newCallers).toEqual(['203.0.113.9 app-203.0.113.9/1.0']);
    const text = forensicsSentence(f);
    expect(text).toContain('NEW since the exposure, from 203.0.113.9');
    expect(text).toContain('[CreateUser, ListBuckets]');
    expect(text).not.toContain('NEW since the exposure, from 198.51.100.4');
    expect(text).toContain('management events only');
  });

  it('marks nobody new when the lookup was truncated: the oldest events are missing', () => {
    const f = summarize(
      lookup([caller('203.0.113.9', '2026-03-01T10:30:00.000Z')], { truncated: true }),
      SINCE,
      'exposure',
    );
    expect(f).toMatchObject({ unexpectedUse: 'unknown', newCallers: [] });
    expect(forensicsSentence(f)).not.toContain('NEW since the exposure');
  });

  it('says no when every caller used the key before the exposure', () => {
    const f = summarize(
      lookup([caller('198.51.100.4', '2026-02-28T20:00:00.000Z')]),
      SINCE,
      'exposure',
    );
    expect(f.unexpectedUse).toBe('no');
  });

  it.each([
    ['truncated', { truncated: true }],
    ['with callers beyond those listed', { otherCallers: 2 }],
    ['unavailable', { status: 'unavailable' as const, problems: ['us-east-1: denied'] }],
  ])('cannot tell when the lookup is %s', (_what, extra) => {
    const f = summarize(
      lookup([caller('198.51.100.4', '2026-02-28T20:00:00.000Z')], extra),
      SINCE,
      'exposure',
    );
    expect(f.unexpectedUse).toBe('unknown');
  });

  it('without attribution, looks nothing up and says why; the window starts a day before', async () => {
    const state: RotationState = {
      ...promotedState(),
      emergency: {
        accessKeyId: 'AKIAOLDKEY7EXAMPLE01',
        reason: 'x',
        source: 'request',
        graceSeconds: 0,
      },
    };
    const now = new Date('2026-03-01T12:00:00Z');
    const f = await lookUpExposure(state, now, undefined);
    expect(f).toMatchObject({
      sinceSource: 'last-24-hours',
      since: '2026-02-28T12:00:00.000Z',
      unexpectedUse: 'unknown',
    });
    expect(f.lookup.since).toBe('2026-02-27T12:00:00.000Z');
    expect(forensicsSentence(f)).toContain(
      'unavailable (CloudTrail lookups are off for this deployment',
    );
  });

  it('reads forensics back from a state, and nothing from a malformed one', () => {
    const f = summarize(
      lookup([caller('198.51.100.4', '2026-02-28T20:00:00.000Z')]),
      SINCE,
      'exposure',
    );
    expect(forensicsOf(JSON.parse(JSON.stringify(f)))).toEqual(f);
    expect(forensicsOf({ ...f, unexpectedUse: 'maybe' })).toBeUndefined();
    expect(forensicsOf('x')).toBeUndefined();
  });
});
