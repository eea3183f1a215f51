import { IAMClient, UpdateAccessKeyCommand } from '@aws-sdk/client-iam';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { deactivateOldKey } from '../../../lambdas/deactivate-key/core';
import type { Deps } from '../../../lambdas/shared/deps';
import {
  awsErrors,
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
  OLD_CREATED,
  OLD_KEY_ID,
  promotedState,
  SECRET_ID,
  testConfig,
  USER,
} from '../helpers';

const iamClient = new IAMClient({ region: 'us-east-1' });
const smClient = new SecretsManagerClient({ region: 'us-east-1' });
const iam = mockClient(iamClient);
const sm = mockClient(smClient);

const NOW = '2026-03-01T16:31:00.000Z';
const ROLLBACK_VERSION = '0b5e1a2c-0000-4000-8000-0000000000bb';
const ROLLED_BACK =
  `The secret ${SECRET_ID} no longer has the new key ${NEW_KEY_ID} as AWSCURRENT ` +
  `(rolled back?): rekey leaves the old key ${OLD_KEY_ID} as it is.`;

let telemetry: FakeTelemetry;
let keys: FakeKeys;

beforeEach(() => {
  iam.reset();
  sm.reset();
  captureOutput();
  telemetry = new FakeTelemetry();
  keys = new FakeKeys().install(iam);
  FakeSecret.promoted().install(sm);
});

afterEach(() => jest.restoreAllMocks());

const deps = (): Deps => ({
  iam: iamClient,
  secrets: smClient,
  telemetry,
  clock: new FakeClock(NOW),
  config: testConfig(),
});

const switched = () =>
  promotedState({
    cutover: {
      polls: 1,
      verdict: 'switched',
      waitSeconds: 0,
      deadlineAt: '2026-03-08T12:00:30.000Z',
      reason: 'applications use the new key',
    },
  });

/** An operator's rollback: a new version naming the old key takes AWSCURRENT back. */
function rolledBackSecret(): FakeSecret {
  const secret = FakeSecret.promoted().version(ROLLBACK_VERSION, { AccessKeyId: OLD_KEY_ID }, []);
  secret.move('AWSCURRENT', ROLLBACK_VERSION, NEW_VERSION);
  return secret;
}

describe('deactivate-key', () => {
  it('deactivates the old key, and only it, once the new key is AWSCURRENT', async () => {
    keys.add(OLD_KEY_ID, 'Active', OLD_CREATED).add(NEW_KEY_ID, 'Active', NEW_CREATED);

    const state = await deactivateOldKey(switched(), deps());

    expect(iam).toHaveReceivedCommandWith(UpdateAccessKeyCommand, {
      UserName: USER,
      AccessKeyId: OLD_KEY_ID,
      Status: 'Inactive',
    });
    expect(mutations(iam, sm)).toEqual([`UpdateAccessKey ${OLD_KEY_ID} Inactive`]);
    expect(keys.status(OLD_KEY_ID)).toBe('Inactive');
    expect(keys.status(NEW_KEY_ID)).toBe('Active');
    expect(state.deactivatedAt).toBe(NOW);
    // The recovery window opens: its end, and the first wait of three days before the secret is
    // checked.
    expect(state.recovery).toEqual({
      endsAt: '2026-03-08T16:31:00.000Z',
      waitSeconds: 3 * 86_400,
      lastWait: false,
      ended: false,
      checks: 0,
    });
    expect(telemetry.events).toEqual([
      {
        detailType: 'Old Key Deactivated',
        detail: {
          userName: USER,
          executionArn: EXECUTION_ARN,
          oldKeyId: OLD_KEY_ID,
          newKeyId: NEW_KEY_ID,
          verdict: 'switched',
          recoveryWindowSeconds: 7 * 86_400,
          recoveryWindowEndsAt: '2026-03-08T16:31:00.000Z',
          at: NOW,
        },
      },
    ]);
  });

  it('refuses with OldKeyReactivatedError when AWSCURRENT was rolled back, changing nothing', async () => {
    rolledBackSecret().install(sm);
    keys.add(OLD_KEY_ID, 'Active', OLD_CREATED).add(NEW_KEY_ID, 'Active', NEW_CREATED);

    const error = await failure(deactivateOldKey(switched(), deps()));

    expect(error.name).toBe('OldKeyReactivatedError');
    expect(error.message).toBe(ROLLED_BACK);
    expect(mutations(iam, sm)).toEqual([]);
    expect(keys.status(OLD_KEY_ID)).toBe('Active');
    expect(telemetry.events).toEqual([]);
  });

  it('never deactivates the key AWSCURRENT still holds (not promoted yet)', async () => {
    FakeSecret.staged().install(sm);
    keys.add(OLD_KEY_ID, 'Active', OLD_CREATED).add(NEW_KEY_ID, 'Active', NEW_CREATED);

    const error = await failure(deactivateOldKey(switched(), deps()));

    expect(error.name).toBe('OldKeyReactivatedError');
    expect(iam).not.toHaveReceivedCommand(UpdateAccessKeyCommand);
  });

  it.each<[string, 'Inactive' | undefined, string]>([
    [
      'deactivated',
      'Inactive',
      `The new key ${NEW_KEY_ID} is no longer active: rekey leaves the old key ${OLD_KEY_ID} as it is.`,
    ],
    [
      'deleted',
      undefined,
      `The new key ${NEW_KEY_ID} of alice was deleted outside rekey after it was verified, while AWSCURRENT of rekey/alice named it: ` +
        'the secret gave applications a key that no longer exists, and those that read it since hold a key AWS rejects. ' +
        'rekey stopped the rotation. Find out who deleted the key (CloudTrail event DeleteAccessKey); once AWSCURRENT names an active key again, have those applications read the secret, then start the rotation again.',
    ],
  ])(
    'refuses to deactivate the old key when the new key was %s, and says so: the user keeps a working key (I1)',
    async (_, newStatus, message) => {
      keys.add(OLD_KEY_ID, 'Active', OLD_CREATED);
      if (newStatus) keys.add(NEW_KEY_ID, newStatus, NEW_CREATED);

      const error = await failure(deactivateOldKey(switched(), deps()));

      expect(error.name).toBe('RotationStateError');
      expect(error.message).toBe(message);
      expect(iam).not.toHaveReceivedCommand(UpdateAccessKeyCommand);
      expect(keys.status(OLD_KEY_ID)).toBe('Active');
    },
  );

  it('is idempotent when the old key is already inactive', async () => {
    keys.add(OLD_KEY_ID, 'Inactive', OLD_CREATED).add(NEW_KEY_ID, 'Active', NEW_CREATED);

    const state = await deactivateOldKey(switched(), deps());

    expect(iam).not.toHaveReceivedCommand(UpdateAccessKeyCommand);
    expect(state.deactivatedAt).toBe(NOW);
    expect(telemetry.detailTypes()).toEqual(['Old Key Deactivated']);
  });

  it('goes on when the old key is already gone', async () => {
    keys.add(NEW_KEY_ID, 'Active', NEW_CREATED);

    const state = await deactivateOldKey(switched(), deps());

    expect(iam).not.toHaveReceivedCommand(UpdateAccessKeyCommand);
    expect(state.deactivatedAt).toBe(NOW);
  });

  it('wraps a throttled UpdateAccessKey as AwsTransientError', async () => {
    keys.add(OLD_KEY_ID, 'Active', OLD_CREATED).add(NEW_KEY_ID, 'Active', NEW_CREATED);
    iam.on(UpdateAccessKeyCommand).rejects(awsErrors.iamThrottling());

    const error = await failure(deactivateOldKey(switched(), deps()));

    expect(error.name).toBe('AwsTransientError');
    expect(error.message).toBe('Deactivating the old key failed: Throttling');
  });

  it('throws RotationStateError without a promoted rotation', async () => {
    const error = await failure(deactivateOldKey(promotedState({ newKey: undefined }), deps()));

    expect(error.name).toBe('RotationStateError');
    expect(error.message).toBe('this step needs a promoted rotation');
    expect(sm).not.toHaveReceivedAnyCommand();
  });
});
