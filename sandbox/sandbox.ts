import './polyfills';
import { readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { createRekeyApp } from '../lib/app';
import type { RekeyStack } from '../lib/rekey-stack';
import { SandboxClock, Scheduler, type SchedulerMode } from './clock';
import type { ExecutionRecord } from './contracts';
import { Emulator, type Credentials } from './emulator';
import {
  Runner,
  synthTemplate,
  type AlarmActionResult,
  type DeployedStack,
  type EventDelivery,
} from './runner';
import { exposedKeyEvent } from './runner/health-event';

export const REPO_ROOT = path.resolve(__dirname, '..');

export interface SandboxOptions {
  /** Port of the emulator. @default 0 (any free port) */
  readonly port?: number;
  /** 'auto' jumps the clock whenever everything waits; 'manual' moves it only on request. @default 'auto' */
  readonly clockMode?: SchedulerMode;
  /** Sandbox time at start. @default now */
  readonly start?: Date;
  /** Sandbox seconds before IAM reports a key's use. @default 600 */
  readonly lastUsedLagSeconds?: number;
  /** Sandbox seconds a new key is refused after creation (IAM propagation). @default 5 */
  readonly keyPropagationSeconds?: number;
  /** `rekey:*` CDK context over cdk.json's, e.g. { 'rekey:deadlineAction': 'enforce' }. */
  readonly context?: Readonly<Record<string, unknown>>;
  /** Print what the Lambdas log. @default false */
  readonly verbose?: boolean;
  /**
   * Evaluate IAM, resource and KMS key policies for every request, with each Lambda as its own
   * role. Turn off only to experiment: a permission is proven by a run with it on.
   * @default true
   */
  readonly authorization?: boolean;
  /**
   * Adds to the stack before it is synthesized, e.g. a role granted `grantStartRotation`, so
   * that what you build around rekey runs, authorized, beside it.
   */
  readonly extend?: (stack: RekeyStack) => void;
}

/** cdk.json's context, so the sandbox runs the stack exactly as `cdk deploy` would configure it. */
function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(path.join(REPO_ROOT, 'cdk.json'), 'utf8')) as {
    context?: Record<string, unknown>;
  };
  return cdkJson.context ?? {};
}

/**
 * rekey on this machine: the AWS emulator, the local runner and the synthesized RekeyStack
 * deployed into them. The same definitions and handlers that deploy to AWS run here.
 */
export class Sandbox {
  private constructor(
    readonly emulator: Emulator,
    readonly runner: Runner,
    readonly clock: SandboxClock,
    readonly scheduler: Scheduler,
    readonly stack: DeployedStack,
    readonly secretPrefix: string,
  ) {}

  static async start(options: SandboxOptions = {}): Promise<Sandbox> {
    const clock = new SandboxClock({ start: options.start });
    const scheduler = new Scheduler(clock, { mode: options.clockMode ?? 'auto' });
    const emulator = new Emulator({
      clock,
      port: options.port,
      lastUsedLagSeconds: options.lastUsedLagSeconds ?? 600,
      keyPropagationSeconds: options.keyPropagationSeconds ?? 5,
      authorization: options.authorization ?? true,
    });
    const context = { ...cdkJsonContext(), ...options.context, 'aws:cdk:bundling-stacks': [] };
    // CDK's built-in template validation changes nothing in the template and costs ten seconds on
    // a first synthesis: `cdk synth` runs it, and so does the suite (test/lib/validation.test.ts).
    const { app, stack } = createRekeyApp({ context, builtinCloudFormationValidation: false });
    options.extend?.(stack);
    // Synthesized before anything listens, so that a stack that does not synthesize (a cdk-nag
    // finding, a bad setting) leaves no server behind.
    let template: ReturnType<typeof synthTemplate>;
    try {
      template = synthTemplate(app, stack.stackName);
    } finally {
      // The cloud assembly is only a means to the template: do not leave it in the temp directory.
      rmSync(app.outdir, { recursive: true, force: true });
    }
    await emulator.start();
    const runner = new Runner({
      emulator,
      clock,
      scheduler,
      repoRoot: REPO_ROOT,
      verbose: options.verbose,
    });
    let deployed: DeployedStack;
    try {
      deployed = await runner.deployTemplate(template, { stackName: stack.stackName });
    } catch (error) {
      runner.dispose();
      await emulator.stop();
      throw error;
    }
    emulator.registerStack({ stackName: deployed.stackName, outputs: deployed.outputs });
    return new Sandbox(
      emulator,
      runner,
      clock,
      scheduler,
      deployed,
      stack.rotation.settings.secretPrefix,
    );
  }

  get endpoint(): string {
    return this.emulator.endpoint;
  }

  get region(): string {
    return this.emulator.region;
  }

  /** Client configuration for the AWS SDK v3 against the sandbox. */
  clientConfig(credentials: Credentials = this.emulator.admin): {
    endpoint: string;
    region: string;
    credentials: Credentials;
  } {
    return { endpoint: this.endpoint, region: this.region, credentials };
  }

  stateMachineArn(name: 'rotation' | 'fleet-scan'): string {
    const arn = this.stack.stateMachineArns[name];
    if (!arn) throw new Error(`The sandbox stack has no ${name} state machine`);
    return arn;
  }

  /** Starts a rotation execution through the Step Functions API, as the console or CLI would. */
  async startRotation(input: unknown, name?: string): Promise<string> {
    const sfn = new SFNClient(this.clientConfig());
    try {
      const out = await sfn.send(
        new StartExecutionCommand({
          stateMachineArn: this.stateMachineArn('rotation'),
          input: JSON.stringify(input),
          name,
        }),
      );
      return out.executionArn ?? '';
    } finally {
      sfn.destroy();
    }
  }

  /** Starts the fleet scan as its EventBridge Scheduler schedule does (as the schedule's role). */
  async startFleetScan(input?: unknown): Promise<string> {
    return this.runner.startSchedule(
      undefined,
      input === undefined ? undefined : JSON.stringify(input),
    );
  }

  /**
   * AWS Health's AWS_RISK_CREDENTIALS_EXPOSED event for `accessKeyId`, delivered to the stack's
   * rules as AWS sends it (customers cannot put aws.health events on a bus): the emergency
   * rotation it starts, or why none started.
   */
  async exposeKey(accessKeyId: string, startTime?: Date): Promise<EventDelivery[]> {
    return this.runner.deliverEvent(
      exposedKeyEvent(accessKeyId, {
        account: this.emulator.accountId,
        now: this.clock.now(),
        ...(startTime && { startTime }),
      }),
    );
  }

  /** Fires an alarm's actions as CloudWatch would (`rotation` or `fleet-scan`, or its name). */
  fireAlarm(alarm: string): AlarmActionResult[] {
    const suffix =
      alarm === 'rotation' ? 'RotationFailures' : alarm === 'fleet-scan' ? 'ScanFailures' : alarm;
    const found = this.stack.alarms.find((a) => a.name === alarm || a.name.includes(suffix));
    return this.runner.fireAlarm(found?.name ?? alarm);
  }

  /** The KMS key rekey encrypts the users' secrets with (the stack's own key). */
  get encryptionKeyArn(): string | undefined {
    return this.stack.functions[0]?.environment.REKEY_KMS_KEY_ARN;
  }

  /**
   * Credentials of an application's role that may read `userName`'s secret (GetSecretValue on it,
   * and kms:Decrypt through Secrets Manager for that secret only): what an operator grants a
   * consumer. Without such a grant a consumer is refused (the sandbox evaluates authorization).
   */
  applicationCredentials(roleName: string, userName: string): Credentials {
    const { region, accountId } = this.emulator;
    const secretName = `arn:aws:secretsmanager:${region}:${accountId}:secret:${this.secretPrefix}${userName}`;
    const secretArn = `${secretName}-??????`;
    const keyArn = this.encryptionKeyArn ?? '*';
    const policy = {
      Version: '2012-10-17',
      Statement: [
        // The bare name too: before the secret exists, Secrets Manager evaluates the name without
        // its random suffix, and the application should hear ResourceNotFoundException.
        {
          Effect: 'Allow',
          Action: 'secretsmanager:GetSecretValue',
          Resource: [secretArn, secretName],
        },
        {
          Effect: 'Allow',
          Action: 'kms:Decrypt',
          Resource: keyArn,
          Condition: {
            StringEquals: { 'kms:ViaService': `secretsmanager.${region}.amazonaws.com` },
            StringLike: { 'kms:EncryptionContext:SecretARN': secretArn },
          },
        },
      ],
    };
    return this.emulator.createSystemCredentials(roleName, JSON.stringify(policy));
  }

  execution(executionArn: string): ExecutionRecord {
    const found = this.emulator.state.executions.find((e) => e.executionArn === executionArn);
    if (!found) throw new Error(`No execution ${executionArn} in the sandbox`);
    return found;
  }

  /** Lets sandbox time run until every execution and application is idle, then returns. */
  async settle(): Promise<void> {
    await this.scheduler.runUntilIdle();
  }

  async stop(): Promise<void> {
    this.runner.dispose();
    await this.emulator.stop();
  }
}
