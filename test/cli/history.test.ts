import type { HistoryEvent, HistoryEventType } from '@aws-sdk/client-sfn';
import { endOf, latestState, recoveryWindowEnd, stepsOf } from '../../cli/history';

let id = 0;
const at = (s: number): Date => new Date(Date.UTC(2026, 10, 28, 0, 0, s));
const entered = (type: string, name: string, s: number, input: unknown = {}): HistoryEvent => ({
  id: ++id,
  type: `${type}StateEntered` as HistoryEventType,
  timestamp: at(s),
  stateEnteredEventDetails: { name, input: JSON.stringify(input) },
});
const exited = (type: string, name: string, s: number, output: unknown = {}): HistoryEvent => ({
  id: ++id,
  type: `${type}StateExited` as HistoryEventType,
  timestamp: at(s),
  stateExitedEventDetails: { name, output: JSON.stringify(output) },
});
const event = (type: string, s: number, extra: Partial<HistoryEvent> = {}): HistoryEvent => ({
  id: ++id,
  type: type as HistoryEventType,
  timestamp: at(s),
  ...extra,
});
const failed = (s: number, error: string): HistoryEvent =>
  event('LambdaFunctionFailed', s, { lambdaFunctionFailedEventDetails: { error } });

describe('stepsOf', () => {
  it("shows a check's attribution, with CloudTrail's limits, as rotate --wait prints it", () => {
    const attribution = {
      status: 'found',
      since: '2026-11-28T00:00:00.000Z',
      until: '2026-11-28T14:30:00.000Z',
      regions: ['eu-west-1'],
      callers: [
        {
          sourceIp: '203.0.113.7',
          userAgent: 'aws-cli/2.15.0',
          services: ['ec2', 's3'],
          regions: ['eu-west-1'],
          firstSeen: '2026-11-28T09:00:00.000Z',
          lastSeen: '2026-11-28T14:02:00.000Z',
          count: 7,
        },
      ],
      otherCallers: 0,
      events: 7,
      truncated: false,
      lookups: 1,
      problems: [],
    };
    const cutover = { verdict: 'in-use', reason: 'the old key is still in use' };

    const [check, old] = stepsOf([
      entered('Task', 'CheckCutover', 0),
      exited('Task', 'CheckCutover', 1, { cutover: { ...cutover, attribution } }),
      entered('Task', 'CheckCutover', 2),
      exited('Task', 'CheckCutover', 3, { cutover: { ...cutover, attribution: { status: 'x' } } }),
    ]);

    expect(check?.detail).toBe(
      'in-use: the old key is still in use. Still used from 203.0.113.7 by aws-cli/2.15.0 ' +
        '(ec2, s3 in eu-west-1), last 14:02 UTC, 7 calls. CloudTrail event history shows ' +
        'management events only (S3 object reads and other data events are invisible unless a ' +
        'trail records them), for 90 days, one region per lookup (looked up: eu-west-1).',
    );
    // A state this version cannot read shows the verdict alone.
    expect(old?.detail).toBe('in-use: the old key is still in use');
  });

  it("says what an emergency's DeactivateExposedKey and Forensics did, the forensics in full", () => {
    const exposed = { accessKeyId: 'AKIAEXPOSEDKEY123456' };
    const forensics = {
      since: '2026-11-28T09:00:00.000Z',
      sinceSource: 'exposure',
      lookup: {
        status: 'found',
        since: '2026-11-27T09:00:00.000Z',
        until: '2026-11-28T10:00:00.000Z',
        regions: ['us-east-1'],
        callers: [],
        otherCallers: 0,
        events: 0,
        truncated: false,
        lookups: 1,
        problems: [],
      },
      newCallers: [],
      unexpectedUse: 'no',
    };

    const [cut, found, unreadable] = stepsOf([
      entered('Task', 'DeactivateExposedKey', 0),
      exited('Task', 'DeactivateExposedKey', 1, { oldKey: exposed }),
      entered('Task', 'Forensics', 1),
      exited('Task', 'Forensics', 2, { oldKey: exposed, emergency: { forensics } }),
      entered('Task', 'Forensics', 3),
      exited('Task', 'Forensics', 4, { emergency: { forensics: { since: 7 } } }),
    ]);

    expect(cut?.detail).toBe('exposed key AKIA…3456 deactivated (cut off)');
    expect(found?.detail).toBe(
      'Forensics since 2026-11-28T09:00:00.000Z (the exposure), from 24 hours before: ' +
        'CloudTrail shows no use of the key. Nothing but callers seen before the exposure used ' +
        'it since. CloudTrail event history shows management events only (S3 object reads and ' +
        'other data events are invisible unless a trail records them), for 90 days, one region ' +
        'per lookup (looked up: us-east-1).',
    );
    // Forensics this version cannot read shows nothing rather than nonsense.
    expect(unreadable?.detail).toBeUndefined();
  });

  it('counts retried attempts and reports what a step did from named state fields', () => {
    const newKey = { accessKeyId: 'AKIAABCDEFGHIJKLWXYZ' };
    const events = [
      event('ExecutionStarted', 0),
      entered('Task', 'VerifyKey', 0),
      failed(0, 'KeyNotYetValidError'),
      failed(2, 'KeyNotYetValidError'),
      event('LambdaFunctionSucceeded', 6),
      exited('Task', 'VerifyKey', 6, { newKey }),
      entered('Wait', 'WaitForCutover', 6, { cutover: { waitSeconds: 900 } }),
    ];

    const [verify, wait] = stepsOf(events);

    expect(verify).toMatchObject({
      name: 'VerifyKey',
      status: 'succeeded',
      attemptsFailed: 2,
      lastError: 'KeyNotYetValidError',
      detail: 'new key AKIA…WXYZ answers as the user',
    });
    expect(verify?.exitedAt).toEqual(at(6));
    expect(wait).toMatchObject({ name: 'WaitForCutover', type: 'Wait', status: 'running' });
    expect(wait?.waitUntil).toEqual(at(906));
  });

  it('marks a step whose failure a Catch handled as failed, and a Fail state as failed', () => {
    const events = [
      entered('Task', 'Inspect', 0),
      failed(0, 'TwoActiveKeysError'),
      exited('Task', 'Inspect', 0),
      entered('Fail', 'Refused', 0),
      event('ExecutionFailed', 0, {
        executionFailedEventDetails: {
          error: 'TwoActiveKeysError',
          cause: JSON.stringify({ errorMessage: 'carol has two active access keys' }),
        },
      }),
    ];

    expect(stepsOf(events).map((s) => [s.name, s.status, s.lastError])).toEqual([
      ['Inspect', 'failed', 'TwoActiveKeysError'],
      ['Refused', 'failed', undefined],
    ]);
    expect(endOf(events)).toEqual({
      status: 'FAILED',
      at: at(0),
      error: 'TwoActiveKeysError',
      cause: 'carol has two active access keys',
    });
  });

  it('marks the running step aborted when the execution is stopped', () => {
    const events = [
      entered('Wait', 'RecoveryWindow', 0, { policy: { recoveryWindowSeconds: 60 } }),
      event('ExecutionAborted', 5, { executionAbortedEventDetails: { error: 'RolledBack' } }),
    ];

    expect(stepsOf(events)[0]).toMatchObject({ status: 'aborted', exitedAt: at(5) });
    expect(endOf(events)).toMatchObject({ status: 'ABORTED', error: 'RolledBack' });
    expect(latestState(events)).toEqual({ policy: { recoveryWindowSeconds: 60 } });
  });

  it("reads the recovery window's next check from the Wait, and its end from the state", () => {
    const recovery = { endsAt: at(7 * 86_400).toISOString(), waitSeconds: 86_400, lastWait: false };
    const events = [
      entered('Task', 'DeactivateOldKey', 0),
      exited('Task', 'DeactivateOldKey', 0, { recovery }),
      entered('Wait', 'RecoveryWindow', 0, {
        recovery,
        policy: { recoveryWindowSeconds: 604_800 },
      }),
      exited('Wait', 'RecoveryWindow', 86_400),
      entered('Choice', 'RecoveryWindowEnded', 86_400),
      exited('Choice', 'RecoveryWindowEnded', 86_400),
      entered('Task', 'CheckRecoveryWindow', 86_400),
      exited('Task', 'CheckRecoveryWindow', 86_400, {
        recovery: { ...recovery, checks: 1 },
      }),
      entered('Wait', 'RecoveryWindow', 86_400, {
        recovery,
        policy: { recoveryWindowSeconds: 604_800 },
      }),
    ];

    const steps = stepsOf(events);

    expect(steps.at(-1)).toMatchObject({ name: 'RecoveryWindow', status: 'running' });
    // The Wait ends at the next check, a day later; the window a week after deactivation.
    expect(steps.at(-1)?.waitUntil).toEqual(at(2 * 86_400));
    expect(recoveryWindowEnd(latestState(events), steps)).toEqual(at(7 * 86_400));
    expect(steps.find((s) => s.name === 'CheckRecoveryWindow')?.detail).toBe(
      'secret still there; the recovery window ends 2026-12-05 00:00 UTC',
    );
  });

  it('reads the end of the window of an execution started before the checks of the secret from its one wait', () => {
    const events = [
      entered('Wait', 'RecoveryWindow', 10, { policy: { recoveryWindowSeconds: 604_800 } }),
    ];
    const steps = stepsOf(events);

    expect(steps[0]?.waitUntil).toEqual(at(10 + 604_800));
    expect(recoveryWindowEnd(latestState(events), steps)).toEqual(at(10 + 604_800));
  });
});
