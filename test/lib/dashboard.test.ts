import { GetCredentialReportCommand, IAMClient } from '@aws-sdk/client-iam';
import { SFNClient } from '@aws-sdk/client-sfn';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Template } from 'aws-cdk-lib/assertions';
import { mockClient } from 'aws-sdk-client-mock';
import { scan } from '../../lambdas/fleet-scan/core';
import type { RekeyStack } from '../../lib/rekey-stack';
import {
  captureOutput,
  EXECUTION_ARN,
  FakeClock,
  FakeTelemetry,
  NOW,
  testConfig,
} from '../lambdas/helpers';
import {
  defaultTemplate,
  realApp,
  render,
  resolved,
  rotationStack,
  type AlarmMetric,
} from './support';

/** A dashboard metric line: namespace, name, then dimension name/value pairs and options. */
type MetricLine = (string | Record<string, unknown>)[];

interface Widget {
  readonly type: string;
  readonly properties: {
    readonly title: string;
    readonly alarms?: string[];
    readonly metrics?: MetricLine[];
  };
}

/** The dashboard body with every token rendered as `${LogicalId}` (see support.render). */
function dashboardOf(template: Template): { widgets: Widget[] } {
  const dashboards = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
  expect(dashboards).toHaveLength(1);
  const body = (dashboards[0]?.Properties as { DashboardBody: unknown }).DashboardBody;
  return JSON.parse(render(body)) as { widgets: Widget[] };
}

const metricLines = (widgets: Widget[]): MetricLine[] =>
  widgets.flatMap((w) => w.properties.metrics ?? []);

/** `namespace name dim=value ...` of a metric line. */
function describeLine(line: MetricLine): string {
  const [namespace, name, ...rest] = line.filter((p): p is string => typeof p === 'string');
  const dims: string[] = [];
  for (let i = 0; i + 1 < rest.length; i += 2) dims.push(`${rest[i]}=${rest[i + 1]}`);
  return [namespace, name, ...dims].join(' ');
}

/** The environment the fleet scan function gets. */
function fleetScanEnvironment(template: Template): Record<string, unknown> {
  const fleetScan = Object.values(template.findResources('AWS::Lambda::Function')).find(
    (f) =>
      (f.Metadata as Record<string, string>)['rekey:handler'] === 'lambdas/fleet-scan/handler.ts',
  );
  return (fleetScan?.Properties as { Environment: { Variables: Record<string, unknown> } })
    .Environment.Variables;
}

/** The one alarm on this compliance metric. */
function alarmOnMetric(template: Template, metricName: string): Record<string, unknown> {
  const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'))
    .map((a) => a.Properties as Record<string, unknown>)
    .filter((p) =>
      ((p.Metrics ?? []) as AlarmMetric[]).some(
        (m) => m.MetricStat?.Metric.MetricName === metricName,
      ),
    );
  expect(alarms).toHaveLength(1);
  return alarms[0] ?? {};
}

const pastMaxAgeAlarm = (template: Template): Record<string, unknown> =>
  alarmOnMetric(template, 'KeysPastMaxAge');

const rootAccessKeysAlarm = (template: Template): Record<string, unknown> =>
  alarmOnMetric(template, 'RootAccessKeys');

describe('the keys-past-maximum-age alarm', () => {
  let stack: RekeyStack;
  let template: Template;
  beforeAll(() => {
    ({ stack, template } = realApp());
  });

  it("fires when the latest scan counts any key past 90 days, on the scan's own metric", () => {
    const alarm = pastMaxAgeAlarm(template);

    expect(alarm).toMatchObject({
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
      AlarmDescription: expect.stringContaining('older than 90 days') as unknown,
    });
    expect(alarm.Metrics).toEqual([
      expect.objectContaining({
        ReturnData: true,
        MetricStat: {
          Metric: {
            Namespace: 'rekey',
            MetricName: 'KeysPastMaxAge',
            Dimensions: [{ Name: 'service', Value: 'rekey' }],
          },
          Period: 86_400,
          Stat: 'Maximum',
        },
      }),
    ]);
  });

  it('notifies the rekey topic', () => {
    expect(pastMaxAgeAlarm(template).AlarmActions).toEqual([resolved(stack, stack.topic.topicArn)]);
  });

  it('has no action without a topic', () => {
    expect(pastMaxAgeAlarm(rotationStack().template).AlarmActions).toBeUndefined();
  });
});

describe('the root-access-keys alarm', () => {
  let stack: RekeyStack;
  let template: Template;
  beforeAll(() => {
    ({ stack, template } = realApp());
  });

  it("fires when the latest scan counts any active root access key (IAM.4), on the scan's own metric", () => {
    const alarm = rootAccessKeysAlarm(template);

    expect(alarm).toMatchObject({
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
      AlarmDescription: expect.stringContaining('IAM.4') as unknown,
    });
    expect(alarm.AlarmDescription).toContain('rekey never rotates or deletes it');
    expect(alarm.Metrics).toEqual([
      expect.objectContaining({
        MetricStat: {
          Metric: {
            Namespace: 'rekey',
            MetricName: 'RootAccessKeys',
            Dimensions: [{ Name: 'service', Value: 'rekey' }],
          },
          Period: 86_400,
          Stat: 'Maximum',
        },
      }),
    ]);
  });

  it('notifies the rekey topic, and has no action without one', () => {
    expect(rootAccessKeysAlarm(template).AlarmActions).toEqual([
      resolved(stack, stack.topic.topicArn),
    ]);
    expect(rootAccessKeysAlarm(rotationStack().template).AlarmActions).toBeUndefined();
  });
});

describe('the rekey dashboard', () => {
  let stack: RekeyStack;
  let template: Template;
  let widgets: Widget[];
  beforeAll(() => {
    ({ stack, template } = realApp());
    ({ widgets } = dashboardOf(template));
  });

  it.each([
    ['rotation', (s: RekeyStack) => s.rotation.stateMachine],
    ['fleet scan', (s: RekeyStack) => s.rotation.fleetScan.stateMachine],
  ])('graphs the executions of the %s state machine', (_, stateMachine) => {
    const arn = render(resolved(stack, stateMachine(stack).stateMachineArn));
    const lines = metricLines(widgets)
      .map(describeLine)
      .filter((l) => l.endsWith(`StateMachineArn=${arn}`));

    expect(lines.sort()).toEqual(
      ['Aborted', 'Failed', 'Started', 'Succeeded', 'TimedOut']
        .map((m) => `AWS/States Executions${m} StateMachineArn=${arn}`)
        .sort(),
    );
  });

  it('graphs the compliance counts of every scan', () => {
    const compliance = new Set(
      metricLines(widgets)
        .map(describeLine)
        .filter((l) => l.startsWith('rekey ')),
    );

    expect([...compliance].sort()).toEqual(
      [
        'ExemptionsExpired',
        'KeysPastMaxAge',
        'OldestActiveKeyAgeDays',
        'RootAccessKeys',
        'RotationsDeferred',
        'RotationsFailed',
        'RotationsRefused',
        'RotationsStarted',
        'UsersCompliant',
        'UsersDue',
        'UsersExempt',
      ]
        .map((name) => `rekey ${name} service=rekey`)
        .sort(),
    );
  });

  it('shows the state of all four alarms', () => {
    const alarmWidgets = widgets.filter((w) => w.type === 'alarm');
    const alarmArns = Object.keys(template.findResources('AWS::CloudWatch::Alarm')).map(
      (id) => `\${${id}.Arn}`,
    );

    expect(alarmWidgets).toHaveLength(1);
    expect([...(alarmWidgets[0]?.properties.alarms ?? [])].sort()).toEqual(alarmArns.sort());
    expect(alarmArns).toHaveLength(4);
  });
});

describe('the compliance metrics the fleet scan publishes', () => {
  const iamClient = new IAMClient({ region: 'us-east-1' });
  const sfnClient = new SFNClient({ region: 'us-east-1' });
  const iam = mockClient(iamClient);
  const sfn = mockClient(sfnClient);
  afterEach(() => jest.restoreAllMocks());

  /** The metrics (`namespace name dim=value`) one scan of an empty account writes as EMF. */
  async function published(environment: Record<string, unknown>): Promise<string[]> {
    iam.reset();
    sfn.reset();
    iam.on(GetCredentialReportCommand).resolves({
      Content: new TextEncoder().encode('user,arn\n<root_account>,arn:aws:iam::1:root\n'),
    });
    const output = captureOutput();
    await scan(
      { input: { dryRun: true }, executionArn: EXECUTION_ARN },
      {
        iam: iamClient,
        sfn: sfnClient,
        telemetry: new FakeTelemetry(),
        // As the handler builds it: the namespace and service come from the function's environment.
        metrics: new Metrics({
          namespace: String(environment.POWERTOOLS_METRICS_NAMESPACE),
          serviceName: String(environment.POWERTOOLS_SERVICE_NAME),
        }),
        clock: new FakeClock(NOW),
        config: testConfig(),
      },
    );
    return output.records().flatMap((record) => {
      const emf = (
        record._aws as
          | {
              CloudWatchMetrics: {
                Namespace: string;
                Dimensions: string[][];
                Metrics: { Name: string }[];
              }[];
            }
          | undefined
      )?.CloudWatchMetrics;
      return (emf ?? []).flatMap((d) =>
        d.Metrics.map((m) =>
          [
            d.Namespace,
            m.Name,
            ...d.Dimensions.flat().map((k) => `${k}=${String(record[k])}`),
          ].join(' '),
        ),
      );
    });
  }

  it('include every metric the dashboard and the alarms read, in their namespace and dimensions', async () => {
    const template = defaultTemplate();
    const environment = fleetScanEnvironment(template);
    const read = new Set([
      ...metricLines(dashboardOf(template).widgets)
        .map(describeLine)
        .filter((l) => !l.startsWith('AWS/')),
      ...(
        [
          ...((pastMaxAgeAlarm(template).Metrics ?? []) as AlarmMetric[]),
          ...((rootAccessKeysAlarm(template).Metrics ?? []) as AlarmMetric[]),
        ] as AlarmMetric[]
      ).map((m) =>
        describeLine([
          m.MetricStat?.Metric.Namespace ?? '',
          m.MetricStat?.Metric.MetricName ?? '',
          ...(m.MetricStat?.Metric.Dimensions ?? []).flatMap((d) => [d.Name, String(d.Value)]),
        ]),
      ),
    ]);

    const metrics = await published(environment);

    expect(read.size).toBeGreaterThan(0);
    expect([...read].filter((m) => !metrics.includes(m))).toEqual([]);
  });
});

describe('a metrics namespace of its own (two deployments in one account)', () => {
  const { rotation, template, stack } = rotationStack(() => ({ metricsNamespace: 'rekey-team-a' }));

  it('publishes, graphs and alarms in that namespace, and nothing in the default one', () => {
    const variables = fleetScanEnvironment(template);
    const compliance = metricLines(dashboardOf(template).widgets)
      .map(describeLine)
      .filter((l) => !l.startsWith('AWS/'));

    expect(variables.POWERTOOLS_METRICS_NAMESPACE).toBe('rekey-team-a');
    // Report publishes too (RotationsSucceeded, CutoverSeconds, RotationSeconds): every function
    // gets the namespace.
    const namespaces = Object.values(template.findResources('AWS::Lambda::Function')).map(
      (f) =>
        (f.Properties as { Environment: { Variables: Record<string, unknown> } }).Environment
          .Variables.POWERTOOLS_METRICS_NAMESPACE,
    );
    expect(namespaces.length).toBe(11);
    expect(new Set(namespaces)).toEqual(new Set(['rekey-team-a']));
    expect(compliance.length).toBeGreaterThan(0);
    expect(compliance.filter((l) => !l.startsWith('rekey-team-a '))).toEqual([]);
    expect(pastMaxAgeAlarm(template).Metrics).toEqual([
      expect.objectContaining({
        MetricStat: expect.objectContaining({
          Metric: expect.objectContaining({ Namespace: 'rekey-team-a' }) as unknown,
        }) as unknown,
      }),
    ]);
  });

  it('gives the same metrics to alarms of your own', () => {
    const metric = stack.resolve(rotation.metricKeysPastMaxAge().toMetricConfig()) as unknown;

    expect(metric).toMatchObject({
      metricStat: {
        namespace: 'rekey-team-a',
        metricName: 'KeysPastMaxAge',
        dimensions: [{ name: 'service', value: 'rekey' }],
        statistic: 'Maximum',
      },
    });
    expect(rotation.metric('UsersExempt', { statistic: 'Minimum' }).statistic).toBe('Minimum');
    expect(rotation.metricUsersDue().metricName).toBe('UsersDue');
    expect(rotation.metricRotationsFailed().metricName).toBe('RotationsFailed');
    expect(rotation.metricRootAccessKeys().metricName).toBe('RootAccessKeys');
    expect(rootAccessKeysAlarm(template).Metrics).toEqual([
      expect.objectContaining({
        MetricStat: expect.objectContaining({
          Metric: expect.objectContaining({ Namespace: 'rekey-team-a' }) as unknown,
        }) as unknown,
      }),
    ]);
  });

  it.each([['AWS/rekey'], [''], ['rekey team']])('refuses the namespace %j, saying why', (ns) => {
    expect(() => rotationStack(() => ({ metricsNamespace: ns }))).toThrow(
      `metricsNamespace must be 1-255 letters, digits or .-_/#: and must not start with "AWS/" (CloudWatch's rule); got '${ns}'.`,
    );
  });
});
