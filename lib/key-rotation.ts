import { Annotations, Aws, Duration, Names, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import {
  ENV,
  type AttributionSetting,
  type DeployedPolicy,
  type EmergencySettings,
  type FleetSettings,
  type SelectionSetting,
} from '../lambdas/shared/config';
import { DEFAULT_POLICY } from '../lambdas/shared/policy';
import { acknowledge, acknowledgeStateMachineRole } from './nag';
import { grantRead, usersDecryptOwnSecret } from './consumer-access';
import {
  ConsumerAccess,
  resolveProps,
  type KeyRotationProps,
  type ResolvedProps,
} from './key-rotation-props';
import { executionsOf, RekeyScope } from './permissions';
import { RekeyFunction, type RekeyFunctionProps } from './rekey-function';
import { FleetScan } from './fleet-scan';
import { ExposureRule } from './exposure-rule';
import { boundedLogDeliveryKey } from './log-delivery';
import { complianceMetric, RekeyDashboard } from './rekey-dashboard';
import { METRICS, type MetricName } from '../lambdas/shared/metrics';
import { RotationWorkflow, type RotationSteps } from './rotation-workflow';

/**
 * What a rotation step may do beyond its logs, tracing, events and notifications: IAM actions on
 * the managed users, Secrets Manager actions on the users' secrets, rekey's KMS key through
 * Secrets Manager, reading this state machine's executions, and CloudTrail lookups.
 */
interface StepGrants {
  /** On users under the managed path (RekeyScope.iam). */
  readonly iam?: readonly string[];
  /** On secrets under the prefix (RekeyScope.secrets). */
  readonly secrets?: readonly string[];
  /** kms:Decrypt (`read`), with kms:GenerateDataKey (`write`), via Secrets Manager only. */
  readonly secretsKey?: 'read' | 'write';
  /** Why the step reads this state machine's executions (the cdk-nag acknowledgement). */
  readonly readsExecutions?: string;
  /** Whether it may also stop them (states:StopExecution, in the same statement). */
  readonly stopsExecutions?: boolean;
  /** cloudtrail:LookupEvents, on "*" (the action has no resource type). */
  readonly lookupEvents?: boolean;
}

/** Each rotation step's grants, one row a step: the least-privilege proof runs every one. */
function rotationGrants(s: ResolvedProps): Record<keyof RotationSteps, StepGrants> {
  return {
    inspect: {
      // GetAccessKeyLastUsed: an unknown key is rekey's provable orphan only if it was never used.
      iam: ['GetUser', 'ListUserTags', 'ListAccessKeys', 'GetAccessKeyLastUsed'],
      secrets: ['DescribeSecret', 'GetSecretValue'],
      secretsKey: 'read',
      readsExecutions:
        'Inspect reads whether the execution that owns a rotation, or left a creating-marker, is still running, and an emergency rotation stops the planned rotation of the same user that it takes over: any execution of this rotation state machine.',
      // An emergency takes over a running planned rotation of its user (StopExecution).
      stopsExecutions: true,
    },
    stageKey: {
      iam: [
        'ListAccessKeys',
        'CreateAccessKey',
        'UpdateAccessKey',
        'DeleteAccessKey',
        'GetAccessKeyLastUsed',
      ],
      secrets: [
        'CreateSecret',
        'DescribeSecret',
        'GetSecretValue',
        'PutSecretValue',
        'TagResource',
        'UntagResource',
        // consumerAccess SELF: the secret's resource policy lets the user (and its readers) read it.
        ...(s.consumerAccess === ConsumerAccess.SELF ? ['PutResourcePolicy'] : []),
      ],
      secretsKey: 'write',
      readsExecutions:
        "StageKey reads whether the execution behind another rotation's creating-marker is still running: any execution of this rotation state machine.",
    },
    verifyKey: {
      // ListAccessKeys: a refused new key is propagation delay unless it was deleted or deactivated.
      iam: ['ListAccessKeys'],
      // DescribeSecret: a refused read says why only once rekey knows whether the secret went away.
      secrets: ['DescribeSecret', 'GetSecretValue'],
      secretsKey: 'read',
    },
    promoteKey: { secrets: ['DescribeSecret', 'UpdateSecretVersionStage'] },
    checkCutover: {
      iam: ['GetAccessKeyLastUsed'],
      // Attribution: who still uses the old key. Only this step looks events up.
      lookupEvents: s.attribution,
      // DescribeSecret: stop waiting once the secret (the new key's only copy) is going away.
      secrets: ['DescribeSecret'],
    },
    deactivateKey: { iam: ['ListAccessKeys', 'UpdateAccessKey'], secrets: ['DescribeSecret'] },
    deleteKey: { iam: ['ListAccessKeys', 'DeleteAccessKey'], secrets: ['DescribeSecret'] },
    report: {},
    compensate: {
      iam: ['ListAccessKeys', 'UpdateAccessKey', 'DeleteAccessKey', 'GetAccessKeyLastUsed'],
      secrets: ['DescribeSecret', 'GetSecretValue', 'UpdateSecretVersionStage', 'UntagResource'],
      secretsKey: 'read',
    },
  };
}

/** The compliance threshold (Security Hub IAM.3, AWS Config access-keys-rotated): not a setting. */
const MAX_KEY_AGE_DAYS = DEFAULT_POLICY.maxKeyAgeDays;

/**
 * Rotates IAM users' access keys without breaking the applications that use them: a Standard
 * state machine (one execution per rotation, input `{"userName": "alice"}`) whose Lambdas create
 * a new key, publish it to the user's secret, wait until the keys' last use shows the
 * applications moved, then deactivate and later delete the old key.
 */
export class KeyRotation extends Construct {
  /** The per-user rotation state machine. */
  public readonly stateMachine: sfn.StateMachine;
  /** Encrypts the secrets, logs, topic and state machine data. */
  public readonly encryptionKey: kms.IKey;
  /** Alarm on failed, timed-out and aborted rotations. */
  public readonly failureAlarm: cloudwatch.Alarm;
  /** The step functions, by step name. */
  public readonly functions: Readonly<Record<keyof RotationSteps, RekeyFunction>>;
  public readonly topic?: ITopic;
  /** The validated policy. */
  public readonly settings: ResolvedProps;
  /** Bounds of every permission: the managed path and the secret prefix. */
  public readonly scope: RekeyScope;
  /** Environment every rekey Lambda gets. */
  public readonly environment: Readonly<Record<string, string>>;
  public readonly logRetention: logs.RetentionDays;
  /** The scheduled fleet scan: its state machine, schedule and alarm. */
  public readonly fleetScan: FleetScan;
  /** The fleet scan's functions. */
  public readonly fleetFunctions: Readonly<Record<'fleetReport' | 'fleetScan', RekeyFunction>>;
  /** Compliance alarm, dashboard of both state machines and the compliance metrics. */
  public readonly dashboard: RekeyDashboard;
  /** AWS Health's exposed-key event starts an emergency rotation (emergencyOnExposure). */
  public readonly exposureRule?: ExposureRule;
  private readonly stateMachineName: string;

  constructor(scope: Construct, id: string, props: KeyRotationProps = {}) {
    super(scope, id);
    this.settings = resolveProps(props, `KeyRotation at ${this.node.path}`);
    const s = this.settings;
    warnIfKeysOutliveNinetyDays(this, s);
    this.topic = props.topic;
    this.logRetention = props.logRetention ?? logs.RetentionDays.ONE_YEAR;
    this.encryptionKey =
      props.encryptionKey ??
      new kms.Key(this, 'Key', {
        description: 'rekey: secrets, logs, notifications and state machine data',
        enableKeyRotation: true,
      });
    this.allowServicesToUseKey();
    if (s.consumerAccess === ConsumerAccess.SELF) {
      // A key imported from elsewhere ignores this: add the statement to its policy yourself.
      this.encryptionKey.addToResourcePolicy(usersDecryptOwnSecret(this.encryptionKey, s));
    }
    this.scope = new RekeyScope(s.managedPath, s.secretPrefix, this.encryptionKey);
    const stateMachineName = `${Names.uniqueResourceName(this, { maxLength: 60, separator: '-' })}-rotation`;
    this.stateMachineName = stateMachineName;
    const eventBusName = props.eventBus?.eventBusName ?? 'default';
    // Every setting, each once: loadConfig refuses a policy with a key missing or unknown, and
    // `satisfies` makes that a compile error here.
    this.environment = {
      [ENV.secretPrefix]: s.secretPrefix,
      [ENV.managedPath]: s.managedPath,
      [ENV.kmsKeyArn]: this.encryptionKey.keyArn,
      [ENV.eventBusName]: eventBusName,
      ...(props.topic && { [ENV.topicArn]: props.topic.topicArn }),
      [ENV.policy]: JSON.stringify({
        rotateAfterDays: s.rotateAfterDays,
        cutoverDeadlineSeconds: s.cutoverDeadlineSeconds,
        deadlineAction: s.deadlineAction,
        pollInitialSeconds: s.pollInitialSeconds,
        pollMaxSeconds: s.pollMaxSeconds,
        recoveryWindowSeconds: s.recoveryWindowSeconds,
        lastUsedLagSeconds: s.lastUsedLagSeconds,
        inactiveKeyAction: s.inactiveKeyAction,
      } satisfies DeployedPolicy),
      [ENV.selection]: JSON.stringify({
        mode: s.userSelection,
        minRotateAfterDays: s.minRotateAfterDays,
      } satisfies SelectionSetting),
      [ENV.consumerAccess]: s.consumerAccess,
      // Every function's metrics (the scan's and Report's) in this deployment's namespace.
      POWERTOOLS_METRICS_NAMESPACE: s.metricsNamespace,
    };
    const eventBusArn =
      props.eventBus?.eventBusArn ??
      `arn:${Aws.PARTITION}:events:${Aws.REGION}:${Aws.ACCOUNT_ID}:event-bus/default`;

    const fn = (
      step: string,
      description: string,
      extra: Partial<
        Pick<RekeyFunctionProps, 'environment' | 'timeout' | 'memorySize' | 'starResourceReason'>
      > & {
        /** Whether the step emits events (every step but fleet-report). */
        readonly telemetry?: boolean;
        /** Whether the step notifies operators (SNS): only the steps whose code calls notify. */
        readonly notifies?: boolean;
      } = {},
    ): RekeyFunction => {
      const { telemetry = true, notifies = false, ...functionProps } = extra;
      const f = new RekeyFunction(this, step, {
        step,
        description,
        encryptionKey: this.encryptionKey,
        logRetention: this.logRetention,
        ...functionProps,
        environment: { ...this.environment, ...functionProps.environment },
      });
      if (!telemetry) return f;
      f.role.addToPrincipalPolicy(
        new iam.PolicyStatement({ actions: ['events:PutEvents'], resources: [eventBusArn] }),
      );
      if (props.topic && notifies) this.grantNotify(f.role, props.topic);
      return f;
    };
    const sc = this.scope;
    const grants = rotationGrants(s);
    const readExecutions = (role: iam.IRole, why: string, stop = false): void => {
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['states:DescribeExecution', ...(stop ? ['states:StopExecution'] : [])],
          resources: [executionsOf(stateMachineName).arn],
        }),
      );
      acknowledge(role, executionsOf(stateMachineName).finding, why);
    };
    /** A step's grants from the table, always in this order (its role's policy reads so). */
    const grant = (f: RekeyFunction, g: StepGrants): RekeyFunction => {
      if (g.iam) sc.iam(f.role, g.iam);
      if (g.lookupEvents) {
        f.role.addToPrincipalPolicy(
          new iam.PolicyStatement({ actions: ['cloudtrail:LookupEvents'], resources: ['*'] }),
        );
      }
      if (g.secrets) sc.secrets(f.role, g.secrets);
      if (g.secretsKey) sc.secretsKey(f.role, g.secretsKey === 'write');
      if (g.readsExecutions) readExecutions(f.role, g.readsExecutions, g.stopsExecutions);
      return f;
    };
    const inspect = grant(
      fn('inspect', 'validate the input and decide', {
        notifies: true,
        environment: {
          [ENV.emergency]: JSON.stringify({
            recoveryWindowSeconds: s.emergencyRecoveryWindowSeconds,
            graceSeconds: s.emergencyGraceSeconds,
          } satisfies EmergencySettings),
        },
      }),
      grants.inspect,
    );
    const stageKey = grant(
      fn('stage-key', 'create the new key and stage it as AWSPENDING'),
      grants.stageKey,
    );
    const verifyKey = grant(fn('verify-key', 'prove the new key works'), grants.verifyKey);
    const promoteKey = grant(fn('promote-key', 'make the new key AWSCURRENT'), grants.promoteKey);
    const checkCutover = grant(
      fn('check-cutover', "compare the keys' last use", {
        notifies: true,
        ...(s.attribution && {
          environment: {
            [ENV.attribution]: JSON.stringify({
              regions: s.attributionRegions,
            } satisfies AttributionSetting),
          },
          starResourceReason:
            "cloudtrail:LookupEvents has no resource type (it looks up the account's event history, here by the old access key id), and X-Ray tracing supports no resource-level permissions.",
        }),
      }),
      grants.checkCutover,
    );
    const deactivateKey = grant(
      fn('deactivate-key', 'deactivate the old key'),
      grants.deactivateKey,
    );
    const deleteKey = grant(fn('delete-key', 'delete the old key'), grants.deleteKey);
    const report = grant(fn('report', 'report the completed rotation'), grants.report);
    const compensate = grant(
      fn('compensate', 'restore a safe state after a failure', { notifies: true }),
      grants.compensate,
    );
    this.functions = {
      inspect,
      stageKey,
      verifyKey,
      promoteKey,
      checkCutover,
      deactivateKey,
      deleteKey,
      report,
      compensate,
    };

    // Both state machines log to CloudWatch Logs with the key: log delivery's use of it is bounded.
    const loggingKey = boundedLogDeliveryKey(this, this.encryptionKey);
    const workflow = new RotationWorkflow(this, 'Workflow', {
      inspect: inspect.function,
      stageKey: stageKey.function,
      verifyKey: verifyKey.function,
      promoteKey: promoteKey.function,
      checkCutover: checkCutover.function,
      deactivateKey: deactivateKey.function,
      deleteKey: deleteKey.function,
      report: report.function,
      compensate: compensate.function,
    });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName,
      stateMachineType: sfn.StateMachineType.STANDARD,
      comment:
        'rekey: rotate one IAM user access key. Input: {"userName": "alice", "dryRun"?: false}',
      definitionBody: sfn.DefinitionBody.fromChainable(workflow.definition),
      queryLanguage: sfn.QueryLanguage.JSON_PATH,
      tracingEnabled: true,
      encryptionConfiguration: new sfn.CustomerManagedEncryptionConfiguration(loggingKey),
      logs: {
        destination: new logs.LogGroup(this, 'StateMachineLogs', {
          logGroupName: `/aws/vendedlogs/states/${stateMachineName}`,
          retention: this.logRetention,
          encryptionKey: this.encryptionKey,
        }),
        level: sfn.LogLevel.ALL,
        includeExecutionData: true,
      },
    });
    (this.stateMachine.node.defaultChild as sfn.CfnStateMachine).addMetadata(
      'rekey:state-machine',
      'rotation',
    );
    acknowledgeStateMachineRole(this.stateMachine, Object.values(this.functions));
    if (s.emergencyOnExposure) {
      this.exposureRule = new ExposureRule(this, 'ExposureRule', {
        rotation: this.stateMachine,
        encryptionKey: loggingKey,
      });
    }

    const fleetScanName = `${Names.uniqueResourceName(this, { maxLength: 60, separator: '-' })}-fleet-scan`;
    const credentialReportReason =
      'The credential report actions have no resource type (one report covers the account), and X-Ray tracing supports no resource-level permissions.';
    const fleetReport = fn('fleet-report', 'have IAM generate the credential report', {
      starResourceReason: credentialReportReason,
      telemetry: false,
    });
    const fleetScan = fn('fleet-scan', 'decide every user and start due rotations', {
      starResourceReason: credentialReportReason,
      timeout: Duration.minutes(15),
      memorySize: 1024,
      notifies: true,
      environment: {
        [ENV.rotationStateMachineArn]: this.stateMachine.stateMachineArn,
        [ENV.fleet]: JSON.stringify({
          maxConcurrentRotations: s.maxConcurrentRotations,
          exemptionWarningDays: s.exemptionWarningDays,
        } satisfies FleetSettings),
      },
    });
    sc.iam(fleetScan.role, ['ListUserTags']);
    this.fleetScan = new FleetScan(this, 'FleetScan', {
      reportFunction: fleetReport,
      scanFunction: fleetScan,
      rotation: this.stateMachine,
      rotationStateMachineName: stateMachineName,
      stateMachineName: fleetScanName,
      encryptionKey: loggingKey,
      logRetention: this.logRetention,
      topic: props.topic,
      schedule: props.scanSchedule,
      timeZone: props.scanTimeZone,
      enabled: props.scanEnabled,
      auditOnly: props.auditOnly,
    });
    this.fleetFunctions = { fleetReport, fleetScan };

    const failures = new cloudwatch.MathExpression({
      expression: 'failed + timedOut + aborted',
      usingMetrics: {
        failed: this.stateMachine.metricFailed({ statistic: 'Sum' }),
        timedOut: this.stateMachine.metricTimedOut({ statistic: 'Sum' }),
        aborted: this.stateMachine.metricAborted({ statistic: 'Sum' }),
      },
      period: Duration.minutes(5),
      label: 'Failed, timed-out and aborted rotations',
    });
    this.failureAlarm = failures.createAlarm(this, 'RotationFailures', {
      alarmDescription:
        'A rekey rotation failed, timed out or was aborted: read its execution and the rekey topic.',
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    if (props.topic) this.failureAlarm.addAlarmAction(new actions.SnsAction(props.topic));
    this.dashboard = new RekeyDashboard(this, 'Dashboard', {
      rotation: this.stateMachine,
      fleetScan: this.fleetScan.stateMachine,
      alarms: [this.failureAlarm, this.fleetScan.failureAlarm],
      topic: props.topic,
      maxKeyAgeDays: MAX_KEY_AGE_DAYS,
      metricsNamespace: s.metricsNamespace,
    });
    if (props.topic) {
      // Every alarm with an action on the topic, the compliance alarm included.
      this.allowAlarmsToPublish(props.topic, [
        this.failureAlarm,
        this.fleetScan.failureAlarm,
        this.dashboard.pastMaxAgeAlarm,
        this.dashboard.rootAccessKeysAlarm,
      ]);
    }
  }

  /**
   * One of the fleet scan's compliance metrics, in this deployment's namespace: the latest scan's
   * figure (maximum over a day unless `props` says otherwise). For alarms and dashboards of your
   * own; the construct's dashboard and KeysPastMaxAge alarm use the same metrics.
   */
  public metric(name: MetricName, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return complianceMetric(this.settings.metricsNamespace, name, props);
  }

  /** Users with an active key older than 90 days and no exemption (Security Hub IAM.3). */
  public metricKeysPastMaxAge(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(METRICS.keysPastMaxAge, props);
  }

  /** Active access keys of the root user at the latest scan (Security Hub IAM.4): never rotated. */
  public metricRootAccessKeys(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(METRICS.rootAccessKeys, props);
  }

  /** Users due for rotation at the latest scan. */
  public metricUsersDue(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(METRICS.usersDue, props);
  }

  /** Rotations of earlier scans found failed by the latest scan. */
  public metricRotationsFailed(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(METRICS.rotationsFailed, props);
  }

  /**
   * Lets a principal (an application's role) read one user's secret: GetSecretValue and
   * DescribeSecret on it, and kms:Decrypt through Secrets Manager for it alone. A role that
   * reads with this needs nothing in the secret's resource policy (same account).
   */
  public grantReadSecret(grantee: iam.IGrantable, userName: string): iam.Grant {
    return grantRead(grantee, this.encryptionKey, this.settings, userName);
  }

  /**
   * Lets a principal (an operator's role, a pipeline) start a rotation and follow it:
   * `states:StartExecution` on the rotation state machine, `states:DescribeExecution` on its
   * executions, and the KMS use that Step Functions makes as the caller because the state
   * machine's data is encrypted with rekey's key: `kms:GenerateDataKey` to encrypt the input and
   * `kms:Decrypt` to read it, both bounded by the encryption context to this state machine.
   */
  public grantStartRotation(grantee: iam.IGrantable): iam.Grant {
    const stateMachineArn = this.stateMachine.stateMachineArn;
    const grant = this.stateMachine
      .grantStartExecution(grantee)
      .combine(
        iam.Grant.addToPrincipal({
          grantee,
          actions: ['states:DescribeExecution'],
          resourceArns: [executionsOf(this.stateMachineName).arn],
        }),
      )
      .combine(
        iam.Grant.addToPrincipal({
          grantee,
          actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
          resourceArns: [this.encryptionKey.keyArn],
          conditions: {
            StringEquals: { 'kms:EncryptionContext:aws:states:stateMachineArn': stateMachineArn },
          },
        }),
      );
    if (Construct.isConstruct(grantee.grantPrincipal)) {
      acknowledge(
        grantee.grantPrincipal,
        executionsOf(this.stateMachineName).finding,
        "Following a rotation reads its execution, named at run time: any execution of rekey's rotation state machine, no other.",
      );
    }
    return grant;
  }

  /** Lets a role publish to the topic, including through its KMS key (only via SNS). */
  public grantNotify(role: iam.IRole, topic: ITopic): void {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['sns:Publish'], resources: [topic.topicArn] }),
    );
    if (topic.masterKey) {
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
          resources: [topic.masterKey.keyArn],
          // The topic key is often the secrets key: without this, every step could decrypt directly.
          conditions: {
            StringEquals: { 'kms:ViaService': `sns.${topic.env.region}.amazonaws.com` },
          },
        }),
      );
    }
  }

  /**
   * An alarm action publishes as cloudwatch.amazonaws.com, which only the topic policy can allow
   * (a topic policy replaces SNS's default one): bounded to this account and these alarms.
   *
   * To an encrypted topic CloudWatch also needs the topic's key (`kms:GenerateDataKey*`,
   * `kms:Decrypt`: https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html, "Enable
   * compatibility between event sources from AWS services and encrypted topics"), bounded with
   * the keys that request carries: `aws:SourceAccount` and `aws:SourceArn` (the alarm), and the
   * encryption context SNS sets, `aws:sns:topicArn`. Without the bound any alarm of any account,
   * through any topic on this key, could have it generate data keys (a confused deputy). The
   * bound is this account's alarms and topics in this region, not these alarms and this topic:
   * when the topic is encrypted with this key (the deployable stack's is), naming them would make
   * a CloudFormation cycle (key policy → alarm → its action's topic → key). A topic with a key of
   * its own needs nothing from this one.
   */
  private allowAlarmsToPublish(topic: ITopic, alarms: cloudwatch.IAlarm[]): void {
    const { region, account } = Stack.of(this);
    topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowRekeyAlarmsToPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': account },
          ArnEquals: { 'aws:SourceArn': alarms.map((alarm) => alarm.alarmArn) },
        },
      }),
    );
    if (topic.masterKey !== undefined && topic.masterKey !== this.encryptionKey) return;
    // A key imported from elsewhere ignores this; its owner adds the statement.
    this.encryptionKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowAlarmsOfThisAccountToUseKey',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: {
          StringEquals: { 'aws:SourceAccount': account },
          ArnLike: {
            'aws:SourceArn': `arn:${Aws.PARTITION}:cloudwatch:${region}:${account}:alarm:*`,
            'kms:EncryptionContext:aws:sns:topicArn': `arn:${Aws.PARTITION}:sns:${region}:${account}:*`,
          },
        },
      }),
    );
  }

  /** CloudWatch Logs writes every rekey log group encrypted with the key. */
  private allowServicesToUseKey(): void {
    const { region, account } = Stack.of(this);
    this.encryptionKey.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal(`logs.${region}.amazonaws.com`)],
        actions: [
          'kms:Encrypt*',
          'kms:Decrypt*',
          'kms:ReEncrypt*',
          'kms:GenerateDataKey*',
          'kms:Describe*',
        ],
        resources: ['*'],
        conditions: {
          ArnLike: {
            'kms:EncryptionContext:aws:logs:arn': `arn:${Aws.PARTITION}:logs:${region}:${account}:log-group:*`,
          },
        },
      }),
    );
  }
}

/**
 * CIS AWS Foundations and AWS Config's access-keys-rotated rule expect an access key to be
 * rotated within 90 days. A policy whose rotateAfter plus cutoverDeadline goes past that lets a
 * key that waits out its deadline be older than that before rekey is done with it: allowed, but
 * said at synthesis (`cdk synth` prints it; `--strict` fails on it).
 */
function warnIfKeysOutliveNinetyDays(scope: Construct, s: ResolvedProps): void {
  const days = s.rotateAfterDays + s.cutoverDeadlineSeconds / 86_400;
  if (days <= 90) return;
  Annotations.of(scope).addWarningV2(
    'rekey:keyAgeBeyond90Days',
    `rotateAfter (${s.rotateAfterDays} days) plus cutoverDeadline (${s.cutoverDeadlineSeconds / 3600} hours) ` +
      `lets a key reach ${Math.ceil(days)} days before its rotation ends: past the 90 days that ` +
      "CIS AWS Foundations and AWS Config's access-keys-rotated rule expect. Shorten either to stay within 90.",
  );
}
