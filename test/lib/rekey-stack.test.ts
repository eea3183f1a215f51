import { Match, type Template } from 'aws-cdk-lib/assertions';
import type { RekeyStack } from '../../lib/rekey-stack';
import { alarmsOn, realApp, resolved, rotationStack, type AlarmMetric } from './support';

describe('the failure alarm of the deployable stack', () => {
  let stack: RekeyStack;
  let template: Template;
  beforeAll(() => {
    ({ stack, template } = realApp());
  });

  it('is one alarm on failed, timed-out and aborted executions of the rotation state machine', () => {
    // Four alarms in all: this one, failed fleet scans, keys past the maximum age and active
    // root access keys (test/lib/fleet-scan.test.ts, test/lib/dashboard.test.ts).
    template.resourceCountIs('AWS::CloudWatch::Alarm', 4);
    const stateMachineArn = resolved(stack, stack.rotation.stateMachine.stateMachineArn);
    const alarms = alarmsOn(template, stateMachineArn);
    expect(alarms).toHaveLength(1);
    expect(alarms[0]).toMatchObject({
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
    });
    const all = (alarms[0]?.Metrics ?? []) as AlarmMetric[];

    const stats = all.filter((m) => m.MetricStat);
    expect(stats.map((m) => m.MetricStat?.Metric.MetricName).sort()).toEqual([
      'ExecutionsAborted',
      'ExecutionsFailed',
      'ExecutionsTimedOut',
    ]);
    for (const m of stats) {
      expect(m.MetricStat).toMatchObject({
        Metric: {
          Namespace: 'AWS/States',
          Dimensions: [{ Name: 'StateMachineArn', Value: stateMachineArn }],
        },
        Stat: 'Sum',
      });
      expect(m.ReturnData).toBe(false);
    }
    // The alarm fires on the sum of the three, not on any single one.
    const [expression, ...others] = all.filter((m) => m.Expression !== undefined);
    expect(others).toEqual([]);
    expect(expression?.ReturnData).toBe(true);
    for (const m of stats) expect(expression?.Expression).toContain(m.Id);
  });

  it('notifies the rekey topic, as every rekey alarm does', () => {
    template.allResourcesProperties('AWS::CloudWatch::Alarm', {
      AlarmActions: [resolved(stack, stack.topic.topicArn)],
    });
  });

  it('outputs the state machine, the topic and the secret prefix', () => {
    template.hasOutput('RotationStateMachineArn', {
      Value: resolved(stack, stack.rotation.stateMachine.stateMachineArn),
    });
    template.hasOutput('NotificationTopicArn', { Value: resolved(stack, stack.topic.topicArn) });
    template.hasOutput('SecretPrefix', { Value: 'rekey/' });
  });
});

describe('the alarms of a KeyRotation without a topic', () => {
  it('have no alarm action', () => {
    const { template } = rotationStack();

    template.resourceCountIs('AWS::CloudWatch::Alarm', 4);
    template.allResourcesProperties('AWS::CloudWatch::Alarm', { AlarmActions: Match.absent() });
  });
});
