import { IAMClient, ListUsersCommand, UpdateAccessKeyCommand } from '@aws-sdk/client-iam';
import { ListSecretsCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ListStateMachinesCommand, SFNClient } from '@aws-sdk/client-sfn';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { Emulator } from '../../../sandbox/emulator';
import { clientConfig, failure, startEmulator, type TestClock } from './helpers';

let emulator: Emulator;
let clock: TestClock;

beforeEach(async () => {
  ({ emulator, clock } = await startEmulator({ keyPropagationSeconds: 10 }));
});
afterEach(() => emulator.stop());

const SIGNATURE_MESSAGE =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

it('answers GetCallerIdentity for an IAM user with its ARN (path included) and AIDA id', async () => {
  const user = emulator.seed.user({ userName: 'alice', path: '/apps/' });
  const key = emulator.seed.accessKey({
    userName: 'alice',
    createDate: new Date('2026-01-01T00:00:00Z'),
  });
  const identity = await new STSClient(clientConfig(emulator, key)).send(
    new GetCallerIdentityCommand({}),
  );
  expect(identity.Arn).toBe('arn:aws:iam::123456789012:user/apps/alice');
  expect(identity.UserId).toBe(user.userId);
  expect(identity.UserId).toMatch(/^AIDA/);
  expect(identity.Account).toBe('123456789012');
});

it('answers for system credentials as an assumed role, never as a user', async () => {
  const lambda = emulator.createSystemCredentials('rotate-lambda');
  expect(lambda.accessKeyId).toMatch(/^ASIA[A-Z2-7]{16}$/);
  const identity = await new STSClient(clientConfig(emulator, lambda)).send(
    new GetCallerIdentityCommand({}),
  );
  expect(identity.Arn).toBe('arn:aws:sts::123456789012:assumed-role/rotate-lambda/sandbox');
  expect(identity.UserId).toMatch(/^AROA[A-Z0-9]{17}:sandbox$/);
  const admin = await new STSClient(clientConfig(emulator)).send(new GetCallerIdentityCommand({}));
  expect(admin.Arn).toBe('arn:aws:sts::123456789012:assumed-role/sandbox-admin/sandbox');
  const users = await new IAMClient(clientConfig(emulator)).send(new ListUsersCommand({}));
  expect(users.Users).toEqual([]);
});

it('rejects a wrong secret: SignatureDoesNotMatch 403 (query), InvalidSignatureException 400 (JSON)', async () => {
  const wrong = { accessKeyId: emulator.admin.accessKeyId, secretAccessKey: 'x'.repeat(40) };
  const sts = await failure(
    new STSClient(clientConfig(emulator, wrong)).send(new GetCallerIdentityCommand({})),
  );
  expect(sts.name).toBe('SignatureDoesNotMatch');
  expect(sts.message).toBe(SIGNATURE_MESSAGE);
  expect(sts.$metadata.httpStatusCode).toBe(403);
  const sm = await failure(
    new SecretsManagerClient(clientConfig(emulator, wrong)).send(new ListSecretsCommand({})),
  );
  expect(sm.name).toBe('InvalidSignatureException');
  expect(sm.$metadata.httpStatusCode).toBe(400);
  expect(emulator.calls.map((c) => [c.service, c.status, c.errorCode])).toEqual([
    ['sts', 403, 'SignatureDoesNotMatch'],
    ['secretsmanager', 400, 'InvalidSignatureException'],
  ]);
});

it('refuses an unknown key: InvalidClientTokenId 403 (query), UnrecognizedClientException 400 (JSON)', async () => {
  const unknown = { accessKeyId: 'AKIAAAAAAAAAAAAAAAAA', secretAccessKey: 'x'.repeat(40) };
  const iam = await failure(
    new IAMClient(clientConfig(emulator, unknown)).send(new ListUsersCommand({})),
  );
  expect(iam.name).toBe('InvalidClientTokenId');
  expect(iam.message).toBe('The security token included in the request is invalid');
  expect(iam.$metadata.httpStatusCode).toBe(403);
  const sfn = await failure(
    new SFNClient(clientConfig(emulator, unknown)).send(new ListStateMachinesCommand({})),
  );
  expect(sfn.name).toBe('UnrecognizedClientException');
  expect(sfn.message).toBe('The security token included in the request is invalid.');
  expect(sfn.$metadata.httpStatusCode).toBe(400);
});

it('refuses an inactive key and a key inside its propagation window, and records no use', async () => {
  emulator.seed.user({ userName: 'bob' });
  const fresh = emulator.seed.accessKey({ userName: 'bob' });
  const sts = (creds: typeof fresh) => new STSClient(clientConfig(emulator, creds));
  const early = await failure(sts(fresh).send(new GetCallerIdentityCommand({})));
  expect(early.name).toBe('InvalidClientTokenId');
  clock.advance(10);
  expect((await sts(fresh).send(new GetCallerIdentityCommand({}))).Arn).toBe(
    'arn:aws:iam::123456789012:user/bob',
  );
  await new IAMClient(clientConfig(emulator)).send(
    new UpdateAccessKeyCommand({
      UserName: 'bob',
      AccessKeyId: fresh.accessKeyId,
      Status: 'Inactive',
    }),
  );
  clock.advance(3600);
  const inactive = await failure(sts(fresh).send(new GetCallerIdentityCommand({})));
  expect(inactive.name).toBe('InvalidClientTokenId');
  expect(inactive.$metadata.httpStatusCode).toBe(403);
  expect(emulator.state.accessKeys[0]?.lastUsed?.date).toEqual(new Date('2026-03-01T10:00:00Z'));
});

it('answers MissingAuthenticationToken for an unsigned request', async () => {
  const query = await fetch(emulator.endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'Action=ListUsers&Version=2010-05-08',
  });
  expect(query.status).toBe(403);
  expect(query.headers.get('x-amzn-requestid')).toMatch(/^[0-9a-f-]{36}$/);
  const xml = await query.text();
  expect(xml).toContain('<Code>MissingAuthenticationToken</Code>');
  expect(xml).toContain('<Type>Sender</Type>');
  expect(xml).toContain('xmlns="https://iam.amazonaws.com/doc/2010-05-08/"');
  const json = await fetch(emulator.endpoint, {
    method: 'POST',
    headers: {
      'x-amz-target': 'secretsmanager.ListSecrets',
      'content-type': 'application/x-amz-json-1.1',
    },
    body: '{}',
  });
  expect(json.status).toBe(400);
  expect(await json.json()).toEqual({
    __type: 'MissingAuthenticationTokenException',
    Message: 'Missing Authentication Token',
  });
});
