import { GetUserCommand, IAMClient, ListUserTagsCommand } from '@aws-sdk/client-iam';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DescribeExecutionCommand, SFNClient, type ExecutionStatus } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import type { Config } from '../../../lambdas/shared/config';
import { inspect, type InspectDeps } from '../../../lambdas/inspect/core';
import { creatingMarker } from '../../../lambdas/shared/markers';
import { DEFAULT_POLICY } from '../../../lambdas/shared/policy';
import type { RotationPolicy } from '../../../lambdas/shared/types';
import {
  ACCOUNT,
  BASELINE_VERSION,
  captureOutput,
  EXECUTION_ARN,
  failure,
  FakeClock,
  FakeKeys,
  FakeSecret,
  FakeTelemetry,
  mutations,
  NEW_CREATED,
  NEW_KEY_ID,
  NEW_VERSION,
  NOW,
  OLD_CREATED,
  OLD_KEY,
  OLD_KEY_ID,
  ORPHAN_KEY_ID,
  OTHER_EXECUTION_ARN,
  SECRET_ARN,
  SECRET_ID,
  STAGED_AT,
  STALE_KEY_ID,
  awsErrors,
  queryError,
  testConfig,
  USER,
  USER_ARN,
  USER_ID,
} from '../helpers';

const iamClient = new IAMClient({ region: 'us-east-1' });
const smClient = new SecretsManagerClient({ region: 'us-east-1' });
const sfnClient = new SFNClient({ region: 'us-east-1' });
const iam = mockClient(iamClient);
const sm = mockClient(smClient);
const sfn = mockClient(sfnClient);

let telemetry: FakeTelemetry;
let keys: FakeKeys;
let output: ReturnType<typeof captureOutput>;

const EXAMPLE = 'Start the execution with {"userName": "alice"} (optionally "dryRun": true).';

beforeEach(() => {
  iam.reset();
  sm.reset();
  sfn.reset();
  telemetry = new FakeTelemetry();
  output = captureOutput();
  keys = new FakeKeys().install(iam);
  new FakeSecret(false).install(sm);
});

afterEach(() => jest.restoreAllMocks());

function givenUser(options: { path?: string; tags?: Record<string, string> } = {}): void {
  const path = options.path ?? '/';
  iam.on(GetUserCommand, { UserName: USER }).resolves({
    User: {
      Path: path,
      UserName: USER,
      UserId: USER_ID,
      Arn: `arn:aws:iam::${ACCOUNT}:user${path}${USER}`,
      CreateDate: new Date('2024-01-02T03:04:05Z'),
    },
  });
  iam.on(ListUserTagsCommand, { UserName: USER }).resolves({
    Tags: Object.entries(options.tags ?? {}).map(([Key, Value]) => ({ Key, Value })),
    IsTruncated: false,
  });
}

function givenSecret(fake: FakeSecret): void {
  fake.install(sm);
}

function deps(config: Partial<Config> = {}): InspectDeps {
  return {
    iam: iamClient,
    secrets: smClient,
    sfn: sfnClient,
    telemetry,
    clock: new FakeClock(NOW),
    config: testConfig(config),
  };
}

const run = (input: unknown, config: Partial<Config> = {}) =>
  inspect({ input, executionArn: EXECUTION_ARN }, deps(config));

const policyWith = (overrides: Partial<RotationPolicy>): RotationPolicy => ({
  ...DEFAULT_POLICY,
  ...overrides,
});

const FIELDS = 'the fields are userName, dryRun, mode, requestedBy and emergency.';
const NOT_A_NAME =
  '"userName" must be an IAM user name (1-128 characters: letters, digits and +=,.@_-); got';
const REQUESTED_BY =
  '"requestedBy" must be printable text of 1 to 256 characters (who asked, for the audit events); got';

describe('inspect: input validation', () => {
  it.each([
    ['a bare string', 'alice', `The input must be a JSON object; got "alice". ${EXAMPLE}`],
    ['null', null, `The input must be a JSON object; got null. ${EXAMPLE}`],
    [
      'an array',
      [{ userName: 'alice' }],
      `The input must be a JSON object; got [{"userName":"alice"}]. ${EXAMPLE}`,
    ],
    [
      'a misspelt field',
      { UserName: 'alice' },
      `Unknown input field "UserName": ${FIELDS} ${EXAMPLE}`,
    ],
    [
      'two unknown fields',
      { userName: 'alice', force: true, reason: 'x' },
      `Unknown input fields "force", "reason": ${FIELDS} ${EXAMPLE}`,
    ],
    ['no userName', {}, `The input field "userName" is required. ${EXAMPLE}`],
    ['an empty userName', { userName: '' }, `The input field "userName" is required. ${EXAMPLE}`],
    ['a userName with a space', { userName: 'alice smith' }, `${NOT_A_NAME} "alice smith".`],
    ['a numeric userName', { userName: 42 }, `${NOT_A_NAME} 42.`],
    [
      'a userName of 129 characters, echoed only in part',
      { userName: 'a'.repeat(129) },
      `${NOT_A_NAME} "${'a'.repeat(79)}… (131 characters).`,
    ],
    [
      'a userName of 200,000 characters, echoed only in part',
      { userName: 'b'.repeat(200_000) },
      `${NOT_A_NAME} "${'b'.repeat(79)}… (200002 characters).`,
    ],
    [
      'dryRun as a string',
      { userName: 'alice', dryRun: 'true' },
      '"dryRun" must be true or false (a JSON boolean, not a string); got "true".',
    ],
    [
      'an unknown mode',
      { userName: 'alice', mode: 'rekey-scan' },
      '"mode" must be "on-demand" (rotate whatever the key\'s age, the default) or "scheduled" (skip a key that is not due); got "rekey-scan". An emergency rotation is asked for with the "emergency" field, not a mode.',
    ],
    ['a numeric requestedBy', { userName: 'alice', requestedBy: 7 }, `${REQUESTED_BY} 7.`],
    [
      'a requestedBy of 257 characters',
      { userName: 'alice', requestedBy: 'x'.repeat(257) },
      `${REQUESTED_BY} "${'x'.repeat(79)}… (259 characters).`,
    ],
    [
      'a requestedBy with control characters',
      { userName: 'alice', requestedBy: 'ops\n[fake] approved' },
      `${REQUESTED_BY} "ops\\n[fake] approved".`,
    ],
  ])(
    'rejects %s with InvalidInputError naming the field and the fix, reading nothing',
    async (_, input, message) => {
      const error = await failure(run(input));

      expect(error.name).toBe('InvalidInputError');
      expect(error.message).toBe(message);
      expect(iam).not.toHaveReceivedAnyCommand();
      expect(sm).not.toHaveReceivedAnyCommand();
      expect(sfn).not.toHaveReceivedAnyCommand();
      expect(telemetry.detailTypes()).toEqual(['Rotation Refused']);
      expect(telemetry.event('Rotation Refused')).toMatchObject({
        error: 'InvalidInputError',
        reason: message,
      });
    },
  );

  it('defaults dryRun to false, mode to on-demand and requestedBy to unspecified', async () => {
    givenUser();
    keys.add(OLD_KEY_ID, 'Active', OLD_CREATED);

    const state = await run({ userName: USER });

    expect(state.dryRun).toBe(false);
    expect(state.mode).toBe('on-demand');
    expect(state.requestedBy).toBe('unspecified');
  });

  it('records requestedBy as given, and the mode, in the Rotation Started event', async () => {
    givenUser();
    keys.add(OLD_KEY_ID, 'Active', OLD_CREATED);

    await run({ userName: USER, requestedBy: 'rekey-cli:arn:aws:iam::1:user/ops' });

    expect(telemetry.event('Rotation Started')).toMatchObject({
      mode: 'on-demand',
      requestedBy: 'rekey-cli:arn:aws:iam::1:user/ops',
    });
  });
});

describe('inspect: the user', () => {
  it('refuses a user that does not exist, with UserNotFoundError keeping the AWS error', async () => {
    const noSuchUser = awsErrors.noSuchUser();
    iam.on(GetUserCommand).rejects(noSuchUser);

    const error = await failure(run({ userName: USER }));

    expect(error.name).toBe('UserNotFoundError');
    expect(error.message).toBe('IAM user "alice" does not exist.');
    expect(error.cause).toBe(noSuchUser);
    expect(iam).not.toHaveReceivedCommand(ListUserTagsCommand);
    expect(sm).not.toHaveReceivedAnyCommand();
    expect(telemetry.events).toEqual([
      {
        detailType: 'Rotation Refused',
        detail: {
          userName: USER,
          executionArn: EXECUTION_ARN,
          error: 'UserNotFoundError',
          reason: 'IAM user "alice" does not exist.',
          at: NOW.toISOString(),
        },
      },
    ]);
    expect(telemetry.notifications).toEqual([]);
  });

  it("refuses a user IAM will not show it because its path is outside the managed path: Inspect's GetUser is scoped to that path", async () => {
    const arn = `arn:aws:iam::${ACCOUNT}:user/ops/${USER}`;
    iam
      .on(GetUserCommand)
      .rejects(
        queryError(
          'AccessDenied',
          403,
          `User: arn:aws:sts::${ACCOUNT}:assumed-role/inspect/fn is not authorized to perform: iam:GetUser on resource: ${arn} because no identity-based policy allows the iam:GetUser action`,
        ),
      );

    const error = await failure(run({ userName: USER }, { managedPath: '/apps/' }));

    expect(error.name).toBe('UserNotManagedError');
    expect(error.message).toBe(
      `alice (${arn}) is outside the IAM path this rekey deployment manages (/apps/); IAM does not let rekey read it. Nothing was changed.`,
    );
    expect(iam).not.toHaveReceivedCommand(ListUserTagsCommand);
    expect(sm).not.toHaveReceivedAnyCommand();
  });

  it.each([
    [
      'an explicit deny',
      `arn:aws:iam::${ACCOUNT}:user/ops/${USER} with an explicit deny in a service control policy`,
    ],
    [
      'a user inside the path',
      `arn:aws:iam::${ACCOUNT}:user/apps/${USER} because no identity-based policy allows the iam:GetUser action`,
    ],
  ])(
    'keeps any other AccessDenied on GetUser an AccessDenied failure (%s)',
    async (_case, tail) => {
      iam
        .on(GetUserCommand)
        .rejects(
          queryError(
            'AccessDenied',
            403,
            `User: arn:aws:sts::${ACCOUNT}:assumed-role/inspect/fn is not authorized to perform: iam:GetUser on resource: ${tail}`,
          ),
        );

      const error = await failure(run({ userName: USER }, { managedPath: '/apps/' }));

      expect(error.name).toBe('AccessDenied');
      expect(telemetry.detailTypes()).toEqual([]);
    },
  );

  it('refuses a user outside the managed IAM path and reads nothing else', async () => {
    givenUser({ path: '/humans/' });

    const error = await failure(run({ userName: USER }, { managedPath: '/service-accounts/' }));

    expect(error.name).toBe('UserNotManagedError');
    expect(error.message).toBe(
      'alice has the IAM path /humans/; this rekey deployment manages users under /service-accounts/ only.',
    );
    expect(iam).not.toHaveReceivedCommand(ListUserTagsCommand);
    expect(sm).not.toHaveReceivedAnyCommand();
    expect(telemetry.detailTypes()).toEqual(['Rotation Refused']);
  });

  it('rotates a user under the managed path', async () => {
    givenUser({ path: '/service-accounts/ci/' });
    keys.add(OLD_KEY_ID, 'Active', OLD_CREATED);

    const state = await run({ userName: USER }, { managedPath: '/service-accounts/' });

    expect(state.decision).toBe('rotate');
    expect(state.userArn).toBe(`arn:aws:iam::${ACCOUNT}:user/service-accounts/ci/alice`);
  });

  it('wraps a throttled read as AwsTransientError and reports no refusal', async () => {
    givenUser();
    iam.on(GetUserCommand).rejects(awsErrors.iamThrottling());

    const error = await failure(run({ userName: USER }));

    expect(error.name).toBe('AwsTransientError');
    expect(error.message).toBe('Inspecting the user failed: Throttling');
    expect(telemetry.events).toEqual([]);
  });
});

describe('inspect: the key-slot table', () => {
  beforeEach(() => givenUser());

  it('rotates the only active key', async () => {
    keys.add(OLD_KEY_ID, 'Active', OLD_CREATED);

    const state = await run({ userName: USER });

    expect(state).toEqual({
      userName: USER,
      dryRun: false,
      mode: 'on-demand',
      requestedBy: 'unspecified',
      executionArn: EXECUTION_ARN,
      userArn: USER_ARN,
      secretId: SECRET_ID,
      startedAt: NOW.toISOString(),
      policy: DEFAULT_POLICY,
      knownKeyIds: [OLD_KEY_ID],
      decision: 'rotate',
      oldKey: OLD_KEY,
      inactiveKeyToDelete: undefined,
      reason: `key ${OLD_KEY_ID} is 90 days old`,
    });
    expect(mutations(iam, sm, sfn)).toEqual([]);
    expect(telemetry.events).toEqual([
      {
        detailType: 'Rotation Started',
        detail: {
          userName: USER,
          executionArn: EXECUTION_ARN,
          oldKeyId: OLD_KEY_ID,
          decision: 'rotate',
          reason: `key ${OLD_KEY_ID} is 90 days old`,
          dryRun: false,
          mode: 'on-demand',
          requestedBy: 'unspecified',
          warnings: [],
          at: NOW.toISOString(),
        },
      },
    ]);
  });

  it('plans to delete the inactive key first when policy allows, deleting nothing itself', async () => {
    keys
      .add(STALE_KEY_ID, 'Inactive', '2025-06-01T00:00:00Z')
      .add(OLD_KEY_ID, 'Active', OLD_CREATED);
    givenSecret(FakeSecret.withBaseline());

    const state = await run({ userName: USER });

    expect(state.decision).toBe('rotate');
    expect(state.oldKey).toEqual(OLD_KEY);
    expect(state.inactiveKeyToDelete).toBe(STALE_KEY_ID);
    expect(state.knownKeyIds).toEqual([STALE_KEY_ID, OLD_KEY_ID]);
    expect(state.reason).toBe(
      `key ${OLD_KEY_ID} is 90 days old; inactive key ${STALE_KEY_ID} is deleted first`,
    );
    expect(mutations(iam, sm, sfn)).toEqual([]);
  });

  it('refuses a user with an inactive key when policy says refuse, and notifies', async () => {
    keys
      .add(OLD_KEY_ID, 'Active', OLD_CREATED)
      .add(STALE_KEY_ID, 'Inactive', '2025-12-15T00:00:00Z');
    const message =
      `alice holds the inactive key ${STALE_KEY_ID} and policy (inactiveKeyAction=refuse) ` +
      `does not let rekey delete it. Delete it, then start again.`;

    const error = await failure(
      run({ userName: USER }, { policy: policyWith({ inactiveKeyAction: 'refuse' }) }),
    );

    expect(error.name).toBe('InactiveKeyPresentError');
    expect(error.message).toBe(message);
    expect(mutations(iam, sm, sfn)).toEqual([]);
    expect(telemetry.notifications).toEqual([
      { subject: 'rekey refused to rotate alice', message },
    ]);
  });

  it('refuses to delete an inactive key that the secret names as AWSCURRENT, whatever the policy', async () => {
    keys
      .add(STALE_KEY_ID, 'Inactive', '2025-06-01T00:00:00Z')
      .add(OLD_KEY_ID, 'Active', OLD_CREATED);
    givenSecret(
      FakeSecret.owned().version(BASELINE_VERSION, { AccessKeyId: STALE_KEY_ID }, ['AWSCURRENT']),
    );

    const error = await failure(run({ userName: USER }));

    expect(error.name).toBe('InactiveKeyPresentError');
    expect(error.message).toBe(
      `alice's secret ${SECRET_ID} names the inactive key ${STALE_KEY_ID} as AWSCURRENT. ` +
        `Reactivate it or move AWSCURRENT to the active key ${OLD_KEY_ID}, then start again.`,
    );
    expect(mutations(iam, sm, sfn)).toEqual([]);
  });

  it('resumes at cutover when AWSCURRENT holds the newer key and AWSPREVIOUS the older', async () => {
    keys.add(OLD_KEY_ID, 'Active', OLD_CREATED).add(NEW_KEY_ID, 'Active', NEW_CREATED);
    givenSecret(FakeSecret.promoted());

    const state = await run({ userName: USER });

    expect(state).toMatchObject({
      decision: 'rotate',
      resumed: 'promoted',
      oldKey: OLD_KEY,
      knownKeyIds: [OLD_KEY_ID, NEW_KEY_ID],
      newKey: {
        accessKeyId: NEW_KEY_ID,
        createDate: NEW_CREATED,
        versionId: NEW_VERSION,
        stagedAt: STAGED_AT,
      },
      reason: `resuming the interrupted rotation of ${OLD_KEY_ID} (new key ${NEW_KEY_ID} is promoted)`,
    });
    expect(mutations(iam, sm, sfn)).toEqual([]);
    expect(telemetry.notifications).toEqual([]);
  });

  it('resumes before promotion when AWSPENDING holds the newer key and AWSCURRENT the older', async () => {
    keys.add(OLD_KEY_ID, 'Active', OLD_CREATED).add(NEW_KEY_ID, 'Active', NEW_CREATED);
    givenSecret(FakeSecret.staged());

    const state = await run({ userName: USER });

    expect(state).toMatchObject({
      decision: 'rotate',
      resumed: 'staged',
      oldKey: OLD_KEY,
      newKey: {
        accessKeyId: NEW_KEY_ID,
        createDate: NEW_CREATED,
        versionId: NEW_VERSION,
        stagedAt: STAGED_AT,
      },
      reason: `resuming the interrupted rotation of ${OLD_KEY_ID} (new key ${NEW_KEY_ID} is staged)`,
    });
    expect(mutations(iam, sm, sfn)).toEqual([]);
  });

  const ROLLBACK_VERSION = '0b5e1a2c-0000-4000-8000-0000000000bb';
  it.each<[string, () => FakeSecret]>([
    ['the secret names only the older key', () => FakeSecret.withBaseline()],
    [
      'AWSCURRENT holds the newer key but nothing holds the older one',
      () =>
        FakeSecret.owned().version(NEW_VERSION, { AccessKeyId: NEW_KEY_ID, SecretAccessKey: 'x' }, [
          'AWSCURRENT',
        ]),
    ],
    [
      'AWSPENDING holds the newer key but AWSCURRENT another key',
      () =>
        FakeSecret.owned()
          .version(BASELINE_VERSION, { AccessKeyId: STALE_KEY_ID }, ['AWSCURRENT'])
          .version(NEW_VERSION, { AccessKeyId: NEW_KEY_ID, SecretAccessKey: 'x' }, ['AWSPENDING']),
    ],
    [
      'an operator rolled AWSCURRENT back to the older key',
      () => {
        const rolledBack = FakeSecret.promoted().version(
          ROLLBACK_VERSION,
          { AccessKeyId: OLD_KEY_ID },
          [],
        );
        rolledBack.move('AWSCURRENT', ROLLBACK_VERSION, NEW_VERSION);
        return rolledBack;
      },
    ],
  ])(
    'refuses two active keys when %s: TwoActiveKeysError, nothing changed, operators notified',
    async (_, makeSecret) => {
      keys.add(OLD_KEY_ID, 'Active', OLD_CREATED).add(NEW_KEY_ID, 'Active', NEW_CREATED);
      givenSecret(makeSecret());
      const message =
        `alice has two active access keys (${OLD_KEY_ID}, ${NEW_KEY_ID}) that are not ` +
        `an interrupted rekey rotation. rekey never deletes an active key to make room: deactivate the ` +
        "key no longer in use (`rekey report` shows each key's last use), then start the rotation again.";

      const error = await failure(run({ userName: USER }));

      expect(error.name).toBe('TwoActiveKeysError');
      expect(error.message).toBe(message);
      expect(mutations(iam, sm, sfn)).toEqual([]);
      expect(keys.status(OLD_KEY_ID)).toBe('Active');
      expect(keys.status(NEW_KEY_ID)).toBe('Active');
      expect(telemetry.notifications).toEqual([
        { subject: 'rekey refused to rotate alice', message },
      ]);
      expect(telemetry.events).toEqual([
        {
          detailType: 'Rotation Refused',
          detail: {
            userName: USER,
            executionArn: EXECUTION_ARN,
            error: 'TwoActiveKeysError',
            reason: message,
            at: NOW.toISOString(),
          },
        },
      ]);
    },
  );

  it.each<[string, (k: FakeKeys) => void]>([
    ['no key at all', () => undefined],
    ['only an inactive key', (k) => void k.add(OLD_KEY_ID, 'Inactive', OLD_CREATED)],
  ])("skips a user with %s: rekey never creates a user's first key", async (_, arrange) => {
    arrange(keys);

    const state = await run({ userName: USER });

    expect(state.decision).toBe('skip');
    expect(state.reason).toBe("no active access key (rekey never creates a user's first key)");
    expect(state.oldKey).toBeUndefined();
    expect(mutations(iam, sm, sfn)).toEqual([]);
    expect(telemetry.detailTypes()).toEqual(['Rotation Skipped']);
  });
});

describe('inspect: policy from tags', () => {
  beforeEach(() => keys.add(OLD_KEY_ID, 'Active', OLD_CREATED));

  it('skips a user exempt until a future date, with the reason', async () => {
    givenUser({
      tags: { 'rekey:exempt-until': '2026-06-30', 'rekey:exempt-reason': 'vendor freeze' },
    });

    const state = await run({ userName: USER });

    expect(state.decision).toBe('skip');
    expect(state.reason).toBe('exempt until 2026-06-30: vendor freeze');
    expect(telemetry.detailTypes()).toEqual(['Rotation Skipped']);
  });

  it('honours an exemption through the end of its last day (UTC)', async () => {
    givenUser({ tags: { 'rekey:exempt-until': '2026-03-01', 'rekey:exempt-reason': 'audit' } });

    const state = await run({ userName: USER });

    expect(state.decision).toBe('skip');
  });

  it('does not honour an expired exemption', async () => {
    givenUser({
      tags: { 'rekey:exempt-until': '2026-02-28', 'rekey:exempt-reason': 'vendor freeze' },
    });

    const state = await run({ userName: USER });

    expect(state.decision).toBe('rotate');
    expect(state.reason).toBe(`key ${OLD_KEY_ID} is 90 days old`);
  });

  it('treats an unreadable exemption date as exempt, with a warning', async () => {
    givenUser({ tags: { 'rekey:exempt-until': '30/06/2026' } });

    const state = await run({ userName: USER });

    expect(state.decision).toBe('skip');
    expect(state.reason).toBe('exempt until 30/06/2026: unreadable exemption date');
    const warning =
      'tag rekey:exempt-until="30/06/2026" is not a date (YYYY-MM-DD); treated as exempt';
    expect(telemetry.event('Rotation Skipped')?.warnings).toEqual([warning]);
    expect(output.records()).toContainEqual(
      expect.objectContaining({ level: 'WARN', message: 'policy tag ignored', warning }),
    );
  });

  it('skips a user who opted out with rekey:rotate=false (tag keys are case-insensitive)', async () => {
    givenUser({ tags: { 'Rekey:Rotate': 'false' } });

    const state = await run({ userName: USER });

    expect(state.decision).toBe('skip');
    expect(state.reason).toBe('opted out with rekey:rotate=false');
  });

  it('skips a user without rekey:rotate=true when the deployment is opt-in', async () => {
    givenUser();

    const state = await run(
      { userName: USER },
      { selection: { mode: 'opt-in', minRotateAfterDays: 30 } },
    );

    expect(state.decision).toBe('skip');
    expect(state.reason).toBe('not opted in (rekey:rotate=true is required)');
  });

  it('rotates an opted-in user in an opt-in deployment', async () => {
    givenUser({ tags: { 'rekey:rotate': 'TRUE' } });

    const state = await run(
      { userName: USER },
      { selection: { mode: 'opt-in', minRotateAfterDays: 30 } },
    );

    expect(state.decision).toBe('rotate');
  });

  it("reads every page of the user's tags (IAM paginates with IsTruncated and Marker)", async () => {
    givenUser();
    iam
      .on(ListUserTagsCommand, { UserName: USER, Marker: undefined })
      .resolves({ Tags: [{ Key: 'team', Value: 'payments' }], IsTruncated: true, Marker: 'page-2' })
      .on(ListUserTagsCommand, { UserName: USER, Marker: 'page-2' })
      .resolves({ Tags: [{ Key: 'rekey:rotate', Value: 'false' }], IsTruncated: false });

    const state = await run({ userName: USER });

    expect(iam).toHaveReceivedCommandTimes(ListUserTagsCommand, 2);
    expect(state.decision).toBe('skip');
    expect(state.reason).toBe('opted out with rekey:rotate=false');
  });

  it('applies tag overrides to the policy it hands on', async () => {
    givenUser({
      tags: {
        'rekey:rotate-after-days': '45',
        'rekey:cutover-deadline-hours': '48',
        'rekey:recovery-window-days': '3',
        'rekey:deadline-action': 'enforce',
      },
    });

    const state = await run({ userName: USER });

    expect(state.policy).toEqual({
      ...DEFAULT_POLICY,
      rotateAfterDays: 45,
      cutoverDeadlineSeconds: 48 * 3600,
      recoveryWindowSeconds: 3 * 86_400,
      deadlineAction: 'enforce',
    });
    expect(telemetry.event('Rotation Started')?.warnings).toEqual([]);
  });

  it('ignores bad tag values with a warning each, keeping the defaults', async () => {
    givenUser({
      tags: {
        'rekey:rotate-after-days': '7',
        'rekey:cutover-deadline-hours': 'two days',
        'rekey:recovery-window-days': '31',
        'rekey:deadline-action': 'abort',
        'rekey:rotate': 'yes',
      },
    });

    const state = await run({ userName: USER });

    expect(state.decision).toBe('rotate');
    expect(state.policy).toEqual(DEFAULT_POLICY);
    expect(telemetry.event('Rotation Started')?.warnings).toEqual([
      'tag rekey:rotate-after-days="7" ignored: expected a whole number from 30 to 90',
      'tag rekey:cutover-deadline-hours="two days" ignored: expected a whole number from 1 to 720',
      'tag rekey:recovery-window-days="31" ignored: expected a whole number from 0 to 30',
      'tag rekey:deadline-action="abort" ignored: expected fail or enforce',
      'tag rekey:rotate="yes" ignored: expected true or false',
    ]);
  });
});

describe('inspect: scheduled and on-demand', () => {
  const YOUNG = '2026-02-09T12:00:00.000Z'; // 20 days before NOW

  beforeEach(() => givenUser());

  it('skips a key that is not due in scheduled mode (the fleet scan)', async () => {
    keys.add(OLD_KEY_ID, 'Active', YOUNG);

    const state = await run({ userName: USER, mode: 'scheduled' });

    expect(state.decision).toBe('skip');
    expect(state.reason).toBe(`not due: key ${OLD_KEY_ID} is 20 days old, rotation after 80`);
    expect(state.oldKey).toEqual({ accessKeyId: OLD_KEY_ID, createDate: YOUNG });
    expect(telemetry.detailTypes()).toEqual(['Rotation Skipped']);
  });

  it('rotates the same key on demand', async () => {
    keys.add(OLD_KEY_ID, 'Active', YOUNG);

    const state = await run({ userName: USER, requestedBy: 'ops@example.com' });

    expect(state.decision).toBe('rotate');
    expect(state.reason).toBe(`key ${OLD_KEY_ID} is 20 days old`);
    expect(state.requestedBy).toBe('ops@example.com');
  });

  it('gives requestedBy no say in the mode: "rekey-scan" from any caller is only a claim', async () => {
    keys.add(OLD_KEY_ID, 'Active', YOUNG);

    const state = await run({ userName: USER, requestedBy: 'rekey-scan' });

    expect(state.decision).toBe('rotate');
    expect(state.mode).toBe('on-demand');
  });

  it('rotates a scheduled key that is due', async () => {
    keys.add(OLD_KEY_ID, 'Active', OLD_CREATED);

    const state = await run({ userName: USER, mode: 'scheduled' });

    expect(state.decision).toBe('rotate');
  });

  it('reports a dry run as planned, changing nothing', async () => {
    keys.add(OLD_KEY_ID, 'Active', OLD_CREATED);

    const state = await run({ userName: USER, dryRun: true });

    expect(state.decision).toBe('rotate');
    expect(state.dryRun).toBe(true);
    expect(telemetry.detailTypes()).toEqual(['Rotation Planned']);
    expect(mutations(iam, sm, sfn)).toEqual([]);
  });
});

describe('inspect: one rotation per user', () => {
  beforeEach(() => {
    givenUser();
    keys.add(OLD_KEY_ID, 'Active', OLD_CREATED);
  });

  it('refuses while the execution named on the secret is still running', async () => {
    givenSecret(FakeSecret.withBaseline().tag('rekey:execution', OTHER_EXECUTION_ARN));
    sfn.on(DescribeExecutionCommand, { executionArn: OTHER_EXECUTION_ARN }).resolves({
      executionArn: OTHER_EXECUTION_ARN,
      status: 'RUNNING',
    });

    const error = await failure(run({ userName: USER }));

    expect(error.name).toBe('RotationInProgressError');
    expect(error.message).toBe(
      `alice is already being rotated by execution ${OTHER_EXECUTION_ARN}. ` +
        `Wait for it to finish (or stop it), then start again.`,
    );
    // METADATA_ONLY: the execution's data is encrypted with the CMK, which Inspect may not decrypt.
    expect(sfn).toHaveReceivedCommandWith(DescribeExecutionCommand, {
      executionArn: OTHER_EXECUTION_ARN,
      includedData: 'METADATA_ONLY',
    });
    expect(mutations(iam, sm, sfn)).toEqual([]);
    expect(telemetry.detailTypes()).toEqual(['Rotation Refused']);
  });

  it.each<ExecutionStatus>(['SUCCEEDED', 'FAILED', 'ABORTED', 'TIMED_OUT'])(
    'rotates when the execution named on the secret has finished (%s)',
    async (status) => {
      givenSecret(FakeSecret.withBaseline().tag('rekey:execution', OTHER_EXECUTION_ARN));
      sfn.on(DescribeExecutionCommand).resolves({ executionArn: OTHER_EXECUTION_ARN, status });

      const state = await run({ userName: USER });

      expect(state.decision).toBe('rotate');
    },
  );

  it('rotates when the execution named on the secret no longer exists', async () => {
    givenSecret(FakeSecret.withBaseline().tag('rekey:execution', OTHER_EXECUTION_ARN));
    sfn.on(DescribeExecutionCommand).rejects(awsErrors.executionDoesNotExist(OTHER_EXECUTION_ARN));

    const state = await run({ userName: USER });

    expect(state.decision).toBe('rotate');
  });

  it('does not refuse its own execution (a retried Inspect)', async () => {
    givenSecret(FakeSecret.withBaseline().tag('rekey:execution', EXECUTION_ARN));

    const state = await run({ userName: USER });

    expect(state.decision).toBe('rotate');
    expect(sfn).not.toHaveReceivedCommand(DescribeExecutionCommand);
  });
});

describe('inspect: canonical names', () => {
  it('rotates the user IAM returns for a name in another case, keyed by the canonical name', async () => {
    givenUser();
    iam.on(GetUserCommand, { UserName: 'ALICE' }).resolves({
      User: {
        Path: '/',
        UserName: USER,
        UserId: USER_ID,
        Arn: USER_ARN,
        CreateDate: new Date('2024-01-02T03:04:05Z'),
      },
    });
    keys.add(OLD_KEY_ID, 'Active', OLD_CREATED);

    const state = await run({ userName: 'ALICE' });

    expect(state).toMatchObject({
      userName: USER,
      requestedUserName: 'ALICE',
      secretId: SECRET_ID,
      decision: 'rotate',
    });
    expect(state.reason).toBe(`"ALICE" is IAM user alice: key ${OLD_KEY_ID} is 90 days old`);
    expect(iam).toHaveReceivedCommandWith(ListUserTagsCommand, { UserName: USER });
    expect(telemetry.event('Rotation Started')).toMatchObject({
      userName: USER,
      requestedUserName: 'ALICE',
    });
  });

  it('keeps no requestedUserName when the input already spells the name as IAM does', async () => {
    givenUser();
    keys.add(OLD_KEY_ID, 'Active', OLD_CREATED);

    const state = await run({ userName: USER });

    expect(state.requestedUserName).toBeUndefined();
  });
});

describe('inspect: the secret is the lifeline', () => {
  beforeEach(() => {
    givenUser();
    keys.add(OLD_KEY_ID, 'Active', OLD_CREATED);
  });

  it('refuses, changing nothing, while the secret is scheduled for deletion, and notifies', async () => {
    const pending = FakeSecret.withBaseline();
    pending.deletedDate = new Date('2026-02-27T08:00:00Z');
    givenSecret(pending);

    const error = await failure(run({ userName: USER }));

    expect(error.name).toBe('SecretDeletedError');
    expect(error.message).toBe(
      `The secret ${SECRET_ID} is scheduled for deletion: its deletion was requested at ` +
        '2026-02-27T08:00:00.000Z, and Secrets Manager deletes it for good when the recovery ' +
        'window given to DeleteSecret ends, 7 to 30 days later (between 2026-03-06T08:00:00.000Z ' +
        'and 2026-03-29T08:00:00.000Z). rekey changes nothing. Restore it before then (aws ' +
        `secretsmanager restore-secret --secret-id ${SECRET_ID}) to rotate with it, or delete it for good (aws secretsmanager delete-secret --secret-id ` +
        `${SECRET_ID} --force-delete-without-recovery) to let rekey create a new one; then start again.`,
    );
    expect(mutations(iam, sm, sfn)).toEqual([]);
    expect(telemetry.notifications).toEqual([
      { subject: 'rekey refused to rotate alice', message: error.message },
    ]);
  });

  it('refuses two active keys with no secret, saying the secret is missing', async () => {
    keys.add(NEW_KEY_ID, 'Active', NEW_CREATED);

    const error = await failure(run({ userName: USER }));

    expect(error.name).toBe('TwoActiveKeysError');
    expect(error.message).toContain(
      `The secret ${SECRET_ID} does not exist (if it was deleted during a rotation, the newer key's secret access key went with it).`,
    );
    expect(mutations(iam, sm, sfn)).toEqual([]);
  });
});

describe("inspect: an ended rotation's orphan (I3)", () => {
  const ENDED = OTHER_EXECUTION_ARN;
  /** The ended execution's CreateAccessKey call: the orphan was created inside it. */
  const CALL_START = '2026-03-01T11:00:03.000Z';
  const CALL_END = '2026-03-01T11:00:05.000Z';
  const IN_WINDOW = '2026-03-01T11:00:04.000Z';
  const markerOf = (arn: string, value: string) =>
    FakeSecret.withBaseline().tag(creatingMarker(arn), value);

  beforeEach(() => {
    givenUser();
    keys.add(OLD_KEY_ID, 'Active', OLD_CREATED);
    sfn.on(DescribeExecutionCommand).resolves({ executionArn: ENDED, status: 'FAILED' });
  });

  it('plans to discard a key its creating-marker proves it created, and rotates the old key', async () => {
    keys.add(ORPHAN_KEY_ID, 'Active', IN_WINDOW);
    givenSecret(markerOf(ENDED, `${ENDED}@${CALL_START}/${CALL_END}`));

    const state = await run({ userName: USER });

    expect(state).toMatchObject({
      decision: 'rotate',
      oldKey: OLD_KEY,
      knownKeyIds: [OLD_KEY_ID, ORPHAN_KEY_ID],
      orphanKeyIds: [ORPHAN_KEY_ID],
    });
    expect(state.reason).toBe(
      `key ${OLD_KEY_ID} is 90 days old; ${ORPHAN_KEY_ID}, created by an ended rotation and never published, is discarded first`,
    );
    expect(mutations(iam, sm, sfn)).toEqual([]);
  });

  it.each([
    ['created after the unanswered call ended (by hand)', '2026-03-01T11:00:40.000Z', undefined],
    ['used since it was created', IN_WINDOW, '2026-03-01T11:30:00.000Z'],
  ])('does not take a key %s for an orphan: two active keys, refused', async (_, created, used) => {
    keys.add(ORPHAN_KEY_ID, 'Active', created);
    if (used) keys.use(ORPHAN_KEY_ID, used);
    givenSecret(markerOf(ENDED, `${ENDED}@${CALL_START}/${CALL_END}`));

    const error = await failure(run({ userName: USER }));

    expect(error.name).toBe('TwoActiveKeysError');
    expect(mutations(iam, sm, sfn)).toEqual([]);
  });

  it('refuses while the execution behind a fresh marker is running: it may be creating its key', async () => {
    keys.add(ORPHAN_KEY_ID, 'Active', '2026-03-01T11:59:58.000Z');
    sfn.on(DescribeExecutionCommand).resolves({ executionArn: ENDED, status: 'RUNNING' });
    givenSecret(markerOf(ENDED, `${ENDED}@2026-03-01T11:59:57.000Z`));

    const error = await failure(run({ userName: USER }));

    expect(error.name).toBe('RotationInProgressError');
    expect(error.message).toBe(
      `alice is being rotated by execution ${ENDED}, which is creating its new key right now.`,
    );
  });
});

describe('inspect: a secret rekey does not own', () => {
  beforeEach(() => {
    givenUser();
    keys.add(OLD_KEY_ID, 'Active', OLD_CREATED);
  });

  it('records the secret it found, so that later steps notice one deleted and created again', async () => {
    givenSecret(FakeSecret.withBaseline());

    const state = await run({ userName: USER });

    expect(state.secretArn).toBe(SECRET_ARN);
  });

  it('refuses a secret with the name of the user that somebody else created: changes nothing, notifies', async () => {
    givenSecret(
      new FakeSecret().version(BASELINE_VERSION, { AccessKeyId: OLD_KEY_ID }, ['AWSCURRENT']),
    );

    const error = await failure(run({ userName: USER }));

    expect(error.name).toBe('SecretNotOwnedError');
    expect(error.message).toContain(
      'was not created by rekey (its tag rekey:managed-by is absent)',
    );
    expect(mutations(iam, sm, sfn)).toEqual([]);
    expect(telemetry.notifications.map((n) => n.subject)).toEqual([
      `rekey refused to rotate ${USER}`,
    ]);
  });
});
