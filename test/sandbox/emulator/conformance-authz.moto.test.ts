/**
 * Conformance against moto for the authorization operations (roles, managed and user policies,
 * AssumeRole, secret resource policies), and for identity-policy decisions, compared with
 * moto's own IAM enforcement (INITIAL_NO_AUTH_ACTION_COUNT). moto 5.2.1 evaluates a principal's
 * identity policies by action only: it checks every IAM, Secrets Manager, Step Functions or SNS
 * request against the resource "*" (moto/core/authorization.py), and evaluates no resource
 * policy, KMS key policy or service principal. So decisions are compared on policies whose
 * resource is "*" (allow, implicit deny, explicit deny), by code and status; resource-scoped
 * decisions (a user outside a path) are the emulator's alone (authz.test.ts).
 */
import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  GetUserCommand,
  IAMClient,
  ListUsersCommand,
  PutUserPolicyCommand,
  TagUserCommand,
} from '@aws-sdk/client-iam';
import type { Emulator } from '../../../sandbox/emulator';
import { runAuthzSequence } from './conformance-authz-steps';
import type { Outcome, Target } from './conformance-steps';
import { MOTO_ADMIN, motoPath, startMoto, type Moto } from './moto';
import { startEmulator, TestClock } from './helpers';

const maybe = motoPath ? describe : describe.skip;

/**
 * Steps where moto 5.2.1 departs from the emulator; each side's value is asserted below.
 * - CreateRole: moto adds an empty RoleLastUsed; the API reference's CreateRole sample has none.
 * - PutResourcePolicy on an unknown secret: moto answers 404; Secrets Manager's errors are all
 *   400 but InternalServiceError (its API reference, Common Errors).
 */
const DOCUMENTED_DIFFERENCES = new Set<string>(['CreateRole', 'PutResourcePolicy.unknownSecret']);

maybe('conformance with moto: authorization operations', () => {
  let moto: Moto;
  let emulator: Emulator;
  let fromMoto: Outcome;
  let fromEmulator: Outcome;

  beforeAll(async () => {
    moto = await startMoto();
    ({ emulator } = await startEmulator({}, new TestClock(new Date())));
    fromMoto = await runAuthzSequence({ endpoint: moto.endpoint, credentials: MOTO_ADMIN }, 'az');
    fromEmulator = await runAuthzSequence(
      { endpoint: emulator.endpoint, credentials: emulator.admin },
      'az',
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
    expect(compared.length).toBeGreaterThan(20);
    const differing = compared.filter(
      (step) => JSON.stringify(fromEmulator[step]) !== JSON.stringify(fromMoto[step]),
    );
    expect(
      differing.map((step) => ({ step, emulator: fromEmulator[step], moto: fromMoto[step] })),
    ).toEqual([]);
  });

  it('differs where documented: RoleLastUsed on CreateRole, the status of an unknown secret', () => {
    const role = (o: unknown) => (o as { Role?: Record<string, unknown> }).Role ?? {};
    expect(role(fromMoto.CreateRole).RoleLastUsed).toEqual({});
    expect(role(fromEmulator.CreateRole).RoleLastUsed).toBeUndefined();
    expect({ ...role(fromEmulator.CreateRole), RoleLastUsed: {} }).toEqual(
      role(fromMoto.CreateRole),
    );
    expect(fromMoto['PutResourcePolicy.unknownSecret']).toEqual({
      error: 'ResourceNotFoundException',
      status: 404,
    });
    expect(fromEmulator['PutResourcePolicy.unknownSecret']).toEqual({
      error: 'ResourceNotFoundException',
      status: 400,
    });
  });
});

/** A user allowed iam:GetUser and iam:TagUser, but denied TagUser, on "*". */
async function decisions(target: Target, setup: Target): Promise<Record<string, unknown>> {
  const config = (t: Target) => ({
    endpoint: t.endpoint,
    region: 'us-east-1',
    credentials: t.credentials,
    maxAttempts: 1,
  });
  const admin = new IAMClient(config(setup));
  await admin.send(new CreateUserCommand({ UserName: 'ann', Path: '/apps/' }));
  await admin.send(new CreateUserCommand({ UserName: 'zed', Path: '/ops/' }));
  await admin.send(new CreateUserCommand({ UserName: 'reader' }));
  await admin.send(
    new PutUserPolicyCommand({
      UserName: 'reader',
      PolicyName: 'apps',
      PolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: ['iam:GetUser', 'iam:TagUser'],
            Resource: '*',
          },
          {
            Effect: 'Deny',
            Action: 'iam:TagUser',
            Resource: '*',
          },
        ],
      }),
    }),
  );
  const key = await admin.send(new CreateAccessKeyCommand({ UserName: 'reader' }));
  admin.destroy();
  const reader = new IAMClient(
    config({
      endpoint: target.endpoint,
      credentials: {
        accessKeyId: key.AccessKey?.AccessKeyId ?? '',
        secretAccessKey: key.AccessKey?.SecretAccessKey ?? '',
      },
    }),
  );
  const decide = async (promise: Promise<unknown>) =>
    promise.then(
      () => 'allowed',
      (e: { name?: string; $metadata?: { httpStatusCode?: number } }) =>
        `${e.name ?? ''} ${e.$metadata?.httpStatusCode ?? 0}`,
    );
  const out = {
    'GetUser ann': await decide(reader.send(new GetUserCommand({ UserName: 'ann' }))),
    'GetUser zed': await decide(reader.send(new GetUserCommand({ UserName: 'zed' }))),
    ListUsers: await decide(reader.send(new ListUsersCommand({}))),
    'TagUser ann (explicit deny)': await decide(
      reader.send(new TagUserCommand({ UserName: 'ann', Tags: [{ Key: 'k', Value: 'v' }] })),
    ),
  };
  reader.destroy();
  return out;
}

maybe("identity-policy decisions, against moto's IAM enforcement", () => {
  it('allows and denies the same requests with the same code and status', async () => {
    // The five setup calls run unauthenticated; moto enforces from the sixth on.
    const moto = await startMoto({ INITIAL_NO_AUTH_ACTION_COUNT: '5' });
    const { emulator } = await startEmulator({}, new TestClock(new Date()));
    try {
      const motoTarget = { endpoint: moto.endpoint, credentials: MOTO_ADMIN };
      const fromMoto = await decisions(motoTarget, motoTarget);
      const emulatorTarget = { endpoint: emulator.endpoint, credentials: emulator.admin };
      const fromEmulator = await decisions(emulatorTarget, emulatorTarget);

      expect(fromEmulator).toEqual({
        'GetUser ann': 'allowed',
        'GetUser zed': 'allowed',
        ListUsers: 'AccessDenied 403',
        'TagUser ann (explicit deny)': 'AccessDenied 403',
      });
      expect(fromEmulator).toEqual(fromMoto);
    } finally {
      moto.process.kill();
      await emulator.stop();
    }
  }, 60_000);
});
