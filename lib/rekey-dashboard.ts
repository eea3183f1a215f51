import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { METRICS, METRICS_SERVICE, type MetricName } from '../lambdas/shared/metrics';

export interface RekeyDashboardProps {
  readonly rotation: IStateMachine;
  readonly fleetScan: IStateMachine;
  /** Alarms shown on the dashboard. */
  readonly alarms: readonly cloudwatch.IAlarm[];
  readonly topic?: ITopic;
  readonly maxKeyAgeDays: number;
  /** The namespace the fleet scan publishes its metrics in. */
  readonly metricsNamespace: string;
}

/**
 * One of the fleet scan's compliance metrics (Powertools Metrics): the latest scan's figure, so
 * the maximum over a day by default.
 */
export function complianceMetric(
  namespace: string,
  metricName: MetricName,
  props: cloudwatch.MetricOptions = {},
): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace,
    metricName,
    dimensionsMap: { service: METRICS_SERVICE },
    statistic: 'Maximum',
    period: Duration.days(1),
    ...props,
  });
}

/**
 * What a platform team watches: alarms on keys past the maximum age and on active root access
 * keys, and a dashboard of both state machines and the compliance metrics each scan publishes.
 */
export class RekeyDashboard extends Construct {
  public readonly dashboard: cloudwatch.Dashboard;
  public readonly pastMaxAgeAlarm: cloudwatch.Alarm;
  /** Any active access key of the root user (Security Hub IAM.4), which rekey never touches. */
  public readonly rootAccessKeysAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: RekeyDashboardProps) {
    super(scope, id);
    const metric = (name: MetricName, label: string): cloudwatch.Metric =>
      complianceMetric(props.metricsNamespace, name, { label });
    this.pastMaxAgeAlarm = metric(
      METRICS.keysPastMaxAge,
      'Users with a key past the maximum age',
    ).createAlarm(this, 'KeysPastMaxAge', {
      alarmDescription: `An active access key is older than ${props.maxKeyAgeDays} days (Security Hub IAM.3): see the latest fleet scan's summary.`,
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    if (props.topic) this.pastMaxAgeAlarm.addAlarmAction(new actions.SnsAction(props.topic));
    this.rootAccessKeysAlarm = metric(
      METRICS.rootAccessKeys,
      'Active access keys of the root user',
    ).createAlarm(this, 'RootAccessKeys', {
      alarmDescription:
        "The root user has an active access key (Security Hub IAM.4, critical). rekey never rotates or deletes it: only the root user can; delete it as root (see the latest fleet scan's notification).",
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    if (props.topic) this.rootAccessKeysAlarm.addAlarmAction(new actions.SnsAction(props.topic));

    const executions = (sm: IStateMachine): cloudwatch.IMetric[] => [
      sm.metricStarted({ statistic: 'Sum', label: 'started' }),
      sm.metricSucceeded({ statistic: 'Sum', label: 'succeeded' }),
      sm.metricFailed({ statistic: 'Sum', label: 'failed' }),
      sm.metricAborted({ statistic: 'Sum', label: 'aborted' }),
      sm.metricTimedOut({ statistic: 'Sum', label: 'timed out' }),
    ];
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.days(14),
      widgets: [
        [
          new cloudwatch.AlarmStatusWidget({
            title: 'rekey alarms',
            alarms: [...props.alarms, this.pastMaxAgeAlarm, this.rootAccessKeysAlarm],
            width: 8,
          }),
          new cloudwatch.SingleValueWidget({
            title: 'Latest scan',
            metrics: [
              metric(METRICS.keysPastMaxAge, 'keys past max age'),
              metric(METRICS.usersDue, 'due'),
              metric(METRICS.oldestActiveKeyAgeDays, 'oldest key (days)'),
              metric(METRICS.rotationsFailed, 'failed'),
              metric(METRICS.rootAccessKeys, 'root access keys'),
            ],
            width: 16,
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Rotations',
            left: executions(props.rotation),
            width: 12,
          }),
          new cloudwatch.GraphWidget({
            title: 'Fleet scans',
            left: executions(props.fleetScan),
            width: 12,
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Compliance (per scan)',
            left: [
              metric(METRICS.usersCompliant, 'compliant'),
              metric(METRICS.usersDue, 'due'),
              metric(METRICS.keysPastMaxAge, 'past max age'),
              metric(METRICS.usersExempt, 'exempt'),
              metric(METRICS.exemptionsExpired, 'expired exemptions'),
              metric(METRICS.rotationsRefused, 'refused'),
              metric(METRICS.rotationsFailed, 'failed'),
              metric(METRICS.rotationsStarted, 'started'),
              metric(METRICS.rotationsDeferred, 'deferred'),
            ],
            width: 24,
          }),
        ],
      ],
    });
  }
}
