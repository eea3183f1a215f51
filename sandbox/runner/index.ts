/**
 * The sandbox's local runner: deploys a synthesized stack to the emulator and runs the state
 * machine executions the emulator starts, with the real handlers, in sandbox time.
 *
 *   const clock = new SandboxClock();
 *   const scheduler = new Scheduler(clock);
 *   const emulator = new Emulator({ clock });
 *   await emulator.start();
 *   const runner = new Runner({ emulator, clock, scheduler, repoRoot });
 *   const stack = await runner.deployTemplate(synthTemplate(app, 'Rekey'));
 */
import '../polyfills';
import { useClock, useSleep } from '../../lambdas/shared/clock';
import type { SandboxClock, Scheduler } from '../clock';
import type { ExecutionRecord, ExecutionRunner, StateMachineRecord } from '../contracts';
import { addControlRoutes } from './control';
import { matchesPattern, targetInput, type BusEvent } from './event-rules';
import { exposedKeyEvent } from './health-event';
import {
  deployStack,
  type DeployedStack,
  type DeployOptions,
  type SandboxEmulator,
} from './deploy';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { Executor } from './executor';
import { installFunctionEnvironments } from './function-env';
import { Identities } from './identities';
import { LambdaHost, assertHandlersCanReach } from './lambda-host';
import { OutputCapture, type LogEntry, type MetricDatum } from './output-capture';
import type { CfnTemplate } from './template';

export { clockState, type ClockState } from './control';
export type { DeployedStack, DeployedStateMachine, DeployOptions, SandboxEmulator } from './deploy';
export type { DeployedAlarm, DeployedSchedule } from './deploy-services';
export type { LambdaFunctionSpec } from './lambda-host';
export type { LogEntry, MetricDatum } from './output-capture';
export { synthTemplate } from './synth';
export type { CfnTemplate } from './template';

export interface RunnerOptions {
  readonly emulator: SandboxEmulator;
  readonly clock: SandboxClock;
  readonly scheduler: Scheduler;
  /** Where the `rekey:handler` paths start. @default process.cwd() */
  readonly repoRoot?: string;
  /** Also print what handlers write. @default false - it is kept in `logs` only */
  readonly verbose?: boolean;
}

/** What an alarm action did: delivered to the topic, or refused by SNS (and why). */
export interface AlarmActionResult {
  readonly topicArn: string;
  readonly delivered: boolean;
  readonly error?: string;
}

/** What one delivery of an injected event did: the execution it started, or why not. */
export interface EventDelivery {
  readonly rule: string;
  readonly target: string;
  readonly executionArn?: string;
  readonly error?: string;
}

export class Runner implements ExecutionRunner {
  readonly clock: SandboxClock;
  readonly scheduler: Scheduler;
  private readonly emulator: SandboxEmulator;
  private readonly capture: OutputCapture;
  private readonly lambdas: LambdaHost;
  private readonly executor: Executor;
  private readonly identities: Identities;
  private deployed?: DeployedStack;

  /** Installs itself as the emulator's runner; start the emulator before deploying. */
  constructor(options: RunnerOptions) {
    this.emulator = options.emulator;
    this.clock = options.clock;
    this.scheduler = options.scheduler;
    this.capture = new OutputCapture(this.clock, options.verbose ?? false);
    this.identities = new Identities(this.emulator);
    this.lambdas = new LambdaHost(options.repoRoot ?? process.cwd(), this.capture, this.identities);
    this.executor = new Executor(this.emulator.executions, {
      scheduler: this.scheduler,
      clock: this.clock,
      lambdas: this.lambdas,
      region: this.emulator.region,
      identityFor: (machine) => this.identities.forStateMachine(machine),
    });
    this.emulator.setRunner(this);
    addControlRoutes(this.emulator, this.scheduler, this.capture);
    // AWS Health's event for an exposed key, delivered to the rules as AWS would send it:
    // {"accessKeyId": "AKIA…", "startTime"?: "<ISO time>"}. Customers cannot put aws.health events.
    this.emulator.addControlRoute('POST', '/_sandbox/health/exposed-key', (body: unknown) => {
      const request =
        typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
      if (typeof request.accessKeyId !== 'string') {
        throw new Error(
          'Give the exposed key: {"accessKeyId": "AKIA…", "startTime"?: "<ISO time>"}',
        );
      }
      const startTime =
        typeof request.startTime === 'string' ? new Date(request.startTime) : undefined;
      return this.deliverEvent(
        exposedKeyEvent(request.accessKeyId, {
          account: this.emulator.accountId,
          now: this.clock.now(),
          ...(startTime && { startTime }),
        }),
      );
    });
    // An alarm's actions, as CloudWatch performs them when the alarm fires: {"alarm": "<name>"}.
    this.emulator.addControlRoute('POST', '/_sandbox/alarms/fire', (body: unknown) => {
      const alarm =
        typeof body === 'object' && body !== null
          ? (body as Record<string, unknown>).alarm
          : undefined;
      if (typeof alarm !== 'string') throw new Error('Give the alarm to fire: {"alarm": "<name>"}');
      return this.fireAlarm(alarm);
    });
  }

  /** What handlers wrote, in order, with sandbox times. */
  get logs(): readonly LogEntry[] {
    return this.capture.logs;
  }

  /** Metric values from the handlers' Embedded Metric Format lines. */
  get metrics(): readonly MetricDatum[] {
    return this.capture.metrics;
  }

  /** Executions this runner is still running. */
  get runningExecutions(): string[] {
    return this.executor.runningExecutions;
  }

  /**
   * Creates the template's roles and policies (through the emulator's IAM API), key and topic
   * policies, topics and event buses, and registers its state machines. Each function then runs
   * with its own environment (its variables, the region, the emulator's endpoint and its role's
   * credentials: function-env.ts). Handlers in this process read the sandbox clock (`useClock`),
   * and a handler's pacing sleep (CloudTrail's 2 lookups per second) moves that clock instead of
   * waiting in real time: the invocation holds the clock, so a sleep on the scheduler would never
   * end, and the emulator's rate limit counts sandbox time.
   */
  async deployTemplate(template: CfnTemplate, options: DeployOptions = {}): Promise<DeployedStack> {
    installFunctionEnvironments();
    assertHandlersCanReach(this.emulator.endpoint);
    const stack = await deployStack(this.emulator, template, options);
    this.lambdas.add(stack.functions);
    useClock(this.clock);
    const clock = this.clock;
    useSleep((ms) => {
      clock.advanceBy(ms);
      return Promise.resolve();
    });
    this.deployed = stack;
    return stack;
  }

  /**
   * Starts a schedule's target as EventBridge Scheduler would: scheduler.amazonaws.com assumes
   * the schedule's role (trust policy, aws:SourceArn) and calls StartExecution with its input.
   */
  async startSchedule(name?: string, input?: string): Promise<string> {
    const schedules = this.deployed?.schedules ?? [];
    const schedule = name === undefined ? schedules[0] : schedules.find((s) => s.name === name);
    if (!schedule) throw new Error(`The deployed stack has no schedule ${name ?? ''}`);
    return this.startAsService(
      { service: 'scheduler.amazonaws.com', roleArn: schedule.roleArn, sourceArn: schedule.arn },
      schedule.targetArn,
      input ?? schedule.input,
    );
  }

  /**
   * StartExecution as an AWS service acting with a customer's role: the service assumes the role
   * (trust policy, aws:SourceArn the schedule or rule) and starts the state machine.
   */
  private async startAsService(
    as: { readonly service: string; readonly roleArn: string; readonly sourceArn: string },
    stateMachineArn: string,
    input: string,
  ): Promise<string> {
    const session = this.emulator.authorization.serviceSession(as.service, as.roleArn, {
      sessionName: `sandbox-${as.service.split('.')[0] ?? 'service'}`,
      sourceArn: as.sourceArn,
    });
    const sfn = new SFNClient({
      endpoint: this.emulator.endpoint,
      region: this.emulator.region,
      credentials: session,
      maxAttempts: 1,
    });
    try {
      const out = await sfn.send(new StartExecutionCommand({ stateMachineArn, input }));
      return out.executionArn ?? '';
    } finally {
      sfn.destroy();
    }
  }

  /**
   * Delivers an event to the deployed rules as EventBridge does (event-rules.ts): each matching
   * rule's Step Functions targets are started as events.amazonaws.com with the target's role
   * (trust policy, aws:SourceArn the rule). For events AWS services send, such as AWS Health's,
   * which customers cannot put on a bus. A refused start is reported, never thrown.
   */
  async deliverEvent(event: BusEvent): Promise<EventDelivery[]> {
    const deliveries: EventDelivery[] = [];
    for (const rule of this.deployed?.rules ?? []) {
      if (rule.eventBusName !== 'default' || !matchesPattern(rule.pattern, event)) continue;
      for (const target of rule.targets) {
        if (!target.arn.includes(':states:') || target.roleArn === undefined) {
          deliveries.push({ rule: rule.name, target: target.arn, error: 'unsupported target' });
          continue;
        }
        try {
          const executionArn = await this.startAsService(
            { service: 'events.amazonaws.com', roleArn: target.roleArn, sourceArn: rule.arn },
            target.arn,
            targetInput(target, event),
          );
          deliveries.push({ rule: rule.name, target: target.arn, executionArn });
        } catch (error) {
          const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
          deliveries.push({ rule: rule.name, target: target.arn, error: text });
        }
      }
    }
    return deliveries;
  }

  /** Performs an alarm's SNS actions as CloudWatch does: as cloudwatch.amazonaws.com. */
  fireAlarm(name: string, reason = 'Threshold Crossed'): AlarmActionResult[] {
    const alarm = this.deployed?.alarms.find((a) => a.name === name || a.arn === name);
    if (!alarm) throw new Error(`The deployed stack has no alarm ${name}`);
    return alarm.actions
      .filter((action) => action.startsWith('arn:aws:sns:'))
      .map((topicArn) => {
        try {
          this.emulator.authorization.publishAsService('cloudwatch.amazonaws.com', alarm.arn, {
            TopicArn: topicArn,
            Subject: `ALARM: "${alarm.name}" in ${this.emulator.region}`,
            Message: JSON.stringify({
              AlarmName: alarm.name,
              AlarmArn: alarm.arn,
              NewStateValue: 'ALARM',
              NewStateReason: reason,
              StateChangeTime: this.clock.now().toISOString(),
            }),
          });
          return { topicArn, delivered: true };
        } catch (error) {
          const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
          return { topicArn, delivered: false, error: text };
        }
      });
  }

  run(execution: ExecutionRecord, stateMachine: StateMachineRecord): void {
    this.executor.run(execution, stateMachine);
  }

  abort(executionArn: string): void {
    this.executor.abort(executionArn);
  }

  /** Stops every running execution without reporting (for shutdown and the end of tests). */
  dispose(): void {
    this.executor.dispose();
  }
}

/** Creates a Runner for the emulator and deploys `template` with it. */
export async function deployTemplate(
  template: CfnTemplate,
  options: RunnerOptions & DeployOptions,
): Promise<{ runner: Runner; stack: DeployedStack }> {
  const runner = new Runner(options);
  const stack = await runner.deployTemplate(template, options);
  return { runner, stack };
}
