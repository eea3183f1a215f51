import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretVersionIdsCommand,
  ListSecretsCommand,
  PutSecretValueCommand,
  RestoreSecretCommand,
  SecretsManagerClient,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import type { Emulator } from '../../../sandbox/emulator';
import { clientConfig, failure, startEmulator, type TestClock } from './helpers';

let emulator: Emulator;
let clock: TestClock;
let sm: SecretsManagerClient;

const V1 = '11111111-1111-4111-8111-111111111111';
const V2 = '22222222-2222-4222-8222-222222222222';
const V3 = '33333333-3333-4333-8333-333333333333';

beforeEach(async () => {
  ({ emulator, clock } = await startEmulator());
  sm = new SecretsManagerClient(clientConfig(emulator));
});
afterEach(() => emulator.stop());

/** `null` creates the secret without a value. */
const create = (name = 'app/key', value: string | null = 'v1') =>
  sm.send(
    new CreateSecretCommand({
      Name: name,
      SecretString: value ?? undefined,
      ClientRequestToken: V1,
      KmsKeyId: 'alias/rekey',
      Tags: [{ Key: 'owner', Value: 'alice' }],
    }),
  );
const put = (token: string, value: string, stages?: string[]) =>
  sm.send(
    new PutSecretValueCommand({
      SecretId: 'app/key',
      ClientRequestToken: token,
      SecretString: value,
      VersionStages: stages,
    }),
  );
const stages = async () =>
  (await sm.send(new DescribeSecretCommand({ SecretId: 'app/key' }))).VersionIdsToStages;

describe('create and read', () => {
  it('creates a secret whose first version gets AWSCURRENT (rule 2) and describes it', async () => {
    const created = await create();
    expect(created.ARN).toMatch(
      /^arn:aws:secretsmanager:us-east-1:123456789012:secret:app\/key-[A-Za-z0-9]{6}$/,
    );
    expect(created.Name).toBe('app/key');
    expect(created.VersionId).toBe(V1);
    const described = await sm.send(new DescribeSecretCommand({ SecretId: 'app/key' }));
    expect(described).toMatchObject({
      ARN: created.ARN,
      Name: 'app/key',
      KmsKeyId: 'alias/rekey',
      Tags: [{ Key: 'owner', Value: 'alice' }],
      VersionIdsToStages: { [V1]: ['AWSCURRENT'] },
      CreatedDate: new Date('2026-03-01T10:00:00Z'),
      LastChangedDate: new Date('2026-03-01T10:00:00Z'),
    });
    expect(described.DeletedDate).toBeUndefined();
    const value = await sm.send(new GetSecretValueCommand({ SecretId: created.ARN }));
    expect(value).toMatchObject({
      ARN: created.ARN,
      Name: 'app/key',
      VersionId: V1,
      SecretString: 'v1',
      VersionStages: ['AWSCURRENT'],
      CreatedDate: new Date('2026-03-01T10:00:00Z'),
    });
  });

  it('accepts a partial ARN (without the random suffix) as SecretId', async () => {
    await create();
    const partial = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:app/key';
    expect((await sm.send(new GetSecretValueCommand({ SecretId: partial }))).SecretString).toBe(
      'v1',
    );
  });

  it('creates without a value: no versions, and GetSecretValue has no AWSCURRENT (rule 11)', async () => {
    const created = await create('app/key', null);
    expect(created.VersionId).toBeUndefined();
    expect(await stages()).toEqual({});
    const error = await failure(sm.send(new GetSecretValueCommand({ SecretId: 'app/key' })));
    expect(error.name).toBe('ResourceNotFoundException');
    expect(error.message).toBe(
      "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT",
    );
    // The first PutSecretValue gets AWSCURRENT even when it asks for AWSPENDING only.
    const first = await put(V2, 'v2', ['AWSPENDING']);
    expect(first.VersionStages).toEqual(['AWSPENDING', 'AWSCURRENT']);
  });

  it('is idempotent for the same token and value, ResourceExistsException otherwise', async () => {
    const created = await create();
    expect((await create()).ARN).toBe(created.ARN);
    const error = await failure(create('app/key', 'different'));
    expect(error.name).toBe('ResourceExistsException');
    expect(error.message).toBe('The operation failed because the secret app/key already exists.');
    expect(error.$metadata.httpStatusCode).toBe(400);
  });

  it('answers ResourceNotFoundException for an unknown secret', async () => {
    const error = await failure(sm.send(new GetSecretValueCommand({ SecretId: 'nope' })));
    expect(error.name).toBe('ResourceNotFoundException');
    expect(error.message).toBe("Secrets Manager can't find the specified secret.");
  });
});

describe('staging labels', () => {
  beforeEach(async () => {
    await create();
    clock.advance(60);
  });

  it('PutSecretValue without stages moves AWSCURRENT and AWSPREVIOUS (rule 3)', async () => {
    const result = await put(V2, 'v2');
    expect(result.VersionStages).toEqual(['AWSCURRENT']);
    expect(await stages()).toEqual({ [V1]: ['AWSPREVIOUS'], [V2]: ['AWSCURRENT'] });
    await put(V3, 'v3');
    // V1 lost AWSPREVIOUS and every label: deprecated, so not listed (rule 10).
    expect(await stages()).toEqual({ [V2]: ['AWSPREVIOUS'], [V3]: ['AWSCURRENT'] });
  });

  it('PutSecretValue with AWSPENDING leaves AWSCURRENT in place (rule 4) and moves the label (rule 1)', async () => {
    const pending = await put(V2, 'v2', ['AWSPENDING']);
    expect(pending.VersionStages).toEqual(['AWSPENDING']);
    expect(await stages()).toEqual({ [V1]: ['AWSCURRENT'], [V2]: ['AWSPENDING'] });
    await put(V3, 'v3', ['AWSPENDING']);
    expect(await stages()).toEqual({ [V1]: ['AWSCURRENT'], [V3]: ['AWSPENDING'] });
    const read = await sm.send(
      new GetSecretValueCommand({ SecretId: 'app/key', VersionStage: 'AWSPENDING' }),
    );
    expect(read.SecretString).toBe('v3');
  });

  it('retries a PutSecretValue token with the same value without change (rule 5)', async () => {
    await put(V2, 'v2', ['AWSPENDING']);
    await sm.send(
      new UpdateSecretVersionStageCommand({
        SecretId: 'app/key',
        VersionStage: 'AWSCURRENT',
        MoveToVersionId: V2,
        RemoveFromVersionId: V1,
      }),
    );
    const retried = await put(V2, 'v2', ['AWSPENDING']);
    expect(retried.VersionId).toBe(V2);
    expect(retried.VersionStages).toEqual(['AWSPENDING', 'AWSCURRENT']);
    expect(await stages()).toEqual({ [V1]: ['AWSPREVIOUS'], [V2]: ['AWSPENDING', 'AWSCURRENT'] });
    const error = await failure(put(V2, 'changed', ['AWSPENDING']));
    expect(error.name).toBe('ResourceExistsException');
    expect(emulator.state.secrets[0]?.versions.map((v) => v.value)).toEqual(['v1', 'v2']);
  });

  it('moves AWSCURRENT with RemoveFromVersionId and AWSPREVIOUS follows (rules 6, 9)', async () => {
    await put(V2, 'v2', ['AWSPENDING']);
    const moved = await sm.send(
      new UpdateSecretVersionStageCommand({
        SecretId: 'app/key',
        VersionStage: 'AWSCURRENT',
        MoveToVersionId: V2,
        RemoveFromVersionId: V1,
      }),
    );
    expect(moved.Name).toBe('app/key');
    expect(await stages()).toEqual({ [V1]: ['AWSPREVIOUS'], [V2]: ['AWSPENDING', 'AWSCURRENT'] });
    expect((await sm.send(new GetSecretValueCommand({ SecretId: 'app/key' }))).SecretString).toBe(
      'v2',
    );
  });

  it('requires RemoveFromVersionId naming the current holder (rule 7)', async () => {
    await put(V2, 'v2', ['AWSPENDING']);
    const missing = await failure(
      sm.send(
        new UpdateSecretVersionStageCommand({
          SecretId: 'app/key',
          VersionStage: 'AWSCURRENT',
          MoveToVersionId: V2,
        }),
      ),
    );
    expect(missing.name).toBe('InvalidParameterException');
    const wrong = await failure(
      sm.send(
        new UpdateSecretVersionStageCommand({
          SecretId: 'app/key',
          VersionStage: 'AWSCURRENT',
          MoveToVersionId: V2,
          RemoveFromVersionId: V2,
        }),
      ),
    );
    expect(wrong.name).toBe('InvalidParameterException');
    expect(await stages()).toEqual({ [V1]: ['AWSCURRENT'], [V2]: ['AWSPENDING'] });
    // A label on no version needs only MoveToVersionId.
    await sm.send(
      new UpdateSecretVersionStageCommand({
        SecretId: 'app/key',
        VersionStage: 'TEST',
        MoveToVersionId: V2,
      }),
    );
    expect(await stages()).toEqual({ [V1]: ['AWSCURRENT'], [V2]: ['AWSPENDING', 'TEST'] });
  });

  it('detaches a label with only RemoveFromVersionId (rule 8) and hides deprecated versions (rule 10)', async () => {
    await put(V2, 'v2', ['AWSPENDING']);
    await sm.send(
      new UpdateSecretVersionStageCommand({
        SecretId: 'app/key',
        VersionStage: 'AWSPENDING',
        RemoveFromVersionId: V2,
      }),
    );
    expect(await stages()).toEqual({ [V1]: ['AWSCURRENT'] });
    const listed = await sm.send(new ListSecretVersionIdsCommand({ SecretId: 'app/key' }));
    expect(listed.Versions?.map((v) => v.VersionId)).toEqual([V1]);
    const all = await sm.send(
      new ListSecretVersionIdsCommand({ SecretId: 'app/key', IncludeDeprecated: true }),
    );
    expect(all.Versions?.map((v) => [v.VersionId, v.VersionStages])).toEqual([
      [V1, ['AWSCURRENT']],
      [V2, undefined],
    ]);
  });

  it('paginates ListSecretVersionIds', async () => {
    await put(V2, 'v2', ['AWSPENDING']);
    const first = await sm.send(
      new ListSecretVersionIdsCommand({ SecretId: 'app/key', MaxResults: 1 }),
    );
    expect(first.Versions?.map((v) => v.VersionId)).toEqual([V1]);
    expect(first.NextToken).toEqual(expect.any(String));
    const second = await sm.send(
      new ListSecretVersionIdsCommand({
        SecretId: 'app/key',
        MaxResults: 1,
        NextToken: first.NextToken,
      }),
    );
    expect(second.Versions?.map((v) => v.VersionId)).toEqual([V2]);
    expect(second.NextToken).toBeUndefined();
  });

  it('allows at most 20 labels across versions (rule 12)', async () => {
    const labels = Array.from({ length: 19 }, (_, i) => `L${i}`);
    await put(V2, 'v2', labels);
    const error = await failure(
      sm.send(
        new UpdateSecretVersionStageCommand({
          SecretId: 'app/key',
          VersionStage: 'ONE-TOO-MANY',
          MoveToVersionId: V2,
        }),
      ),
    );
    expect(error.name).toBe('LimitExceededException');
  });
});

describe('tags, deletion and listing', () => {
  it('tags and untags a secret', async () => {
    await create();
    await sm.send(
      new TagResourceCommand({
        SecretId: 'app/key',
        Tags: [
          { Key: 'owner', Value: 'bob' },
          { Key: 'env', Value: 'prod' },
        ],
      }),
    );
    await sm.send(new UntagResourceCommand({ SecretId: 'app/key', TagKeys: ['env'] }));
    expect(emulator.state.secrets[0]?.tags).toEqual([{ Key: 'owner', Value: 'bob' }]);
  });

  it('refuses value operations while pending deletion, then restores', async () => {
    await create();
    const deleted = await sm.send(
      new DeleteSecretCommand({ SecretId: 'app/key', RecoveryWindowInDays: 7 }),
    );
    expect(deleted.DeletionDate).toEqual(new Date('2026-03-08T10:00:00Z'));
    const described = await sm.send(new DescribeSecretCommand({ SecretId: 'app/key' }));
    expect(described.DeletedDate).toEqual(new Date('2026-03-01T10:00:00Z'));
    const error = await failure(sm.send(new GetSecretValueCommand({ SecretId: 'app/key' })));
    expect(error.name).toBe('InvalidRequestException');
    expect(error.message).toBe(
      "You can't perform this operation on the secret because it was marked for deletion.",
    );
    const recreate = await failure(create());
    expect(recreate.name).toBe('InvalidRequestException');
    await sm.send(new RestoreSecretCommand({ SecretId: 'app/key' }));
    expect((await sm.send(new GetSecretValueCommand({ SecretId: 'app/key' }))).SecretString).toBe(
      'v1',
    );
  });

  it('refuses both a window and force, and force-deletes for good', async () => {
    await create();
    const both = await failure(
      sm.send(
        new DeleteSecretCommand({
          SecretId: 'app/key',
          RecoveryWindowInDays: 7,
          ForceDeleteWithoutRecovery: true,
        }),
      ),
    );
    expect(both.name).toBe('InvalidParameterException');
    await sm.send(
      new DeleteSecretCommand({ SecretId: 'app/key', ForceDeleteWithoutRecovery: true }),
    );
    const gone = await failure(sm.send(new DescribeSecretCommand({ SecretId: 'app/key' })));
    expect(gone.name).toBe('ResourceNotFoundException');
  });

  it('purges a secret once its recovery window has passed', async () => {
    await create();
    await sm.send(new DeleteSecretCommand({ SecretId: 'app/key', RecoveryWindowInDays: 7 }));
    clock.advance(7 * 86_400);
    const gone = await failure(sm.send(new DescribeSecretCommand({ SecretId: 'app/key' })));
    expect(gone.name).toBe('ResourceNotFoundException');
  });

  it('lists secrets with a name prefix filter, leaving out pending deletions', async () => {
    await create('rekey/alice');
    await create('rekey/bob', 'b');
    await create('other');
    await sm.send(new DeleteSecretCommand({ SecretId: 'rekey/bob' }));
    const listed = await sm.send(
      new ListSecretsCommand({ Filters: [{ Key: 'name', Values: ['rekey/'] }] }),
    );
    expect(listed.SecretList?.map((s) => [s.Name, s.SecretVersionsToStages])).toEqual([
      ['rekey/alice', { [V1]: ['AWSCURRENT'] }],
    ]);
  });
});

it('notifies mutation listeners synchronously for secret changes', async () => {
  const seen: string[] = [];
  emulator.onMutation((m) => seen.push(`${m.service}:${m.operation}:${m.secretId ?? ''}`));
  await create();
  await put(V2, 'v2', ['AWSPENDING']);
  await sm.send(new GetSecretValueCommand({ SecretId: 'app/key' }));
  expect(seen).toEqual([
    'secretsmanager:CreateSecret:app/key',
    'secretsmanager:PutSecretValue:app/key',
  ]);
});
