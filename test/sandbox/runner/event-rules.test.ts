import { matchesPattern, targetInput, type BusEvent } from '../../../sandbox/runner/event-rules';
import { exposedKeyEvent } from '../../../sandbox/runner/health-event';

const EVENT: BusEvent = exposedKeyEvent('AKIAAAAAAAAAAAAAAAAA', {
  account: '123456789012',
  now: new Date('2026-12-02T10:00:00Z'),
});
const PATTERN = {
  source: ['aws.health'],
  'detail-type': ['AWS Health Event'],
  detail: { service: ['RISK'], eventTypeCode: ['AWS_RISK_CREDENTIALS_EXPOSED'] },
};

describe('EventBridge patterns, as the sandbox matches them', () => {
  it('matches field by field, nested objects included', () => {
    expect(matchesPattern(PATTERN, EVENT)).toBe(true);
    expect(matchesPattern({ ...PATTERN, source: ['aws.ec2'] }, EVENT)).toBe(false);
    expect(
      matchesPattern({ ...PATTERN, detail: { eventTypeCode: ['AWS_EC2_MAINTENANCE'] } }, EVENT),
    ).toBe(false);
  });

  it('matches an array value when any element is allowed, prefix and exists', () => {
    const event = { source: 'x', resources: ['arn:a', 'arn:b'], detail: { name: 'rekey-1' } };
    expect(matchesPattern({ resources: ['arn:b'] }, event)).toBe(true);
    expect(matchesPattern({ detail: { name: [{ prefix: 'rekey-' }] } }, event)).toBe(true);
    expect(matchesPattern({ detail: { name: [{ prefix: 'other' }] } }, event)).toBe(false);
    expect(matchesPattern({ detail: { missing: [{ exists: false }] } }, event)).toBe(true);
    expect(matchesPattern({ detail: { name: [{ exists: false }] } }, event)).toBe(false);
  });
});

describe('target input, as EventBridge builds it', () => {
  it('puts a JSON value outside quotes and a string as text inside them', () => {
    const input = targetInput(
      {
        arn: 'arn:aws:states:us-east-1:123456789012:stateMachine:x',
        inputTransformer: {
          inputPathsMap: { detail: '$.detail', source: '$.source', none: '$.detail.nothing' },
          inputTemplate: '{"emergency":{"health":<detail>},"by":"<source>","none":<none>}',
        },
      },
      EVENT,
    );
    expect(JSON.parse(input)).toEqual({
      emergency: { health: EVENT.detail },
      by: 'aws.health',
      none: null,
    });
  });

  it('passes the whole event, a fixed Input, or the InputPath selection', () => {
    const arn = 'arn:aws:states:us-east-1:123456789012:stateMachine:x';
    expect(JSON.parse(targetInput({ arn }, EVENT))).toEqual(EVENT);
    expect(targetInput({ arn, input: '{"a":1}' }, EVENT)).toBe('{"a":1}');
    expect(JSON.parse(targetInput({ arn, inputPath: '$.detail' }, EVENT))).toEqual(EVENT.detail);
  });

  it('writes the Health event as AWS does: RFC 1123 start time, the key as the affected entity', () => {
    expect(EVENT.detail).toMatchObject({
      startTime: 'Wed, 02 Dec 2026 10:00:00 GMT',
      affectedEntities: [{ entityValue: 'AKIAAAAAAAAAAAAAAAAA' }],
    });
  });
});
