import { CloudTrailClient, LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import { IAMClient } from '@aws-sdk/client-iam';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import {
  BACKOFF_MS,
  regionsFor,
  SPACING_MS,
  whoUses,
  type AttributionDeps,
} from '../../../lambdas/check-cutover/attribution';
import { checkCutover } from '../../../lambdas/check-cutover/core';
import { attributionSentence, shortAgent } from '../../../lambdas/shared/attribution';
import type { Deps } from '../../../lambdas/shared/deps';
import { DEFAULT_POLICY } from '../../../lambdas/shared/policy';
import {
  captureOutput,
  jsonError,
  failure,
  FakeClock,
  FakeKeys,
  FakeSecret,
  FakeTelemetry,
  NEW_CREATED,
  NEW_KEY_ID,
  NEW_SECRET,
  OLD_CREATED,
  OLD_KEY_ID,
  OLD_SECRET,
  PROMOTED_AT,
  promotedState,
  testConfig,
} from '../helpers';

const cloudTrailClient = new CloudTrailClient({ region: 'us-east-1' });
const cloudTrail = mockClient(cloudTrailClient);
const iamClient = new IAMClient({ region: 'us-east-1' });
const smClient = new SecretsManagerClient({ region: 'us-east-1' });
const iam = mockClient(iamClient);
const sm = mockClient(smClient);

const SINCE = new Date(PROMOTED_AT);
const UNTIL = new Date('2026-03-01T16:30:30.000Z');
const SDK_AGENT =
  'aws-sdk-js/3.1177.0 ua/2.1 os/linux#6.8 lang/js md/nodejs#20.20.2 api/sts#3.1177.0 m/E';

interface Call {
  readonly ip: string;
  readonly agent: string;
  readonly source?: string;
  readonly region?: string;
  readonly at: string;
}

const event = (c: Call) => ({
  EventId: `${c.ip}-${c.at}`,
  AccessKeyId: OLD_KEY_ID,
  CloudTrailEvent: JSON.stringify({
    eventTime: c.at,
    eventSource: c.source ?? 'sts.amazonaws.com',
    eventName: 'GetCallerIdentity',
    awsRegion: c.region ?? 'us-east-1',
    sourceIPAddress: c.ip,
    userAgent: c.agent,
    userIdentity: { accessKeyId: OLD_KEY_ID },
  }),
});

const fail = (why: string): never => {
  throw new Error(why);
};
const throttled = (): Error => jsonError('ThrottlingException', 400, 'Rate exceeded');
const accessDenied = (): Error =>
  jsonError(
    'AccessDeniedException',
    400,
    'User is not authorized to perform: cloudtrail:LookupEvents',
  );

let clock: FakeClock;
let sleeps: number[];

beforeEach(() => {
  cloudTrail.reset();
  iam.reset();
  sm.reset();
  captureOutput();
  clock = new FakeClock(UNTIL);
  sleeps = [];
});

afterEach(() => jest.restoreAllMocks());

/** Sleeping moves the fake clock, as the sandbox's sleep does. */
function attributionDeps(overrides: Partial<AttributionDeps['settings']> = {}): AttributionDeps {
  return {
    cloudTrail: () => cloudTrailClient,
    clock,
    sleep: (ms) => {
      sleeps.push(ms);
      clock.advance(ms / 1000);
      return Promise.resolve();
    },
    settings: { enabled: true, regions: [], maxPages: 10, ...overrides },
    homeRegion: 'us-east-1',
  };
}

const query = (regions = ['us-east-1']) => ({
  accessKeyId: OLD_KEY_ID,
  since: SINCE,
  until: UNTIL,
  regions,
});

describe('whoUses', () => {
  it('groups the key events by source IP and user agent, with services, regions, first and last seen', async () => {
    cloudTrail.on(LookupEventsCommand).resolves({
      Events: [
        event({
          ip: '203.0.113.7',
          agent: 'aws-cli/2.15.0',
          source: 's3.amazonaws.com',
          region: 'eu-west-1',
          at: '2026-03-01T14:02:10Z',
        }),
        event({
          ip: '203.0.113.7',
          agent: 'aws-cli/2.15.0',
          source: 'ec2.amazonaws.com',
          region: 'eu-west-1',
          at: '2026-03-01T13:00:00Z',
        }),
        event({ ip: '198.51.100.4', agent: 'Boto3/1.34.0', at: '2026-03-01T12:30:00Z' }),
      ],
    });

    const found = await whoUses(query(), attributionDeps());

    expect(cloudTrail).toHaveReceivedCommandWith(LookupEventsCommand, {
      LookupAttributes: [{ AttributeKey: 'AccessKeyId', AttributeValue: OLD_KEY_ID }],
      StartTime: SINCE,
      EndTime: UNTIL,
      MaxResults: 50,
    });
    expect(found).toEqual({
      status: 'found',
      since: SINCE.toISOString(),
      until: UNTIL.toISOString(),
      regions: ['us-east-1'],
      callers: [
        {
          sourceIp: '203.0.113.7',
          userAgent: 'aws-cli/2.15.0',
          services: ['ec2', 's3'],
          regions: ['eu-west-1'],
          firstSeen: '2026-03-01T13:00:00.000Z',
          lastSeen: '2026-03-01T14:02:10.000Z',
          count: 2,
          eventNames: ['GetCallerIdentity'],
        },
        {
          sourceIp: '198.51.100.4',
          userAgent: 'Boto3/1.34.0',
          services: ['sts'],
          regions: ['us-east-1'],
          firstSeen: '2026-03-01T12:30:00.000Z',
          lastSeen: '2026-03-01T12:30:00.000Z',
          count: 1,
          eventNames: ['GetCallerIdentity'],
        },
      ],
      otherCallers: 0,
      events: 3,
      truncated: false,
      lookups: 1,
      problems: [],
    });
    expect(attributionSentence(found)).toMatch(
      /^Still used from 203\.0\.113\.7 by aws-cli\/2\.15\.0 \(ec2, s3 in eu-west-1\), last 14:02 UTC, 2 calls; from 198\.51\.100\.4 by Boto3\/1\.34\.0 \(sts in us-east-1\), last 12:30 UTC, 1 call\. CloudTrail event history shows management events only/,
    );
  });

  it('follows NextToken and paces lookups at least 500 ms apart (2 per second)', async () => {
    cloudTrail
      .on(LookupEventsCommand)
      .resolvesOnce({
        Events: [event({ ip: '10.0.0.1', agent: 'a/1', at: '2026-03-01T15:00:00Z' })],
        NextToken: 't1',
      })
      .resolvesOnce({
        Events: [event({ ip: '10.0.0.1', agent: 'a/1', at: '2026-03-01T14:00:00Z' })],
        NextToken: 't2',
      })
      .resolves({ Events: [event({ ip: '10.0.0.1', agent: 'a/1', at: '2026-03-01T13:00:00Z' })] });

    const found = await whoUses(query(), attributionDeps());

    const tokens = cloudTrail
      .commandCalls(LookupEventsCommand)
      .map((c) => c.args[0].input.NextToken);
    expect(tokens).toEqual([undefined, 't1', 't2']);
    expect(sleeps).toEqual([SPACING_MS, SPACING_MS]);
    expect(found.callers[0]).toMatchObject({ count: 3, firstSeen: '2026-03-01T13:00:00.000Z' });
    expect(found.truncated).toBe(false);
  });

  it('keeps within the page budget and a fixed state size with 10,000 events of 10,000 callers', async () => {
    // A key used by 10,000 distinct callers with long user agents: 200 full pages are there.
    const all = Array.from({ length: 10_000 }, (_, i) =>
      event({
        ip: `10.${i >> 8}.${i & 255}.1`,
        agent: `${'x'.repeat(2000)} app-${i}/1.0`,
        at: new Date(UNTIL.getTime() - i * 1000).toISOString(),
      }),
    );
    cloudTrail.on(LookupEventsCommand).callsFake((input: { NextToken?: string }) => {
      const from = Number(input.NextToken ?? 0);
      const next = from + 50;
      return {
        Events: all.slice(from, next),
        NextToken: next < all.length ? String(next) : undefined,
      };
    });

    const found = await whoUses(query(['us-east-1', 'eu-west-1']), attributionDeps());

    // The default budget: 10 pages for the whole check, the second region not reached.
    expect(cloudTrail.commandCalls(LookupEventsCommand)).toHaveLength(10);
    expect(found).toMatchObject({ lookups: 10, events: 500, truncated: true, otherCallers: 495 });
    expect(found.callers).toHaveLength(5);
    expect(found.callers.every((c) => c.userAgent.length <= 256)).toBe(true);
    expect(found.problems).toEqual([
      "eu-west-1: not looked up (the check's lookup budget was spent)",
    ]);
    expect(JSON.stringify(found).length).toBeLessThan(4096);
    expect(attributionSentence(found)).toContain('Counts cover the newest 500 events only');
  });

  it('backs off 1, 2 and 4 s on ThrottlingException, then says the region was throttled', async () => {
    cloudTrail.on(LookupEventsCommand).rejects(throttled());

    const found = await whoUses(query(), attributionDeps());

    expect(cloudTrail.commandCalls(LookupEventsCommand)).toHaveLength(BACKOFF_MS.length + 1);
    expect(sleeps).toEqual([...BACKOFF_MS]);
    expect(found.status).toBe('unavailable');
    expect(attributionSentence(found)).toBe(
      'Attribution unavailable: us-east-1: CloudTrail throttled LookupEvents 4 times (2 per second per account and region, shared with every caller).',
    );
  });

  it('recovers from one throttled lookup after backing off', async () => {
    cloudTrail
      .on(LookupEventsCommand)
      .rejectsOnce(throttled())
      .resolves({ Events: [event({ ip: '10.0.0.1', agent: 'a/1', at: '2026-03-01T15:00:00Z' })] });

    const found = await whoUses(query(), attributionDeps());

    expect(found).toMatchObject({ status: 'found', lookups: 2, problems: [] });
    expect(found.callers.map((c) => c.sourceIp)).toEqual(['10.0.0.1']);
  });

  it('says which region refused, and still names callers found in another', async () => {
    const denied = accessDenied();
    const euClient = new CloudTrailClient({ region: 'eu-west-1' });
    const eu = mockClient(euClient);
    eu.on(LookupEventsCommand).rejects(denied);
    cloudTrail.on(LookupEventsCommand).resolves({
      Events: [event({ ip: '10.0.0.9', agent: 'b/2', at: '2026-03-01T15:00:00Z' })],
    });
    const deps = {
      ...attributionDeps(),
      cloudTrail: (r: string) => (r === 'eu-west-1' ? euClient : cloudTrailClient),
    };

    const found = await whoUses(query(['eu-west-1', 'us-east-1']), deps);

    expect(found.status).toBe('found');
    expect(found.regions).toEqual(['us-east-1']);
    expect(found.problems).toEqual([
      'eu-west-1: CloudTrail refused LookupEvents (AccessDeniedException; the role needs cloudtrail:LookupEvents and no policy may deny it)',
    ]);
    expect(attributionSentence(found)).toContain('Not looked up: eu-west-1: CloudTrail refused');
    eu.restore();
  });
});

describe('regionsFor', () => {
  it("looks up the function's region and the old key's last-use region by default, or the policy's", () => {
    const deps = attributionDeps();

    expect(regionsFor(deps, 'eu-west-1')).toEqual(['us-east-1', 'eu-west-1']);
    expect(regionsFor(deps, 'us-east-1')).toEqual(['us-east-1']);
    expect(regionsFor(deps, 'N/A')).toEqual(['us-east-1']);
    expect(regionsFor(attributionDeps({ regions: ['ap-south-1'] }), 'eu-west-1')).toEqual([
      'ap-south-1',
    ]);
  });
});

describe('shortAgent', () => {
  it("keeps a short agent and shortens a long one to the SDK's and the application's tokens", () => {
    expect(shortAgent('aws-cli/2.15.0')).toBe('aws-cli/2.15.0');
    expect(shortAgent(`${SDK_AGENT} billing-app/2.3`)).toBe(
      'aws-sdk-js/3.1177.0 … billing-app/2.3',
    );
  });
});

describe('check-cutover with attribution', () => {
  const AT_DEADLINE = '2026-03-08T12:00:30.000Z';
  const IN_USE_AT = '2026-03-01T16:30:30.000Z';
  let telemetry: FakeTelemetry;

  beforeEach(() => {
    telemetry = new FakeTelemetry();
    FakeSecret.promoted().install(sm);
  });

  const deps = (now: string): Deps => {
    clock.set(now);
    return { iam: iamClient, secrets: smClient, telemetry, clock, config: testConfig() };
  };
  const givenOldKeyUsed = (date: string): void => {
    const keys = new FakeKeys().install(iam);
    keys.add(OLD_KEY_ID, 'Active', OLD_CREATED, { date, serviceName: 'sts', region: 'us-east-1' });
    keys.add(NEW_KEY_ID, 'Active', NEW_CREATED);
  };
  const never = event({
    ip: '127.0.0.2',
    agent: `${SDK_AGENT} never-app/1.0`,
    at: '2026-03-08T11:55:00Z',
  });

  it('names the callers in the failure cause, the notification and the event at the deadline', async () => {
    givenOldKeyUsed('2026-03-08T11:58:00.000Z');
    cloudTrail.on(LookupEventsCommand).resolves({ Events: [never] });

    const error = await failure(
      checkCutover(promotedState(), deps(AT_DEADLINE), attributionDeps()),
    );

    const named =
      'Still used from 127.0.0.2 by aws-sdk-js/3.1177.0 … never-app/1.0 (sts in us-east-1), last 11:55 UTC, 1 call.';
    expect(error.name).toBe('CutoverDeadlineError');
    expect(error.message).toContain(named);
    expect(telemetry.notifications[0]?.message).toContain(named);
    expect(telemetry.notifications[0]?.message).toContain('management events only');
    expect(telemetry.event('Cutover Deadline Passed')?.attribution).toMatchObject({
      status: 'found',
      callers: [{ sourceIp: '127.0.0.2', userAgent: `${SDK_AGENT} never-app/1.0` }],
    });
    expect(telemetry.event('Cutover Deadline Passed')?.attributionLimits).toMatch(
      /^CloudTrail event history shows management events only .* for 90 days, one region per lookup/,
    );
  });

  it('looks up only since the previous check, less CloudTrail’s delivery overlap', async () => {
    givenOldKeyUsed('2026-03-02T10:00:00.000Z');
    cloudTrail.on(LookupEventsCommand).resolves({ Events: [] });
    const state = promotedState();
    const cutover = state.cutover ?? fail('promotedState has a cutover');
    const previous = {
      ...state,
      cutover: { ...cutover, polls: 1, checkedAt: '2026-03-02T09:00:00.000Z' },
    };

    const result = await checkCutover(
      previous,
      deps('2026-03-02T10:30:00.000Z'),
      attributionDeps(),
    );

    expect(cloudTrail).toHaveReceivedCommandWith(LookupEventsCommand, {
      StartTime: new Date('2026-03-02T08:45:00.000Z'),
      EndTime: new Date('2026-03-02T10:30:00.000Z'),
    });
    const attribution = result.cutover?.attribution;
    expect(attribution?.status).toBe('found');
    expect(attribution && attributionSentence(attribution)).toMatch(
      /^CloudTrail shows no use of the old key since 08:45 UTC\. CloudTrail event history shows management events only/,
    );
  });

  it('does not look up when IAM shows no use of the old key since promotion', async () => {
    givenOldKeyUsed('2026-03-01T11:00:00.000Z');

    const result = await checkCutover(promotedState(), deps(IN_USE_AT), attributionDeps());

    expect(cloudTrail.commandCalls(LookupEventsCommand)).toHaveLength(0);
    expect(result.cutover?.attribution).toBeUndefined();
  });

  it.each([
    ['throttled', throttled(), /throttled LookupEvents/],
    ['denied', accessDenied(), /refused LookupEvents \(AccessDeniedException/],
  ])(
    'decides and waits exactly as without attribution when lookups are %s, and says why',
    async (_, error, why) => {
      givenOldKeyUsed('2026-03-01T16:00:00.000Z');
      const without = await checkCutover(promotedState(), deps(IN_USE_AT));
      cloudTrail.on(LookupEventsCommand).rejects(error);

      const withIt = await checkCutover(promotedState(), deps(IN_USE_AT), attributionDeps());

      const { attribution, ...cutover } = withIt.cutover ?? { attribution: undefined };
      expect(cutover).toEqual(without.cutover);
      expect(without.cutover?.verdict).toBe('in-use');
      expect(attribution?.status).toBe('unavailable');
      expect(attribution && attributionSentence(attribution)).toMatch(why);
    },
  );

  it('fails under the deadline exactly as without attribution when lookups are denied, saying why', async () => {
    givenOldKeyUsed('2026-03-08T11:58:00.000Z');
    cloudTrail.on(LookupEventsCommand).rejects(accessDenied());
    const state = promotedState({ policy: { ...DEFAULT_POLICY, deadlineAction: 'fail' } });

    const error = await failure(checkCutover(state, deps(AT_DEADLINE), attributionDeps()));

    expect(error.name).toBe('CutoverDeadlineError');
    expect(error.message).toMatch(
      /Attribution unavailable: us-east-1: CloudTrail refused LookupEvents/,
    );
    expect(error.message).toMatch(/Both keys stay active; the new key is current\.$/);
  });

  it('puts no secret in any event, notification or state (I4)', async () => {
    givenOldKeyUsed('2026-03-08T11:58:00.000Z');
    cloudTrail.on(LookupEventsCommand).resolves({ Events: [never] });
    const state = promotedState({ policy: { ...DEFAULT_POLICY, deadlineAction: 'enforce' } });

    const result = await checkCutover(state, deps(AT_DEADLINE), attributionDeps());

    const everything = JSON.stringify([result, telemetry.events, telemetry.notifications]);
    expect(result.cutover?.attribution?.callers).toHaveLength(1);
    expect(everything).not.toContain(NEW_SECRET);
    expect(everything).not.toContain(OLD_SECRET);
    expect(telemetry.event('Cutover Complete')?.attribution).toBeDefined();
  });
});
