import {
  CreateSecretCommand,
  DescribeSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import {
  describeStages,
  ensureSecret,
  keyIdOfVersion,
  parseSecretValue,
  secretName,
} from '../../../lambdas/shared/secret';
import {
  awsErrors,
  BASELINE_VERSION,
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
  it('keeps only the key id and the version date', async () => {
    FakeSecret.staged().install(sm);

    expect(await keyIdOfVersion(smClient, SECRET_ID, NEW_VERSION)).toEqual({
      accessKeyId: NEW_KEY_ID,
      createdDate: new Date(STAGED_AT),
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
