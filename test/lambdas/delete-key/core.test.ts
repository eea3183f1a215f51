import { DeleteAccessKeyCommand, IAMClient } from '@aws-sdk/client-iam';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { deleteOldKey } from '../../../lambdas/delete-key/core';
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

const NOW = '2026-03-08T16:31:00.000Z';
const ROLLBACK_VERSION = '0b5e1a2c-0000-4000-8000-0000000000bb';

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

const deactivated = () => promotedState({ deactivatedAt: '2026-03-01T16:31:00.000Z' });

describe('delete-key', () => {
  it('deletes the inactive old key after the recovery window, and never the new key', async () => {
    keys.add(OLD_KEY_ID, 'Inactive', OLD_CREATED).add(NEW_KEY_ID, 'Active', NEW_CREATED);

    const state = await deleteOldKey(deactivated(), deps());

    expect(iam).toHaveReceivedCommandWith(DeleteAccessKeyCommand, {
      UserName: USER,
      AccessKeyId: OLD_KEY_ID,
    });
    expect(mutations(iam, sm)).toEqual([`DeleteAccessKey ${OLD_KEY_ID}`]);
    expect(keys.status(OLD_KEY_ID)).toBe('deleted');
    expect(keys.status(NEW_KEY_ID)).toBe('Active');
    expect(keys.deletedWhileActive).toEqual([]);
    expect(state.deletedAt).toBe(NOW);
    expect(telemetry.events).toEqual([
      {
        detailType: 'Old Key Deleted',
        detail: {
          userName: USER,
          executionArn: EXECUTION_ARN,
          oldKeyId: OLD_KEY_ID,
          newKeyId: NEW_KEY_ID,
          at: NOW,
        },
      },
    ]);
  });

  it('refuses to delete an old key an operator reactivated (rollback), keeping it', async () => {
    keys.add(OLD_KEY_ID, 'Active', OLD_CREATED).add(NEW_KEY_ID, 'Active', NEW_CREATED);

    const error = await failure(deleteOldKey(deactivated(), deps()));

    expect(error.name).toBe('OldKeyReactivatedError');
    expect(error.message).toBe(
      `The old key ${OLD_KEY_ID} was reactivated during the recovery window; rekey keeps it. ` +
        `Deactivate it when the application that needed it has moved, or delete it by hand.`,
    );
    expect(mutations(iam, sm)).toEqual([]);
    expect(keys.status(OLD_KEY_ID)).toBe('Active');
    expect(telemetry.events).toEqual([]);
  });

  it('refuses when AWSCURRENT was rolled back to the old key, even if it is inactive', async () => {
    const secret = FakeSecret.promoted().version(ROLLBACK_VERSION, { AccessKeyId: OLD_KEY_ID }, []);
    secret.move('AWSCURRENT', ROLLBACK_VERSION, NEW_VERSION);
    secret.install(sm);
    keys.add(OLD_KEY_ID, 'Inactive', OLD_CREATED).add(NEW_KEY_ID, 'Active', NEW_CREATED);

    const error = await failure(deleteOldKey(deactivated(), deps()));

    expect(error.name).toBe('OldKeyReactivatedError');
    expect(error.message).toBe(
      `The secret ${SECRET_ID} no longer has the new key ${NEW_KEY_ID} as AWSCURRENT ` +
        `(rolled back?): rekey leaves the old key ${OLD_KEY_ID} as it is.`,
    );
    expect(iam).not.toHaveReceivedCommand(DeleteAccessKeyCommand);
    expect(keys.status(OLD_KEY_ID)).toBe('Inactive');
  });

  it('refuses to delete the old key when the new key is no longer active, keeping a way back', async () => {
    keys.add(OLD_KEY_ID, 'Inactive', OLD_CREATED).add(NEW_KEY_ID, 'Inactive', NEW_CREATED);

    const error = await failure(deleteOldKey(deactivated(), deps()));

    expect(error.name).toBe('RotationStateError');
    expect(iam).not.toHaveReceivedCommand(DeleteAccessKeyCommand);
    expect(keys.status(OLD_KEY_ID)).toBe('Inactive');
  });

  it('is the last check of the window: a secret scheduled for deletion keeps the old key, and says what to do', async () => {
    const secret = FakeSecret.promoted();
    secret.deletedDate = new Date('2026-03-08T10:00:00Z');
    secret.install(sm);
    keys.add(OLD_KEY_ID, 'Inactive', OLD_CREATED).add(NEW_KEY_ID, 'Active', NEW_CREATED);

    const error = await failure(deleteOldKey(deactivated(), deps()));

    expect(error.name).toBe('SecretDeletedError');
    expect(error.message).toBe(
      `The secret ${SECRET_ID} is scheduled for deletion: its deletion was requested at ` +
        '2026-03-08T10:00:00.000Z, and Secrets Manager deletes it for good when the recovery ' +
        'window given to DeleteSecret ends, 7 to 30 days later (between 2026-03-15T10:00:00.000Z ' +
        'and 2026-04-07T10:00:00.000Z). The recovery window is over, but rekey will not delete ' +
        `the old key ${OLD_KEY_ID} (inactive). Restore the secret before Secrets Manager deletes it (aws secretsmanager ` +
        `restore-secret --secret-id ${SECRET_ID}): applications read the new key ${NEW_KEY_ID} ` +
        'from it, and it holds the only copy of its secret access key. Delete the old key by hand ' +
        `once no application needs it (aws iam delete-access-key --user-name ${USER} ` +
        `--access-key-id ${OLD_KEY_ID}); the user's next rotation deletes it first.`,
    );
    expect(mutations(iam, sm)).toEqual([]);
    expect(keys.status(OLD_KEY_ID)).toBe('Inactive');
    expect(telemetry.events).toEqual([]);
  });

  it('keeps the old key when the secret is gone, and says the new key went with it', async () => {
    const secret = FakeSecret.promoted();
    secret.exists = false;
    secret.install(sm);
    keys.add(OLD_KEY_ID, 'Inactive', OLD_CREATED).add(NEW_KEY_ID, 'Active', NEW_CREATED);

    const error = await failure(deleteOldKey(deactivated(), deps()));

    expect(error.name).toBe('SecretDeletedError');
    expect(error.message).toContain(
      `The recovery window is over, but rekey will not delete the old key ${OLD_KEY_ID} ` +
        `(inactive). The new key ${NEW_KEY_ID}'s secret access key went with the secret`,
    );
    expect(error.message).not.toMatch(/[Rr]estore|only in that secret/);
    expect(mutations(iam, sm)).toEqual([]);
    expect(keys.status(OLD_KEY_ID)).toBe('Inactive');
  });

  it('is idempotent when the old key is already gone', async () => {
    keys.add(NEW_KEY_ID, 'Active', NEW_CREATED);

    const state = await deleteOldKey(deactivated(), deps());

    expect(iam).not.toHaveReceivedCommand(DeleteAccessKeyCommand);
    expect(state.deletedAt).toBe(NOW);
    expect(telemetry.detailTypes()).toEqual(['Old Key Deleted']);
  });

  it('counts a key that vanished between listing and deleting (NoSuchEntity) as deleted', async () => {
    keys.add(OLD_KEY_ID, 'Inactive', OLD_CREATED).add(NEW_KEY_ID, 'Active', NEW_CREATED);
    iam.on(DeleteAccessKeyCommand).rejects(awsErrors.noSuchKey(OLD_KEY_ID));

    const state = await deleteOldKey(deactivated(), deps());

    expect(state.deletedAt).toBe(NOW);
  });

  it('wraps a throttled DeleteAccessKey as AwsTransientError', async () => {
    keys.add(OLD_KEY_ID, 'Inactive', OLD_CREATED).add(NEW_KEY_ID, 'Active', NEW_CREATED);
    iam.on(DeleteAccessKeyCommand).rejects(awsErrors.iamThrottling());

    const error = await failure(deleteOldKey(deactivated(), deps()));

    expect(error.name).toBe('AwsTransientError');
    expect(error.message).toBe('Deleting the old key failed: Throttling');
  });
});
