import { CreateAccessKeyCommand, IAMClient, ListUsersCommand } from '@aws-sdk/client-iam';
import { PutEventsCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import {
  CreateSecretCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { ListStateMachinesCommand, SFNClient } from '@aws-sdk/client-sfn';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { Emulator, Mutation } from '../../../sandbox/emulator';
import { clientConfig, failure, startEmulator } from './helpers';

let emulator: Emulator;

beforeEach(async () => {
  ({ emulator } = await startEmulator());
});
afterEach(() => emulator.stop());

describe('throttle', () => {
  it("answers each service's throttling error", async () => {
    for (const service of ['iam', 'sts', 'secretsmanager', 'states', 'events', 'sns'] as const) {
      emulator.faults.add({ service, operation: '*', kind: 'throttle' });
    }
    const config = clientConfig(emulator);
    const iam = await failure(new IAMClient(config).send(new ListUsersCommand({})));
    expect([iam.name, iam.message, iam.$metadata.httpStatusCode]).toEqual([
      'Throttling',
      'Rate exceeded',
      400,
    ]);
    const sts = await failure(new STSClient(config).send(new GetCallerIdentityCommand({})));
    expect([sts.name, sts.$metadata.httpStatusCode]).toEqual(['Throttling', 400]);
    const sm = await failure(
      new SecretsManagerClient(config).send(new CreateSecretCommand({ Name: 's' })),
    );
    expect([sm.name, sm.$metadata.httpStatusCode]).toEqual(['ThrottlingException', 400]);
    const sfn = await failure(new SFNClient(config).send(new ListStateMachinesCommand({})));
    expect([sfn.name, sfn.$metadata.httpStatusCode]).toEqual(['ThrottlingException', 400]);
    const events = await failure(
      new EventBridgeClient(config).send(
        new PutEventsCommand({ Entries: [{ Source: 's', DetailType: 'd', Detail: '{}' }] }),
      ),
    );
    expect([events.name, events.$metadata.httpStatusCode]).toEqual(['ThrottlingException', 400]);
    const topicArn = emulator.createTopic('t');
    const sns = await failure(
      new SNSClient(config).send(new PublishCommand({ TopicArn: topicArn, Message: 'm' })),
    );
    expect([sns.name, sns.$metadata.httpStatusCode]).toEqual(['ThrottledException', 429]);
    expect(emulator.calls.every((c) => c.fault === 'throttle')).toBe(true);
    expect(emulator.events).toEqual([]);
    expect(emulator.notifications).toEqual([]);
  });

  it('honours after, times and accessKeyId; the SDK retries and succeeds', async () => {
    emulator.faults.add({
      service: 'iam',
      operation: 'ListUsers',
      kind: 'throttle',
      after: 1,
      times: 2,
    });
    const other = emulator.createSystemCredentials('other');
    emulator.faults.add({
      service: 'iam',
      operation: '*',
      kind: 'server-error',
      accessKeyId: other.accessKeyId,
    });
    const iam = new IAMClient(clientConfig(emulator, emulator.admin, { maxAttempts: 3 }));
    await iam.send(new ListUsersCommand({}));
    const retried = await iam.send(new ListUsersCommand({}));
    expect(retried.$metadata.attempts).toBe(3);
    expect(emulator.calls.map((c) => c.fault)).toEqual([
      undefined,
      'throttle',
      'throttle',
      undefined,
    ]);
    const error = await failure(
      new IAMClient(clientConfig(emulator, other)).send(new ListUsersCommand({})),
    );
    expect([error.name, error.$metadata.httpStatusCode]).toEqual(['ServiceFailureException', 500]);
  }, 20_000);
});

describe('server-error and crash-after-success', () => {
  it('server-error changes nothing', async () => {
    emulator.seed.user({ userName: 'alice' });
    emulator.faults.add({ service: 'iam', operation: 'CreateAccessKey', kind: 'server-error' });
    const error = await failure(
      new IAMClient(clientConfig(emulator)).send(new CreateAccessKeyCommand({ UserName: 'alice' })),
    );
    expect([error.name, error.$metadata.httpStatusCode]).toEqual(['ServiceFailureException', 500]);
    expect(emulator.state.accessKeys).toEqual([]);
  });

  it('crash-after-success performs the operation, fires mutations, then answers 5xx', async () => {
    emulator.seed.user({ userName: 'alice' });
    const mutations: Mutation[] = [];
    emulator.onMutation((m) => mutations.push(m));
    const id = emulator.faults.add({
      service: 'iam',
      operation: 'CreateAccessKey',
      kind: 'crash-after-success',
      times: 1,
    });
    const error = await failure(
      new IAMClient(clientConfig(emulator)).send(new CreateAccessKeyCommand({ UserName: 'alice' })),
    );
    expect([error.name, error.$metadata.httpStatusCode]).toEqual(['ServiceFailureException', 500]);
    expect(emulator.state.accessKeys).toHaveLength(1);
    expect(mutations).toEqual([
      expect.objectContaining({
        service: 'iam',
        operation: 'CreateAccessKey',
        userName: 'alice',
        source: 'api',
      }),
    ]);
    expect(emulator.calls.at(-1)).toMatchObject({
      operation: 'CreateAccessKey',
      status: 500,
      errorCode: 'ServiceFailure',
      fault: 'crash-after-success',
    });
    expect(emulator.faults.list()).toHaveLength(1);
    emulator.faults.remove(id);
    expect(emulator.faults.list()).toEqual([]);
  });

  it('crash-after-success on PutSecretValue stores the version; InternalServiceError 500', async () => {
    const sm = new SecretsManagerClient(clientConfig(emulator));
    await sm.send(new CreateSecretCommand({ Name: 's', SecretString: 'v1' }));
    emulator.faults.add({
      service: 'secretsmanager',
      operation: 'PutSecretValue',
      kind: 'crash-after-success',
    });
    const error = await failure(
      sm.send(
        new PutSecretValueCommand({
          SecretId: 's',
          SecretString: 'v2',
          VersionStages: ['AWSPENDING'],
        }),
      ),
    );
    expect([error.name, error.$metadata.httpStatusCode]).toEqual(['InternalServiceError', 500]);
    expect(emulator.state.secrets[0]?.versions.map((v) => [v.value, v.stages])).toEqual([
      ['v1', ['AWSCURRENT']],
      ['v2', ['AWSPENDING']],
    ]);
  });
});

it('latency delays the answer by real time and is recorded', async () => {
  emulator.faults.add({
    service: 'sts',
    operation: 'GetCallerIdentity',
    kind: 'latency',
    latencyMs: 150,
  });
  const started = Date.now();
  await new STSClient(clientConfig(emulator)).send(new GetCallerIdentityCommand({}));
  expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  expect(emulator.calls.at(-1)?.fault).toBe('latency');
});

describe('control routes', () => {
  it('manages faults and exposes calls, events, notifications and info over HTTP', async () => {
    const post = await fetch(`${emulator.endpoint}/_sandbox/faults`, {
      method: 'POST',
      body: JSON.stringify({ service: 'sts', operation: '*', kind: 'throttle', times: 1 }),
    });
    expect(((await post.json()) as { id: string }).id).toMatch(/^[0-9a-f-]{36}$/);
    const listed = await (await fetch(`${emulator.endpoint}/_sandbox/faults`)).json();
    expect(listed).toEqual([{ service: 'sts', operation: '*', kind: 'throttle', times: 1 }]);
    await failure(new STSClient(clientConfig(emulator)).send(new GetCallerIdentityCommand({})));
    const calls = (await (await fetch(`${emulator.endpoint}/_sandbox/calls`)).json()) as unknown[];
    expect(calls).toEqual([
      expect.objectContaining({
        service: 'sts',
        operation: 'GetCallerIdentity',
        status: 400,
        errorCode: 'Throttling',
        fault: 'throttle',
      }),
    ]);
    await fetch(`${emulator.endpoint}/_sandbox/faults`, { method: 'DELETE' });
    expect(emulator.faults.list()).toEqual([]);
    expect(await (await fetch(`${emulator.endpoint}/_sandbox/events`)).json()).toEqual([]);
    expect(await (await fetch(`${emulator.endpoint}/_sandbox/notifications`)).json()).toEqual([]);
    expect(await (await fetch(`${emulator.endpoint}/_sandbox/info`)).json()).toEqual({
      endpoint: emulator.endpoint,
      region: 'us-east-1',
      accountId: '123456789012',
      now: '2026-03-01T10:00:00.000Z',
    });
  });

  it('serves routes added by other parts and answers 404 for unknown ones', async () => {
    emulator.addControlRoute('POST', '/_sandbox/echo', (body) => ({ got: body }));
    const echoed = await fetch(`${emulator.endpoint}/_sandbox/echo`, {
      method: 'POST',
      body: '{"a":1}',
    });
    expect(await echoed.json()).toEqual({ got: { a: 1 } });
    expect((await fetch(`${emulator.endpoint}/_sandbox/nope`)).status).toBe(404);
    expect(() => emulator.addControlRoute('GET', '/elsewhere', () => 1)).toThrow(/_sandbox/);
  });

  it('reset forgets account data but keeps the admin, topics and state', async () => {
    emulator.seed.user({ userName: 'alice' });
    const topicArn = emulator.createTopic('t');
    emulator.faults.add({ service: 'iam', operation: '*', kind: 'throttle' });
    emulator.reset();
    expect(emulator.state.users).toEqual([]);
    expect(emulator.faults.list()).toEqual([]);
    await new SNSClient(clientConfig(emulator)).send(
      new PublishCommand({ TopicArn: topicArn, Message: 'still here' }),
    );
    expect(emulator.notifications).toHaveLength(1);
  });
});
