import { GetUserCommand, IAMClient, ListUserTagsCommand } from '@aws-sdk/client-iam';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DescribeExecutionCommand, SFNClient, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { inspect, type InspectDeps } from '../../../lambdas/inspect/core';
import { creatingMarker } from '../../../lambdas/shared/markers';
import { DEFAULT_POLICY } from '../../../lambdas/shared/policy';
import {
  ACCOUNT,
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
  OLD_KEY_ID,
  OTHER_EXECUTION_ARN,
  testConfig,
  USER,
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

beforeEach(() => {
  iam.reset();
  sm.reset();
  sfn.reset();
  telemetry = new FakeTelemetry();
  captureOutput();
  keys = new FakeKeys().install(iam);
  iam.on(GetUserCommand, { UserName: USER }).resolves({
    User: {
      Path: '/',
      UserName: USER,
      UserId: USER_ID,
      Arn: `arn:aws:iam::${ACCOUNT}:user/${USER}`,
      CreateDate: new Date('2024-01-02T03:04:05Z'),
    },
  });
  iam.on(ListUserTagsCommand).resolves({ Tags: [], IsTruncated: false });
});

afterEach(() => jest.restoreAllMocks());

const deps = (): InspectDeps => ({
  iam: iamClient,
  secrets: smClient,
  sfn: sfnClient,
  telemetry,
  clock: new FakeClock(NOW),
  config: testConfig({ emergency: { recoveryWindowSeconds: 86_400, graceSeconds: 120 } }),
});

const run = (input: unknown) => inspect({ input, executionArn: EXECUTION_ARN }, deps());

const asked = (accessKeyId = OLD_KEY_ID) => ({
  userName: USER,
  emergency: { accessKeyId, reason: 'found in a public repository' },
});

/** AWS Health's event detail for an exposed key (docs/aws-semantics.md §10). */
const healthDetail = (entities: unknown = [{ entityValue: OLD_KEY_ID }]) => ({
  eventArn: 'arn:aws:health:global::event/RISK/AWS_RISK_CREDENTIALS_EXPOSED/ABC',
  service: 'RISK',
  eventTypeCode: 'AWS_RISK_CREDENTIALS_EXPOSED',
  eventTypeCategory: 'issue',
  startTime: 'Tue, 01 Mar 2026 10:00:00 GMT',
  eventDescription: [{ language: 'en_US', latestDescription: 'Your key was found on GitHub.' }],
  affectedEntities: entities,
});

describe('inspect: an emergency rotation', () => {
  it('rotates the one active key when it is the exposed one, whatever its age, with the emergency policy', async () => {
    keys.add(OLD_KEY_ID, 'Active', OLD_CREATED);
    FakeSecret.withBaseline().install(sm);
    const state = await run(asked());
    expect(state).toMatchObject({
      decision: 'rotate',
      mode: 'emergency',
      oldKey: { accessKeyId: OLD_KEY_ID },
      policy: {
        ...DEFAULT_POLICY,
        cutoverDeadlineSeconds: 120,
        deadlineAction: 'enforce',
        recoveryWindowSeconds: 86_400,
      },
      emergency: {
        accessKeyId: OLD_KEY_ID,
        reason: 'found in a public repository',
        source: 'request',
        graceSeconds: 120,
      },
    });
    expect(state.newKey).toBeUndefined();
    expect(state.reason).toBe(`emergency: ${OLD_KEY_ID} is exposed (found in a public repository)`);
    expect(telemetry.events.map((e) => e.detailType)).toEqual(['Rotation Started']);
  });

  it('rotates an exempt user: an exemption defers a planned rotation, not an exposed key', async () => {
    iam.on(ListUserTagsCommand).resolves({
      Tags: [
        { Key: 'rekey:exempt-until', Value: '2027-01-01' },
        { Key: 'rekey:exempt-reason', Value: 'migration' },
      ],
      IsTruncated: false,
    });
    keys.add(OLD_KEY_ID, 'Active', OLD_CREATED);
    FakeSecret.withBaseline().install(sm);
    expect((await run(asked())).decision).toBe('rotate');
  });

  it('finds the user from the key when AWS Health names only the key', async () => {
    keys.add(OLD_KEY_ID, 'Active', OLD_CREATED);
    FakeSecret.withBaseline().install(sm);
    const state = await run({ emergency: { health: healthDetail() }, requestedBy: 'aws.health' });
    expect(state).toMatchObject({
      userName: USER,
      decision: 'rotate',
      requestedBy: 'aws.health',
      emergency: {
        accessKeyId: OLD_KEY_ID,
        reason: 'Your key was found on GitHub.',
        exposedAt: '2026-03-01T10:00:00.000Z',
        source: 'aws.health',
        healthEventArn: 'arn:aws:health:global::event/RISK/AWS_RISK_CREDENTIALS_EXPOSED/ABC',
      },
    });
  });

  it('keeps the other active key when the secret already gives it, and creates none', async () => {
    keys.add(OLD_KEY_ID, 'Active', OLD_CREATED).add(NEW_KEY_ID, 'Active', NEW_CREATED);
    FakeSecret.promoted().install(sm);
    const state = await run(asked(OLD_KEY_ID));
    expect(state).toMatchObject({
      decision: 'rotate',
      resumed: 'promoted',
      oldKey: { accessKeyId: OLD_KEY_ID },
      newKey: { accessKeyId: NEW_KEY_ID, versionId: NEW_VERSION },
      emergency: { keptKey: NEW_KEY_ID },
    });
    expect(mutations(iam, sm, sfn)).toEqual([]);
  });

  it('verifies and promotes an interrupted rotation’s staged key instead of creating one', async () => {
    keys.add(OLD_KEY_ID, 'Active', OLD_CREATED).add(NEW_KEY_ID, 'Active', NEW_CREATED);
    FakeSecret.staged().install(sm);
    const state = await run(asked(OLD_KEY_ID));
    expect(state).toMatchObject({
      resumed: 'staged',
      newKey: { accessKeyId: NEW_KEY_ID, versionId: NEW_VERSION },
    });
    expect(state.emergency?.keptKey).toBeUndefined();
  });

  it('stops when the secret gives applications the exposed key and the other key is not in it, changing nothing', async () => {
    keys.add(OLD_KEY_ID, 'Active', OLD_CREATED).add(NEW_KEY_ID, 'Active', NEW_CREATED);
    FakeSecret.withBaseline().install(sm);
    const error = await failure(run(asked(OLD_KEY_ID)));
    expect(error.name).toBe('TwoActiveKeysError');
    expect(error.message).toContain(
      `the secret rekey/alice gives applications the exposed key (AWSCURRENT)`,
    );
    expect(error.message).toContain(
      `aws iam update-access-key --user-name alice --access-key-id ${OLD_KEY_ID} --status Inactive`,
    );
    expect(mutations(iam, sm, sfn)).toEqual([]);
    expect(telemetry.notifications[0]?.subject).toBe('rekey EMERGENCY: refused to rotate alice');
  });

  it('refuses a key that is not the user’s, naming the keys it holds', async () => {
    keys.add(OLD_KEY_ID, 'Active', OLD_CREATED);
    FakeSecret.withBaseline().install(sm);
    const error = await failure(run(asked('AKIAZZZZZZZZZZZZZZZZ')));
    expect(error.name).toBe('InvalidInputError');
    expect(error.message).toContain(
      `AKIAZZZZZZZZZZZZZZZZ is not an access key of alice (it holds ${OLD_KEY_ID} (active)). Nothing was changed.`,
    );
  });

  it('skips, and says so at the highest severity, an exposed key already inactive with nothing to keep', async () => {
    keys.add(OLD_KEY_ID, 'Inactive', OLD_CREATED);
    FakeSecret.withBaseline().install(sm);
    const state = await run(asked(OLD_KEY_ID));
    expect(state.decision).toBe('skip');
    expect(state.reason).toContain('already inactive');
    expect(telemetry.notifications[0]?.subject).toBe("rekey EMERGENCY: alice's exposed key");
  });

  it('stops a running planned rotation of the user and takes over its promoted key', async () => {
    keys.add(OLD_KEY_ID, 'Active', OLD_CREATED).add(NEW_KEY_ID, 'Active', NEW_CREATED);
    FakeSecret.promoted().tag('rekey:execution', OTHER_EXECUTION_ARN).install(sm);
    let status: 'RUNNING' | 'ABORTED' = 'RUNNING';
    sfn.on(DescribeExecutionCommand).callsFake(() => ({ status }));
    sfn.on(StopExecutionCommand).callsFake(() => {
      status = 'ABORTED';
      return {};
    });
    const state = await run(asked(OLD_KEY_ID));
    expect(sfn).toHaveReceivedCommandWith(StopExecutionCommand, {
      executionArn: OTHER_EXECUTION_ARN,
      error: 'TakenOverByEmergency',
    });
    expect(state).toMatchObject({
      decision: 'rotate',
      resumed: 'promoted',
      emergency: { tookOver: OTHER_EXECUTION_ARN, keptKey: NEW_KEY_ID },
    });
  });

  it('does not stop anything in a dry run, and says which rotation it would take over', async () => {
    keys.add(OLD_KEY_ID, 'Active', OLD_CREATED).add(NEW_KEY_ID, 'Active', NEW_CREATED);
    FakeSecret.promoted().tag('rekey:execution', OTHER_EXECUTION_ARN).install(sm);
    sfn.on(DescribeExecutionCommand).resolves({ status: 'RUNNING' });
    const state = await run({ ...asked(OLD_KEY_ID), dryRun: true });
    expect(sfn).not.toHaveReceivedCommand(StopExecutionCommand);
    expect(state.emergency?.tookOver).toBe(OTHER_EXECUTION_ARN);
  });

  it('never takes over a running emergency of the user', async () => {
    keys.add(OLD_KEY_ID, 'Active', OLD_CREATED).add(NEW_KEY_ID, 'Active', NEW_CREATED);
    FakeSecret.promoted()
      .tag('rekey:execution', OTHER_EXECUTION_ARN)
      .tag('rekey:emergency', OTHER_EXECUTION_ARN)
      .install(sm);
    sfn.on(DescribeExecutionCommand).resolves({ status: 'RUNNING' });
    const error = await failure(run(asked(OLD_KEY_ID)));
    expect(error.name).toBe('RotationInProgressError');
    expect(sfn).not.toHaveReceivedCommand(StopExecutionCommand);
  });

  it('after stopping a rotation that was creating its key, retries (transient) to read what it left', async () => {
    keys.add(OLD_KEY_ID, 'Active', OLD_CREATED);
    FakeSecret.withBaseline()
      .tag('rekey:execution', OTHER_EXECUTION_ARN)
      .tag(
        creatingMarker(OTHER_EXECUTION_ARN),
        `${OTHER_EXECUTION_ARN}@${new Date(NOW.getTime() - 2000).toISOString()}`,
      )
      .install(sm);
    sfn.on(DescribeExecutionCommand).resolves({ status: 'RUNNING' });
    const error = await failure(run(asked(OLD_KEY_ID)));
    expect(error.name).toBe('AwsTransientError');
    expect(sfn).toHaveReceivedCommand(StopExecutionCommand);
    expect(mutations(iam, sm)).toEqual([]);
  });
});

describe('inspect: an emergency that cannot rotate stops nothing', () => {
  it('refuses, and leaves a running planned rotation alone, when the plan is a refusal', async () => {
    keys.add(OLD_KEY_ID, 'Active', OLD_CREATED).add(NEW_KEY_ID, 'Active', NEW_CREATED);
    FakeSecret.promoted().tag('rekey:execution', OTHER_EXECUTION_ARN).install(sm);
    sfn.on(DescribeExecutionCommand).resolves({ status: 'RUNNING' });
    // The promoted new key is reported exposed: the secret gives it, the other key is not in it.
    const error = await failure(run(asked(NEW_KEY_ID)));
    expect(error.name).toBe('TwoActiveKeysError');
    expect(sfn).not.toHaveReceivedCommand(StopExecutionCommand);
  });

  it('refuses a user rekey does not manage, with the command to cut the key off by hand', async () => {
    iam.on(ListUserTagsCommand).resolves({
      Tags: [{ Key: 'rekey:rotate', Value: 'false' }],
      IsTruncated: false,
    });
    keys.add(OLD_KEY_ID, 'Active', OLD_CREATED);
    FakeSecret.withBaseline().install(sm);
    const error = await failure(run(asked()));
    expect(error.name).toBe('UserNotManagedError');
    expect(error.message).toContain(
      `aws iam update-access-key --user-name alice --access-key-id ${OLD_KEY_ID} --status Inactive`,
    );
    expect(mutations(iam, sm, sfn)).toEqual([]);
  });

  it('does not keep a current key the secret holds no secret access key for (a baseline)', async () => {
    keys.add(OLD_KEY_ID, 'Active', OLD_CREATED).add(NEW_KEY_ID, 'Active', NEW_CREATED);
    // The baseline names the old key; the new key is reported exposed.
    FakeSecret.withBaseline().install(sm);
    const error = await failure(run(asked(NEW_KEY_ID)));
    expect(error.name).toBe('TwoActiveKeysError');
    expect(error.message).toContain('holds no secret access key for it (a baseline');
  });

  it('refuses an exposure time in the future', async () => {
    keys.add(OLD_KEY_ID, 'Active', OLD_CREATED);
    FakeSecret.withBaseline().install(sm);
    const input = asked();
    const error = await failure(
      run({ ...input, emergency: { ...input.emergency, exposedAt: '2027-01-01T00:00:00Z' } }),
    );
    expect(error.name).toBe('InvalidInputError');
    expect(error.message).toContain('is in the future');
  });

  it('sends no notification for a dry run it refuses', async () => {
    keys.add(OLD_KEY_ID, 'Active', OLD_CREATED).add(NEW_KEY_ID, 'Active', NEW_CREATED);
    FakeSecret.withBaseline().install(sm);
    await failure(run({ ...asked(NEW_KEY_ID), dryRun: true }));
    expect(telemetry.notifications).toEqual([]);
  });
});

describe('inspect: a malformed emergency is refused and changes nothing', () => {
  it.each([
    [
      'no reason',
      { userName: USER, emergency: { accessKeyId: OLD_KEY_ID } },
      '"emergency.reason" must say why',
    ],
    [
      'a bad key id',
      { userName: USER, emergency: { accessKeyId: 'AKIA1', reason: 'x' } },
      '"emergency.accessKeyId" must be',
    ],
    [
      'an unknown field',
      { userName: USER, emergency: { accessKeyId: OLD_KEY_ID, reason: 'x', force: true } },
      'Unknown "emergency" field "force"',
    ],
    [
      'a scheduled emergency',
      { ...asked(), mode: 'scheduled' },
      'An emergency rotation cannot be "scheduled"',
    ],
    [
      'a Health event of another type',
      { emergency: { health: { ...healthDetail(), eventTypeCode: 'AWS_EC2_MAINTENANCE' } } },
      'must be AWS_RISK_CREDENTIALS_EXPOSED',
    ],
    [
      'a Health event naming no key',
      { emergency: { health: healthDetail([]) } },
      'names no access key',
    ],
    [
      'a Health event naming two keys',
      {
        emergency: {
          health: healthDetail([{ entityValue: OLD_KEY_ID }, { entityValue: NEW_KEY_ID }]),
        },
      },
      'names more than one access key',
    ],
    [
      'a Health event that is not an object',
      { emergency: { health: 'AKIA' } },
      'must be an AWS Health event',
    ],
    [
      'a Health event with a bad start time',
      { emergency: { health: { ...healthDetail(), startTime: 'soon' } } },
      '"emergency.health.startTime" must be a date',
    ],
  ])('%s', async (_what, input, message) => {
    keys.add(OLD_KEY_ID, 'Active', OLD_CREATED);
    FakeSecret.withBaseline().install(sm);
    const error = await failure(run(input));
    expect(error.name).toBe('InvalidInputError');
    expect(error.message).toContain(message);
    expect(mutations(iam, sm, sfn)).toEqual([]);
    expect(iam.calls()).toHaveLength(0);
    expect(telemetry.notifications[0]?.subject).toMatch(/^rekey EMERGENCY: refused/);
  });

  it('refuses a key IAM does not know, naming it', async () => {
    const error = await failure(
      run({ emergency: { health: healthDetail([{ entityValue: 'AKIAZZZZZZZZZZZZZZZZ' }]) } }),
    );
    expect(error.name).toBe('InvalidInputError');
    expect(error.message).toContain(
      'The exposed key AKIAZZZZZZZZZZZZZZZZ is no access key of this account',
    );
    expect(mutations(iam, sm, sfn)).toEqual([]);
  });
});
