import { Duration, TimeZone } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { ScheduleExpression } from 'aws-cdk-lib/aws-scheduler';
import * as sns from 'aws-cdk-lib/aws-sns';
import { StateMachine } from 'aws-local-stepfunctions';
import type { RekeyStack } from '../../lib/rekey-stack';
import {
  actionsOf,
  alarmsOn,
  definitionOf,
  handlerOf,
  realApp,
  resolved,
  resourcesOf,
  rotationStack,
  statementsOfRoleId,
  type AlarmMetric,
  type Asl,
  type AslState,
} from './support';

interface ScheduleProps {
  readonly ScheduleExpression: string;
  readonly ScheduleExpressionTimezone?: string;
  readonly State: string;
  readonly FlexibleTimeWindow: { Mode: string };
  readonly Target: {
    readonly Arn: unknown;
    readonly Input: string;
    readonly RoleArn: { 'Fn::GetAtt': [string, string] };
    readonly RetryPolicy?: { MaximumRetryAttempts: number };
  };
}

/** The one schedule in the template. */
function scheduleOf(template: Template): ScheduleProps {
  const schedules = Object.values(template.findResources('AWS::Scheduler::Schedule'));
  expect(schedules).toHaveLength(1);
  return schedules[0]?.Properties as ScheduleProps;
}

function state(asl: Asl, name: string): AslState & Record<string, unknown> {
  const found = asl.States[name];
  if (!found) throw new Error(`no state ${name}`);
  return found as AslState & Record<string, unknown>;
}

/** Step Functions' quota on events in one execution's history. */
const HISTORY_EVENT_QUOTA = 25_000;

describe('the fleet scan schedule of the deployable stack', () => {
  let stack: RekeyStack;
  let template: Template;
  beforeAll(() => {
    ({ stack, template } = realApp());
  });

  it('runs daily at 03:00 UTC, on time, and starts a scan that rotates (not a dry run)', () => {
    const schedule = scheduleOf(template);

    expect(schedule).toMatchObject({
      ScheduleExpression: 'cron(0 3 * * ? *)',
      ScheduleExpressionTimezone: 'Etc/UTC',
      State: 'ENABLED',
      FlexibleTimeWindow: { Mode: 'OFF' },
    });
    expect(schedule.Target.Arn).toEqual(
      resolved(stack, stack.rotation.fleetScan.stateMachine.stateMachineArn),
    );
    expect(JSON.parse(schedule.Target.Input)).toEqual({ dryRun: false });
    expect(schedule.Target.RetryPolicy?.MaximumRetryAttempts).toBeGreaterThan(0);
  });

  it('lets the scheduler role do nothing but start the fleet scan state machine', () => {
    const [roleId] = scheduleOf(template).Target.RoleArn['Fn::GetAtt'];
    const statements = statementsOfRoleId(template, roleId);

    expect(statements.map((s) => [s.Effect, actionsOf(s), resourcesOf(s)])).toEqual([
      // Step Functions encrypts the input with the state machine's key as the caller starts it.
      ['Allow', ['kms:GenerateDataKey'], [{ 'Fn::GetAtt': [expect.any(String), 'Arn'] }]],
      [
        'Allow',
        ['states:StartExecution'],
        [resolved(stack, stack.rotation.fleetScan.stateMachine.stateMachineArn)],
      ],
    ]);
    const role = template.findResources('AWS::IAM::Role')[roleId]?.Properties as {
      AssumeRolePolicyDocument: { Statement: Record<string, unknown>[] };
      ManagedPolicyArns?: unknown;
    };
    expect(role.ManagedPolicyArns).toBeUndefined();
    expect(role.AssumeRolePolicyDocument.Statement).toEqual([
      expect.objectContaining({
        Action: 'sts:AssumeRole',
        Principal: { Service: 'scheduler.amazonaws.com' },
        // Only schedules of this account may assume it (confused deputy).
        Condition: expect.objectContaining({
          StringEquals: expect.objectContaining({
            'aws:SourceAccount': { Ref: 'AWS::AccountId' },
          }) as unknown,
        }) as unknown,
      }),
    ]);
  });
});

describe('the fleet scan schedule given props', () => {
  it('runs the default daily schedule in the given time zone', () => {
    const { template } = rotationStack(() => ({ scanTimeZone: TimeZone.EUROPE_BERLIN }));

    expect(scheduleOf(template)).toMatchObject({
      ScheduleExpression: 'cron(0 3 * * ? *)',
      ScheduleExpressionTimezone: 'Europe/Berlin',
    });
  });

  it('uses a given expression with its own time zone', () => {
    const { template } = rotationStack(() => ({
      scanSchedule: ScheduleExpression.cron({
        minute: '30',
        hour: '22',
        weekDay: 'MON-FRI',
        timeZone: TimeZone.AMERICA_NEW_YORK,
      }),
    }));

    expect(scheduleOf(template)).toMatchObject({
      ScheduleExpression: 'cron(30 22 ? * MON-FRI *)',
      ScheduleExpressionTimezone: 'America/New_York',
    });
  });

  it('uses a given rate expression', () => {
    const { template } = rotationStack(() => ({
      scanSchedule: ScheduleExpression.rate(Duration.hours(12)),
    }));

    expect(scheduleOf(template).ScheduleExpression).toBe('rate(12 hours)');
  });

  it('is disabled, still deployed, when scanEnabled is false', () => {
    const { template } = rotationStack(() => ({ scanEnabled: false }));

    expect(scheduleOf(template).State).toBe('DISABLED');
    template.resourceCountIs('AWS::StepFunctions::StateMachine', 2);
  });

  it('starts dry-run scans when auditOnly is set', () => {
    const { template } = rotationStack(() => ({ auditOnly: true }));

    expect(JSON.parse(scheduleOf(template).Target.Input)).toEqual({ dryRun: true });
  });
});

describe('the fleet scan state machine', () => {
  let stack: RekeyStack;
  let template: Template;
  let asl: Asl;
  let tokens: unknown[];
  beforeAll(() => {
    ({ stack, template } = realApp());
    ({ asl, tokens } = definitionOf(template, 'fleet-scan'));
  });

  it('is a Standard, traced state machine whose data is encrypted with the customer managed key', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineName: Match.stringLikeRegexp('-fleet-scan$'),
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      EncryptionConfiguration: {
        Type: 'CUSTOMER_MANAGED_KMS_KEY',
        KmsKeyId: resolved(stack, stack.rotation.encryptionKey.keyArn),
      },
    });
  });

  it('logs every execution event to its own encrypted vended log group', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineName: Match.stringLikeRegexp('-fleet-scan$'),
      LoggingConfiguration: {
        Level: 'ALL',
        IncludeExecutionData: true,
        Destinations: [
          { CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': [Match.anyValue(), 'Arn'] } } },
        ],
      },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: Match.stringLikeRegexp('^/aws/vendedlogs/states/.+-fleet-scan$'),
      KmsKeyId: resolved(stack, stack.rotation.encryptionKey.keyArn),
      RetentionInDays: 365,
    });
  });

  it('is valid JSONPath by the ASL validator and times out after an hour', () => {
    expect(() => new StateMachine(structuredClone(asl) as never)).not.toThrow();
    expect(asl.QueryLanguage).toBe('JSONPath');
    expect(JSON.stringify(asl)).not.toContain('{%');
    expect((asl as Asl & { TimeoutSeconds?: number }).TimeoutSeconds).toBe(3600);
  });

  it('generates the report, waits for it in a loop, then scans', () => {
    expect(asl.StartAt).toBe('GenerateReport');
    expect(state(asl, 'GenerateReport').Next).toBe('ReportReady');
    const ready = state(asl, 'ReportReady');
    expect(ready.Type).toBe('Choice');
    expect(ready.Choices).toEqual([
      { Variable: '$.report.state', StringEquals: 'COMPLETE', Next: 'ScanUsers' },
      { Variable: '$.report.attempts', NumericGreaterThanEquals: 30, Next: 'ReportNotReady' },
    ]);
    expect(ready.Default).toBe('WaitForReport');
    expect(state(asl, 'WaitForReport')).toMatchObject({
      Type: 'Wait',
      Seconds: 10,
      Next: 'GenerateReport',
    });
    expect(state(asl, 'ScanUsers').Next).toBe('Scanned');
    expect(state(asl, 'Scanned').Type).toBe('Succeed');
    expect(state(asl, 'ReportNotReady')).toMatchObject({ Type: 'Fail', Error: 'ReportNotReady' });
  });

  it('bounds the wait for the report far below the history quota and the timeout', () => {
    const cap = state(asl, 'ReportReady').Choices?.find(
      (c) => (c as { Variable?: string }).Variable === '$.report.attempts',
    ) as { NumericGreaterThanEquals?: number } | undefined;
    const attempts = cap?.NumericGreaterThanEquals ?? Infinity;
    const retries = state(asl, 'GenerateReport').Retry?.[0]?.MaxAttempts ?? Infinity;
    const wait = Number(state(asl, 'WaitForReport').Seconds);
    // A round: the task entered, scheduled, started, succeeded, exited (5), each retry adding
    // scheduled, started, failed (3); the choice (2) and the wait (2).
    const worstCaseEvents = attempts * (5 + 3 * retries + 2 + 2);

    expect(worstCaseEvents).toBeLessThan(HISTORY_EVENT_QUOTA / 20);
    expect(attempts * wait).toBeLessThanOrEqual(10 * 60);
  });

  it('passes the scan its input and its own execution ARN', () => {
    expect(state(asl, 'ScanUsers').Parameters).toEqual({
      'input.$': '$',
      'executionArn.$': '$$.Execution.Id',
    });
  });

  it.each(['GenerateReport', 'ScanUsers'])(
    'retries %s on transient failures and catches anything else into ScanFailed',
    (name) => {
      const task = state(asl, name);

      expect(task.Retry).toEqual([
        expect.objectContaining({
          ErrorEquals: expect.arrayContaining([
            'AwsTransientError',
            'Lambda.ServiceException',
            'Lambda.TooManyRequestsException',
          ]) as unknown,
          MaxAttempts: 5,
          BackoffRate: 2,
        }),
      ]);
      expect(task.Catch).toEqual([{ ErrorEquals: ['States.ALL'], Next: 'ScanFailedCause' }]);
      expect(task.TimeoutSeconds).toBe(900);
    },
  );

  it("fails with a readable cause: the Lambda's error message, never its JSON, trace and file paths", () => {
    expect(state(asl, 'ScanFailedCause').Choices).toEqual([
      { Not: { Variable: '$.Cause', IsPresent: true }, Next: 'ScanFailedWithoutCause' },
      { Variable: '$.Cause', StringMatches: '{*', Next: 'ScanFailedParseCause' },
    ]);
    expect(state(asl, 'ScanFailedCause').Default).toBe('ScanFailedWithPlainCause');
    expect(state(asl, 'ScanFailedParseCause')).toMatchObject({
      Type: 'Pass',
      Parameters: { 'error.$': '$.Error', 'lambda.$': 'States.StringToJson($.Cause)' },
      Next: 'ScanFailed',
    });
    expect(state(asl, 'ScanFailed')).toMatchObject({
      Type: 'Fail',
      ErrorPath: '$.error',
      CausePath: '$.lambda.errorMessage',
    });
    // A cause that is not Lambda's JSON (a timeout, a service error) is kept as it is.
    expect(state(asl, 'ScanFailedWithPlainCause')).toMatchObject({
      Type: 'Fail',
      ErrorPath: '$.Error',
      CausePath: '$.Cause',
    });
  });

  it.each([
    ['GenerateReport', 'fleet-report'],
    ['ScanUsers', 'fleet-scan'],
  ])('invokes the %s task on the %s Lambda', (name, step) => {
    const resource = state(asl, name).Resource ?? '';
    const token = tokens[Number(/token-(\d+)$/.exec(resource)?.[1])];

    expect(handlerOf(template, token)).toBe(`lambdas/${step}/handler.ts`);
  });

  it('gives the scan Lambda the 15 minutes its task allows, and memory for 10,000 users', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('^rekey fleet-scan:'),
      Timeout: 900,
      MemorySize: 1024,
    });
  });
});

describe('the fleet scan failure alarm', () => {
  it('sums failed, timed-out and aborted scans and notifies the topic', () => {
    const { stack, template } = realApp();
    const alarms = alarmsOn(
      template,
      resolved(stack, stack.rotation.fleetScan.stateMachine.stateMachineArn),
    );

    expect(alarms).toHaveLength(1);
    expect(alarms[0]).toMatchObject({
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
      AlarmActions: [resolved(stack, stack.topic.topicArn)],
    });
    const metrics = (alarms[0]?.Metrics ?? []) as AlarmMetric[];
    const stats = metrics.filter((m) => m.MetricStat);
    expect(stats.map((m) => m.MetricStat?.Metric.MetricName).sort()).toEqual([
      'ExecutionsAborted',
      'ExecutionsFailed',
      'ExecutionsTimedOut',
    ]);
    const [sum, ...others] = metrics.filter((m) => m.Expression !== undefined);
    expect(others).toEqual([]);
    for (const m of stats) expect(sum?.Expression).toContain(m.Id);
  });

  it('notifies a topic given to KeyRotation, and nothing without one', () => {
    let topic: sns.Topic | undefined;
    const withTopic = rotationStack((s) => {
      topic = new sns.Topic(s, 'Topic');
      return { topic };
    });
    const without = rotationStack();

    const arn = (r: typeof withTopic): unknown =>
      resolved(r.stack, r.rotation.fleetScan.stateMachine.stateMachineArn);
    expect(alarmsOn(withTopic.template, arn(withTopic))[0]?.AlarmActions).toEqual([
      resolved(withTopic.stack, topic?.topicArn),
    ]);
    expect(alarmsOn(without.template, arn(without))[0]?.AlarmActions).toBeUndefined();
  });
});
