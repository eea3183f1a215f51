import { GetAccessKeyLastUsedCommand, IAMClient } from '@aws-sdk/client-iam';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { checkCutover } from '../../../lambdas/check-cutover/core';
import { initialCutover } from '../../../lambdas/shared/cutover';
import type { Deps } from '../../../lambdas/shared/deps';
import { DEFAULT_POLICY } from '../../../lambdas/shared/policy';
import {
  awsErrors,
  BASELINE_VERSION,
  captureOutput,
  EXECUTION_ARN,
  failure,
  FakeSecret,
  FakeClock,
  FakeKeys,
  FakeTelemetry,
  mutations,
  NEW_CREATED,
  NEW_KEY_ID,
  NEW_VERSION,
  OLD_CREATED,
  OLD_KEY_ID,
  PROMOTED_AT,
  promotedState,
  testConfig,
  USER,
} from '../helpers';

const iamClient = new IAMClient({ region: 'us-east-1' });
const smClient = new SecretsManagerClient({ region: 'us-east-1' });
const iam = mockClient(iamClient);
const sm = mockClient(smClient);

/** Promotion 12:00:30, first check after 2 x 15 min + 4 h. */
const FIRST_CHECK = '2026-03-01T16:30:30.000Z';
const DEADLINE_AT = '2026-03-08T12:00:30.000Z';
const OLD_USED = '2026-03-01T11:50:00.000Z';

let telemetry: FakeTelemetry;
let keys: FakeKeys;
let secret: FakeSecret;

beforeEach(() => {
  iam.reset();
  sm.reset();
  captureOutput();
  telemetry = new FakeTelemetry();
  keys = new FakeKeys().install(iam);
  secret = FakeSecret.promoted().install(sm);
});

afterEach(() => jest.restoreAllMocks());

const deps = (now: string): Deps => ({
  iam: iamClient,
  secrets: smClient,
  telemetry,
  clock: new FakeClock(now),
  config: testConfig(),
});

function givenUse(oldUse?: [string, string, string], newUse?: [string, string, string]): void {
  const asUse = (u?: [string, string, string]) =>
    u && { date: u[0], serviceName: u[1], region: u[2] };
  keys.add(OLD_KEY_ID, 'Active', OLD_CREATED, asUse(oldUse));
  keys.add(NEW_KEY_ID, 'Active', NEW_CREATED, asUse(newUse));
}

describe('check-cutover', () => {
  it("reads both keys' last use and waits longer when nothing is proven yet", async () => {
    givenUse([OLD_USED, 's3', 'eu-west-1']);
    const state = promotedState();

    const result = await checkCutover(state, deps(FIRST_CHECK));

    expect(iam).toHaveReceivedCommandWith(GetAccessKeyLastUsedCommand, { AccessKeyId: OLD_KEY_ID });
    expect(iam).toHaveReceivedCommandWith(GetAccessKeyLastUsedCommand, { AccessKeyId: NEW_KEY_ID });
    expect(result).toEqual({
      ...state,
      cutover: {
        polls: 1,
        verdict: 'waiting',
        waitSeconds: 2 * 17_100,
        deadlineAt: DEADLINE_AT,
        checkedAt: FIRST_CHECK,
        oldKeyLastUsed: {
          date: '2026-03-01T11:50:00.000Z',
          serviceName: 's3',
          region: 'eu-west-1',
        },
        newKeyLastUsed: { date: undefined, serviceName: 'N/A', region: 'N/A' },
        reason: 'waiting for last-used data to show the applications moved',
      },
    });
    expect(telemetry.events).toEqual([]);
    expect(mutations(iam, sm)).toEqual([]);
  });

  it('finishes with switched when the applications use the new key, reporting Cutover Complete', async () => {
    givenUse([OLD_USED, 's3', 'eu-west-1'], ['2026-03-01T13:00:00.000Z', 's3', 'eu-west-1']);

    const result = await checkCutover(promotedState(), deps(FIRST_CHECK));

    expect(result.cutover).toMatchObject({ polls: 1, verdict: 'switched', waitSeconds: 0 });
    expect(telemetry.events).toEqual([
      {
        detailType: 'Cutover Complete',
        detail: {
          userName: USER,
          executionArn: EXECUTION_ARN,
          oldKeyId: OLD_KEY_ID,
          newKeyId: NEW_KEY_ID,
          oldKeyLastUsed: {
            date: '2026-03-01T11:50:00.000Z',
            serviceName: 's3',
            region: 'eu-west-1',
          },
          newKeyLastUsed: {
            date: '2026-03-01T13:00:00.000Z',
            serviceName: 's3',
            region: 'eu-west-1',
          },
          polls: 1,
          at: FIRST_CHECK,
          verdict: 'switched',
          reason:
            'applications use the new key (last used 2026-03-01T13:00:00.000Z) and the old key is quiet',
        },
      },
    ]);
  });

  it('finishes with idle when the old key was never used', async () => {
    givenUse();

    const result = await checkCutover(promotedState(), deps(FIRST_CHECK));

    expect(result.cutover).toMatchObject({
      verdict: 'idle',
      waitSeconds: 0,
      reason: 'the old key was never used',
    });
    expect(telemetry.detailTypes()).toEqual(['Cutover Complete']);
  });

  it('keeps waiting while the old key is in use, counting polls', async () => {
    givenUse(['2026-03-02T09:00:00.000Z', 'ec2', 'eu-central-1']);
    const state = promotedState({
      cutover: {
        ...initialCutover(DEFAULT_POLICY, new Date(PROMOTED_AT)),
        polls: 3,
        waitSeconds: 64_800,
      },
    });

    const result = await checkCutover(state, deps('2026-03-02T10:00:00.000Z'));

    expect(result.cutover).toMatchObject({
      polls: 4,
      verdict: 'in-use',
      waitSeconds: 64_800,
      reason:
        'the old key is still in use (last used 2026-03-02T09:00:00.000Z by ec2 in eu-central-1)',
    });
  });

  it('never sets a wait that ends past the deadline', async () => {
    givenUse(['2026-03-08T11:00:00.000Z', 'ec2', 'eu-central-1']);

    const result = await checkCutover(promotedState(), deps('2026-03-08T11:43:50.000Z'));

    expect(result.cutover?.waitSeconds).toBe(1000);
  });

  describe('at the deadline with the old key still in use', () => {
    const AT = DEADLINE_AT;
    const reason =
      'cutover deadline passed: the old key is still in use (last used 2026-03-08T11:58:00.000Z by ec2 in eu-central-1)';
    const who = `The old key ${OLD_KEY_ID} was last used 2026-03-08T11:58:00.000Z by ec2 in eu-central-1.`;

    beforeEach(() => givenUse(['2026-03-08T11:58:00.000Z', 'ec2', 'eu-central-1']));

    it('fails with CutoverDeadlineError under the fail policy, telling operators who uses the old key', async () => {
      const error = await failure(checkCutover(promotedState(), deps(AT)));

      expect(error.name).toBe('CutoverDeadlineError');
      expect(error.message).toBe(
        `${reason}. ${who} Both keys stay active; the new key is current.`,
      );
      expect(telemetry.notifications).toEqual([
        {
          subject: 'rekey: cutover deadline passed for alice',
          message: `${reason}. ${who} Policy: fail (both keys stay active; the new key is current).`,
        },
      ]);
      expect(telemetry.detailTypes()).toEqual(['Cutover Deadline Passed']);
      expect(telemetry.event('Cutover Deadline Passed')).toMatchObject({
        deadlineAction: 'fail',
        reason,
        polls: 1,
      });
      expect(mutations(iam, sm)).toEqual([]);
    });

    it('ends with deadline-enforced under the enforce policy, and notifies', async () => {
      const state = promotedState({ policy: { ...DEFAULT_POLICY, deadlineAction: 'enforce' } });

      const result = await checkCutover(state, deps(AT));

      expect(result.cutover).toMatchObject({
        polls: 1,
        verdict: 'deadline-enforced',
        waitSeconds: 0,
        reason,
      });
      expect(telemetry.notifications).toEqual([
        {
          subject: 'rekey: cutover deadline passed for alice',
          message: `${reason}. ${who} Policy: enforce (the old key is deactivated anyway).`,
        },
      ]);
      expect(telemetry.detailTypes()).toEqual(['Cutover Deadline Passed', 'Cutover Complete']);
      expect(telemetry.events[1]?.detail).toMatchObject({ verdict: 'deadline-enforced' });
      expect(mutations(iam, sm)).toEqual([]);
    });
  });

  it('ends the cutover as idle when the old key was deleted outside rekey (e.g. it leaked)', async () => {
    keys.add(NEW_KEY_ID, 'Active', NEW_CREATED);

    const result = await checkCutover(promotedState(), deps(FIRST_CHECK));

    expect(result.cutover).toMatchObject({
      polls: 1,
      verdict: 'idle',
      waitSeconds: 0,
      reason: `the old key ${OLD_KEY_ID} no longer exists (deleted outside rekey)`,
    });
    expect(telemetry.detailTypes()).toEqual(['Cutover Complete']);
    expect(mutations(iam, sm)).toEqual([]);
  });

  it('says the new key was deleted outside rekey after promotion, and what to do, when IAM no longer knows it', async () => {
    keys.add(OLD_KEY_ID, 'Active', OLD_CREATED);

    const error = await failure(checkCutover(promotedState(), deps(FIRST_CHECK)));

    expect(error.name).toBe('RotationStateError');
    expect(error.message).toBe(
      `The new key ${NEW_KEY_ID} of alice was deleted outside rekey after it was verified, while AWSCURRENT of rekey/alice named it: ` +
        'the secret gave applications a key that no longer exists, and those that read it since hold a key AWS rejects. ' +
        'rekey stopped the rotation. Find out who deleted the key (CloudTrail event DeleteAccessKey); once AWSCURRENT names an active key again, have those applications read the secret, then start the rotation again.',
    );
    expect(error.message).not.toContain('cannot be found');
    expect(telemetry.detailTypes()).toEqual([]);
    expect(mutations(iam, sm)).toEqual([]);
  });

  it('says the new key was deleted and AWSCURRENT no longer names it when both happened by hand', async () => {
    keys.add(OLD_KEY_ID, 'Active', OLD_CREATED);
    secret.move('AWSCURRENT', BASELINE_VERSION, NEW_VERSION);

    const error = await failure(checkCutover(promotedState(), deps(FIRST_CHECK)));

    expect(error.name).toBe('RotationStateError');
    expect(error.message).toBe(
      `The new key ${NEW_KEY_ID} of alice was deleted outside rekey after it was verified, and ` +
        'AWSCURRENT of rekey/alice no longer names it (rolled back by hand?): rekey stopped the ' +
        `rotation and leaves the old key ${OLD_KEY_ID} as it is.`,
    );
  });

  it('wraps a throttled read as AwsTransientError', async () => {
    givenUse();
    iam.on(GetAccessKeyLastUsedCommand).rejects(awsErrors.iamThrottling());

    const error = await failure(checkCutover(promotedState(), deps(FIRST_CHECK)));

    expect(error.name).toBe('AwsTransientError');
    expect(error.message).toBe('Checking the cutover failed: Throttling');
  });

  it('throws RotationStateError before promotion', async () => {
    const error = await failure(
      checkCutover(promotedState({ cutover: undefined }), deps(FIRST_CHECK)),
    );

    expect(error.name).toBe('RotationStateError');
    expect(error.message).toBe('check-cutover needs a promoted rotation');
    expect(iam).not.toHaveReceivedAnyCommand();
  });
});

describe('check-cutover: the secret is the lifeline', () => {
  it('stops waiting, reading no key, once the secret is scheduled for deletion', async () => {
    secret.deletedDate = new Date('2026-03-01T13:00:00Z');

    const error = await failure(checkCutover(promotedState(), deps('2026-03-01T14:00:00.000Z')));

    expect(error.name).toBe('SecretDeletedError');
    expect(iam).not.toHaveReceivedAnyCommand();
    expect(telemetry.events).toEqual([]);
  });

  it('stops waiting once the secret is gone', async () => {
    secret.exists = false;

    const error = await failure(checkCutover(promotedState(), deps('2026-03-01T14:00:00.000Z')));

    expect(error.name).toBe('SecretDeletedError');
  });
});
