import { IAMClient } from '@aws-sdk/client-iam';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import {
  checkRecoveryWindow,
  isRecoveryWindowCheck,
} from '../../../lambdas/check-cutover/recovery';
import type { Deps } from '../../../lambdas/shared/deps';
import {
  afterRecoveryCheck,
  openRecoveryWindow,
  RECOVERY_CHECK_SECONDS,
} from '../../../lambdas/shared/recovery';
import type { RotationState } from '../../../lambdas/shared/types';
import {
  awsErrors,
  captureOutput,
  failure,
  FakeClock,
  FakeSecret,
  FakeTelemetry,
  mutations,
  NEW_KEY_ID,
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

const DAY = 86_400;
/** Deactivated at 16:31 on 1 March: a 7-day window ends at 16:31 on 8 March. */
const DEACTIVATED_AT = '2026-03-01T16:31:00.000Z';
const ENDS_AT = '2026-03-08T16:31:00.000Z';

let telemetry: FakeTelemetry;
let secret: FakeSecret;

beforeEach(() => {
  iam.reset();
  sm.reset();
  captureOutput();
  telemetry = new FakeTelemetry();
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

const inWindow = (overrides: Partial<RotationState> = {}): RotationState =>
  promotedState({
    deactivatedAt: DEACTIVATED_AT,
    recovery: openRecoveryWindow(7 * DAY, new Date(DEACTIVATED_AT)),
    ...overrides,
  });

describe('the recovery window: at most three days between checks of the secret', () => {
  it('opens with the first wait of three days, however long the window', () => {
    expect(openRecoveryWindow(14 * DAY, new Date(DEACTIVATED_AT))).toEqual({
      endsAt: '2026-03-15T16:31:00.000Z',
      waitSeconds: RECOVERY_CHECK_SECONDS,
      lastWait: false,
      ended: false,
      checks: 0,
    });
    expect(RECOVERY_CHECK_SECONDS).toBe(3 * DAY);
  });

  it('waits no more than what is left of a short window, and not at all for none', () => {
    expect(openRecoveryWindow(3600, new Date(DEACTIVATED_AT))).toMatchObject({
      waitSeconds: 3600,
      lastWait: true,
    });
    expect(openRecoveryWindow(0, new Date(DEACTIVATED_AT))).toMatchObject({
      endsAt: DEACTIVATED_AT,
      waitSeconds: 0,
      lastWait: true,
    });
  });

  it('after a check, waits what is left, rounded up to the second: that wait is the last', () => {
    const window = openRecoveryWindow(7 * DAY, new Date(DEACTIVATED_AT));

    expect(afterRecoveryCheck(window, new Date('2026-03-08T04:31:00.500Z'))).toEqual({
      endsAt: ENDS_AT,
      waitSeconds: 12 * 3600,
      lastWait: true,
      ended: false,
      checks: 1,
      checkedAt: '2026-03-08T04:31:00.500Z',
    });
    // Exactly three days left: one more wait, and no check after it.
    expect(afterRecoveryCheck(window, new Date('2026-03-05T16:31:00Z'))).toMatchObject({
      waitSeconds: 3 * DAY,
      lastWait: true,
    });
    // A second more than three days: a check first.
    expect(afterRecoveryCheck(window, new Date('2026-03-05T16:30:59Z'))).toMatchObject({
      waitSeconds: 3 * DAY,
      lastWait: false,
    });
    // A Wait that ended late (Step Functions gives no guarantee to the second) waits no more.
    expect(afterRecoveryCheck(window, new Date('2026-03-08T16:32:00Z'))).toMatchObject({
      waitSeconds: 0,
      lastWait: true,
      ended: true,
    });
    // An execution started under the definition before lastWait checks after its last wait
    // too, and its Choice reads `ended`: the window is over at its end, to the second.
    expect(afterRecoveryCheck(window, new Date(ENDS_AT))).toMatchObject({ ended: true });
  });
});

describe('checkRecoveryWindow', () => {
  it('reads only the secret metadata, changes nothing, and schedules the next check three days later', async () => {
    const next = await checkRecoveryWindow(inWindow(), deps('2026-03-02T16:31:00.000Z'));

    expect(next).toEqual({
      endsAt: ENDS_AT,
      waitSeconds: 3 * DAY,
      lastWait: false,
      ended: false,
      checks: 1,
      checkedAt: '2026-03-02T16:31:00.000Z',
    });
    expect(sm).toHaveReceivedCommandTimes(DescribeSecretCommand, 1);
    expect(sm).not.toHaveReceivedCommand(GetSecretValueCommand);
    expect(iam).not.toHaveReceivedAnyCommand();
    expect(mutations(iam, sm)).toEqual([]);
    expect(telemetry.events).toEqual([]);
  });

  it('makes the wait that reaches the end of the window the last', async () => {
    const state = inWindow({
      recovery: { endsAt: ENDS_AT, waitSeconds: 3 * DAY, lastWait: false, ended: false, checks: 1 },
    });

    const next = await checkRecoveryWindow(state, deps('2026-03-07T16:31:00.000Z'));

    expect(next).toMatchObject({ lastWait: true, waitSeconds: DAY, checks: 2 });
  });

  it('reports a deletion request while the secret can be restored: when it goes, and what to do', async () => {
    // Requested on day 1 of the window with Secrets Manager's shortest window (7 days).
    secret.deletedDate = new Date('2026-03-02T10:00:00Z');

    const error = await failure(checkRecoveryWindow(inWindow(), deps('2026-03-02T16:31:00.000Z')));

    expect(error.name).toBe('SecretDeletedError');
    expect(error.message).toBe(
      `The secret ${SECRET_ID} is scheduled for deletion: its deletion was requested at ` +
        '2026-03-02T10:00:00.000Z, and Secrets Manager deletes it for good when the recovery ' +
        'window given to DeleteSecret ends, 7 to 30 days later (between 2026-03-09T10:00:00.000Z ' +
        'and 2026-04-01T10:00:00.000Z). rekey ended the recovery window early and will not delete ' +
        `the old key ${OLD_KEY_ID} (inactive). Restore the secret before then (aws secretsmanager ` +
        `restore-secret --secret-id ${SECRET_ID}): applications read the new key ${NEW_KEY_ID} ` +
        'from it, and it holds the only copy of its secret access key. Delete the old key by hand ' +
        `once no application needs it (aws iam delete-access-key --user-name ${USER} ` +
        `--access-key-id ${OLD_KEY_ID}); the user's next rotation deletes it first.`,
    );
    expect(mutations(iam, sm)).toEqual([]);
  });

  it('says what the next rotation does under inactiveKeyAction refuse', async () => {
    secret.deletedDate = new Date('2026-03-09T10:00:00Z');
    const state = inWindow({
      policy: { ...inWindow().policy, inactiveKeyAction: 'refuse' },
    });

    const error = await failure(checkRecoveryWindow(state, deps('2026-03-02T16:31:00.000Z')));

    expect(error.message).toContain(
      'Secrets Manager deletes it for good after 2026-03-09T10:00:00.000Z.',
    );
    expect(error.message).toMatch(/the user's next rotation refuses until it is gone\.$/);
  });

  it('says a secret that is gone took the new key with it, never that it holds anything', async () => {
    secret.exists = false;

    const error = await failure(checkRecoveryWindow(inWindow(), deps('2026-03-02T16:31:00.000Z')));

    expect(error.name).toBe('SecretDeletedError');
    expect(error.message).toBe(
      `The secret ${SECRET_ID} no longer exists: it was deleted for good (with ` +
        'ForceDeleteWithoutRecovery, or when its recovery window ended), with every version it ' +
        `held. rekey ended the recovery window early and will not delete the old key ${OLD_KEY_ID} ` +
        `(inactive). The new key ${NEW_KEY_ID}'s secret access key went with the secret: ` +
        'applications that already read it keep working. An application that still holds the old ' +
        `key can have it back (aws iam update-access-key --user-name ${USER} --access-key-id ` +
        `${OLD_KEY_ID} --status Active).`,
    );
    expect(error.message).not.toMatch(/without a recovery window|[Rr]estore|only in that secret/);
  });

  it('lets the state machine retry a throttled read', async () => {
    sm.on(DescribeSecretCommand).rejects(awsErrors.smThrottling());

    const error = await failure(checkRecoveryWindow(inWindow(), deps('2026-03-02T16:31:00.000Z')));

    expect(error.name).toBe('AwsTransientError');
    expect(error.message).toBe(
      'Checking the secret during the recovery window failed: ThrottlingException',
    );
  });

  it('refuses a rotation that has not opened its recovery window', async () => {
    const error = await failure(
      checkRecoveryWindow(promotedState(), deps('2026-03-02T16:31:00.000Z')),
    );

    expect(error.name).toBe('RotationStateError');
    expect(sm).not.toHaveReceivedAnyCommand();
  });
});

describe('isRecoveryWindowCheck: which check the function is asked for', () => {
  it('tells the recovery window check from the rotation state of a cutover check', () => {
    expect(isRecoveryWindowCheck({ check: 'recovery-window', state: inWindow() })).toBe(true);
    expect(isRecoveryWindowCheck(promotedState())).toBe(false);
    expect(isRecoveryWindowCheck(null)).toBe(false);
  });

  it('refuses an unknown check with what it can do', () => {
    expect(() => isRecoveryWindowCheck({ check: 'everything' })).toThrow(
      'Unknown check "everything": this function checks the cutover (the rotation state as input), ' +
        'the recovery window ({"check": "recovery-window", "state": …}) or an exposed key ' +
        '({"check": "forensics", "state": …}).',
    );
  });
});
