import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { createTelemetry } from '../../../lambdas/shared/telemetry';
import {
  captureOutput,
  EXECUTION_ARN,
  jsonError,
  NEW_KEY_ID,
  queryError,
  TOPIC_ARN,
  USER,
} from '../helpers';

const eventBridgeClient = new EventBridgeClient({ region: 'us-east-1' });
const snsClient = new SNSClient({ region: 'us-east-1' });
const events = mockClient(eventBridgeClient);
const sns = mockClient(snsClient);

let output: ReturnType<typeof captureOutput>;

beforeEach(() => {
  events.reset();
  sns.reset();
  output = captureOutput();
  events.on(PutEventsCommand).resolves({
    FailedEntryCount: 0,
    Entries: [{ EventId: '11710aed-b79e-4468-a20b-bb3c0c3b4860' }],
  });
  sns.on(PublishCommand).resolves({ MessageId: '567910cd-659e-55d4-8ccb-5aaf14679dc0' });
});

afterEach(() => jest.restoreAllMocks());

const telemetry = ({ topicArn }: { topicArn?: string } = { topicArn: TOPIC_ARN }) =>
  createTelemetry({
    eventBridge: eventBridgeClient,
    sns: snsClient,
    eventBusName: 'rekey-events',
    topicArn,
  });

const AT = '2026-03-01T12:00:05.000Z';

describe('telemetry.emit', () => {
  it('puts one rekey event on the configured bus, naming the execution as its resource', async () => {
    await telemetry().emit('Key Staged', {
      userName: USER,
      executionArn: EXECUTION_ARN,
      newKeyId: NEW_KEY_ID,
      at: AT,
    });

    expect(events).toHaveReceivedCommandWith(PutEventsCommand, {
      Entries: [
        {
          Source: 'rekey',
          DetailType: 'Key Staged',
          Detail: JSON.stringify({
            userName: USER,
            executionArn: EXECUTION_ARN,
            newKeyId: NEW_KEY_ID,
            at: AT,
          }),
          EventBusName: 'rekey-events',
          Resources: [EXECUTION_ARN],
        },
      ],
    });
  });

  it('sends no resources for an event without an execution', async () => {
    await telemetry().emit('Scan Completed', { at: AT });

    expect(events.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries?.[0]?.Resources).toBe(
      undefined,
    );
  });

  it('logs an entry EventBridge did not accept, without failing the step', async () => {
    events.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' }],
    });

    await expect(telemetry().emit('Key Staged', { at: AT })).resolves.toBeUndefined();

    expect(output.records()).toContainEqual(
      expect.objectContaining({
        level: 'ERROR',
        message: 'event not accepted',
        detailType: 'Key Staged',
        errorCode: 'MalformedDetail',
      }),
    );
  });

  it('logs an event that could not be sent, without failing the step', async () => {
    events.on(PutEventsCommand).rejects(jsonError('InternalException', 500, 'Internal'));

    await expect(telemetry().emit('Key Staged', { at: AT })).resolves.toBeUndefined();

    expect(output.records()).toContainEqual(
      expect.objectContaining({
        level: 'ERROR',
        message: 'event not sent',
        errorName: 'InternalException',
      }),
    );
  });
});

describe('telemetry.notify', () => {
  it('publishes to the topic', async () => {
    await telemetry().notify('rekey refused to rotate alice', 'two active keys');

    expect(sns).toHaveReceivedCommandWith(PublishCommand, {
      TopicArn: TOPIC_ARN,
      Subject: 'rekey refused to rotate alice',
      Message: 'two active keys',
    });
  });

  it('cuts the subject to the 100 characters SNS allows', async () => {
    await telemetry().notify('s'.repeat(150), 'm');

    expect(sns.commandCalls(PublishCommand)[0]?.args[0].input.Subject).toBe('s'.repeat(99));
  });

  it('sends nothing when no topic is configured', async () => {
    await telemetry({}).notify('subject', 'message');

    expect(sns).not.toHaveReceivedAnyCommand();
  });

  it('logs a notification that could not be sent, without failing the step', async () => {
    sns
      .on(PublishCommand)
      .rejects(queryError('NotFound', 404, 'Topic does not exist', 'NotFoundException'));

    await expect(telemetry().notify('subject', 'message')).resolves.toBeUndefined();

    expect(output.records()).toContainEqual(
      expect.objectContaining({ message: 'notification not sent', errorName: 'NotFoundException' }),
    );
  });
});
