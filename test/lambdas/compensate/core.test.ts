import { DeleteAccessKeyCommand, IAMClient, UpdateAccessKeyCommand } from '@aws-sdk/client-iam';
import {
  SecretsManagerClient,
  UntagResourceCommand,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { causeMessage, compensate, type CompensateEvent } from '../../../lambdas/compensate/core';
import type { Deps } from '../../../lambdas/shared/deps';
import { creatingMarker } from '../../../lambdas/shared/markers';
import type { CaughtError, RotationState } from '../../../lambdas/shared/types';
import {
  awsErrors,
  BASELINE_VERSION,
  captureOutput,
  EXECUTION_ARN,
  failure,
  FakeClock,
  FakeKeys,
  FakeSecret,
  FakeTelemetry,
  inspectedState,
  mutations,
  NEW_CREATED,
  NEW_KEY_ID,
  NEW_VERSION,
  OLD_CREATED,
  OLD_KEY_ID,
  ORPHAN_KEY_ID,
  OTHER_EXECUTION_ARN,
  promotedState,
  SECRET_ID,
  stagedState,
  testConfig,
  USER,
  verifiedState,
} from '../helpers';

const iamClient = new IAMClient({ region: 'us-east-1' });
const smClient = new SecretsManagerClient({ region: 'us-east-1' });
const iam = mockClient(iamClient);
const sm = mockClient(smClient);

const NOW = '2026-03-01T12:05:00.000Z';
const MARKER = creatingMarker(EXECUTION_ARN);
const ROLLBACK_VERSION = '0b5e1a2c-0000-4000-8000-0000000000bb';

let telemetry: FakeTelemetry;
let keys: FakeKeys;
let secret: FakeSecret;

beforeEach(() => {
  iam.reset();
  sm.reset();
  captureOutput();
  telemetry = new FakeTelemetry();
  keys = new FakeKeys().install(iam);
  secret = FakeSecret.staged().install(sm);
});

afterEach(() => jest.restoreAllMocks());

const deps = (): Deps => ({
  iam: iamClient,
  secrets: smClient,
  telemetry,
  clock: new FakeClock(NOW),
  config: testConfig(),
});

/** A Catch's `$.error`: the Cause is the Lambda error JSON. */
function caught(name: string, message: string): CaughtError {
  return {
    Error: name,
    Cause: JSON.stringify({
      errorType: name,
      errorMessage: message,
      trace: [`${name}: ${message}`, '    at verifyKey (/var/task/index.js:1:2)'],
    }),
  };
}

const event = (state: RotationState, error: CaughtError): CompensateEvent => ({ ...state, error });

describe('compensate: before promotion', () => {
  const wrongUser = `Key ${NEW_KEY_ID} authenticated as arn:aws:iam::123456789012:user/bob, not as arn:aws:iam::123456789012:user/alice.`;

  beforeEach(() => {
    keys.add(OLD_KEY_ID, 'Active', OLD_CREATED).add(NEW_KEY_ID, 'Active', NEW_CREATED);
  });

  it('deactivates then deletes the new key and removes AWSPENDING: the user is as it was', async () => {
    const result = await compensate(
      event(stagedState(), caught('VerificationFailedError', wrongUser)),
      deps(),
    );

    expect(mutations(iam, sm)).toEqual([
      `UpdateAccessKey ${NEW_KEY_ID} Inactive`,
      `DeleteAccessKey ${NEW_KEY_ID}`,
      'UpdateSecretVersionStage AWSPENDING',
      `UntagResource ${MARKER}`,
    ]);
    expect(sm).toHaveReceivedCommandWith(UpdateSecretVersionStageCommand, {
      SecretId: SECRET_ID,
      VersionStage: 'AWSPENDING',
      RemoveFromVersionId: NEW_VERSION,
    });
    expect(keys.status(NEW_KEY_ID)).toBe('deleted');
    expect(keys.status(OLD_KEY_ID)).toBe('Active');
    expect(keys.deletedWhileActive).toEqual([]);
    expect(secret.holder('AWSCURRENT')).toBe(BASELINE_VERSION);
    expect(secret.holder('AWSPENDING')).toBeUndefined();
    expect(result.compensation).toEqual({
      outcome: 'restored',
      asItWas: true,
      error: 'VerificationFailedError',
      cause: `${wrongUser} The user is as it was: the old key ${OLD_KEY_ID} is active and current; the new key ${NEW_KEY_ID} was deleted.`,
      discardedKeyIds: [NEW_KEY_ID],
    });
  });

  it('reports the failure as an event and to operators', async () => {
    await compensate(event(stagedState(), caught('VerificationFailedError', wrongUser)), deps());

    expect(telemetry.events).toEqual([
      {
        detailType: 'Rotation Failed',
        detail: {
          userName: USER,
          executionArn: EXECUTION_ARN,
          oldKeyId: OLD_KEY_ID,
          newKeyId: NEW_KEY_ID,
          error: 'VerificationFailedError',
          reason: wrongUser,
          outcome: 'restored',
          state: `${wrongUser} The user is as it was: the old key ${OLD_KEY_ID} is active and current; the new key ${NEW_KEY_ID} was deleted.`,
          at: NOW,
        },
      },
    ]);
    expect(telemetry.notifications).toEqual([
      {
        subject: 'rekey: rotation of alice failed',
        message: `VerificationFailedError: ${wrongUser} The user is as it was: the old key ${OLD_KEY_ID} is active and current; the new key ${NEW_KEY_ID} was deleted.`,
      },
    ]);
  });

  it('restores even when the new key is already gone', async () => {
    keys.keys.splice(1, 1);

    const result = await compensate(
      event(stagedState(), caught('KeyNotYetValidError', 'not yet')),
      deps(),
    );

    expect(result.compensation.outcome).toBe('restored');
    expect(secret.holder('AWSPENDING')).toBeUndefined();
  });

  it('treats a promotion whose answer was lost as a promotion: the new key is kept', async () => {
    secret = FakeSecret.promoted().install(sm);

    const result = await compensate(
      event(verifiedState(), caught('AwsTransientError', 'Promoting the new key failed: ...')),
      deps(),
    );

    expect(result.compensation.outcome).toBe('published');
    expect(iam).not.toHaveReceivedCommand(UpdateAccessKeyCommand);
    expect(iam).not.toHaveReceivedCommand(DeleteAccessKeyCommand);
  });
});

describe('compensate: after promotion the new key is never removed', () => {
  beforeEach(() => {
    secret = FakeSecret.promoted().install(sm);
  });

  it('leaves both keys active with the new one current: published', async () => {
    keys.add(OLD_KEY_ID, 'Active', OLD_CREATED).add(NEW_KEY_ID, 'Active', NEW_CREATED);
    const deadline = 'cutover deadline passed: the old key is still in use';

    const result = await compensate(
      event(promotedState(), caught('CutoverDeadlineError', deadline)),
      deps(),
    );

    expect(mutations(iam, sm)).toEqual([`UntagResource ${MARKER}`]);
    expect(result.compensation).toEqual({
      outcome: 'published',
      asItWas: false,
      error: 'CutoverDeadlineError',
      cause: `${deadline}. Both keys are active and the new key ${NEW_KEY_ID} is current in the secret.`,
      discardedKeyIds: [],
    });
  });

  it('keeps the inactive old key: old-key-deactivated', async () => {
    keys.add(OLD_KEY_ID, 'Inactive', OLD_CREATED).add(NEW_KEY_ID, 'Active', NEW_CREATED);

    const result = await compensate(
      event(
        promotedState({ deactivatedAt: '2026-03-01T16:31:00.000Z' }),
        caught('AwsTransientError', 'Deleting the old key failed: Throttling'),
      ),
      deps(),
    );

    expect(result.compensation.outcome).toBe('old-key-deactivated');
    expect(iam).not.toHaveReceivedCommand(DeleteAccessKeyCommand);
    expect(keys.status(OLD_KEY_ID)).toBe('Inactive');
  });

  it('moves AWSCURRENT back to the active old key when the new key was removed outside rekey', async () => {
    keys.add(OLD_KEY_ID, 'Active', OLD_CREATED);

    const result = await compensate(
      event(
        promotedState(),
        caught('AwsTransientError', 'The Access Key with id x cannot be found.'),
      ),
      deps(),
    );

    expect(result.compensation.outcome).toBe('restored');
    expect(result.compensation.cause).toContain(
      `The old key ${OLD_KEY_ID} is active and current; the new key ${NEW_KEY_ID} no longer exists (removed outside rekey).`,
    );
    expect(secret.holder('AWSCURRENT')).toBe(BASELINE_VERSION);
    expect(iam).not.toHaveReceivedCommand(DeleteAccessKeyCommand);
    expect(iam).not.toHaveReceivedCommand(UpdateAccessKeyCommand);
  });

  it('says so, changing nothing, when neither key is active any more: no-active-key', async () => {
    keys.add(OLD_KEY_ID, 'Inactive', OLD_CREATED).add(NEW_KEY_ID, 'Inactive', NEW_CREATED);

    const result = await compensate(
      event(promotedState(), caught('RotationStateError', 'gone')),
      deps(),
    );

    expect(result.compensation.outcome).toBe('no-active-key');
    expect(mutations(iam, sm)).toEqual([`UntagResource ${MARKER}`]);
  });

  it('keeps both keys when an operator rolled AWSCURRENT back, and says which is current', async () => {
    secret = FakeSecret.promoted()
      .version(ROLLBACK_VERSION, { AccessKeyId: OLD_KEY_ID }, [])
      .install(sm);
    secret.move('AWSCURRENT', ROLLBACK_VERSION, NEW_VERSION);
    keys.add(OLD_KEY_ID, 'Active', OLD_CREATED).add(NEW_KEY_ID, 'Active', NEW_CREATED);

    const result = await compensate(
      event(promotedState(), caught('OldKeyReactivatedError', 'rolled back')),
      deps(),
    );

    expect(result.compensation.outcome).toBe('old-key-current');
    expect(result.compensation.cause).toBe(
      `rolled back. The old key ${OLD_KEY_ID} is active and current; the new key ${NEW_KEY_ID} is active too, but not current.`,
    );
    expect(iam).not.toHaveReceivedCommand(UpdateAccessKeyCommand);
    expect(iam).not.toHaveReceivedCommand(DeleteAccessKeyCommand);
  });
});

describe('compensate: keys whose creation answer was lost (I3)', () => {
  beforeEach(() => {
    keys.add(OLD_KEY_ID, 'Active', OLD_CREATED).add(ORPHAN_KEY_ID, 'Active', NEW_CREATED);
  });

  it("discards them when this execution's creating-marker proves it created them", async () => {
    secret = FakeSecret.withBaseline()
      .tag(MARKER, `${EXECUTION_ARN}@2026-03-01T12:00:03.000Z/2026-03-01T12:00:04.500Z`)
      .install(sm);

    const result = await compensate(
      event(
        inspectedState(),
        caught('AwsTransientError', 'CreateAccessKey failed: ServiceFailure'),
      ),
      deps(),
    );

    expect(mutations(iam, sm)).toEqual([
      `UpdateAccessKey ${ORPHAN_KEY_ID} Inactive`,
      `DeleteAccessKey ${ORPHAN_KEY_ID}`,
      `UntagResource ${MARKER}`,
    ]);
    expect(keys.status(ORPHAN_KEY_ID)).toBe('deleted');
    expect(keys.deletedWhileActive).toEqual([]);
    expect(secret.tags.has(MARKER)).toBe(false);
    expect(result.compensation).toMatchObject({
      outcome: 'restored',
      asItWas: true,
      discardedKeyIds: [ORPHAN_KEY_ID],
    });
    // Every key rekey deletes as its orphan is recorded, here as in StageKey.
    expect(
      telemetry.events.find((e) => e.detailType === 'Orphan Key Discarded')?.detail,
    ).toMatchObject({ userName: USER, executionArn: EXECUTION_ARN, keyId: ORPHAN_KEY_ID });
  });

  it.each<[string, () => FakeSecret]>([
    ['no marker is on the secret', () => FakeSecret.withBaseline()],
    [
      "only another execution's marker is on the secret",
      () => FakeSecret.withBaseline().tag(creatingMarker(OTHER_EXECUTION_ARN), OTHER_EXECUTION_ARN),
    ],
  ])('leaves unknown keys alone when %s', async (_, makeSecret) => {
    secret = makeSecret().install(sm);

    const result = await compensate(
      event(inspectedState(), caught('RotationInProgressError', 'two keys')),
      deps(),
    );

    expect(iam).not.toHaveReceivedCommand(UpdateAccessKeyCommand);
    expect(iam).not.toHaveReceivedCommand(DeleteAccessKeyCommand);
    expect(keys.status(ORPHAN_KEY_ID)).toBe('Active');
    // A key is left that was not there before: not as it was, so an operator is needed.
    expect(result.compensation).toMatchObject({
      outcome: 'unchanged',
      asItWas: false,
      discardedKeyIds: [],
    });
    expect(result.compensation.cause).toContain(
      `rekey left alone ${ORPHAN_KEY_ID}, which it cannot prove it created.`,
    );
  });

  it('does not clear a marker on a secret that does not exist', async () => {
    secret = new FakeSecret(false).install(sm);

    const result = await compensate(
      event(inspectedState(), caught('StagingFailedError', 'KMS key disabled')),
      deps(),
    );

    expect(sm).not.toHaveReceivedCommand(UntagResourceCommand);
    expect(result.compensation.outcome).toBe('unchanged');
  });
});

describe('compensate: the cause', () => {
  it('falls back to the error name when there is no cause', async () => {
    secret = FakeSecret.withBaseline().install(sm);
    keys.add(OLD_KEY_ID, 'Active', OLD_CREATED);

    const result = await compensate(event(inspectedState(), { Error: 'States.Timeout' }), deps());

    expect(result.compensation).toEqual({
      outcome: 'unchanged',
      asItWas: true,
      error: 'States.Timeout',
      cause: `States.Timeout. Nothing was changed: the old key ${OLD_KEY_ID} is active and current.`,
      discardedKeyIds: [],
    });
  });

  it('ends an error message without a full stop with one, so the outcome does not run on', async () => {
    secret = FakeSecret.withBaseline().install(sm);
    keys.add(OLD_KEY_ID, 'Active', OLD_CREATED);

    const result = await compensate(
      event(inspectedState(), caught('UnknownKeyError', 'rekey created nothing')),
      deps(),
    );

    expect(result.compensation.cause).toBe(
      `rekey created nothing. Nothing was changed: the old key ${OLD_KEY_ID} is active and current.`,
    );
  });

  it('wraps a throttled call as AwsTransientError so the state machine retries compensation', async () => {
    sm.reset();
    sm.onAnyCommand().rejects(awsErrors.smThrottling());

    const error = await failure(
      compensate(event(stagedState(), caught('VerificationFailedError', 'x')), deps()),
    );

    expect(error.name).toBe('AwsTransientError');
    expect(error.message).toBe('Compensating the failed rotation failed: ThrottlingException');
  });
});

describe('causeMessage', () => {
  it.each<[string, string | undefined, string]>([
    [
      'a Lambda error JSON',
      JSON.stringify({ errorType: 'X', errorMessage: 'the reason', trace: [] }),
      'the reason',
    ],
    ['plain text', 'Task timed out after 120.00 seconds', 'Task timed out after 120.00 seconds'],
    ['JSON without errorMessage', '{"errorType":"X"}', '{"errorType":"X"}'],
    ['JSON with a non-string errorMessage', '{"errorMessage":42}', '{"errorMessage":42}'],
    ['truncated JSON', '{"errorMessage":"cut', '{"errorMessage":"cut'],
    ['an empty cause', '', ''],
    ['no cause', undefined, ''],
  ])('reads %s', (_, cause, expected) => {
    expect(causeMessage(cause)).toBe(expected);
  });
});

describe('compensate: the outcome is read from IAM and the secret, not from the path taken', () => {
  it('says the secret is scheduled for deletion, touches neither key nor label, and names what holds the new key', async () => {
    secret = FakeSecret.promoted().install(sm);
    secret.deletedDate = new Date('2026-03-01T12:01:00Z');
    keys.add(OLD_KEY_ID, 'Active', OLD_CREATED).add(NEW_KEY_ID, 'Active', NEW_CREATED);

    const result = await compensate(
      event(promotedState(), caught('SecretDeletedError', 'The secret is scheduled for deletion.')),
      deps(),
    );

    expect(mutations(iam, sm)).toEqual([]);
    expect(result.compensation.outcome).toBe('secret-deleted');
    // SecretDeletedError already said when the secret goes and how to restore it.
    expect(result.compensation.cause).toBe(
      `The secret is scheduled for deletion. The secret ${SECRET_ID} is scheduled for deletion. ` +
        `The old key ${OLD_KEY_ID} is active. The new key ${NEW_KEY_ID} is active, and its secret ` +
        'access key exists only in that secret.',
    );
  });

  it.each([
    [
      'a request time (as the sandbox dates it)',
      '2026-03-01T12:01:00Z',
      'its deletion was requested at 2026-03-01T12:01:00.000Z, and Secrets Manager deletes it ' +
        'for good when the recovery window given to DeleteSecret ends, 7 to 30 days later ' +
        '(between 2026-03-08T12:01:00.000Z and 2026-03-31T12:01:00.000Z)',
    ],
    [
      'a date still ahead (the deletion date, as AWS documents DescribeSecret)',
      '2026-03-08T12:01:00Z',
      'Secrets Manager deletes it for good after 2026-03-08T12:01:00.000Z',
    ],
  ])(
    'says when a secret scheduled for deletion goes, and how to restore it, when another failure found it so (DeletedDate %s)',
    async (_, deletedDate, when) => {
      secret = FakeSecret.promoted().install(sm);
      secret.deletedDate = new Date(deletedDate);
      keys.add(OLD_KEY_ID, 'Active', OLD_CREATED).add(NEW_KEY_ID, 'Active', NEW_CREATED);

      const result = await compensate(
        event(promotedState(), caught('CutoverDeadlineError', 'The deadline passed.')),
        deps(),
      );

      expect(mutations(iam, sm)).toEqual([]);
      expect(result.compensation.outcome).toBe('secret-deleted');
      expect(result.compensation.cause).toBe(
        `The deadline passed. The secret ${SECRET_ID} is scheduled for deletion: ${when}; restore ` +
          `it before then (aws secretsmanager restore-secret --secret-id ${SECRET_ID}) to keep it. ` +
          `The old key ${OLD_KEY_ID} is active. The new key ${NEW_KEY_ID} is active, ` +
          'and its secret access key exists only in that secret.',
      );
    },
  );

  it('says the secret no longer exists when it was force-deleted, never "nothing was changed"', async () => {
    secret = new FakeSecret(false).install(sm);
    keys.add(OLD_KEY_ID, 'Active', OLD_CREATED).add(NEW_KEY_ID, 'Active', NEW_CREATED);

    const result = await compensate(
      event(promotedState(), caught('SecretDeletedError', 'gone')),
      deps(),
    );

    expect(result.compensation.outcome).toBe('secret-deleted');
    expect(result.compensation.cause).toBe(
      `gone. The secret ${SECRET_ID} no longer exists. The old key ${OLD_KEY_ID} is active. The ` +
        `new key ${NEW_KEY_ID} is active; its secret access key was only in that secret and went ` +
        'with it (applications that already read it still hold it).',
    );
    // A purged secret holds nothing: never "exists only in that secret".
    expect(result.compensation.cause).not.toMatch(/only in that secret[,.]|exists only/);
    expect(result.compensation.cause).not.toContain('Nothing was changed');
  });

  it('names a current version that holds no key, and the active key to move it to', async () => {
    secret = FakeSecret.promoted()
      .version(ROLLBACK_VERSION, { AccessKeyId: 'not-a-key' }, [])
      .install(sm);
    secret.versions.set(ROLLBACK_VERSION, {
      value: 'garbage, not JSON',
      stages: new Set(),
      created: new Date(NOW),
    });
    secret.move('AWSCURRENT', ROLLBACK_VERSION, NEW_VERSION);
    keys.add(OLD_KEY_ID, 'Inactive', OLD_CREATED).add(NEW_KEY_ID, 'Active', NEW_CREATED);

    const result = await compensate(
      event(promotedState(), caught('OldKeyReactivatedError', 'moved')),
      deps(),
    );

    expect(result.compensation.outcome).toBe('no-working-current');
    expect(result.compensation.cause).toContain(
      `AWSCURRENT of ${SECRET_ID} holds a value that names no key, which is not an active key of alice: move AWSCURRENT to the version holding the active key ${NEW_KEY_ID}.`,
    );
  });

  it('says the old key is gone when a second rotation deleted it', async () => {
    secret = FakeSecret.promoted().install(sm);
    keys.add(NEW_KEY_ID, 'Active', NEW_CREATED);

    const result = await compensate(
      event(promotedState(), caught('AwsTransientError', 'x')),
      deps(),
    );

    expect(result.compensation.outcome).toBe('old-key-deleted');
    expect(result.compensation.cause).toContain(
      `The new key ${NEW_KEY_ID} is active and current; the old key ${OLD_KEY_ID} no longer exists.`,
    );
  });
});

describe('compensate: when compensation itself failed', () => {
  const failed = (state: RotationState): CompensateEvent => ({
    ...event(state, caught('AwsTransientError', 'Deactivating the old key failed: ServiceFailure')),
    compensationError: caught(
      'AwsTransientError',
      'Compensating the failed rotation failed: ServiceFailure',
    ),
  });

  it('changes nothing, reports the failure as an event and a notification, and says what is left', async () => {
    secret = FakeSecret.promoted().install(sm);
    keys.add(OLD_KEY_ID, 'Active', OLD_CREATED).add(NEW_KEY_ID, 'Active', NEW_CREATED);

    const result = await compensate(failed(promotedState()), deps());

    expect(mutations(iam, sm)).toEqual([]);
    expect(result.compensation.outcome).toBe('compensation-failed');
    expect(result.compensation.cause).toBe(
      'Deactivating the old key failed: ServiceFailure. Restoring a safe state failed too ' +
        '(AwsTransientError: Compensating the failed rotation failed: ServiceFailure). Both keys ' +
        `are active and the new key ${NEW_KEY_ID} is current in the secret.`,
    );
    expect(telemetry.detailTypes()).toEqual(['Rotation Failed']);
    expect(telemetry.event('Rotation Failed')).toMatchObject({ outcome: 'compensation-failed' });
    expect(telemetry.notifications).toHaveLength(1);
  });

  it('still reports when it cannot read what is left', async () => {
    iam.reset();
    iam.onAnyCommand().rejects(awsErrors.iamServiceFailure());

    const result = await compensate(failed(promotedState()), deps());

    expect(result.compensation.cause).toContain(
      `rekey could not read the state it left (ServiceFailure): check the keys of alice and the secret ${SECRET_ID} by hand.`,
    );
    expect(telemetry.detailTypes()).toEqual(['Rotation Failed']);
    expect(telemetry.notifications).toHaveLength(1);
  });
});

describe('compensate: a key staged by a StageKey that never returned', () => {
  beforeEach(() => {
    keys.add(OLD_KEY_ID, 'Active', OLD_CREATED).add(NEW_KEY_ID, 'Active', NEW_CREATED);
  });

  it('removes the key its own marker proves it staged (the claim failed): restored, not "nothing was changed"', async () => {
    secret.tag(MARKER, `${EXECUTION_ARN}@${NEW_CREATED}`);

    const result = await compensate(
      event(inspectedState(), caught('AwsTransientError', 'Staging the new key failed')),
      deps(),
    );

    expect(keys.status(NEW_KEY_ID)).toBe('deleted');
    expect(secret.holder('AWSPENDING')).toBeUndefined();
    expect(result.compensation.outcome).toBe('restored');
    expect(result.compensation.asItWas).toBe(true);
    expect(result.compensation.discardedKeyIds).toEqual([NEW_KEY_ID]);
    expect(result.compensation.cause).not.toContain('Nothing was changed');
    expect(telemetry.event('Rotation Failed')).toMatchObject({ newKeyId: NEW_KEY_ID });
  });

  it('leaves an AWSPENDING key it cannot prove its own (another rotation staged it), and names it', async () => {
    const result = await compensate(
      event(inspectedState(), caught('AwsTransientError', 'Staging the new key failed')),
      deps(),
    );

    expect(keys.status(NEW_KEY_ID)).toBe('Active');
    expect(mutations(iam, sm).filter((m) => !m.startsWith('UntagResource'))).toEqual([]);
    expect(result.compensation.outcome).toBe('unchanged');
    expect(result.compensation.asItWas).toBe(false);
    expect(result.compensation.cause).toContain(
      `The old key ${OLD_KEY_ID} is active and current. ${NEW_KEY_ID} is active too; compensation left it as it is.`,
    );
  });
});

describe('compensate: as it was only when no key is left unaccounted for', () => {
  it('deletes its own new key but does not call the user as it was while a key it cannot prove it created is left', async () => {
    secret = FakeSecret.staged().install(sm);
    keys
      .add(OLD_KEY_ID, 'Active', OLD_CREATED)
      .add(NEW_KEY_ID, 'Active', NEW_CREATED)
      .add(ORPHAN_KEY_ID, 'Active', NEW_CREATED);

    const result = await compensate(
      event(stagedState(), caught('VerificationFailedError', 'The new key did not verify.')),
      deps(),
    );

    expect(keys.status(NEW_KEY_ID)).toBe('deleted');
    expect(keys.status(ORPHAN_KEY_ID)).toBe('Active');
    expect(result.compensation).toMatchObject({
      outcome: 'restored',
      asItWas: false,
      discardedKeyIds: [NEW_KEY_ID],
    });
    expect(result.compensation.cause).toBe(
      `The new key did not verify. The old key ${OLD_KEY_ID} is active and current; the new key ` +
        `${NEW_KEY_ID} was deleted. rekey left alone ${ORPHAN_KEY_ID}, which it cannot prove it created.`,
    );
  });
});

describe('compensate: the secret gone after verification', () => {
  it('keeps the new key: PromoteKey may have made it current before the secret went', async () => {
    secret = new FakeSecret(false).install(sm);
    keys.add(OLD_KEY_ID, 'Active', OLD_CREATED).add(NEW_KEY_ID, 'Active', NEW_CREATED);

    const result = await compensate(
      event(verifiedState(), caught('SecretDeletedError', 'gone')),
      deps(),
    );

    expect(keys.status(NEW_KEY_ID)).toBe('Active');
    expect(iam).not.toHaveReceivedCommand(UpdateAccessKeyCommand);
    expect(result.compensation.outcome).toBe('secret-deleted');
  });
});
