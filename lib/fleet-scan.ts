import { Aws, Duration, TimeZone } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { acknowledge, acknowledgeStateMachineRole } from './nag';
import { executionsOf, grantStartEncrypted } from './permissions';
import { readableFail } from './readable-failure';
import type { RekeyFunction } from './rekey-function';
import { TRANSIENT_ERRORS } from './transient-errors';

export interface FleetScanProps {
  readonly reportFunction: RekeyFunction;
  readonly scanFunction: RekeyFunction;
  readonly rotation: sfn.IStateMachine;
  /** Name of the rotation state machine, to scope DescribeExecution to its executions. */
  readonly rotationStateMachineName: string;
  readonly stateMachineName: string;
  readonly encryptionKey: IKey;
  readonly logRetention: logs.RetentionDays;
  readonly topic?: ITopic;
  /** @default - daily at 03:00 in scanTimeZone */
  readonly schedule?: scheduler.ScheduleExpression;
  /** @default TimeZone.ETC_UTC */
  readonly timeZone?: TimeZone;
  /** @default true */
  readonly enabled?: boolean;
  /** Scheduled scans only report (dry run). @default false */
  readonly auditOnly?: boolean;
}

/**
 * The scheduled fleet scan: a state machine that has IAM generate the credential report, waits
 * for it, then decides every user and starts the due rotations; an EventBridge Scheduler
 * schedule that starts it; and an alarm on failed scans.
 */
export class FleetScan extends Construct {
  public readonly stateMachine: sfn.StateMachine;
  public readonly schedule: scheduler.Schedule;
  public readonly failureAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: FleetScanProps) {
    super(scope, id);
    const invoke = (
      name: string,
      fn: RekeyFunction,
      comment: string,
      payload?: sfn.TaskInput,
    ): tasks.LambdaInvoke => {
      const task = new tasks.LambdaInvoke(this, name, {
        stateName: name,
        comment,
        lambdaFunction: fn.function,
        payloadResponseOnly: true,
        retryOnServiceExceptions: false,
        payload,
        taskTimeout: sfn.Timeout.duration(Duration.minutes(15)),
      });
      task.addRetry({
        errors: [...TRANSIENT_ERRORS],
        interval: Duration.seconds(10),
        backoffRate: 2,
        maxAttempts: 5,
        jitterStrategy: sfn.JitterType.FULL,
      });
      return task;
    };
    const generate = invoke(
      'GenerateReport',
      props.reportFunction,
      'Have IAM generate the credential report (reused when under 4 hours old).',
    );
    const scanUsers = invoke(
      'ScanUsers',
      props.scanFunction,
      'Decide every managed user from the report (tags only for candidates) and start due rotations.',
      sfn.TaskInput.fromObject({
        input: sfn.JsonPath.entirePayload,
        executionArn: sfn.JsonPath.executionId,
      }),
    );
    // The cause is the Lambda's errorMessage alone, never its JSON with a stack trace and file
    // paths (those are in the function's logs). No ResultPath: the error replaces the state.
    const failed = readableFail(
      this,
      'ScanFailed',
      '$',
      'The scan stopped; the cause says what failed and how to get past it.',
    );
    generate.addCatch(failed);
    scanUsers.addCatch(failed);
    const waitForReport = new sfn.Wait(this, 'WaitForReport', {
      stateName: 'WaitForReport',
      time: sfn.WaitTime.duration(Duration.seconds(10)),
    });
    const ready = new sfn.Choice(this, 'ReportReady', { stateName: 'ReportReady' })
      .when(
        sfn.Condition.stringEquals('$.report.state', 'COMPLETE'),
        scanUsers.next(new sfn.Succeed(this, 'Scanned', { stateName: 'Scanned' })),
      )
      .when(
        sfn.Condition.numberGreaterThanEquals('$.report.attempts', 30),
        new sfn.Fail(this, 'ReportNotReady', {
          stateName: 'ReportNotReady',
          error: 'ReportNotReady',
          cause: 'IAM did not finish the credential report within 5 minutes.',
        }),
      )
      .otherwise(waitForReport.next(generate));

    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName: props.stateMachineName,
      stateMachineType: sfn.StateMachineType.STANDARD,
      comment: 'rekey: scan every IAM user and start due rotations. Input: {} or {"dryRun": true}',
      definitionBody: sfn.DefinitionBody.fromChainable(generate.next(ready)),
      queryLanguage: sfn.QueryLanguage.JSON_PATH,
      tracingEnabled: true,
      timeout: Duration.hours(1),
      encryptionConfiguration: new sfn.CustomerManagedEncryptionConfiguration(props.encryptionKey),
      logs: {
        destination: new logs.LogGroup(this, 'Logs', {
          logGroupName: `/aws/vendedlogs/states/${props.stateMachineName}`,
          retention: props.logRetention,
          encryptionKey: props.encryptionKey,
        }),
        level: sfn.LogLevel.ALL,
        includeExecutionData: true,
      },
    });
    (this.stateMachine.node.defaultChild as sfn.CfnStateMachine).addMetadata(
      'rekey:state-machine',
      'fleet-scan',
    );
    acknowledgeStateMachineRole(this.stateMachine, [props.reportFunction, props.scanFunction]);

    this.schedule = new scheduler.Schedule(this, 'Schedule', {
      description: 'rekey: daily fleet scan',
      schedule:
        props.schedule ??
        scheduler.ScheduleExpression.cron({
          minute: '0',
          hour: '3',
          timeZone: props.timeZone ?? TimeZone.ETC_UTC,
        }),
      enabled: props.enabled ?? true,
      target: new targets.StepFunctionsStartExecution(this.stateMachine, {
        input: scheduler.ScheduleTargetInput.fromObject({ dryRun: props.auditOnly ?? false }),
        retryAttempts: 3,
        role: this.scheduleRole(props),
      }),
    });

    this.grantScan(props);
    this.failureAlarm = new cloudwatch.MathExpression({
      expression: 'failed + timedOut + aborted',
      usingMetrics: {
        failed: this.stateMachine.metricFailed({ statistic: 'Sum' }),
        timedOut: this.stateMachine.metricTimedOut({ statistic: 'Sum' }),
        aborted: this.stateMachine.metricAborted({ statistic: 'Sum' }),
      },
      period: Duration.minutes(5),
      label: 'Failed fleet scans',
    }).createAlarm(this, 'ScanFailures', {
      alarmDescription:
        'A rekey fleet scan failed: compliance data and scheduled rotations are missing for today.',
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    if (props.topic) this.failureAlarm.addAlarmAction(new actions.SnsAction(props.topic));
  }

  /** The schedule's role: start this state machine, and only that (confused-deputy guarded). */
  private scheduleRole(props: FleetScanProps): iam.Role {
    const role = new iam.Role(this, 'ScheduleRole', {
      description: 'rekey: EventBridge Scheduler starts the fleet scan',
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
    });
    grantStartEncrypted(role, this.stateMachine.stateMachineArn, props.encryptionKey);
    return role;
  }

  private grantScan(props: FleetScanProps): void {
    const report = props.reportFunction.role;
    const scan = props.scanFunction.role;
    // The one IAM action on "*": credential report actions have no resource type (the report
    // covers the whole account). RekeyFunction's starResourceReason acknowledges it.
    const credentialReport = (role: iam.Role, action: string): void => {
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({ actions: [`iam:${action}`], resources: ['*'] }),
      );
    };
    credentialReport(report, 'GenerateCredentialReport');
    credentialReport(scan, 'GetCredentialReport');
    const rotationArn = props.rotation.stateMachineArn;
    grantStartEncrypted(scan, rotationArn, props.encryptionKey);
    scan.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['states:StartExecution', 'states:ListExecutions'],
        resources: [rotationArn],
      }),
    );
    const executions = executionsOf(props.rotationStateMachineName);
    // DescribeExecution: earlier attempts (metadata only) and the input of running rotations the
    // console started; GetExecutionHistory (without data): the state an attempt ended in.
    scan.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['states:DescribeExecution', 'states:GetExecutionHistory'],
        resources: [executions.arn],
      }),
    );
    scan.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['kms:Decrypt'],
        resources: [props.encryptionKey.keyArn],
        conditions: {
          StringEquals: { 'kms:EncryptionContext:aws:states:stateMachineArn': rotationArn },
        },
      }),
    );
    acknowledge(
      scan,
      executions.finding,
      "The scan reads the rotation executions it started earlier (deterministic names) and the input of running ones whose name does not carry the user; bounded to this rotation state machine's executions.",
    );
  }
}
