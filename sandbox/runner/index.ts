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
import { useClock } from '../../lambdas/shared/clock';
import type { SandboxClock, Scheduler } from '../clock';
import type { ExecutionRecord, ExecutionRunner, StateMachineRecord } from '../contracts';
import { addControlRoutes } from './control';
import {
  deployStack,
  type DeployedStack,
  type DeployOptions,
  type SandboxEmulator,
} from './deploy';
import { Executor } from './executor';
import { LambdaHost, applyEnvironment, mergeEnvironments } from './lambda-host';
import { OutputCapture, type LogEntry, type MetricDatum } from './output-capture';
import { SdkInvoker, type Credentials } from './sdk-integration';
import type { CfnTemplate } from './template';

export { clockState, type ClockState } from './control';
export type { DeployedStack, DeployedStateMachine, DeployOptions, SandboxEmulator } from './deploy';
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

/** System principals per emulator, so that redeploying keeps the environment handlers loaded with. */
const principals = new WeakMap<object, Map<string, Credentials>>();

function systemCredentials(emulator: SandboxEmulator, name: string): Credentials {
  let known = principals.get(emulator);
  if (!known) {
    known = new Map();
    principals.set(emulator, known);
  }
  let credentials = known.get(name);
  if (!credentials) {
    credentials = emulator.createSystemCredentials(name);
    known.set(name, credentials);
  }
  return credentials;
}

export class Runner implements ExecutionRunner {
  readonly clock: SandboxClock;
  readonly scheduler: Scheduler;
  private readonly emulator: SandboxEmulator;
  private readonly capture: OutputCapture;
  private readonly lambdas: LambdaHost;
  private readonly executor: Executor;

  /** Installs itself as the emulator's runner; start the emulator before deploying. */
  constructor(options: RunnerOptions) {
    this.emulator = options.emulator;
    this.clock = options.clock;
    this.scheduler = options.scheduler;
    this.capture = new OutputCapture(this.clock, options.verbose ?? false);
    this.lambdas = new LambdaHost(options.repoRoot ?? process.cwd(), this.capture);
    const sdk = new SdkInvoker(
      () => this.emulator.endpoint,
      this.emulator.region,
      systemCredentials(this.emulator, 'rekey-states'),
    );
    this.executor = new Executor(this.emulator.executions, {
      scheduler: this.scheduler,
      clock: this.clock,
      lambdas: this.lambdas,
      sdk,
      region: this.emulator.region,
    });
    this.emulator.setRunner(this);
    addControlRoutes(this.emulator, this.scheduler, this.capture);
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
   * Creates the template's topics and event buses, registers its state machines and sets the
   * handlers' environment: the union of the functions' variables plus the region, the
   * emulator's endpoint (AWS_ENDPOINT_URL) and a system principal's credentials. Handlers in
   * this process then read the sandbox clock (`useClock`).
   */
  async deployTemplate(template: CfnTemplate, options: DeployOptions = {}): Promise<DeployedStack> {
    const stack = await deployStack(this.emulator, template, options);
    const credentials = systemCredentials(this.emulator, 'rekey-lambda');
    applyEnvironment({
      ...mergeEnvironments(stack.functions),
      AWS_REGION: this.emulator.region,
      AWS_DEFAULT_REGION: this.emulator.region,
      AWS_ENDPOINT_URL: this.emulator.endpoint,
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    });
    this.lambdas.add(stack.functions);
    useClock(this.clock);
    return stack;
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
