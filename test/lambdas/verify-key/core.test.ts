import { IAMClient, ListAccessKeysCommand } from '@aws-sdk/client-iam';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import {
  PROPAGATION_GRACE_MS,
  verifyKey,
  type StsFactory,
  type VerifyDeps,
} from '../../../lambdas/verify-key/core';
import {
  ACCOUNT,
  awsErrors,
  BASELINE_VERSION,
  captureOutput,
  EXECUTION_ARN,
  failure,
  FakeClock,
  FakeKeys,
  FakeSecret,
  FakeTelemetry,
  NEW_CREATED,
  NEW_KEY,
  NEW_KEY_ID,
  NEW_SECRET,
  NEW_VERSION,
  OLD_CREATED,
  OLD_KEY_ID,
  SECRET_ID,
  stagedState,
  testConfig,
  USER,
  USER_ARN,
  USER_ID,
} from '../helpers';

const iamClient = new IAMClient({ region: 'us-east-1' });
const smClient = new SecretsManagerClient({ region: 'us-east-1' });
const iam = mockClient(iamClient);
const sm = mockClient(smClient);
/** Every STS client the factory makes is mocked: the class, not one instance. */
const sts = mockClient(STSClient);

const VERIFIED_AT = '2026-03-01T12:00:41.000Z';

let telemetry: FakeTelemetry;
let keys: FakeKeys;
let stsFactory: jest.Mock<STSClient, Parameters<StsFactory>>;
let destroyed: number;

beforeEach(() => {
  iam.reset();
  sm.reset();
  sts.reset();
  captureOutput();
  telemetry = new FakeTelemetry();
  destroyed = 0;
  stsFactory = jest.fn((credentials: Parameters<StsFactory>[0]) => {
    const client = new STSClient({ region: 'us-east-1', credentials });
    jest.spyOn(client, 'destroy').mockImplementation(() => void destroyed++);
    return client;
  });
  FakeSecret.staged().install(sm);
  keys = new FakeKeys()
    .add(OLD_KEY_ID, 'Active', OLD_CREATED)
    .add(NEW_KEY_ID, 'Active', NEW_CREATED)
    .install(iam);
});

afterEach(() => jest.restoreAllMocks());

const deps = (now = VERIFIED_AT): VerifyDeps => ({
  iam: iamClient,
  secrets: smClient,
  sts: stsFactory,
  telemetry,
  clock: new FakeClock(now),
  config: testConfig(),
});

function stsAnswers(arn: string): void {
  sts.on(GetCallerIdentityCommand).resolves({ Arn: arn, UserId: USER_ID, Account: ACCOUNT });
}

describe('verify-key', () => {
  it('signs GetCallerIdentity with the staged key and records when it answered as the user', async () => {
    stsAnswers(USER_ARN);

    const state = await verifyKey(stagedState(), deps());

    expect(sm).toHaveReceivedCommandWith(GetSecretValueCommand, {
      SecretId: SECRET_ID,
      VersionId: NEW_VERSION,
    });
    expect(stsFactory).toHaveBeenCalledTimes(1);
    expect(stsFactory).toHaveBeenCalledWith({
      accessKeyId: NEW_KEY_ID,
      secretAccessKey: NEW_SECRET,
    });
    expect(sts).toHaveReceivedCommandTimes(GetCallerIdentityCommand, 1);
    expect(state).toEqual({ ...stagedState(), verifiedAt: VERIFIED_AT });
    expect(telemetry.events).toEqual([
      {
        detailType: 'Key Verified',
        detail: {
          userName: USER,
          executionArn: EXECUTION_ARN,
          oldKeyId: OLD_KEY_ID,
          newKeyId: NEW_KEY_ID,
          at: VERIFIED_AT,
        },
      },
    ]);
  });

  it('destroys the client that holds the new key once it has answered', async () => {
    stsAnswers(USER_ARN);

    await verifyKey(stagedState(), deps());

    expect(destroyed).toBe(1);
  });

  it.each<[string, () => Error]>([
    ['InvalidClientTokenId', awsErrors.invalidClientTokenId],
    ['SignatureDoesNotMatch', awsErrors.signatureDoesNotMatch],
  ])(
    'throws KeyNotYetValidError on %s while IAM propagates the new key, for the state machine to retry',
    async (_, makeError) => {
      const rejection = makeError();
      sts.on(GetCallerIdentityCommand).rejects(rejection);

      const error = await failure(verifyKey(stagedState(), deps()));

      expect(error.name).toBe('KeyNotYetValidError');
      expect(error.message).toBe(
        `The new access key ${NEW_KEY_ID} is not accepted yet (IAM propagation delay).`,
      );
      expect(error.cause).toBe(rejection);
      expect(destroyed).toBe(1);
      expect(telemetry.events).toEqual([]);
    },
  );

  it('refuses a key that authenticates as someone else with VerificationFailedError', async () => {
    const bob = `arn:aws:iam::${ACCOUNT}:user/bob`;
    stsAnswers(bob);

    const error = await failure(verifyKey(stagedState(), deps()));

    expect(error.name).toBe('VerificationFailedError');
    expect(error.message).toBe(`Key ${NEW_KEY_ID} authenticated as ${bob}, not as ${USER_ARN}.`);
    expect(telemetry.events).toEqual([]);
  });

  it('refuses a user ARN with another path: the ARN must match exactly', async () => {
    stsAnswers(`arn:aws:iam::${ACCOUNT}:user/other-path/${USER}`);

    const error = await failure(verifyKey(stagedState(), deps()));

    expect(error.name).toBe('VerificationFailedError');
  });

  it('wraps a throttled STS call as AwsTransientError', async () => {
    sts.on(GetCallerIdentityCommand).rejects(awsErrors.iamThrottling());

    const error = await failure(verifyKey(stagedState(), deps()));

    expect(error.name).toBe('AwsTransientError');
    expect(error.message).toBe('Verifying the new key failed: Throttling');
  });

  it('throws RotationStateError when the staged version holds another key, without calling STS', async () => {
    const state = stagedState({ newKey: { ...NEW_KEY, versionId: BASELINE_VERSION } });

    const error = await failure(verifyKey(state, deps()));

    expect(error.name).toBe('RotationStateError');
    expect(error.message).toBe(
      `Version ${BASELINE_VERSION} of ${SECRET_ID} does not hold key ${NEW_KEY_ID}.`,
    );
    expect(stsFactory).not.toHaveBeenCalled();
  });

  it('throws RotationStateError when the staged version has no secret access key', async () => {
    new FakeSecret()
      .version(BASELINE_VERSION, { AccessKeyId: OLD_KEY_ID }, ['AWSCURRENT'])
      .version(NEW_VERSION, { AccessKeyId: NEW_KEY_ID }, ['AWSPENDING'])
      .install(sm);

    const error = await failure(verifyKey(stagedState(), deps()));

    expect(error.name).toBe('RotationStateError');
    expect(stsFactory).not.toHaveBeenCalled();
  });

  it.each<['deleted' | 'deactivated', () => void]>([
    ['deleted', () => void keys.keys.splice(1, 1)],
    ['deactivated', () => void (keys.keys[1] ? (keys.keys[1].status = 'Inactive') : undefined)],
  ])(
    'says the new key was %s outside rekey, not that IAM is slow, when it is refused',
    async (what, change) => {
      change();
      sts.on(GetCallerIdentityCommand).rejects(awsErrors.invalidClientTokenId());

      const error = await failure(verifyKey(stagedState(), deps()));

      expect(error.name).toBe('RotationStateError');
      expect(error.message).toBe(
        `The new key ${NEW_KEY_ID} was ${what} outside rekey before it could be verified.`,
      );
      expect(error.message).not.toContain('propagation');
    },
  );

  it('takes a refusal in the first seconds of the key for propagation without asking IAM, and asks after that', async () => {
    keys.keys.splice(1, 1);
    sts.on(GetCallerIdentityCommand).rejects(awsErrors.invalidClientTokenId());
    const createdAt = Date.parse(NEW_CREATED);
    const at = (ms: number) => new Date(createdAt + ms).toISOString();

    const early = await failure(verifyKey(stagedState(), deps(at(PROPAGATION_GRACE_MS - 1))));

    expect(early.name).toBe('KeyNotYetValidError');
    expect(iam).not.toHaveReceivedCommand(ListAccessKeysCommand);

    const later = await failure(verifyKey(stagedState(), deps(at(PROPAGATION_GRACE_MS))));

    expect(later.name).toBe('RotationStateError');
    expect(later.message).toBe(
      `The new key ${NEW_KEY_ID} was deleted outside rekey before it could be verified.`,
    );
    expect(iam).toHaveReceivedCommandTimes(ListAccessKeysCommand, 1);
    expect(PROPAGATION_GRACE_MS).toBe(10_000);
  });

  describe('a secret that went away after it was staged', () => {
    const markedForDeletion = () =>
      awsErrors.invalidRequest(
        "You can't perform this operation on the secret because it was marked for deletion.",
      );

    it('says it is scheduled for deletion and how to restore it (SecretDeletedError), without calling STS', async () => {
      const secret = FakeSecret.staged().install(sm);
      secret.deletedDate = new Date('2026-03-01T12:00:30.000Z');
      sm.on(GetSecretValueCommand).rejects(markedForDeletion());

      const error = await failure(verifyKey(stagedState(), deps()));

      expect(error.name).toBe('SecretDeletedError');
      expect(error.message).toBe(
        'The secret rekey/alice is scheduled for deletion: its deletion was requested at ' +
          '2026-03-01T12:00:30.000Z, and Secrets Manager deletes it for good when the recovery ' +
          'window given to DeleteSecret ends, 7 to 30 days later (between ' +
          '2026-03-08T12:00:30.000Z and 2026-03-31T12:00:30.000Z). rekey stopped before its next ' +
          'change. Restore it before then (aws secretsmanager restore-secret --secret-id ' +
          'rekey/alice) and start the rotation again.',
      );
      expect(stsFactory).not.toHaveBeenCalled();
    });

    it('says it no longer exists once it was deleted for good', async () => {
      const secret = FakeSecret.staged().install(sm);
      secret.exists = false;

      const error = await failure(verifyKey(stagedState(), deps()));

      expect(error.name).toBe('SecretDeletedError');
      expect(error.message).toBe(
        'The secret rekey/alice no longer exists: it was deleted for good (with ' +
          'ForceDeleteWithoutRecovery, or when its recovery window ended), with every version it ' +
          'held. rekey stopped before its next change.',
      );
    });

    it('passes on a missing version of a live secret as it is: the secret did not go away', async () => {
      const missing = awsErrors.secretValueNotFound(`VersionId: ${NEW_VERSION}`);
      sm.on(GetSecretValueCommand).rejects(missing);

      await expect(verifyKey(stagedState(), deps())).rejects.toBe(missing);
    });
  });

  it('throws RotationStateError without a staged key', async () => {
    const error = await failure(verifyKey(stagedState({ newKey: undefined }), deps()));

    expect(error.name).toBe('RotationStateError');
    expect(error.message).toBe('verify-key needs the staged key');
    expect(sm).not.toHaveReceivedAnyCommand();
  });
});
