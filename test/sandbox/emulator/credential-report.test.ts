import {
  GenerateCredentialReportCommand,
  GetCredentialReportCommand,
  IAMClient,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import type { Emulator } from '../../../sandbox/emulator';
import { clientConfig, failure, startEmulator, type TestClock } from './helpers';

const HEADER =
  'user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated';

let emulator: Emulator;
let clock: TestClock;
let iam: IAMClient;

beforeEach(async () => {
  ({ emulator, clock } = await startEmulator({ credentialReportSeconds: 30 }));
  iam = new IAMClient(clientConfig(emulator));
});
afterEach(() => emulator.stop());

const generate = async () => iam.send(new GenerateCredentialReportCommand({}));
const getReport = async () => iam.send(new GetCredentialReportCommand({}));

it('goes from not present to started, in progress, complete and expired', async () => {
  const absent = await failure(getReport());
  expect(absent.name).toBe('CredentialReportNotPresentException');
  expect(absent.Code).toBe('ReportNotPresent');
  expect(absent.$metadata.httpStatusCode).toBe(410);

  const started = await generate();
  expect(started.State).toBe('STARTED');
  expect(started.Description).toBe('No report exists. Starting a new report generation task');
  expect((await generate()).State).toBe('INPROGRESS');
  const inProgress = await failure(getReport());
  expect(inProgress.name).toBe('CredentialReportNotReadyException');
  expect(inProgress.Code).toBe('ReportInProgress');
  expect(inProgress.$metadata.httpStatusCode).toBe(404);

  clock.advance(30);
  expect((await generate()).State).toBe('COMPLETE');
  const report = await getReport();
  expect(report.ReportFormat).toBe('text/csv');
  expect(report.GeneratedTime).toEqual(new Date('2026-03-01T10:00:00Z'));

  clock.advance(4 * 3600 - 30);
  const expired = await failure(getReport());
  expect(expired.name).toBe('CredentialReportExpiredException');
  expect(expired.$metadata.httpStatusCode).toBe(410);
  expect((await generate()).State).toBe('STARTED');
});

it('writes the exact header, root row first, key slots oldest first, a snapshot at generation', async () => {
  emulator.seed.user({ userName: 'alice', createDate: new Date('2022-08-31T11:10:33Z') });
  emulator.seed.accessKey({
    userName: 'alice',
    createDate: new Date('2022-09-01T00:00:00Z'),
    status: 'Inactive',
  });
  emulator.seed.accessKey({
    userName: 'alice',
    createDate: new Date('2022-08-31T11:10:34Z'),
    lastUsed: { date: new Date('2022-08-31T11:23:45Z'), service: 'iam', region: 'us-east-1' },
  });
  emulator.seed.user({
    userName: 'bob',
    path: '/ops/',
    createDate: new Date('2023-01-01T00:00:00Z'),
  });
  emulator.createSystemCredentials('not-a-user');
  await generate();
  clock.advance(30);
  // A change after generation is not in the report.
  await iam.send(
    new UpdateAccessKeyCommand({
      UserName: 'alice',
      AccessKeyId: emulator.state.accessKeys[1]?.accessKeyId,
      Status: 'Inactive',
    }),
  );
  const report = await getReport();
  const csv = Buffer.from(report.Content ?? new Uint8Array()).toString('utf8');
  const lines = csv.split('\n');
  expect(lines[0]).toBe(HEADER);
  expect(lines[1]).toBe(
    '<root_account>,arn:aws:iam::123456789012:root,2026-03-01T10:00:00+00:00,not_supported,no_information,not_supported,not_supported,false,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A',
  );
  expect(lines[2]).toBe(
    'alice,arn:aws:iam::123456789012:user/alice,2022-08-31T11:10:33+00:00,false,N/A,N/A,N/A,false,true,2022-08-31T11:10:34+00:00,2022-08-31T11:23:00+00:00,us-east-1,iam,false,2022-09-01T00:00:00+00:00,N/A,N/A,N/A,false,N/A,false,N/A',
  );
  expect(lines[3]).toBe(
    'bob,arn:aws:iam::123456789012:user/ops/bob,2023-01-01T00:00:00+00:00,false,N/A,N/A,N/A,false,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A',
  );
  expect(lines.slice(4)).toEqual(['']);
});

describe("the root user's access keys", () => {
  const rootRow = async (): Promise<string | undefined> => {
    await generate();
    clock.advance(30);
    const report = await getReport();
    return Buffer.from(report.Content ?? new Uint8Array())
      .toString('utf8')
      .split('\n')[1];
  };

  it('writes seeded root keys into the root row, slot 1 first, last use to the minute', async () => {
    expect(
      emulator.seed.rootAccessKey({
        createDate: new Date('2024-05-01T08:00:00Z'),
        lastUsed: { date: new Date('2026-02-27T12:34:56Z'), service: 's3', region: 'eu-west-1' },
      }),
    ).toEqual({ slot: 1 });
    expect(
      emulator.seed.rootAccessKey({
        status: 'Inactive',
        createDate: new Date('2025-01-01T00:00:00Z'),
      }),
    ).toEqual({ slot: 2 });

    expect(await rootRow()).toBe(
      '<root_account>,arn:aws:iam::123456789012:root,2026-03-01T10:00:00+00:00,not_supported,no_information,not_supported,not_supported,false,' +
        'true,2024-05-01T08:00:00+00:00,2026-02-27T12:34:00+00:00,eu-west-1,s3,' +
        'false,2025-01-01T00:00:00+00:00,N/A,N/A,N/A,false,N/A,false,N/A',
    );
    expect(emulator.state.rootAccessKeys).toEqual([
      {
        slot: 1,
        status: 'Active',
        createDate: new Date('2024-05-01T08:00:00Z'),
        lastUsed: { date: new Date('2026-02-27T12:34:56Z'), service: 's3', region: 'eu-west-1' },
      },
      { slot: 2, status: 'Inactive', createDate: new Date('2025-01-01T00:00:00Z') },
    ]);
  });

  it('refuses a third root key as IAM refuses a third key, and forgets them on reset', () => {
    emulator.seed.rootAccessKey();
    emulator.seed.rootAccessKey();

    expect(() => emulator.seed.rootAccessKey()).toThrow(
      'seed.rootAccessKey refused: LimitExceeded: Cannot exceed quota for AccessKeysPerUser: 2',
    );
    emulator.reset();
    expect(emulator.state.rootAccessKeys).toEqual([]);
  });

  it('adds one through POST /_sandbox/root-access-keys, created now by default, and lists them', async () => {
    const post = (body: string) =>
      fetch(`${emulator.endpoint}/_sandbox/root-access-keys`, { method: 'POST', body });

    const added = await post('');
    expect(added.status).toBe(200);
    expect(await added.json()).toEqual({ slot: 1 });
    expect(await rootRow()).toContain(',false,true,2026-03-01T10:00:00+00:00,N/A,N/A,N/A,false,');

    const listed = await fetch(`${emulator.endpoint}/_sandbox/root-access-keys`);
    expect(await listed.json()).toEqual([
      { slot: 1, status: 'Active', createDate: '2026-03-01T10:00:00.000Z' },
    ]);
  });

  it.each([
    ['{"status": "active"}', '"status" is "active"'],
    ['{"createDate": "yesterday"}', '"createDate" is not an ISO 8601 date: "yesterday"'],
    [
      '{"lastUsed": {"date": "2026-01-01T00:00:00Z"}}',
      '"lastUsed" needs a date, a service and a region',
    ],
    ['{"ageDays": 400}', 'unknown field(s): ageDays'],
    ['[]', 'got []'],
  ])('refuses the body %s, saying what it takes', async (body, why) => {
    const response = await fetch(`${emulator.endpoint}/_sandbox/root-access-keys`, {
      method: 'POST',
      body,
    });

    expect(response.status).toBe(400);
    const { error } = (await response.json()) as { error: string };
    expect(error).toContain(
      'POST /_sandbox/root-access-keys takes {"status"?: "Active" | "Inactive"',
    );
    expect(error).toContain(why);
    expect(emulator.state.rootAccessKeys).toEqual([]);
  });
});

it('reports 10,000 users quickly enough for the fleet scan', async () => {
  for (let i = 0; i < 10_000; i++) {
    emulator.seed.user({ userName: `user-${i}` });
    emulator.seed.accessKey({ userName: `user-${i}` });
  }
  const started = Date.now();
  await generate();
  clock.advance(30);
  const report = await getReport();
  const lines = Buffer.from(report.Content ?? new Uint8Array())
    .toString('utf8')
    .trim()
    .split('\n');
  expect(lines).toHaveLength(10_002);
  expect(Date.now() - started).toBeLessThan(5_000);
});
