/**
 * Conformance against moto (which no one here wrote): the same operations through the same
 * SDK clients against moto_server and against the emulator, compared field by field after
 * normalizing generated ids, dates and request ids. Where moto and AWS differ and the AWS
 * documentation (docs/aws-semantics.md) sides with the emulator, each side's known value is asserted.
 */
import type { Emulator } from '../../../sandbox/emulator';
import { runSequence, type Outcome } from './conformance-steps';
import { MOTO_ADMIN, motoPath, startMoto, type Moto } from './moto';
import { startEmulator, TestClock } from './helpers';

const maybe = motoPath ? describe : describe.skip;

/** Steps where moto 5.2.1 departs from documented AWS behaviour; each is asserted below. */
const DOCUMENTED_DIFFERENCES = new Set([
  'ListUserTags',
  'ListUsers.page1',
  'ListAccessKeys',
  'CredentialReport.userRow',
  'CredentialReport.rootRow',
  'PutSecretValue.conflict',
  'GetSecretValue',
  'ListSecretVersionIds',
]);

maybe('conformance with moto', () => {
  let moto: Moto;
  let emulator: Emulator;
  let fromMoto: Outcome;
  let fromEmulator: Outcome;

  beforeAll(async () => {
    moto = await startMoto();
    const { endpoint } = moto;
    ({ emulator } = await startEmulator({}, new TestClock(new Date())));
    // moto does not verify signatures by default, so every well-formed key works.
    fromMoto = await runSequence({ endpoint, credentials: MOTO_ADMIN }, 'conf');
    fromEmulator = await runSequence(
      { endpoint: emulator.endpoint, credentials: emulator.admin },
      'conf',
    );
  }, 60_000);

  afterAll(async () => {
    moto?.process.kill();
    await emulator?.stop();
  });

  it('ran the same steps on both', () => {
    expect(Object.keys(fromEmulator)).toEqual(Object.keys(fromMoto));
  });

  it('agrees with moto on every step without a documented difference', () => {
    const compared = Object.keys(fromMoto).filter((step) => !DOCUMENTED_DIFFERENCES.has(step));
    expect(compared.length).toBeGreaterThan(15);
    for (const step of compared) {
      expect({ step, answer: fromEmulator[step] }).toEqual({ step, answer: fromMoto[step] });
    }
  });

  it('errors: the third key, an unknown user, a wrong RemoveFromVersionId, a duplicate execution', () => {
    expect(fromEmulator['CreateAccessKey.3']).toEqual({
      error: 'LimitExceededException',
      status: 409,
    });
    expect(fromEmulator['GetUser.unknown']).toEqual({
      error: 'NoSuchEntityException',
      status: 404,
    });
    expect(fromEmulator['CreateUser.again']).toEqual({
      error: 'EntityAlreadyExistsException',
      status: 409,
    });
    expect(fromEmulator['UpdateSecretVersionStage.wrongRemove']).toEqual({
      error: 'InvalidParameterException',
      status: 400,
    });
    expect(fromEmulator['StartExecution.differentInput']).toEqual({
      error: 'ExecutionAlreadyExists',
      status: 400,
    });
  });

  it('ListUserTags: AWS sorts by key (§1 ListUserTags); moto keeps insertion order', () => {
    expect(fromEmulator.ListUserTags).toEqual({
      Tags: [
        { Key: 'a', Value: '1' },
        { Key: 'b', Value: '2' },
      ],
      IsTruncated: false,
    });
    expect(fromMoto.ListUserTags).toEqual({
      Tags: [
        { Key: 'b', Value: '2' },
        { Key: 'a', Value: '1' },
      ],
      IsTruncated: false,
    });
  });

  it('ListUsers MaxItems: AWS pages with IsTruncated and Marker (§1 pagination); moto ignores MaxItems', () => {
    const emulated = fromEmulator['ListUsers.page1'] as {
      Users: unknown[];
      IsTruncated: boolean;
      Marker?: string;
    };
    expect(emulated.Users).toHaveLength(1);
    expect(emulated.IsTruncated).toBe(true);
    expect(emulated.Marker).toEqual(expect.any(String));
    const mocked = fromMoto['ListUsers.page1'] as {
      Users: unknown[];
      IsTruncated: boolean;
      Marker?: string;
    };
    expect(mocked.Users).toHaveLength(2);
    expect(mocked.IsTruncated).toBe(false);
  });

  it('ListAccessKeys: AWS always sends IsTruncated (§1 pagination); moto leaves it out', () => {
    const { IsTruncated, ...rest } = fromEmulator.ListAccessKeys as Record<string, unknown>;
    expect(IsTruncated).toBe(false);
    expect(rest).toEqual(fromMoto.ListAccessKeys);
  });

  it('credential report: same header; AWS has a root row and N/A columns (§1.1); moto does not', () => {
    expect(fromEmulator['CredentialReport.header']).toBe(fromMoto['CredentialReport.header']);
    expect(fromEmulator['CredentialReport.rootRow']).toBe(true);
    expect(fromMoto['CredentialReport.rootRow']).toBe(false);
    const user = 'conf-alice';
    const arn = 'arn:aws:iam::123456789012:user/apps/conf-alice';
    // The inactive key 1 was deleted: the remaining key (active, not used before the report
    // was generated) is in slot 1.
    expect(fromEmulator['CredentialReport.userRow']).toEqual([
      user,
      arn,
      '<date>',
      'false',
      'N/A',
      'N/A',
      'N/A',
      'false',
      'true',
      '<date>',
      'N/A',
      'N/A',
      'N/A',
      'false',
      'N/A',
      'N/A',
      'N/A',
      'N/A',
      'false',
      'N/A',
      'false',
      'N/A',
    ]);
    // moto: no last-used region/service, password columns not_supported / creation date.
    expect(fromMoto['CredentialReport.userRow']).toEqual([
      user,
      arn,
      '<date>',
      'false',
      'not_supported',
      '<date>',
      'not_supported',
      'false',
      'true',
      '<date>',
      'N/A',
      'not_supported',
      'not_supported',
      'false',
      'N/A',
      'N/A',
      'not_supported',
      'not_supported',
      'false',
      'N/A',
      'false',
      'N/A',
    ]);
  });

  it('PutSecretValue with a used token and a new value: ResourceExistsException (§3.1 rule 5); moto accepts it', () => {
    expect(fromEmulator['PutSecretValue.conflict']).toEqual({
      error: 'ResourceExistsException',
      status: 400,
    });
    expect(fromMoto['PutSecretValue.conflict']).toMatchObject({ VersionId: '<token-2>' });
  });

  it('GetSecretValue after moving AWSCURRENT returns the new AWSCURRENT (§3 GetSecretValue); moto returns the old version', () => {
    expect(fromEmulator.GetSecretValue).toMatchObject({
      VersionId: '<token-2>',
      SecretString: 'v2',
      VersionStages: ['AWSPENDING', 'AWSCURRENT'],
    });
    expect(fromMoto.GetSecretValue).toMatchObject({
      VersionId: '<token-1>',
      VersionStages: ['AWSPREVIOUS'],
    });
    // Both agree when the stage is named.
    expect(fromEmulator['GetSecretValue.previous']).toEqual(fromMoto['GetSecretValue.previous']);
  });

  it('ListSecretVersionIds: AWS returns the ARN and KmsKeyIds (M model); moto returns the name as ARN and an empty NextToken', () => {
    const strip = (outcome: unknown) => {
      const { Versions, ...rest } = outcome as { Versions: Record<string, unknown>[] };
      return { ...rest, Versions: Versions.map(({ KmsKeyIds: _kms, ...v }) => v) };
    };
    const emulated = strip(fromEmulator.ListSecretVersionIds);
    const mocked = strip(fromMoto.ListSecretVersionIds);
    expect(emulated.Versions).toEqual(mocked.Versions);
    expect(emulated).toMatchObject({
      ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:conf/secret-<suffix>',
      Name: 'conf/secret',
    });
    expect(mocked).toMatchObject({ ARN: 'conf/secret', NextToken: '' });
    expect(
      (fromEmulator.ListSecretVersionIds as { Versions: { KmsKeyIds?: string[] }[] }).Versions[0]
        ?.KmsKeyIds,
    ).toEqual(['DefaultEncryptionKey']);
  });
});
