import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { Emulator } from '../../../sandbox/emulator';
import { clientConfig, failure, signedFetch, startEmulator } from './helpers';

let emulator: Emulator;

beforeEach(async () => {
  ({ emulator } = await startEmulator());
});
afterEach(() => emulator.stop());

describe('EventBridge PutEvents', () => {
  it('answers per entry in request order and records accepted entries', async () => {
    emulator.createEventBus('rekey');
    const events = new EventBridgeClient(clientConfig(emulator));
    const result = await events.send(
      new PutEventsCommand({
        Entries: [
          {
            Source: 'rekey',
            DetailType: 'Rotation Succeeded',
            Detail: '{"userName":"alice"}',
            EventBusName: 'rekey',
            Resources: ['arn:aws:iam::123456789012:user/alice'],
            Time: new Date('2026-02-01T00:00:00Z'),
          },
          { Source: 'rekey', DetailType: 'x', Detail: '[1,2]' },
          { Source: 'rekey', DetailType: 'x', Detail: '{}', EventBusName: 'missing' },
          { Source: 'rekey', DetailType: 'Scan', Detail: '{"due":3}' },
        ],
      }),
    );
    expect(result.FailedEntryCount).toBe(2);
    expect(result.Entries).toEqual([
      { EventId: expect.stringMatching(/^[0-9a-f-]{36}$/) as string },
      { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' },
      { ErrorCode: 'ResourceNotFoundException', ErrorMessage: 'Event bus missing does not exist.' },
      { EventId: expect.any(String) as string },
    ]);
    expect(emulator.events).toEqual([
      {
        EventId: result.Entries?.[0]?.EventId,
        EventBusName: 'rekey',
        Source: 'rekey',
        DetailType: 'Rotation Succeeded',
        Detail: { userName: 'alice' },
        Time: new Date('2026-02-01T00:00:00Z'),
        Resources: ['arn:aws:iam::123456789012:user/alice'],
      },
      expect.objectContaining({
        EventBusName: 'default',
        Detail: { due: 3 },
        Time: new Date('2026-03-01T10:00:00Z'),
      }),
    ]);
  });

  it('refuses more than ten entries', async () => {
    const events = new EventBridgeClient(clientConfig(emulator));
    const entries = Array.from({ length: 11 }, () => ({
      Source: 's',
      DetailType: 'd',
      Detail: '{}',
    }));
    const error = await failure(events.send(new PutEventsCommand({ Entries: entries })));
    expect(error.name).toBe('ValidationException');
    expect(emulator.events).toEqual([]);
  });
});

describe('SNS Publish', () => {
  it('records a message to a created topic with its attributes', async () => {
    const topicArn = emulator.createTopic('rekey-alerts');
    expect(topicArn).toBe('arn:aws:sns:us-east-1:123456789012:rekey-alerts');
    const sns = new SNSClient(clientConfig(emulator));
    const result = await sns.send(
      new PublishCommand({
        TopicArn: topicArn,
        Subject: 'Rotation <refused>',
        Message: 'alice has two active keys & more',
        MessageAttributes: { userName: { DataType: 'String', StringValue: 'alice' } },
      }),
    );
    expect(result.MessageId).toMatch(/^[0-9a-f-]{36}$/);
    expect(emulator.notifications).toEqual([
      {
        MessageId: result.MessageId,
        TopicArn: topicArn,
        Subject: 'Rotation <refused>',
        Message: 'alice has two active keys & more',
        MessageAttributes: { userName: { DataType: 'String', StringValue: 'alice' } },
        at: new Date('2026-03-01T10:00:00Z'),
      },
    ]);
  });

  it('answers NotFound 404 for a topic that was not created', async () => {
    const sns = new SNSClient(clientConfig(emulator));
    const error = await failure(
      sns.send(
        new PublishCommand({ TopicArn: 'arn:aws:sns:us-east-1:123456789012:nope', Message: 'x' }),
      ),
    );
    expect(error.name).toBe('NotFoundException');
    expect(error.$metadata.httpStatusCode).toBe(404);
  });
});

describe('query wire format', () => {
  it('writes the SNS namespace, RequestId in body and header, and escapes text', async () => {
    const topicArn = emulator.createTopic('t');
    const response = await signedFetch(emulator, {
      service: 'sns',
      body: `Action=Publish&Version=2010-03-31&TopicArn=${encodeURIComponent(topicArn)}&Message=hi`,
    });
    const xml = await response.text();
    const requestId = response.headers.get('x-amzn-requestid') ?? 'missing';
    expect(xml).toBe(
      `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>${emulator.notifications[0]?.MessageId ?? ''}</MessageId></PublishResult><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></PublishResponse>`,
    );
  });

  it('answers an unknown IAM action with InvalidAction 400 and escapes error text', async () => {
    const response = await signedFetch(emulator, {
      service: 'iam',
      body: 'Action=Frobnicate&Version=2010-05-08',
    });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain('<Code>InvalidAction</Code>');
    const missing = await signedFetch(emulator, {
      service: 'iam',
      body: `Action=GetUser&Version=2010-05-08&UserName=${encodeURIComponent('a<b>&c')}`,
    });
    expect(missing.status).toBe(404);
    const text = await missing.text();
    expect(text).toContain(
      '<Message>The user with name a&lt;b&gt;&amp;c cannot be found.</Message>',
    );
  });
});
