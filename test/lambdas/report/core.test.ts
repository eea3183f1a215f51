import { Metrics } from '@aws-lambda-powertools/metrics';
import { IAMClient } from '@aws-sdk/client-iam';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { report, type ReportDeps } from '../../../lambdas/report/core';
import {
  captureOutput,
  EXECUTION_ARN,
  FakeClock,
  FakeTelemetry,
  mutations,
  NEW_KEY_ID,
  OLD_KEY_ID,
  PROMOTED_AT,
  promotedState,
  STARTED_AT,
  testConfig,
  USER,
} from '../helpers';

const iamClient = new IAMClient({ region: 'us-east-1' });
const smClient = new SecretsManagerClient({ region: 'us-east-1' });
const iam = mockClient(iamClient);
const sm = mockClient(smClient);

// Staged 12:00:05, promoted 12:00:30 (helpers); cut over in 5 h; deleted after 7 days.
const DEACTIVATED_AT = '2026-03-01T17:00:30.000Z';
const DELETED_AT = '2026-03-08T17:00:30.000Z';
const COMPLETED_AT = '2026-03-08T17:00:40.000Z';

let telemetry: FakeTelemetry;
let output: ReturnType<typeof captureOutput>;
let metrics: Metrics;

beforeEach(() => {
  iam.reset();
  sm.reset();
  output = captureOutput();
  telemetry = new FakeTelemetry();
  metrics = new Metrics({ namespace: 'rekey', serviceName: 'rekey' });
});

afterEach(() => jest.restoreAllMocks());

const deps = (): ReportDeps => ({
  iam: iamClient,
  secrets: smClient,
  telemetry,
  clock: new FakeClock(COMPLETED_AT),
  config: testConfig(),
  metrics,
});

const completed = () =>
  promotedState({
    cutover: {
      polls: 3,
      verdict: 'switched',
      waitSeconds: 0,
      deadlineAt: '2026-03-08T12:00:30.000Z',
      reason: 'applications use the new key',
    },
    deactivatedAt: DEACTIVATED_AT,
    deletedAt: DELETED_AT,
  });

/** The CloudWatch embedded-metric-format record Powertools printed. */
function emf(): Record<string, unknown> {
  const record = output.records().find((r) => '_aws' in r);
  if (!record) throw new Error('no metrics were published');
  return record;
}

describe('report', () => {
  it('emits Rotation Completed with the timings of each phase', async () => {
    const state = await report(completed(), deps());

    expect(state.completedAt).toBe(COMPLETED_AT);
    expect(telemetry.events).toEqual([
      {
        detailType: 'Rotation Completed',
        detail: {
          userName: USER,
          executionArn: EXECUTION_ARN,
          oldKeyId: OLD_KEY_ID,
          newKeyId: NEW_KEY_ID,
          cutoverVerdict: 'switched',
          polls: 3,
          startedAt: STARTED_AT,
          promotedAt: PROMOTED_AT,
          deactivatedAt: DEACTIVATED_AT,
          deletedAt: DELETED_AT,
          stagedToPromotedSeconds: 25,
          cutoverSeconds: 5 * 3600,
          recoveryWindowSeconds: 7 * 86_400,
          totalSeconds: 7 * 86_400 + 5 * 3600 + 40,
          at: COMPLETED_AT,
        },
      },
    ]);
    expect(mutations(iam, sm)).toEqual([]);
  });

  it('publishes the success, cutover and rotation durations as metrics', async () => {
    await report(completed(), deps());

    const record = emf();
    expect(record).toMatchObject({
      RotationsSucceeded: 1,
      CutoverSeconds: 5 * 3600,
      RotationSeconds: 7 * 86_400 + 5 * 3600 + 40,
      service: 'rekey',
    });
    const [directive] = (record._aws as { CloudWatchMetrics: { Metrics: unknown[] }[] })
      .CloudWatchMetrics;
    expect(directive?.Metrics).toEqual(
      expect.arrayContaining([
        { Name: 'RotationsSucceeded', Unit: 'Count' },
        { Name: 'CutoverSeconds', Unit: 'Seconds' },
        { Name: 'RotationSeconds', Unit: 'Seconds' },
      ]),
    );
  });

  it('leaves out the cutover time of a rotation that never deactivated a key', async () => {
    const state = completed();

    await report({ ...state, deactivatedAt: undefined, deletedAt: undefined }, deps());

    expect(telemetry.event('Rotation Completed')).toMatchObject({
      cutoverSeconds: undefined,
      recoveryWindowSeconds: undefined,
    });
    expect(emf()).not.toHaveProperty('CutoverSeconds');
    expect(emf()).toHaveProperty('RotationsSucceeded', 1);
  });
});
