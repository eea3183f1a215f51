/**
 * CloudTrail LookupEvents against the emulator with the real SDK client. moto 5.2.1 does not
 * implement LookupEvents (its CloudTrail has trails, selectors and tags only), so these tests
 * hold the emulator to the documented request and response shape (docs/aws-semantics.md §8).
 */
import {
  CloudTrailClient,
  LookupEventsCommand,
  type LookupEventsCommandInput,
} from '@aws-sdk/client-cloudtrail';
import { IAMClient, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { Emulator } from '../../../sandbox/emulator';
import { identityConfig } from '../../../sandbox/apps/identity';
import { clientConfig, failure, startEmulator, type Credentials, type TestClock } from './helpers';

let emulator: Emulator;
let clock: TestClock;
let key: Credentials;

beforeEach(async () => {
  ({ emulator, clock } = await startEmulator());
  emulator.seed.user({ userName: 'alice' });
  key = emulator.seed.accessKey({ userName: 'alice' });
});
afterEach(() => emulator.stop());

/** One request signed with alice's key, sent as an application would (its UA and address). */
async function callAs(
  userAgent: string,
  localAddress: string,
  region = 'us-east-1',
): Promise<void> {
  const sts = new STSClient({
    ...clientConfig(emulator, key, { region }),
    ...identityConfig({ userAgent, localAddress }),
  });
  try {
    await sts.send(new GetCallerIdentityCommand({}));
  } finally {
    sts.destroy();
  }
}

const byKey = (accessKeyId: string, more: Partial<LookupEventsCommandInput> = {}) =>
  new LookupEventsCommand({
    LookupAttributes: [{ AttributeKey: 'AccessKeyId', AttributeValue: accessKeyId }],
    ...more,
  });

/** An event's CloudTrail record (its JSON), for the fields the tests read. */
const recordOf = (e: { CloudTrailEvent?: string }): Record<string, unknown> =>
  JSON.parse(e.CloudTrailEvent ?? '{}') as Record<string, unknown>;

function trail(region = 'us-east-1'): CloudTrailClient {
  return new CloudTrailClient(clientConfig(emulator, emulator.admin, { region }));
}

describe('CloudTrail LookupEvents', () => {
  it("records each request with the signing key, the caller's user agent and source IP", async () => {
    await callAs('billing-app/2.3', '127.0.0.2');
    clock.advance(60);
    await callAs('report-job/1.0', '127.0.0.3');

    const out = await trail().send(byKey(key.accessKeyId));

    expect(out.NextToken).toBeUndefined();
    expect(out.Events?.map((e) => [e.EventName, e.EventSource, e.Username, e.AccessKeyId])).toEqual(
      [
        ['GetCallerIdentity', 'sts.amazonaws.com', 'alice', key.accessKeyId],
        ['GetCallerIdentity', 'sts.amazonaws.com', 'alice', key.accessKeyId],
      ],
    );
    // Newest first; the record's JSON carries what attribution groups by.
    const records = (out.Events ?? []).map(recordOf);
    expect(records.map((r) => r.sourceIPAddress)).toEqual(['127.0.0.3', '127.0.0.2']);
    expect(records[0]?.userAgent).toEqual(expect.stringMatching(/ report-job\/1\.0$/));
    expect(records[1]?.userAgent).toEqual(expect.stringMatching(/ billing-app\/2\.3$/));
    expect(records[0]).toMatchObject({
      eventVersion: '1.08',
      eventName: 'GetCallerIdentity',
      awsRegion: 'us-east-1',
      readOnly: true,
      managementEvent: true,
      eventCategory: 'Management',
      userIdentity: { type: 'IAMUser', accessKeyId: key.accessKeyId, userName: 'alice' },
    });
    expect(out.Events?.[0]?.EventTime).toEqual(new Date('2026-03-01T10:01:00Z'));
    expect(out.Events?.[0]?.ReadOnly).toBe('true');
    expect(JSON.stringify(out)).not.toContain(key.secretAccessKey);
  });

  it('answers one region per lookup: the region the request was signed for', async () => {
    await callAs('app/1', '127.0.0.2', 'eu-west-1');

    const home = await trail('us-east-1').send(byKey(key.accessKeyId));
    const away = await trail('eu-west-1').send(byKey(key.accessKeyId));

    expect(home.Events).toEqual([]);
    expect(away.Events?.map((e) => recordOf(e).awsRegion)).toEqual(['eu-west-1']);
  });

  it('pages with NextToken, newest first, and refuses a token used with other parameters', async () => {
    for (let i = 0; i < 5; i++) {
      await callAs('app/1', '127.0.0.2');
      clock.advance(1);
    }
    const client = trail();
    const first = await client.send(byKey(key.accessKeyId, { MaxResults: 2 }));
    clock.advance(1);
    const second = await client.send(
      byKey(key.accessKeyId, { MaxResults: 2, NextToken: first.NextToken }),
    );
    clock.advance(1);
    const third = await client.send(
      byKey(key.accessKeyId, { MaxResults: 2, NextToken: second.NextToken }),
    );
    clock.advance(1);

    const times = [first, second, third].flatMap((p) =>
      (p.Events ?? []).map((e) => e.EventTime?.toISOString()),
    );
    expect(times).toEqual([4, 3, 2, 1, 0].map((s) => `2026-03-01T10:00:0${s}.000Z`));
    expect(third.NextToken).toBeUndefined();
    const other = await failure(
      client.send(byKey('AKIAOTHER0000000000', { NextToken: first.NextToken })),
    );
    expect(other.name).toBe('InvalidNextTokenException');
  });

  it('filters by StartTime and EndTime, inclusive', async () => {
    await callAs('app/1', '127.0.0.2');
    clock.advance(60);
    await callAs('app/2', '127.0.0.2');
    clock.advance(60);
    await callAs('app/3', '127.0.0.2');

    const out = await trail().send(
      byKey(key.accessKeyId, {
        StartTime: new Date('2026-03-01T10:01:00Z'),
        EndTime: new Date('2026-03-01T10:01:00Z'),
      }),
    );

    expect(out.Events?.map((e) => recordOf(e).userAgent)).toEqual([
      expect.stringMatching(/ app\/2$/),
    ]);
  });

  it('allows two lookups per second per region on the sandbox clock, then throttles', async () => {
    const client = trail();
    await client.send(byKey(key.accessKeyId));
    await client.send(byKey(key.accessKeyId));

    const third = await failure(client.send(byKey(key.accessKeyId)));
    const elsewhere = await trail('eu-west-1').send(byKey(key.accessKeyId));
    clock.advance(1);
    const later = await client.send(byKey(key.accessKeyId));

    expect(third.name).toBe('ThrottlingException');
    expect(third.$metadata.httpStatusCode).toBe(400);
    expect(elsewhere.Events).toEqual([]);
    expect(later.Events).toBeDefined();
  });

  it('keeps 90 days of events on the sandbox clock', async () => {
    await callAs('old-app/1', '127.0.0.2');
    clock.advance(60 * 86_400);
    await callAs('new-app/1', '127.0.0.2');
    clock.advance(30 * 86_400 + 1);

    const out = await trail().send(byKey(key.accessKeyId));

    expect(out.Events?.map((e) => recordOf(e).userAgent)).toEqual([
      expect.stringMatching(/ new-app\/1$/),
    ]);
  });

  it('refuses bad input with CloudTrail errors', async () => {
    const client = trail();
    const cases: [LookupEventsCommandInput, string][] = [
      [{ MaxResults: 51 }, 'InvalidMaxResultsException'],
      [{ MaxResults: 0 }, 'InvalidMaxResultsException'],
      [
        {
          LookupAttributes: [
            { AttributeKey: 'AccessKeyId', AttributeValue: 'a' },
            { AttributeKey: 'EventName', AttributeValue: 'b' },
          ],
        },
        'InvalidLookupAttributesException',
      ],
      [
        { StartTime: new Date('2026-03-01T11:00:00Z'), EndTime: new Date('2026-03-01T10:00:00Z') },
        'InvalidTimeRangeException',
      ],
    ];
    const names: string[] = [];
    for (const [input] of cases) {
      names.push((await failure(client.send(new LookupEventsCommand(input)))).name);
    }

    expect(names).toEqual(cases.map(([, name]) => name));
  });

  it('leaves SNS Publish out: a data event, which event history never shows', async () => {
    const topic = emulator.createTopic('t');
    const sns = new SNSClient(clientConfig(emulator));
    await sns.send(new PublishCommand({ TopicArn: topic, Message: 'hello' }));

    const out = await trail().send(
      new LookupEventsCommand({
        LookupAttributes: [{ AttributeKey: 'EventSource', AttributeValue: 'sns.amazonaws.com' }],
      }),
    );

    expect(out.Events).toEqual([]);
  });

  it('authorizes LookupEvents like any action: a user without it is refused', async () => {
    const mine = new CloudTrailClient(clientConfig(emulator, key));
    const denied = await failure(mine.send(byKey(key.accessKeyId)));
    await new IAMClient(clientConfig(emulator)).send(
      new PutUserPolicyCommand({
        UserName: 'alice',
        PolicyName: 'lookup',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: 'cloudtrail:LookupEvents', Resource: '*' }],
        }),
      }),
    );
    clock.advance(1);
    const allowed = await mine.send(byKey(key.accessKeyId));

    expect(denied.name).toBe('AccessDeniedException');
    expect(denied.message).toContain('cloudtrail:LookupEvents');
    // The refused lookup is itself in the history, with its error code.
    expect(allowed.Events?.map(recordOf)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ eventName: 'LookupEvents', errorCode: 'AccessDeniedException' }),
      ]),
    );
  });
});
