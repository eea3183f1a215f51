import { DescribeSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { RotationStateError } from '../../../lambdas/shared/errors';
import { whenSecretGone } from '../../../lambdas/shared/secret-gone';
import { awsErrors, SECRET_ARN, SECRET_ID } from '../helpers';

const smClient = new SecretsManagerClient({ region: 'us-east-1' });
const sm = mockClient(smClient);

beforeEach(() => sm.reset());

const markedForDeletion = () =>
  awsErrors.invalidRequest(
    "You can't perform this operation on the secret because it was marked for deletion.",
  );

describe('whenSecretGone', () => {
  it('turns a refusal of a secret scheduled for deletion into SecretDeletedError, from a fresh read', async () => {
    sm.on(DescribeSecretCommand).resolves({
      ARN: SECRET_ARN,
      Name: SECRET_ID,
      DeletedDate: new Date('2026-03-01T12:00:00.000Z'),
    });

    const error = (await whenSecretGone(
      smClient,
      SECRET_ID,
      markedForDeletion(),
      new Date('2026-03-01T12:00:05.000Z'),
    )) as Error;

    expect(error.name).toBe('SecretDeletedError');
    expect(error.message).toBe(
      `The secret ${SECRET_ID} is scheduled for deletion: its deletion was requested at ` +
        '2026-03-01T12:00:00.000Z, and Secrets Manager deletes it for good when the recovery ' +
        'window given to DeleteSecret ends, 7 to 30 days later (between 2026-03-08T12:00:00.000Z ' +
        'and 2026-03-31T12:00:00.000Z). rekey stopped before its next change. Restore it before ' +
        `then (aws secretsmanager restore-secret --secret-id ${SECRET_ID}) and start the rotation again.`,
    );
  });

  it('without a clock, dates the deletion as DescribeSecret does, under both readings of DeletedDate', async () => {
    sm.on(DescribeSecretCommand).resolves({
      ARN: SECRET_ARN,
      Name: SECRET_ID,
      DeletedDate: new Date('2026-03-01T12:00:00.000Z'),
    });

    const error = (await whenSecretGone(smClient, SECRET_ID, markedForDeletion())) as Error;

    expect(error.message).toContain(
      'DescribeSecret dates its deletion 2026-03-01T12:00:00.000Z; Secrets Manager deletes it for ' +
        'good when the recovery window given to DeleteSecret ends (7 to 30 days after the request).',
    );
  });

  it('says the secret no longer exists when the fresh read finds none', async () => {
    sm.on(DescribeSecretCommand).rejects(awsErrors.secretNotFound());

    const error = (await whenSecretGone(smClient, SECRET_ID, awsErrors.secretNotFound())) as Error;

    expect(error.name).toBe('SecretDeletedError');
    expect(error.message).toBe(
      `The secret ${SECRET_ID} no longer exists: it was deleted for good (with ` +
        'ForceDeleteWithoutRecovery, or when its recovery window ended), with every version it ' +
        'held. rekey stopped before its next change.',
    );
  });

  it('keeps the original error when the secret is live, or the read fails, or rekey raised it', async () => {
    const refusal = markedForDeletion();
    const ours = new RotationStateError('x');
    sm.on(DescribeSecretCommand).resolvesOnce({ ARN: SECRET_ARN, Name: SECRET_ID });

    expect(await whenSecretGone(smClient, SECRET_ID, refusal)).toBe(refusal);
    sm.on(DescribeSecretCommand).rejects(awsErrors.smThrottling());
    expect(await whenSecretGone(smClient, SECRET_ID, refusal)).toBe(refusal);
    expect(await whenSecretGone(smClient, SECRET_ID, ours)).toBe(ours);
    expect(sm.commandCalls(DescribeSecretCommand)).toHaveLength(2);
  });

  it('does not look for errors of another kind', async () => {
    const throttled = awsErrors.smThrottling();

    expect(await whenSecretGone(smClient, SECRET_ID, throttled)).toBe(throttled);
    expect(sm).not.toHaveReceivedAnyCommand();
  });
});
