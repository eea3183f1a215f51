/** The Emulator: one loopback server, one account, one controllable clock. */
import type {
  CallRecord,
  Clock,
  ExecutionRunner,
  ExecutionSink,
  FaultRule,
  ServiceName,
} from '../contracts';
import { AwsFrontEnd } from './aws-request';
import { authorize } from './authz';
import { Authorizer, type AuthorizationDecision } from './authz/authorizer';
import { AuthorizationControls } from './authz/controls';
import { SECRETS_MANAGER_ALIAS, secretsManagerKey } from './authz/managed';
import { SNS_CHECKS } from './authz/query-checks';
import { ControlRoutes, type ControlHandler } from './control';
import { addBuiltInRoutes } from './control-builtins';
import { cloudFormationService, StackRegistry, type NewStack } from './cloudformation';
import { cloudTrailService } from './cloudtrail';
import type { CallContext, Core, JsonService, QueryService } from './core';
import { eventBridgeService, snsService } from './events';
import { Faults } from './faults';
import { iamService } from './iam';
import { QueryParams } from './query-protocol';
import { secretsManagerService } from './secrets-manager';
import { createSeed, type Seed } from './seed';
import { HttpServer } from './server';
import { Account } from './state/account';
import { ExecutionRegistry } from './state/executions';
import { MutationBus, type Mutation } from './state/mutations';
import { Recorder, type RecordedEvent, type RecordedMessage } from './state/recorder';
import { CredentialReports } from './state/reports';
import { PolicyState } from './state/policies';
import { SecretStore } from './state/secrets';
import { Trail } from './state/trail';
import { stepFunctionsService } from './step-functions';
import { stsService } from './sts';
import { stateView, type StateView } from './views';

export interface EmulatorOptions {
  /** Sandbox time: every date the emulator writes comes from it. */
  readonly clock: Clock;
  /** @default 0 - an ephemeral port; the host is always 127.0.0.1 */
  readonly port?: number;
  /** @default '123456789012' */
  readonly accountId?: string;
  /** @default 'us-east-1' */
  readonly region?: string;
  /** Sandbox seconds before a key's recorded use is reported. @default 0 */
  readonly lastUsedLagSeconds?: number;
  /** Sandbox seconds after CreateDate during which a new key is refused. @default 0 */
  readonly keyPropagationSeconds?: number;
  /** Sandbox seconds a generated credential report stays in progress. @default 0 */
  readonly credentialReportSeconds?: number;
  /** Runs executions; may also be set later with setRunner(). */
  readonly runner?: ExecutionRunner;
  /**
   * Evaluate IAM, resource and KMS key policies for every request (AWS's authorization); when
   * false, any authenticated principal may call anything. @default true
   */
  readonly authorization?: boolean;
}

export interface Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

export interface FaultControls {
  add(rule: FaultRule): string;
  remove(id: string): void;
  clear(): void;
  list(): FaultRule[];
}

export class Emulator {
  readonly accountId: string;
  readonly region: string;
  readonly admin: Credentials;
  readonly faults: FaultControls;
  readonly seed: Seed;
  readonly state: StateView;
  /** Keys, topic policies, service sessions, checks for the services the sandbox stands in for. */
  readonly authorization: AuthorizationControls;
  private readonly core: Core;
  private readonly stacks: StackRegistry;
  private readonly faultRules = new Faults();
  private readonly control = new ControlRoutes();
  private readonly server: HttpServer;
  private readonly port: number;
  private boundPort?: number;

  constructor(options: EmulatorOptions) {
    this.accountId = options.accountId ?? '123456789012';
    this.region = options.region ?? 'us-east-1';
    this.port = options.port ?? 0;
    const executions = new ExecutionRegistry(options.clock);
    executions.runner = options.runner;
    this.core = {
      clock: options.clock,
      accountId: this.accountId,
      region: this.region,
      options: {
        lastUsedLagSeconds: options.lastUsedLagSeconds ?? 0,
        keyPropagationSeconds: options.keyPropagationSeconds ?? 0,
        credentialReportSeconds: options.credentialReportSeconds ?? 0,
      },
      account: new Account(),
      policies: new PolicyState(),
      authorizer: new Authorizer(options.clock, this.accountId, options.authorization ?? true),
      reports: new CredentialReports(),
      secrets: new SecretStore(),
      executions,
      mutations: new MutationBus(),
      recorder: new Recorder(),
      calls: [],
      trail: new Trail(),
    };
    const managedKey = secretsManagerKey(this.accountId, this.region);
    this.core.policies.keys.set(managedKey.arn, managedKey);
    this.core.policies.aliases.set(SECRETS_MANAGER_ALIAS, managedKey.arn);
    const secrets = secretsManagerService(this.core);
    const sns = snsService(this.core);
    this.stacks = new StackRegistry(this.core);
    const services: (QueryService | JsonService)[] = [
      iamService(this.core, options.clock.now()),
      stsService(this.core),
      secrets,
      stepFunctionsService(this.core),
      eventBridgeService(this.core),
      sns,
      cloudFormationService(this.stacks),
      cloudTrailService(this.core),
    ];
    const byName = new Map<ServiceName, QueryService | JsonService>(
      services.map((s) => [s.name, s]),
    );
    this.server = new HttpServer(new AwsFrontEnd(this.core, byName, this.faultRules), this.control);
    const rules = this.faultRules;
    this.faults = {
      add: (rule) => rules.add(rule),
      remove: (id) => rules.remove(id),
      clear: () => rules.clear(),
      list: () => rules.list(),
    };
    const admin = this.core.account.addSystemPrincipal('sandbox-admin', true);
    this.admin = { accessKeyId: admin.accessKeyId, secretAccessKey: admin.secretAccessKey };
    const adminPrincipal = this.core.account.system.get(this.admin.accessKeyId);
    const systemContext = (): CallContext => {
      if (!adminPrincipal) throw new Error('The sandbox admin principal is missing');
      return {
        principal: { kind: 'system', principal: adminPrincipal },
        now: options.clock.now(),
        region: this.region,
        source: 'seed',
      };
    };
    this.seed = createSeed(this.core, secrets, systemContext);
    const core = this.core;
    this.authorization = new AuthorizationControls(
      core,
      (ctx, flat) => {
        const params = new QueryParams(new URLSearchParams(flat).toString());
        for (const { check, shown } of SNS_CHECKS.Publish?.(core, params, ctx) ?? []) {
          authorize(core, ctx, 'sns', check, shown);
        }
        sns.operations.Publish?.(params, ctx);
      },
      () => systemContext().principal,
    );
    this.state = stateView(this.core);
    addBuiltInRoutes(this);
  }

  async start(): Promise<void> {
    if (this.boundPort !== undefined) return;
    this.boundPort = await this.server.listen(this.port);
  }

  async stop(): Promise<void> {
    await this.server.close();
    this.boundPort = undefined;
  }

  /** Sandbox time now. */
  now(): Date {
    return this.core.clock.now();
  }

  get endpoint(): string {
    if (this.boundPort === undefined)
      throw new Error('The emulator is not started: call start() first');
    return `http://127.0.0.1:${this.boundPort}`;
  }

  get executions(): ExecutionSink {
    return this.core.executions;
  }

  get calls(): CallRecord[] {
    return this.core.calls;
  }

  get events(): RecordedEvent[] {
    return this.core.recorder.events;
  }

  get notifications(): RecordedMessage[] {
    return this.core.recorder.notifications;
  }

  setRunner(runner: ExecutionRunner): void {
    this.core.executions.runner = runner;
  }

  clearCalls(): void {
    this.core.calls.length = 0;
  }

  /**
   * A workload identity the sandbox stands in for (an application's role whose credentials its
   * platform keeps fresh): never listed, never in the credential report, never expiring. It may
   * do what the role of the same name allows (create it with CreateRole and PutRolePolicy, or
   * pass `policy` to have one created holding it as the inline policy `sandbox`).
   */
  createSystemCredentials(name: string, policy?: string): Credentials {
    if (policy !== undefined) this.authorization.grantSystemRole(name, policy);
    const principal = this.core.account.addSystemPrincipal(name);
    return { accessKeyId: principal.accessKeyId, secretAccessKey: principal.secretAccessKey };
  }

  /** Every authorization decision so far, in order (empty while authorization is off). */
  get authorizations(): readonly AuthorizationDecision[] {
    return this.core.authorizer.decisions;
  }

  createTopic(name: string, settings: { policy?: string; kmsMasterKeyId?: string } = {}): string {
    const arn = `arn:aws:sns:${this.region}:${this.accountId}:${name}`;
    this.core.recorder.topics.add(arn);
    this.authorization.setTopic(arn, settings);
    return arn;
  }

  createEventBus(name: string): string {
    this.core.recorder.buses.add(name);
    return `arn:aws:events:${this.region}:${this.accountId}:event-bus/${name}`;
  }

  /** Makes a deployed stack and its Outputs visible to CloudFormation DescribeStacks. */
  registerStack(stack: NewStack): string {
    return this.stacks.register(stack);
  }

  onMutation(listener: (mutation: Mutation) => void): () => void {
    return this.core.mutations.subscribe(listener);
  }

  addControlRoute(method: string, path: string, handler: ControlHandler): void {
    this.control.add(method, path, handler);
  }

  /** Forgets account data; keeps system principals, topics, buses, state machines and stacks. */
  reset(): void {
    this.core.account.reset();
    this.core.policies.reset();
    this.core.authorizer.clear();
    this.core.reports.reset();
    this.core.secrets.reset();
    this.core.executions.reset();
    this.core.recorder.reset();
    this.core.trail.reset();
    this.clearCalls();
    this.faultRules.clear();
  }
}
