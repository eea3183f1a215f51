import {
  CreateSecretCommand,
  DescribeSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import {
  deletionSchedule,
  describeStages,
  ensureSecret,
  keyIdOfVersion,
  parseSecretValue,
  requireLiveSecret,
  secretName,
  type SecretStages,
} from '../../../lambdas/shared/secret';
import {
  awsErrors,
  BASELINE_VERSION,
  OLD_KEY_ID,
  EXECUTION_ARN,
  failure,
  KMS_KEY_ARN,
  FakeSecret,
  jsonError,
  NEW_KEY_ID,
  NEW_SECRET,
  NEW_VERSION,
  OLD_KEY,
  SECRET_ARN,
  SECRET_ID,
  STAGED_AT,
  USER,
} from '../helpers';

const smClient = new SecretsManagerClient({ region: 'us-east-1' });
const sm = mockClient(smClient);

beforeEach(() => sm.reset());

describe('secretName', () => {
  it('puts the prefix before the user name', () => {
    expect(secretName('rekey/', USER)).toBe('rekey/alice');
  });
});

describe('parseSecretValue', () => {
  const WHERE = 'secret rekey/alice version v1';

  it('reads a baseline value without a secret access key', () => {
    expect(
      parseSecretValue(
        JSON.stringify({ UserName: USER, AccessKeyId: 'AKIA1', CreateDate: 'd' }),
        WHERE,
      ),
    ).toEqual({
      UserName: USER,
      AccessKeyId: 'AKIA1',
      SecretAccessKey: undefined,
      CreateDate: 'd',
    });
  });

  it.each([
    ['not JSON', `${NEW_SECRET}`, `${WHERE} is not JSON`],
    [
      'without AccessKeyId',
      JSON.stringify({ SecretAccessKey: NEW_SECRET }),
      `${WHERE} has no AccessKeyId`,
    ],
    ['JSON null', 'null', `${WHERE} has no AccessKeyId`],
  ])('refuses a value %s without echoing it', (_, text, message) => {
    expect(() => parseSecretValue(text, WHERE)).toThrow(new Error(message));
  });
});

describe('describeStages', () => {
  it('reduces DescribeSecret to the holder of each label and the tags', async () => {
    FakeSecret.promoted().tag('rekey:execution', EXECUTION_ARN).install(sm);

    expect(await describeStages(smClient, SECRET_ID)).toEqual({
      arn: SECRET_ARN,
      tags: { 'rekey:managed-by': 'rekey', 'rekey:user': USER, 'rekey:execution': EXECUTION_ARN },
      kmsKeyId: KMS_KEY_ARN,
      current: NEW_VERSION,
      pending: undefined,
      previous: BASELINE_VERSION,
    });
    expect(sm).toHaveReceivedCommandWith(DescribeSecretCommand, { SecretId: SECRET_ID });
  });

  it('answers undefined for a secret that does not exist', async () => {
    new FakeSecret(false).install(sm);

    expect(await describeStages(smClient, SECRET_ID)).toBeUndefined();
  });

  it('rethrows any other failure', async () => {
    const throttled = awsErrors.smThrottling();
    sm.on(DescribeSecretCommand).rejects(throttled);

    expect(await failure(describeStages(smClient, SECRET_ID))).toBe(throttled);
  });
});

describe('keyIdOfVersion', () => {
  it('keeps only the key id, the version date and whether it holds a secret, never the secret', async () => {
    FakeSecret.staged().install(sm);

    expect(await keyIdOfVersion(smClient, SECRET_ID, NEW_VERSION)).toEqual({
      accessKeyId: NEW_KEY_ID,
      createdDate: new Date(STAGED_AT),
      hasSecret: true,
    });
    // A baseline names a key and holds no secret access key.
    expect(await keyIdOfVersion(smClient, SECRET_ID, BASELINE_VERSION)).toMatchObject({
      accessKeyId: OLD_KEY_ID,
      hasSecret: false,
    });
  });
});

describe('ensureSecret', () => {
  it('leaves an existing secret alone', async () => {
    FakeSecret.withBaseline().install(sm);

    await ensureSecret(smClient, { secretId: SECRET_ID, userName: USER, oldKey: OLD_KEY });

    expect(sm).toHaveReceivedCommandTimes(CreateSecretCommand, 1);
  });

  it('fails on a secret that is scheduled for deletion', async () => {
    const pending = jsonError(
      'InvalidRequestException',
      400,
      "You can't create this secret because a secret with this name is already scheduled for deletion.",
    );
    sm.on(CreateSecretCommand).rejects(pending);

    const error = await failure(
      ensureSecret(smClient, { secretId: SECRET_ID, userName: USER, oldKey: OLD_KEY }),
    );

    expect(error).toBe(pending);
  });
});

describe('deletionSchedule: when a secret scheduled for deletion goes', () => {
  const NOW = new Date('2026-03-02T09:00:00Z');

  it('reads a DeletedDate already past as the request: the secret goes 7 to 30 days after it', () => {
    expect(deletionSchedule('2026-03-01T10:00:00.000Z', NOW)).toBe(
      'its deletion was requested at 2026-03-01T10:00:00.000Z, and Secrets Manager deletes it for ' +
        'good when the recovery window given to DeleteSecret ends, 7 to 30 days later (between ' +
        '2026-03-08T10:00:00.000Z and 2026-03-31T10:00:00.000Z)',
    );
  });

  it('reads a DeletedDate still ahead as the deletion date (AWS documents DescribeSecret so)', () => {
    expect(deletionSchedule('2026-03-08T10:00:00.000Z', NOW)).toBe(
      'Secrets Manager deletes it for good after 2026-03-08T10:00:00.000Z',
    );
  });

  it('reads a DeletedDate less than five minutes ahead as the request: clocks AWS accepts differ that much', () => {
    expect(deletionSchedule('2026-03-02T09:04:00.000Z', NOW)).toBe(
      'its deletion was requested at 2026-03-02T09:04:00.000Z, and Secrets Manager deletes it for ' +
        'good when the recovery window given to DeleteSecret ends, 7 to 30 days later (between ' +
        '2026-03-09T09:04:00.000Z and 2026-04-01T09:04:00.000Z)',
    );
    expect(deletionSchedule('2026-03-02T09:06:00.000Z', NOW)).toBe(
      'Secrets Manager deletes it for good after 2026-03-02T09:06:00.000Z',
    );
  });

  it('without a clock, says what holds under both readings and names no day it cannot know', () => {
    const text = deletionSchedule('2026-03-01T10:00:00.000Z');

    expect(text).toBe(
      'DescribeSecret dates its deletion 2026-03-01T10:00:00.000Z; Secrets Manager deletes it for ' +
        'good when the recovery window given to DeleteSecret ends (7 to 30 days after the request)',
    );
  });
});

describe('requireLiveSecret: the secret is the lifeline', () => {
  const live: SecretStages = { arn: SECRET_ARN, tags: {}, current: NEW_VERSION };

  it('passes a live secret through', () => {
    expect(requireLiveSecret(live, SECRET_ID)).toBe(live);
  });

  it('says a missing secret was deleted for good, without claiming how', () => {
    let thrown: unknown;
    try {
      requireLiveSecret(undefined, SECRET_ID);
    } catch (error) {
      thrown = error;
    }

    expect(thrown).toMatchObject({
      name: 'SecretDeletedError',
      message:
        `The secret ${SECRET_ID} no longer exists: it was deleted for good (with ` +
        'ForceDeleteWithoutRecovery, or when its recovery window ended), with every version it ' +
        'held. rekey stopped before its next change.',
    });
    // Secrets Manager also purges secrets whose recovery window ended: "without a recovery
    // window" would be a guess, and "restore it" impossible.
    expect(String((thrown as Error).message)).not.toMatch(/without a recovery window|[Rr]estore/);
  });

  it('says when a secret scheduled for deletion goes and how to restore it', () => {
    expect(() =>
      requireLiveSecret(
        { ...live, deletedDate: '2026-03-01T10:00:00.000Z' },
        SECRET_ID,
        new Date('2026-03-01T11:00:00Z'),
      ),
    ).toThrow(
      `The secret ${SECRET_ID} is scheduled for deletion: its deletion was requested at ` +
        '2026-03-01T10:00:00.000Z, and Secrets Manager deletes it for good when the recovery ' +
        'window given to DeleteSecret ends, 7 to 30 days later (between 2026-03-08T10:00:00.000Z ' +
        'and 2026-03-31T10:00:00.000Z). rekey stopped before its next change. Restore it before ' +
        `then (aws secretsmanager restore-secret --secret-id ${SECRET_ID}) and start the rotation again.`,
    );
  });
});
