import {
  CreateAccessKeyCommand,
  DeleteAccessKeyCommand,
  IAMClient,
  UpdateAccessKeyCommand,
  type CreateAccessKeyCommandInput,
} from '@aws-sdk/client-iam';
import {
  CreateSecretCommand,
  PutResourcePolicyCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
  TagResourceCommand,
  UntagResourceCommand,
  type TagResourceCommandInput,
} from '@aws-sdk/client-secrets-manager';
import { DescribeExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { creatingMarker } from '../../../lambdas/shared/markers';
import { sesSmtpPassword } from '../../../lambdas/shared/ses-smtp';
import { stageKey, type StageDeps } from '../../../lambdas/stage-key/core';
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
  KMS_KEY_ARN,
  mutations,
  NEW_CREATED,
  NEW_KEY_ID,
  NEW_SECRET,
  NEW_VERSION,
  OLD_CREATED,
  OLD_KEY_ID,
  ORPHAN_KEY_ID,
  OTHER_EXECUTION_ARN,
  SECRET_ARN,
  SECRET_ID,
  STAGED_AT,
  stagedState,
  STALE_KEY_ID,
  testConfig,
  USER,
  USER_ARN,
} from '../helpers';

const iamClient = new IAMClient({ region: 'us-east-1' });
const iamOnceClient = new IAMClient({ region: 'us-east-1', maxAttempts: 1 });
const smClient = new SecretsManagerClient({ region: 'us-east-1' });
const iam = mockClient(iamClient);
const iamOnce = mockClient(iamOnceClient);
const sm = mockClient(smClient);
const sfnClient = new SFNClient({ region: 'us-east-1' });
const sfn = mockClient(sfnClient);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const MARKER = creatingMarker(EXECUTION_ARN);
const FOREIGN_KEY_ID = 'AKIAOTHERKEYEXAMPLE5';
/** An earlier attempt's unanswered CreateAccessKey: started and ended around 12:00:01. */
const EARLIER_CALL = `${EXECUTION_ARN}@2026-03-01T12:00:00.500Z/2026-03-01T12:00:01.500Z`;

let telemetry: FakeTelemetry;
let keys: FakeKeys;
let secret: FakeSecret;

beforeEach(() => {
  iam.reset();
  iamOnce.reset();
  sm.reset();
  sfn.reset();
  sfn.on(DescribeExecutionCommand).resolves({ status: 'RUNNING' });
  captureOutput();
  telemetry = new FakeTelemetry();
  keys = new FakeKeys().add(OLD_KEY_ID, 'Active', OLD_CREATED).install(iam, iamOnce);
  secret = FakeSecret.withBaseline().install(sm);
});

afterEach(() => jest.restoreAllMocks());

const deps = (): StageDeps => ({
  iam: iamClient,
  iamOnce: iamOnceClient,
  secrets: smClient,
  sfn: sfnClient,
  telemetry,
  clock: new FakeClock(STAGED_AT),
  config: testConfig(),
});

function putInput() {
  const [call] = sm.commandCalls(PutSecretValueCommand);
  if (!call) throw new Error('PutSecretValue was not sent');
  return call.args[0].input;
}

describe('stage-key: creating and staging', () => {
  it('creates the key with the non-retrying client and stages it as AWSPENDING under a fresh token', async () => {
    const state = await stageKey(inspectedState(), deps());

    expect(iamOnce).toHaveReceivedCommandTimes(CreateAccessKeyCommand, 1);
    expect(iamOnce).toHaveReceivedCommandWith(CreateAccessKeyCommand, { UserName: USER });
    expect(iam).not.toHaveReceivedCommand(CreateAccessKeyCommand);
    const put = putInput();
    expect(put).toMatchObject({ SecretId: SECRET_ID, VersionStages: ['AWSPENDING'] });
    expect(put.ClientRequestToken).toMatch(UUID);
    expect(JSON.parse(put.SecretString ?? '')).toEqual({
      UserName: USER,
      AccessKeyId: NEW_KEY_ID,
      SecretAccessKey: NEW_SECRET,
      CreateDate: NEW_CREATED,
    });
    expect(state.newKey).toEqual({
      accessKeyId: NEW_KEY_ID,
      createDate: NEW_CREATED,
      versionId: put.ClientRequestToken,
      stagedAt: STAGED_AT,
    });
    expect(secret.holder('AWSPENDING')).toBe(put.ClientRequestToken);
    expect(secret.holder('AWSCURRENT')).toBe(BASELINE_VERSION);
  });

  it('marks the secret around CreateAccessKey and claims it for this execution', async () => {
    await stageKey(inspectedState(), deps());

    expect(mutations(iam, iamOnce, sm)).toEqual([
      'PutResourcePolicy',
      `TagResource ${MARKER}`,
      'CreateAccessKey',
      'PutSecretValue AWSPENDING',
      'TagResource rekey:execution',
      `UntagResource ${MARKER}`,
    ]);
    // The marker records when the call started: the window in which IAM can have created the key.
    expect(sm).toHaveReceivedCommandWith(TagResourceCommand, {
      SecretId: SECRET_ID,
      Tags: [{ Key: MARKER, Value: `${EXECUTION_ARN}@${STAGED_AT}` }],
    });
    expect(sm).toHaveReceivedCommandWith(TagResourceCommand, {
      SecretId: SECRET_ID,
      Tags: [{ Key: 'rekey:execution', Value: EXECUTION_ARN }],
    });
    expect(secret.tags.get('rekey:execution')).toBe(EXECUTION_ARN);
    expect(secret.tags.has(MARKER)).toBe(false);
  });

  it('reports the staged key without its secret', async () => {
    const state = await stageKey(inspectedState(), deps());

    expect(telemetry.events).toEqual([
      {
        detailType: 'Key Staged',
        detail: {
          userName: USER,
          executionArn: EXECUTION_ARN,
          oldKeyId: OLD_KEY_ID,
          newKeyId: NEW_KEY_ID,
          versionId: state.newKey?.versionId,
          at: STAGED_AT,
        },
      },
    ]);
    expect(JSON.stringify(state)).not.toContain(NEW_SECRET);
  });

  it('creates the baseline secret on the first rotation: KMS key, tags, no SecretAccessKey', async () => {
    secret = new FakeSecret(false).install(sm);

    await stageKey(inspectedState(), deps());

    expect(sm).toHaveReceivedCommandWith(CreateSecretCommand, {
      Name: SECRET_ID,
      KmsKeyId: KMS_KEY_ARN,
      Description: 'IAM access key of alice, rotated by rekey',
      Tags: [
        { Key: 'rekey:managed-by', Value: 'rekey' },
        { Key: 'rekey:user', Value: USER },
      ],
    });
    const [create] = sm.commandCalls(CreateSecretCommand);
    expect(JSON.parse(create?.args[0].input.SecretString ?? '')).toEqual({
      UserName: USER,
      AccessKeyId: OLD_KEY_ID,
      CreateDate: OLD_CREATED,
    });
    expect(secret.get({ SecretId: SECRET_ID }).SecretString).not.toContain('SecretAccessKey');
    expect(secret.holder('AWSPENDING')).toBe(putInput().ClientRequestToken);
  });

  it('leaves an existing secret as it is', async () => {
    const before = secret.get({ SecretId: SECRET_ID }).SecretString;

    await stageKey(inspectedState(), deps());

    expect(secret.holder('AWSCURRENT')).toBe(BASELINE_VERSION);
    expect(secret.get({ SecretId: SECRET_ID }).SecretString).toBe(before);
  });

  it('refuses a state that is not a rotation, sending nothing', async () => {
    const error = await failure(
      stageKey(inspectedState({ decision: 'skip', oldKey: undefined }), deps()),
    );

    expect(error.name).toBe('RotationStateError');
    expect(error.message).toBe('stage-key runs only for a rotation with an old key');
    expect(mutations(iam, iamOnce, sm)).toEqual([]);
  });
});

describe('stage-key: the second slot', () => {
  it('deletes the planned inactive key before creating the new one', async () => {
    keys.add(STALE_KEY_ID, 'Inactive', '2025-06-01T00:00:00Z');
    const state = inspectedState({
      inactiveKeyToDelete: STALE_KEY_ID,
      knownKeyIds: [STALE_KEY_ID, OLD_KEY_ID],
    });

    await stageKey(state, deps());

    const sent = mutations(iam, iamOnce, sm);
    expect(sent.indexOf(`DeleteAccessKey ${STALE_KEY_ID}`)).toBeGreaterThanOrEqual(0);
    expect(sent.indexOf(`DeleteAccessKey ${STALE_KEY_ID}`)).toBeLessThan(
      sent.indexOf('CreateAccessKey'),
    );
    expect(iam).toHaveReceivedCommandWith(DeleteAccessKeyCommand, {
      UserName: USER,
      AccessKeyId: STALE_KEY_ID,
    });
    expect(keys.status(STALE_KEY_ID)).toBe('deleted');
    expect(keys.deletedWhileActive).toEqual([]);
  });

  it('refuses to delete a planned inactive key that was reactivated, and creates nothing', async () => {
    keys.add(STALE_KEY_ID, 'Active', '2025-06-01T00:00:00Z');
    const state = inspectedState({
      inactiveKeyToDelete: STALE_KEY_ID,
      knownKeyIds: [STALE_KEY_ID, OLD_KEY_ID],
    });

    const error = await failure(stageKey(state, deps()));

    expect(error.name).toBe('RotationStateError');
    expect(error.message).toBe(
      `Key ${STALE_KEY_ID} was reactivated since the rotation started; not deleting it.`,
    );
    expect(iam).not.toHaveReceivedCommand(DeleteAccessKeyCommand);
    expect(iamOnce).not.toHaveReceivedCommand(CreateAccessKeyCommand);
    expect(keys.status(STALE_KEY_ID)).toBe('Active');
  });

  it('goes on when the planned inactive key is already gone', async () => {
    const state = inspectedState({
      inactiveKeyToDelete: STALE_KEY_ID,
      knownKeyIds: [STALE_KEY_ID, OLD_KEY_ID],
    });

    const result = await stageKey(state, deps());

    expect(iam).not.toHaveReceivedCommand(DeleteAccessKeyCommand);
    expect(result.newKey?.accessKeyId).toBe(NEW_KEY_ID);
  });

  it('stops at a key it did not create, before creating anything: UnknownKeyError, no key touched', async () => {
    keys.add(FOREIGN_KEY_ID, 'Active', '2026-03-01T11:59:00Z');

    const error = await failure(stageKey(inspectedState(), deps()));

    expect(error.name).toBe('UnknownKeyError');
    expect(error.message).toBe(
      `alice holds a key rekey cannot prove it created: ${FOREIGN_KEY_ID} (active, created 2026-03-01T11:59:00.000Z). ` +
        'rekey never removes a key it cannot prove it created; delete or deactivate it yourself if ' +
        'unwanted, then start the rotation again.',
    );
    expect(mutations(iam, iamOnce, sm)).toEqual(['PutResourcePolicy']);
    expect(keys.status(FOREIGN_KEY_ID)).toBe('Active');
    expect(keys.status(OLD_KEY_ID)).toBe('Active');
  });

  it('turns a LimitExceeded race into UnknownKeyError, clears its marker and touches no key', async () => {
    iamOnce.on(CreateAccessKeyCommand).rejects(awsErrors.limitExceeded());

    const error = await failure(stageKey(inspectedState(), deps()));

    expect(error.name).toBe('UnknownKeyError');
    expect(error.message).toBe(
      'alice already holds two access keys: one was created since this rotation checked (by a ' +
        'person, another tool or another rotation). rekey created nothing and leaves both keys ' +
        'alone; remove the one that is not needed, then start again.',
    );
    expect(mutations(iam, iamOnce, sm)).toEqual([
      'PutResourcePolicy',
      `TagResource ${MARKER}`,
      'CreateAccessKey',
      `UntagResource ${MARKER}`,
    ]);
    expect(secret.tags.has(MARKER)).toBe(false);
  });
});

describe('stage-key: failures', () => {
  it('deletes the new key (deactivated first) and throws StagingFailedError when staging is refused', async () => {
    const refusal = awsErrors.encryptionFailure();
    sm.on(PutSecretValueCommand).rejects(refusal);

    const error = await failure(stageKey(inspectedState(), deps()));

    expect(error.name).toBe('StagingFailedError');
    expect(error.message).toBe(
      `Publishing key ${NEW_KEY_ID} to ${SECRET_ID} failed (EncryptionFailure); the key was deleted.`,
    );
    expect(error.cause).toBe(refusal);
    expect(mutations(iam, iamOnce, sm).slice(-4)).toEqual([
      'CreateAccessKey',
      'PutSecretValue AWSPENDING',
      `UpdateAccessKey ${NEW_KEY_ID} Inactive`,
      `DeleteAccessKey ${NEW_KEY_ID}`,
    ]);
    expect(keys.status(NEW_KEY_ID)).toBe('deleted');
    expect(keys.status(OLD_KEY_ID)).toBe('Active');
    expect(keys.deletedWhileActive).toEqual([]);
    expect(telemetry.events).toEqual([]);
  });

  it('deletes the new key and throws AwsTransientError when staging fails transiently', async () => {
    sm.on(PutSecretValueCommand).rejects(awsErrors.smInternalError());

    const error = await failure(stageKey(inspectedState(), deps()));

    expect(error.name).toBe('AwsTransientError');
    expect(error.message).toBe(
      `Publishing key ${NEW_KEY_ID} to ${SECRET_ID} failed (InternalServiceError); the key was deleted.`,
    );
    expect(keys.status(NEW_KEY_ID)).toBe('deleted');
    expect(keys.deletedWhileActive).toEqual([]);
  });

  it('discards the key an unanswered CreateAccessKey created, then throws AwsTransientError', async () => {
    keys.nextKey = { accessKeyId: ORPHAN_KEY_ID, secret: NEW_SECRET, createDate: NEW_CREATED };
    iamOnce.on(CreateAccessKeyCommand).callsFake((input: CreateAccessKeyCommandInput) => {
      keys.create(input);
      throw awsErrors.iamServiceFailure();
    });

    const error = await failure(stageKey(inspectedState(), deps()));

    expect(error.name).toBe('AwsTransientError');
    expect(error.message).toBe(
      `CreateAccessKey failed (ServiceFailure); its outcome was reconciled: the key it created, ${ORPHAN_KEY_ID}, was discarded`,
    );
    expect(mutations(iam, iamOnce, sm).slice(-5)).toEqual([
      'CreateAccessKey',
      `TagResource ${MARKER}`,
      `UpdateAccessKey ${ORPHAN_KEY_ID} Inactive`,
      `DeleteAccessKey ${ORPHAN_KEY_ID}`,
      `TagResource ${MARKER}`,
    ]);
    // The unanswered call's end is recorded, then the key it created: the marker proves no other.
    expect(secret.tags.get(MARKER)).toBe(
      `${EXECUTION_ARN}@${STAGED_AT}/${STAGED_AT}!${ORPHAN_KEY_ID}`,
    );
    expect(keys.status(ORPHAN_KEY_ID)).toBe('deleted');
    expect(keys.status(OLD_KEY_ID)).toBe('Active');
    expect(iam).not.toHaveReceivedCommandWith(UpdateAccessKeyCommand, { AccessKeyId: OLD_KEY_ID });
    expect(sm).not.toHaveReceivedCommand(PutSecretValueCommand);
  });

  it('deletes nothing when the unanswered CreateAccessKey created nothing', async () => {
    iamOnce.on(CreateAccessKeyCommand).rejects(awsErrors.iamServiceFailure());

    const error = await failure(stageKey(inspectedState(), deps()));

    expect(error.name).toBe('AwsTransientError');
    expect(iam).not.toHaveReceivedCommand(UpdateAccessKeyCommand);
    expect(iam).not.toHaveReceivedCommand(DeleteAccessKeyCommand);
  });
});

describe('stage-key: retries and resume (I5)', () => {
  it('adopts the key an earlier attempt staged when its answer was lost: no second CreateAccessKey', async () => {
    keys.add(NEW_KEY_ID, 'Active', NEW_CREATED);
    secret = FakeSecret.staged().tag(MARKER, `${EXECUTION_ARN}@${NEW_CREATED}`).install(sm);

    const state = await stageKey(inspectedState(), deps());

    expect(iamOnce).not.toHaveReceivedCommand(CreateAccessKeyCommand);
    expect(sm).not.toHaveReceivedCommand(PutSecretValueCommand);
    expect(state.newKey).toEqual({
      accessKeyId: NEW_KEY_ID,
      createDate: NEW_CREATED,
      versionId: NEW_VERSION,
      stagedAt: STAGED_AT,
    });
    expect(secret.tags.get('rekey:execution')).toBe(EXECUTION_ARN);
    expect(secret.tags.has(MARKER)).toBe(false);
    expect(telemetry.detailTypes()).toEqual(['Key Staged']);
  });

  it('adopts its own staged key when it crashed after clearing its marker', async () => {
    keys.add(NEW_KEY_ID, 'Active', NEW_CREATED);
    secret = FakeSecret.staged().tag('rekey:execution', EXECUTION_ARN).install(sm);

    const state = await stageKey(inspectedState(), deps());

    expect(iamOnce).not.toHaveReceivedCommand(CreateAccessKeyCommand);
    expect(state.newKey?.versionId).toBe(NEW_VERSION);
  });

  it('does not adopt a key another execution staged: it is refused and changes no key', async () => {
    keys.add(NEW_KEY_ID, 'Active', NEW_CREATED);
    secret = FakeSecret.staged().tag('rekey:execution', OTHER_EXECUTION_ARN).install(sm);

    const error = await failure(stageKey(inspectedState(), deps()));

    expect(error.name).toBe('RotationInProgressError');
    expect(keys.status(NEW_KEY_ID)).toBe('Active');
    expect(secret.holder('AWSPENDING')).toBe(NEW_VERSION);
    expect(secret.tags.get('rekey:execution')).toBe(OTHER_EXECUTION_ARN);
    expect(iam).not.toHaveReceivedCommand(UpdateAccessKeyCommand);
    expect(iam).not.toHaveReceivedCommand(DeleteAccessKeyCommand);
  });

  it('discards an orphan of an earlier attempt (its marker is still set) before creating', async () => {
    keys.add(ORPHAN_KEY_ID, 'Active', '2026-03-01T12:00:01Z');
    secret = FakeSecret.withBaseline().tag(MARKER, EARLIER_CALL).install(sm);

    const state = await stageKey(inspectedState(), deps());

    expect(mutations(iam, iamOnce, sm)).toEqual([
      'PutResourcePolicy',
      `UpdateAccessKey ${ORPHAN_KEY_ID} Inactive`,
      `DeleteAccessKey ${ORPHAN_KEY_ID}`,
      `TagResource ${MARKER}`,
      'CreateAccessKey',
      'PutSecretValue AWSPENDING',
      'TagResource rekey:execution',
      `UntagResource ${MARKER}`,
    ]);
    expect(state.newKey?.accessKeyId).toBe(NEW_KEY_ID);
    expect(keys.deletedWhileActive).toEqual([]);
  });

  it("refuses, changing no key, while another execution's fresh creating-marker is on the secret", async () => {
    const other = 'arn:aws:states:us-east-1:123456789012:execution:rotation:other';
    keys.add(ORPHAN_KEY_ID, 'Active', '2026-03-01T12:00:01Z');
    secret = FakeSecret.withBaseline()
      .tag(
        creatingMarker(other),
        `${other}@${new Date(Date.parse(STAGED_AT) - 60_000).toISOString()}`,
      )
      .install(sm);

    const refusal = stageKey(inspectedState(), deps());
    await expect(refusal).rejects.toThrow(other);
    await expect(refusal).rejects.toMatchObject({ name: 'RotationInProgressError' });
    expect(iamOnce).not.toHaveReceivedCommand(CreateAccessKeyCommand);
    expect(iam).not.toHaveReceivedCommand(DeleteAccessKeyCommand);
    expect(keys.status(ORPHAN_KEY_ID)).toBe('Active');
  });

  it("ignores another execution's creating-marker older than 15 minutes (a stopped execution left it)", async () => {
    const other = 'arn:aws:states:us-east-1:123456789012:execution:rotation:stopped';
    secret = FakeSecret.withBaseline()
      .tag(
        creatingMarker(other),
        `${other}@${new Date(Date.parse(STAGED_AT) - 16 * 60_000).toISOString()}`,
      )
      .install(sm);

    const state = await stageKey(inspectedState(), deps());

    expect(state.newKey?.accessKeyId).toBe(NEW_KEY_ID);
    // Removed, so stale markers never pile up towards the 50 tags a secret may hold.
    expect(secret.tags.has(creatingMarker(other))).toBe(false);
  });

  it('never adopts a staged key another execution claimed, even with its own marker lingering', async () => {
    const other = 'arn:aws:states:us-east-1:123456789012:execution:rotation:winner';
    keys.add(ORPHAN_KEY_ID, 'Active', '2026-03-01T12:00:01Z');
    secret = FakeSecret.withBaseline()
      .version('winner-version', { AccessKeyId: ORPHAN_KEY_ID, SecretAccessKey: 'x' }, [
        'AWSPENDING',
      ])
      .tag(MARKER, EXECUTION_ARN)
      .tag('rekey:execution', other)
      .install(sm);

    await expect(stageKey(inspectedState(), deps())).rejects.toMatchObject({
      name: 'RotationInProgressError',
    });
    expect(keys.status(ORPHAN_KEY_ID)).toBe('Active');
  });

  it('never adopts a key another execution claimed, even one made inside its own marker window', async () => {
    const other = 'arn:aws:states:us-east-1:123456789012:execution:rotation:winner';
    keys.add(ORPHAN_KEY_ID, 'Active', '2026-03-01T12:00:01Z');
    secret = FakeSecret.withBaseline()
      .version('winner-version', { AccessKeyId: ORPHAN_KEY_ID, SecretAccessKey: 'x' }, [
        'AWSPENDING',
      ])
      .tag(MARKER, EARLIER_CALL)
      .tag('rekey:execution', other)
      .install(sm);

    await expect(stageKey(inspectedState(), deps())).rejects.toMatchObject({
      name: 'RotationInProgressError',
    });
    expect(keys.status(ORPHAN_KEY_ID)).toBe('Active');
    expect(secret.tags.get('rekey:execution')).toBe(other);
  });

  it('finishes discarding an orphan an earlier attempt deactivated but could not delete (I3)', async () => {
    keys.add(ORPHAN_KEY_ID, 'Inactive', '2026-03-01T12:00:01Z');
    secret = FakeSecret.withBaseline().tag(MARKER, EARLIER_CALL).install(sm);

    const state = await stageKey(inspectedState(), deps());

    expect(keys.status(ORPHAN_KEY_ID)).toBe('deleted');
    expect(state.newKey?.accessKeyId).toBe(NEW_KEY_ID);
  });

  it('leaves alone a new key that was used: it is not an orphan of this rotation', async () => {
    keys.add(ORPHAN_KEY_ID, 'Active', '2026-03-01T12:00:01Z', {
      date: '2026-03-01T12:00:00Z',
      serviceName: 's3',
      region: 'eu-west-1',
    });
    secret = FakeSecret.withBaseline().tag(MARKER, EARLIER_CALL).install(sm);

    const error = await failure(stageKey(inspectedState(), deps()));

    expect(error.name).toBe('UnknownKeyError');
    expect(keys.status(ORPHAN_KEY_ID)).toBe('Active');
  });

  it('only claims the secret when resuming a rotation that already staged its key', async () => {
    const state = stagedState({ resumed: 'staged', knownKeyIds: [OLD_KEY_ID, NEW_KEY_ID] });

    const result = await stageKey(state, deps());

    expect(result).toBe(state);
    expect(mutations(iam, iamOnce, sm)).toEqual([
      'PutResourcePolicy',
      'TagResource rekey:execution',
    ]);
    expect(secret.tags.get('rekey:execution')).toBe(EXECUTION_ARN);
  });
});

describe('stage-key: proven ownership', () => {
  it('clears its marker after a throttled CreateAccessKey, and never takes a key made meanwhile for its own', async () => {
    iamOnce.on(CreateAccessKeyCommand).rejectsOnce(awsErrors.iamThrottling());
    const first = await failure(stageKey(inspectedState(), deps()));
    expect(first.name).toBe('AwsTransientError');
    expect(first.message).toBe('CreateAccessKey was refused (Throttling); nothing was created');
    expect(secret.tags.has(MARKER)).toBe(false);

    // While the state machine waits to retry, a person creates a key by hand.
    keys.add(FOREIGN_KEY_ID, 'Active', '2026-03-01T12:00:06Z');
    const retry = await failure(stageKey(inspectedState(), deps()));

    expect(retry.name).toBe('UnknownKeyError');
    expect(keys.status(FOREIGN_KEY_ID)).toBe('Active');
    expect(iam).not.toHaveReceivedCommandWith(UpdateAccessKeyCommand, {
      AccessKeyId: FOREIGN_KEY_ID,
    });
    expect(keys.deletedWhileActive).toEqual([]);
  });

  it('never takes a key made after its unanswered call ended for the key that call may have created', async () => {
    // The earlier attempt's call ended at 12:00:01.5; this key appeared 40 s later.
    keys.add(FOREIGN_KEY_ID, 'Active', '2026-03-01T12:00:41Z');
    secret = FakeSecret.withBaseline().tag(MARKER, EARLIER_CALL).install(sm);

    const error = await failure(stageKey(inspectedState(), deps()));

    expect(error.name).toBe('UnknownKeyError');
    expect(keys.status(FOREIGN_KEY_ID)).toBe('Active');
    expect(iamOnce).not.toHaveReceivedCommand(CreateAccessKeyCommand);
  });

  it('ignores a fresh creating-marker of a stopped execution: it creates nothing any more', async () => {
    const other = 'arn:aws:states:us-east-1:123456789012:execution:rotation:aborted';
    sfn.on(DescribeExecutionCommand, { executionArn: other }).resolves({ status: 'ABORTED' });
    secret = FakeSecret.withBaseline()
      .tag(
        creatingMarker(other),
        `${other}@${new Date(Date.parse(STAGED_AT) - 60_000).toISOString()}`,
      )
      .install(sm);

    const state = await stageKey(inspectedState(), deps());

    expect(state.newKey?.accessKeyId).toBe(NEW_KEY_ID);
    expect(secret.tags.has(creatingMarker(other))).toBe(false);
  });

  it("discards the orphan Inspect found, re-proving it with the ended rotation's marker", async () => {
    const ended = 'arn:aws:states:us-east-1:123456789012:execution:rotation:ended';
    sfn.on(DescribeExecutionCommand, { executionArn: ended }).resolves({ status: 'FAILED' });
    keys.add(ORPHAN_KEY_ID, 'Active', '2026-02-28T10:00:02Z');
    secret = FakeSecret.withBaseline()
      .tag(creatingMarker(ended), `${ended}@2026-02-28T10:00:01.000Z/2026-02-28T10:00:03.000Z`)
      .install(sm);

    const state = await stageKey(
      inspectedState({ knownKeyIds: [OLD_KEY_ID, ORPHAN_KEY_ID], orphanKeyIds: [ORPHAN_KEY_ID] }),
      deps(),
    );

    expect(keys.status(ORPHAN_KEY_ID)).toBe('deleted');
    expect(keys.deletedWhileActive).toEqual([]);
    expect(secret.tags.has(creatingMarker(ended))).toBe(false);
    expect(state.newKey?.accessKeyId).toBe(NEW_KEY_ID);
  });
});

describe('stage-key: the secret is the lifeline', () => {
  /** TagResource as the fake secret does it, for the tags a test does not intercept. */
  const tagSecret = (input: TagResourceCommandInput) => {
    for (const t of input.Tags ?? []) secret.tags.set(t.Key ?? '', t.Value ?? '');
    return {};
  };

  it('creates no key when the secret is scheduled for deletion: SecretDeletedError', async () => {
    secret.deletedDate = new Date('2026-03-01T11:00:00Z');

    const error = await failure(stageKey(inspectedState(), deps()));

    expect(error.name).toBe('SecretDeletedError');
    expect(error.message).toContain(`The secret ${SECRET_ID} is scheduled for deletion`);
    expect(iamOnce).not.toHaveReceivedCommand(CreateAccessKeyCommand);
    expect(mutations(iam, iamOnce, sm)).toEqual([]);
  });

  it('deletes its key and says so when the secret is deleted while it publishes', async () => {
    sm.on(PutSecretValueCommand).rejects(
      awsErrors.invalidRequest(
        "You can't perform this operation on the secret because it was marked for deletion.",
      ),
    );

    const error = await failure(stageKey(inspectedState(), deps()));

    expect(error.name).toBe('SecretDeletedError');
    expect(keys.status(NEW_KEY_ID)).toBe('deleted');
    expect(keys.deletedWhileActive).toEqual([]);
  });

  it('deletes the key it staged when the secret is force-deleted before its claim: no later step could prove it', async () => {
    sm.on(TagResourceCommand).callsFake((input: TagResourceCommandInput) => {
      if (input.Tags?.[0]?.Key !== 'rekey:execution') return tagSecret(input);
      secret.exists = false;
      throw awsErrors.secretNotFound();
    });

    const error = await failure(stageKey(inspectedState(), deps()));

    expect(error.name).toBe('SecretDeletedError');
    expect(error.message).toBe(
      `The secret ${SECRET_ID} no longer exists: it was deleted for good (with ` +
        'ForceDeleteWithoutRecovery, or when its recovery window ended), with every version it ' +
        `held. rekey stopped before its next change. The new key ${NEW_KEY_ID} it had just staged ` +
        'there was deleted: its secret access key was only in that secret.',
    );
    expect(keys.status(NEW_KEY_ID)).toBe('deleted');
    expect(keys.deletedWhileActive).toEqual([]);
    expect(keys.status(OLD_KEY_ID)).toBe('Active');
  });

  it('names the key it staged, and how to delete it, when the secret went and IAM refuses the deletion', async () => {
    sm.on(TagResourceCommand).callsFake((input: TagResourceCommandInput) => {
      if (input.Tags?.[0]?.Key !== 'rekey:execution') return tagSecret(input);
      secret.exists = false;
      throw awsErrors.secretNotFound();
    });
    iam.on(UpdateAccessKeyCommand).rejects(awsErrors.iamThrottling());

    const error = await failure(stageKey(inspectedState(), deps()));

    // Not AwsTransientError: a retry could no longer prove the key this execution's.
    expect(error.name).toBe('SecretDeletedError');
    expect(error.message).toContain(
      `The new key ${NEW_KEY_ID} it had just staged there could not be deleted (Throttling); ` +
        'its secret access key was only in that secret, so nobody can use it: delete it (aws iam ' +
        `delete-access-key --user-name ${USER} --access-key-id ${NEW_KEY_ID}).`,
    );
    expect(keys.status(NEW_KEY_ID)).toBe('Active');
  });

  it('keeps the key it staged when the claim fails on a live secret: its marker still proves it', async () => {
    sm.on(TagResourceCommand).callsFake((input: TagResourceCommandInput) => {
      if (input.Tags?.[0]?.Key !== 'rekey:execution') return tagSecret(input);
      throw awsErrors.smThrottling();
    });

    const error = await failure(stageKey(inspectedState(), deps()));

    expect(error.name).toBe('AwsTransientError');
    expect(keys.status(NEW_KEY_ID)).toBe('Active');
    expect(secret.tags.has(MARKER)).toBe(true);
  });

  it('says the secret is scheduled for deletion when CreateSecret finds it so on a first rotation', async () => {
    secret.exists = false;
    sm.on(CreateSecretCommand).callsFake(() => {
      secret.exists = true;
      secret.deletedDate = new Date('2026-03-01T11:59:00Z');
      throw awsErrors.invalidRequest(
        "You can't create this secret because a secret with this name is already scheduled for deletion.",
      );
    });

    const error = await failure(stageKey(inspectedState(), deps()));

    expect(error.name).toBe('SecretDeletedError');
    expect(error.message).toContain(
      `The secret ${SECRET_ID} is scheduled for deletion: its deletion was requested at ` +
        '2026-03-01T11:59:00.000Z, and Secrets Manager deletes it for good when the recovery ' +
        'window given to DeleteSecret ends, 7 to 30 days later (between 2026-03-08T11:59:00.000Z ' +
        'and 2026-03-31T11:59:00.000Z).',
    );
    expect(sm).toHaveReceivedCommandTimes(CreateSecretCommand, 1);
    expect(iamOnce).not.toHaveReceivedCommand(CreateAccessKeyCommand);
  });
});

describe('stage-key: who may read the secret', () => {
  const policyOf = () => {
    const [call] = sm.commandCalls(PutResourcePolicyCommand);
    if (!call) throw new Error('PutResourcePolicy was not sent');
    return call.args[0].input;
  };

  it('lets the user read its own secret, and its readers, before it creates the key', async () => {
    const billing = 'arn:aws:iam::123456789012:role/billing';

    await stageKey(inspectedState({ readers: [billing] }), deps());

    const input = policyOf();
    expect(input.BlockPublicPolicy).toBe(true);
    expect(JSON.parse(input.ResourcePolicy ?? '{}')).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'RekeyUserReadsOwnSecret',
          Effect: 'Allow',
          Principal: { AWS: USER_ARN },
          Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
          Resource: '*',
        },
        {
          Sid: 'RekeyReaders',
          Effect: 'Allow',
          Principal: { AWS: [billing] },
          Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
          Resource: '*',
        },
      ],
    });
    expect(
      sm
        .commandCalls(PutResourcePolicyCommand)[0]
        ?.calledBefore(iamOnce.commandCalls(CreateAccessKeyCommand)[0] as never),
    ).toBe(true);
  });

  it('sets no resource policy under consumerAccess none', async () => {
    await stageKey(inspectedState(), { ...deps(), config: testConfig({ consumerAccess: 'none' }) });

    expect(sm).not.toHaveReceivedCommand(PutResourcePolicyCommand);
  });

  it('derives an SES SMTP password per tagged region inside the step, next to the key', async () => {
    await stageKey(inspectedState({ sesSmtpRegions: ['eu-west-1', 'us-east-1'] }), deps());

    const value = JSON.parse(putInput().SecretString ?? '{}') as Record<string, unknown>;
    expect(value).toMatchObject({
      AccessKeyId: NEW_KEY_ID,
      SecretAccessKey: NEW_SECRET,
      SmtpUsername: NEW_KEY_ID,
      SmtpPasswords: {
        'eu-west-1': sesSmtpPassword(NEW_SECRET, 'eu-west-1'),
        'us-east-1': sesSmtpPassword(NEW_SECRET, 'us-east-1'),
      },
    });
  });
});

describe('stage-key: only into a secret of its own, only the secret Inspect found', () => {
  it('refuses a secret somebody else created before the first rotation: no tag, another KMS key', async () => {
    const squatted = new FakeSecret();
    squatted.kmsKeyId = undefined;
    secret = squatted.install(sm);

    const error = await failure(stageKey(inspectedState(), deps()));

    expect(error.name).toBe('SecretNotOwnedError');
    expect(error.message).toContain(
      `The secret ${SECRET_ID} (${SECRET_ARN}) was not created by rekey`,
    );
    expect(mutations(iam, iamOnce, sm)).toEqual([]);
  });

  it('refuses a secret of its own name encrypted with another KMS key than rekey', async () => {
    secret = FakeSecret.withBaseline().install(sm);
    secret.kmsKeyId = 'arn:aws:kms:us-east-1:123456789012:key/00000000-1111-2222-3333-444444444444';

    const error = await failure(stageKey(inspectedState(), deps()));

    expect(error.name).toBe('SecretNotOwnedError');
    expect(error.message).toContain(`--kms-key-id ${KMS_KEY_ARN}`);
    expect(mutations(iam, iamOnce, sm)).toEqual([]);
  });

  it('accepts the KMS key of rekey named by its id instead of its ARN', async () => {
    secret.kmsKeyId = KMS_KEY_ARN.split('/')[1];

    const state = await stageKey(inspectedState(), deps());

    expect(state.newKey?.accessKeyId).toBe(NEW_KEY_ID);
  });

  it('refuses when CreateSecret finds a secret somebody else created just now', async () => {
    secret = new FakeSecret(false).install(sm);
    sm.on(CreateSecretCommand).callsFake(() => {
      secret.exists = true;
      secret.tag('made-by', 'someone');
      throw awsErrors.secretExists();
    });

    const error = await failure(stageKey(inspectedState(), deps()));

    expect(error.name).toBe('SecretNotOwnedError');
    expect(iamOnce).not.toHaveReceivedCommand(CreateAccessKeyCommand);
  });

  it('stops before any change when the secret Inspect found is gone (force-deleted): no CreateSecret', async () => {
    secret = new FakeSecret(false).install(sm);

    const error = await failure(stageKey(inspectedState({ secretArn: SECRET_ARN }), deps()));

    expect(error.name).toBe('SecretDeletedError');
    expect(error.message).toContain(`was deleted since this rotation began`);
    expect(mutations(iam, iamOnce, sm)).toEqual([]);
  });

  it('stops before any change when the secret was deleted and created again since Inspect', async () => {
    const before = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:rekey/alice-zzzzzz';

    const error = await failure(stageKey(inspectedState({ secretArn: before }), deps()));

    expect(error.name).toBe('SecretDeletedError');
    expect(error.message).toContain(`(it was ${before}, it is ${SECRET_ARN})`);
    expect(mutations(iam, iamOnce, sm)).toEqual([]);
  });

  it('on a first rotation whose secret vanished after an attempt staged a key: creates nothing, says what it cannot tell', async () => {
    secret = new FakeSecret(false).install(sm);
    keys.add(NEW_KEY_ID, 'Active', NEW_CREATED);

    const error = await failure(stageKey(inspectedState(), deps()));

    expect(error.name).toBe('UnknownKeyError');
    expect(error.message).toContain(
      `${USER} holds a key that appeared since this rotation began, ${NEW_KEY_ID}`,
    );
    expect(error.message).toContain('the secret that held its secret access key was deleted');
    expect(mutations(iam, iamOnce, sm)).toEqual([]);
    expect(keys.status(NEW_KEY_ID)).toBe('Active');
  });
});

describe('stage-key: a refused CreateAccessKey whose marker could not be cleared', () => {
  it('takes a key made by hand after the call window for no orphan of its own: refused, the key kept', async () => {
    iamOnce.on(CreateAccessKeyCommand).rejectsOnce(awsErrors.iamThrottling());
    sm.on(UntagResourceCommand).rejects(awsErrors.smThrottling());
    const clock = new FakeClock(STAGED_AT);

    const first = await failure(stageKey(inspectedState(), { ...deps(), clock }));
    expect(first.name).toBe('AwsTransientError');
    expect(secret.tags.get(MARKER)).toBe(`${EXECUTION_ARN}@${STAGED_AT}`);

    // Somebody creates a key by hand 12 s after the refused call started; the step is retried.
    const handMade = new Date(Date.parse(STAGED_AT) + 12_000).toISOString();
    keys.add(FOREIGN_KEY_ID, 'Active', handMade);
    clock.set(new Date(Date.parse(STAGED_AT) + 20_000));
    sm.on(UntagResourceCommand).callsFake((input: { TagKeys?: string[] }) => {
      for (const key of input.TagKeys ?? []) secret.tags.delete(key);
      return {};
    });

    const retry = await failure(stageKey(inspectedState(), { ...deps(), clock }));

    expect(retry.name).toBe('UnknownKeyError');
    expect(keys.status(FOREIGN_KEY_ID)).toBe('Active');
    expect(iam).not.toHaveReceivedCommandWith(UpdateAccessKeyCommand, {
      AccessKeyId: FOREIGN_KEY_ID,
    });
  });

  it('names the orphan it discards in an event', async () => {
    keys.add(ORPHAN_KEY_ID, 'Active', '2026-03-01T12:00:01Z');
    secret.tag(MARKER, EARLIER_CALL);

    await stageKey(inspectedState(), deps());

    expect(keys.status(ORPHAN_KEY_ID)).toBe('deleted');
    expect(telemetry.event('Orphan Key Discarded')).toMatchObject({
      userName: USER,
      executionArn: EXECUTION_ARN,
      keyId: ORPHAN_KEY_ID,
      createDate: '2026-03-01T12:00:01.000Z',
    });
  });
});
