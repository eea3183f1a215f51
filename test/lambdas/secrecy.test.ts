/**
 * I4 secrecy: the new key's secret access key exists only in Secrets Manager. Runs every core
 * through a full rotation and through failures, and looks for the secret in everything they
 * return, emit, notify, throw and log.
 */
import { Metrics } from '@aws-lambda-powertools/metrics';
import { GetUserCommand, IAMClient, ListUserTagsCommand } from '@aws-sdk/client-iam';
import { PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { inspect as show } from 'node:util';
import { checkCutover } from '../../lambdas/check-cutover/core';
import { compensate } from '../../lambdas/compensate/core';
import { deactivateOldKey } from '../../lambdas/deactivate-key/core';
import { deleteOldKey } from '../../lambdas/delete-key/core';
import { inspect } from '../../lambdas/inspect/core';
import { promoteKey } from '../../lambdas/promote-key/core';
import { report } from '../../lambdas/report/core';
import type { RotationState } from '../../lambdas/shared/types';
import { stageKey } from '../../lambdas/stage-key/core';
import { verifyKey, type StsFactory } from '../../lambdas/verify-key/core';
import {
  ACCOUNT,
  awsErrors,
  captureOutput,
  EXECUTION_ARN,
  FakeClock,
  FakeKeys,
  FakeSecret,
  FakeTelemetry,
  NEW_KEY_ID,
  NEW_SECRET,
  NOW,
  OLD_CREATED,
  OLD_KEY_ID,
  testConfig,
  USER,
  USER_ARN,
  USER_ID,
} from './helpers';

const iamClient = new IAMClient({ region: 'us-east-1' });
const iamOnceClient = new IAMClient({ region: 'us-east-1', maxAttempts: 1 });
const smClient = new SecretsManagerClient({ region: 'us-east-1' });
const sfnClient = new SFNClient({ region: 'us-east-1' });
const iam = mockClient(iamClient);
const iamOnce = mockClient(iamOnceClient);
const sm = mockClient(smClient);
const sfn = mockClient(sfnClient);
const sts = mockClient(STSClient);

let telemetry: FakeTelemetry;
let clock: FakeClock;
let keys: FakeKeys;
let secret: FakeSecret;
let output: ReturnType<typeof captureOutput>;
let stsCredentials: Parameters<StsFactory>[0][];
const seen: string[] = [];

beforeEach(() => {
  for (const stub of [iam, iamOnce, sm, sfn, sts]) stub.reset();
  output = captureOutput();
  telemetry = new FakeTelemetry();
  clock = new FakeClock(NOW);
  keys = new FakeKeys().add(OLD_KEY_ID, 'Active', OLD_CREATED).install(iam, iamOnce);
  secret = new FakeSecret(false).install(sm);
  stsCredentials = [];
  seen.length = 0;
  iam.on(GetUserCommand).resolves({
    User: { Path: '/', UserName: USER, UserId: USER_ID, Arn: USER_ARN, CreateDate: new Date(0) },
  });
  iam.on(ListUserTagsCommand).resolves({ Tags: [], IsTruncated: false });
  sts.on(GetCallerIdentityCommand).resolves({ Arn: USER_ARN, UserId: USER_ID, Account: ACCOUNT });
});

afterEach(() => jest.restoreAllMocks());

const deps = () => ({
  iam: iamClient,
  iamOnce: iamOnceClient,
  secrets: smClient,
  sfn: sfnClient,
  telemetry,
  clock,
  config: testConfig(),
  metrics: new Metrics({ namespace: 'rekey', serviceName: 'rekey' }),
  sts: (credentials: Parameters<StsFactory>[0]) => {
    stsCredentials.push(credentials);
    return new STSClient({ region: 'us-east-1', credentials });
  },
});

/** Runs one core call, keeping its result or its error (with causes) for the search. */
async function step<T>(call: Promise<T>): Promise<T | undefined> {
  try {
    const result = await call;
    seen.push(JSON.stringify(result));
    return result;
  } catch (error) {
    seen.push(show(error, { depth: 10 }));
    if (error instanceof Error) seen.push(error.message);
    return undefined;
  }
}

/** The Catch's `$.error` for a thrown error, as Lambda serialises it into the Cause. */
async function failWith<T>(
  call: Promise<T>,
): Promise<{ Error: string; Cause: string } | undefined> {
  try {
    await call;
    return undefined;
  } catch (error) {
    if (!(error instanceof Error)) throw error;
    seen.push(show(error, { depth: 10 }));
    return {
      Error: error.name,
      Cause: JSON.stringify({
        errorType: error.name,
        errorMessage: error.message,
        trace: error.stack?.split('\n') ?? [],
      }),
    };
  }
}

function everythingObserved(): string {
  return [
    ...seen,
    JSON.stringify(telemetry.events),
    JSON.stringify(telemetry.notifications),
    output.text(),
  ].join('\n');
}

function expectNoSecret(): void {
  const haystack = everythingObserved();
  expect(haystack).not.toContain(NEW_SECRET);
  expect(haystack).not.toContain(NEW_SECRET.slice(0, 16));
  expect(haystack).not.toContain(NEW_SECRET.slice(-16));
}

/** The secret did flow through the cores: into Secrets Manager and into the STS signer only. */
function expectSecretWentOnlyWhereItBelongs(): void {
  const [put] = sm.commandCalls(PutSecretValueCommand);
  expect(put?.args[0].input.SecretString).toContain(NEW_SECRET);
  expect(stsCredentials).toEqual([{ accessKeyId: NEW_KEY_ID, secretAccessKey: NEW_SECRET }]);
}

describe('I4: the secret access key appears nowhere but in Secrets Manager', () => {
  it('through a whole rotation, every step of it', async () => {
    const d = deps();
    const inspected = await step(
      inspect({ input: { userName: USER }, executionArn: EXECUTION_ARN }, d),
    );
    const staged = await step(stageKey(inspected as RotationState, d));
    clock.advance(15);
    const verified = await step(verifyKey(staged as RotationState, d));
    clock.advance(10);
    const promoted = await step(promoteKey(verified as RotationState, d));
    keys.use(NEW_KEY_ID, '2026-03-01T13:00:00Z');
    clock.advance(6 * 3600);
    const cutOver = await step(checkCutover(promoted as RotationState, d));
    const deactivated = await step(deactivateOldKey(cutOver as RotationState, d));
    clock.advance(7 * 86_400);
    const deleted = await step(deleteOldKey(deactivated as RotationState, d));
    const done = await step(report(deleted as RotationState, d));

    expect(done?.completedAt).toBeDefined();
    expect(cutOver?.cutover?.verdict).toBe('switched');
    expect(keys.status(OLD_KEY_ID)).toBe('deleted');
    expect(secret.get({ SecretId: 'rekey/alice' }).SecretString).toContain(NEW_SECRET);
    expect(telemetry.detailTypes()).toEqual([
      'Rotation Started',
      'Key Staged',
      'Key Verified',
      'Key Promoted',
      'Cutover Complete',
      'Old Key Deactivated',
      'Old Key Deleted',
      'Rotation Completed',
    ]);
    expect(output.text()).toContain('Key Staged');
    expectSecretWentOnlyWhereItBelongs();
    expectNoSecret();
  });

  it('through failures: propagation, verification, compensation', async () => {
    const d = deps();
    const inspected = await step(
      inspect({ input: { userName: USER }, executionArn: EXECUTION_ARN }, d),
    );
    const staged = (await step(stageKey(inspected as RotationState, d))) as RotationState;
    sts.on(GetCallerIdentityCommand).rejectsOnce(awsErrors.invalidClientTokenId());
    await step(verifyKey(staged, d));
    sts.on(GetCallerIdentityCommand).resolves({
      Arn: `arn:aws:iam::${ACCOUNT}:user/mallory`,
      UserId: USER_ID,
      Account: ACCOUNT,
    });
    const error = await failWith(verifyKey(staged, d));
    const compensated = await step(compensate({ ...staged, error: error ?? { Error: '?' } }, d));

    expect(error?.Error).toBe('VerificationFailedError');
    expect(compensated?.compensation.outcome).toBe('restored');
    expect(keys.status(NEW_KEY_ID)).toBe('deleted');
    expect(stsCredentials).toHaveLength(2);
    expectNoSecret();
  });

  it('through a staging failure and its compensation', async () => {
    const d = deps();
    sm.on(PutSecretValueCommand).rejects(awsErrors.encryptionFailure());
    const inspected = await step(
      inspect({ input: { userName: USER }, executionArn: EXECUTION_ARN }, d),
    );
    const error = await failWith(stageKey(inspected as RotationState, d));
    await step(compensate({ ...(inspected as RotationState), error: error ?? { Error: '?' } }, d));

    expect(error?.Error).toBe('StagingFailedError');
    expect(keys.status(NEW_KEY_ID)).toBe('deleted');
    expectNoSecret();
  });
});
