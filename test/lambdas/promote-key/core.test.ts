import { IAMClient } from '@aws-sdk/client-iam';
import {
  DescribeSecretCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
  type UpdateSecretVersionStageCommandInput,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { promoteKey } from '../../../lambdas/promote-key/core';
import type { Deps } from '../../../lambdas/shared/deps';
import {
  awsErrors,
  BASELINE_VERSION,
  captureOutput,
  EXECUTION_ARN,
  failure,
  FakeClock,
  FakeSecret,
  FakeTelemetry,
  mutations,
  NEW_KEY_ID,
  NEW_VERSION,
  OLD_KEY_ID,
  PROMOTED_AT,
  SECRET_ID,
  STAGED_AT,
  testConfig,
  USER,
  verifiedState,
} from '../helpers';

const iamClient = new IAMClient({ region: 'us-east-1' });
const smClient = new SecretsManagerClient({ region: 'us-east-1' });
const iam = mockClient(iamClient);
const sm = mockClient(smClient);

let telemetry: FakeTelemetry;
let secret: FakeSecret;

beforeEach(() => {
  iam.reset();
  sm.reset();
  captureOutput();
  telemetry = new FakeTelemetry();
  secret = FakeSecret.staged().install(sm);
});

afterEach(() => jest.restoreAllMocks());

const deps = (): Deps => ({
  iam: iamClient,
  secrets: smClient,
  telemetry,
  clock: new FakeClock(PROMOTED_AT),
  config: testConfig(),
});

function stageUpdates(): UpdateSecretVersionStageCommandInput[] {
  return sm.commandCalls(UpdateSecretVersionStageCommand).map((c) => c.args[0].input);
}

/** 3 x 15 min recording span + 4 h reporting lag, the default policy's first wait (a3b2b19). */
const FIRST_WAIT = 3 * 900 + 4 * 3600;

describe('promote-key', () => {
  it('moves AWSCURRENT to the new version, naming the version it leaves, then drops AWSPENDING', async () => {
    await promoteKey(verifiedState(), deps());

    expect(stageUpdates()).toEqual([
      {
        SecretId: SECRET_ID,
        VersionStage: 'AWSCURRENT',
        MoveToVersionId: NEW_VERSION,
        RemoveFromVersionId: BASELINE_VERSION,
      },
      { SecretId: SECRET_ID, VersionStage: 'AWSPENDING', RemoveFromVersionId: NEW_VERSION },
    ]);
    expect(secret.stagesOf(NEW_VERSION)).toEqual(['AWSCURRENT']);
    expect(secret.stagesOf(BASELINE_VERSION)).toEqual(['AWSPREVIOUS']);
    // One read of the labels: a move that answered leaves AWSPENDING where it was.
    expect(sm).toHaveReceivedCommandTimes(DescribeSecretCommand, 1);
  });

  it('records the promotion time and the first cutover wait', async () => {
    const state = await promoteKey(verifiedState(), deps());

    expect(state.promotedAt).toBe(PROMOTED_AT);
    expect(state.cutover).toEqual({
      polls: 0,
      verdict: 'waiting',
      waitSeconds: FIRST_WAIT,
      deadlineAt: '2026-03-08T12:00:30.000Z',
      reason: 'waiting for applications to pick up the new key',
    });
    expect(telemetry.events).toEqual([
      {
        detailType: 'Key Promoted',
        detail: {
          userName: USER,
          executionArn: EXECUTION_ARN,
          oldKeyId: OLD_KEY_ID,
          newKeyId: NEW_KEY_ID,
          at: PROMOTED_AT,
        },
      },
    ]);
  });

  it('is idempotent when the new version is already AWSCURRENT, keeping the recorded promotion time', async () => {
    secret = FakeSecret.promoted().install(sm);
    const earlier = '2026-03-01T12:00:29.000Z';

    const state = await promoteKey(verifiedState({ promotedAt: earlier }), deps());

    expect(sm).not.toHaveReceivedCommand(UpdateSecretVersionStageCommand);
    expect(state.promotedAt).toBe(earlier);
    expect(state.cutover?.deadlineAt).toBe('2026-03-08T12:00:29.000Z');
  });

  it('dates a promotion it did not record (an interrupted run) at the staging time, never later', async () => {
    secret = FakeSecret.promoted().install(sm);

    const state = await promoteKey(verifiedState(), deps());

    expect(sm).not.toHaveReceivedCommand(UpdateSecretVersionStageCommand);
    expect(state.promotedAt).toBe(STAGED_AT);
  });

  it('drops an AWSPENDING left behind by an attempt that moved AWSCURRENT and then died', async () => {
    secret.move('AWSCURRENT', NEW_VERSION, BASELINE_VERSION);

    await promoteKey(verifiedState(), deps());

    expect(mutations(sm)).toEqual(['UpdateSecretVersionStage AWSPENDING']);
    expect(secret.stagesOf(NEW_VERSION)).toEqual(['AWSCURRENT']);
  });

  it('recognises a move whose answer was lost: the SDK retry fails, but AWSCURRENT moved', async () => {
    sm.on(UpdateSecretVersionStageCommand)
      .callsFakeOnce((input: UpdateSecretVersionStageCommandInput) => {
        secret.update(input); // took effect, answer lost
        return secret.update(input); // the SDK's retry: RemoveFromVersionId no longer holds it
      })
      .callsFake((input: UpdateSecretVersionStageCommandInput) => secret.update(input));

    const state = await promoteKey(verifiedState(), deps());

    expect(state.promotedAt).toBe(PROMOTED_AT);
    expect(secret.stagesOf(NEW_VERSION)).toEqual(['AWSCURRENT']);
    expect(secret.stagesOf(BASELINE_VERSION)).toEqual(['AWSPREVIOUS']);
    expect(telemetry.detailTypes()).toEqual(['Key Promoted']);
  });

  it('fails with AwsTransientError when the move did not take effect, leaving the labels', async () => {
    sm.on(UpdateSecretVersionStageCommand)
      .rejectsOnce(awsErrors.smInternalError())
      .callsFake((input: UpdateSecretVersionStageCommandInput) => secret.update(input));

    const error = await failure(promoteKey(verifiedState(), deps()));

    expect(error.name).toBe('AwsTransientError');
    expect(error.message).toBe('Promoting the new key failed: InternalServiceError');
    expect(sm).toHaveReceivedCommandTimes(UpdateSecretVersionStageCommand, 1);
    expect(secret.stagesOf(NEW_VERSION)).toEqual(['AWSPENDING']);
    expect(secret.stagesOf(BASELINE_VERSION)).toEqual(['AWSCURRENT']);
    expect(telemetry.events).toEqual([]);
  });

  it('throws RotationStateError when the new version is neither pending nor current', async () => {
    secret = FakeSecret.withBaseline().install(sm);

    const error = await failure(promoteKey(verifiedState(), deps()));

    expect(error.name).toBe('RotationStateError');
    expect(error.message).toBe(
      `Version ${NEW_VERSION} of ${SECRET_ID} is neither AWSPENDING nor AWSCURRENT any more.`,
    );
    expect(sm).not.toHaveReceivedCommand(UpdateSecretVersionStageCommand);
  });

  it('throws SecretDeletedError, moving no label, when the secret is gone', async () => {
    secret = new FakeSecret(false).install(sm);

    const error = await failure(promoteKey(verifiedState(), deps()));

    expect(error.name).toBe('SecretDeletedError');
    expect(error.message).toBe(
      `The secret ${SECRET_ID} no longer exists: it was deleted for good (with ForceDeleteWithoutRecovery, or when its recovery window ended), with every version it held. rekey stopped before its next change.`,
    );
  });

  it('throws SecretDeletedError, moving no label, when the secret is scheduled for deletion', async () => {
    secret.deletedDate = new Date('2026-03-01T12:00:25Z');

    const error = await failure(promoteKey(verifiedState(), deps()));

    expect(error.name).toBe('SecretDeletedError');
    expect(sm).not.toHaveReceivedCommand(UpdateSecretVersionStageCommand);
    expect(secret.holder('AWSPENDING')).toBe(NEW_VERSION);
  });

  it('throws SecretDeletedError when the secret is scheduled for deletion between the two label moves', async () => {
    sm.on(UpdateSecretVersionStageCommand).callsFake(
      (input: UpdateSecretVersionStageCommandInput) => {
        if (input.VersionStage === 'AWSPENDING') {
          secret.deletedDate = new Date('2026-03-01T12:00:31.000Z');
          throw awsErrors.invalidRequest(
            "You can't perform this operation on the secret because it was marked for deletion.",
          );
        }
        return secret.update(input);
      },
    );

    const error = await failure(promoteKey(verifiedState(), deps()));

    expect(error.name).toBe('SecretDeletedError');
    // A second after the clock: a request time, as clocks that AWS accepts can differ.
    expect(error.message).toContain(
      'The secret rekey/alice is scheduled for deletion: its deletion was requested at ' +
        '2026-03-01T12:00:31.000Z, and Secrets Manager deletes it for good when the recovery ' +
        'window given to DeleteSecret ends, 7 to 30 days later (between 2026-03-08T12:00:31.000Z ' +
        'and 2026-03-31T12:00:31.000Z).',
    );
    expect(secret.holder('AWSCURRENT')).toBe(NEW_VERSION);
  });

  it('throws RotationStateError without a staged key', async () => {
    const error = await failure(promoteKey(verifiedState({ newKey: undefined }), deps()));

    expect(error.name).toBe('RotationStateError');
    expect(error.message).toBe('promote-key needs the staged key');
    expect(sm).not.toHaveReceivedAnyCommand();
  });
});
