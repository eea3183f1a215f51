/**
 * What the runner and tests do with authorization that has no AWS API in the sandbox: KMS keys
 * and their key policies, topic policies and keys, the sessions services hold for their roles
 * (Lambda, Step Functions, EventBridge Scheduler), and checks made for the services the sandbox
 * stands in for (Step Functions invoking a Lambda, Lambda writing its logs, CloudWatch
 * publishing an alarm).
 */
import type { CallContext, Core } from '../core';
import { ServiceError } from '../errors';
import type { Principal } from '../state/account';
import type { RoleRecord } from '../state/policies';
import { issueSession } from '../sts';
import type { AuthorizationDecision, Check, Outcome } from './authorizer';
import { callerOf, serviceCaller, type Caller } from './callers';
import { denialSentence } from './denials';
import { requireValid } from './documents';
import { createRole } from '../iam-roles';

/** A service renews its session when less than this is left (sandbox time). */
const RENEW_BEFORE_MS = 5 * 60_000;

export interface SessionCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  /** Sandbox time. */
  readonly expiration: Date;
}

export interface CheckResult extends Outcome {
  /** AWS's sentence for a denial. */
  readonly message?: string;
}

export interface ServiceSessionOptions {
  /** The resource the service acts for (aws:SourceArn in the trust policy). */
  readonly sourceArn?: string;
  /** Lambda names the session after the function. */
  readonly sessionName: string;
  /** @default 3600 */
  readonly durationSeconds?: number;
}

function placeholderRole(roleName: string, arn: string, now: Date): RoleRecord {
  return {
    roleName,
    path: '/',
    arn,
    roleId: `AROA${roleName
      .toUpperCase()
      .replace(/[^A-Z0-9]/g, '')
      .padEnd(17, 'X')
      .slice(0, 17)}`,
    createDate: now,
    maxSessionDuration: 43_200,
    trustPolicy: '{}',
    inline: new Map(),
    attached: new Set(),
  };
}

export class AuthorizationControls {
  constructor(
    private readonly core: Core,
    private readonly runSnsPublish: (ctx: CallContext, params: Record<string, string>) => void,
    private readonly placeholder: () => Principal,
  ) {}

  get enabled(): boolean {
    return this.core.authorizer.enabled;
  }

  set enabled(value: boolean) {
    this.core.authorizer.enabled = value;
  }

  /** Every decision so far, in order. */
  get decisions(): readonly AuthorizationDecision[] {
    return this.core.authorizer.decisions;
  }

  clear(): void {
    this.core.authorizer.clear();
  }

  /** Creates or replaces a KMS key and its key policy (as CloudFormation's AWS::KMS::Key does). */
  putKey(key: { arn: string; policy: string; aliases?: readonly string[] }): void {
    requireValid(key.policy, 'resource');
    const keyId = key.arn.slice(key.arn.lastIndexOf('/') + 1);
    this.core.policies.keys.set(key.arn, {
      keyId,
      arn: key.arn,
      policy: key.policy,
      awsManaged: false,
    });
    for (const alias of key.aliases ?? []) this.core.policies.aliases.set(alias, key.arn);
  }

  /** The topic's policy (undefined: SNS's default policy) and KMS master key. */
  setTopic(topicArn: string, settings: { policy?: string; kmsMasterKeyId?: string }): void {
    if (settings.policy !== undefined) requireValid(settings.policy, 'resource');
    this.core.policies.topics.set(topicArn, { ...settings });
  }

  topicPolicy(topicArn: string): string | undefined {
    return this.core.policies.topics.get(topicArn)?.policy;
  }

  topicKey(topicArn: string): string | undefined {
    return this.core.policies.topics.get(topicArn)?.kmsMasterKeyId;
  }

  keyPolicy(keyArn: string): string | undefined {
    return this.core.policies.findKey(keyArn)?.policy;
  }

  hasRole(roleName: string): boolean {
    return this.core.policies.findRole(roleName) !== undefined;
  }

  /**
   * The session a service holds for a role. A session of that name valid for five more minutes
   * (sandbox time) is returned as it is, as a service keeps using its credentials; otherwise
   * `service` assumes the role under its trust policy (evaluated and recorded) and the session is
   * renewed with the same keys (its expiration moves forward), standing in for the service
   * keeping its credentials fresh while the SDK it hands them to checks expiry in real time.
   * Throws when the trust policy refuses.
   */
  serviceSession(
    service: string,
    roleArn: string,
    options: ServiceSessionOptions,
  ): SessionCredentials {
    const core = this.core;
    const now = core.clock.now().getTime();
    const existing = [...core.policies.sessions.values()].find(
      (s) => s.roleArn === roleArn && s.sessionName === options.sessionName,
    );
    if (existing && existing.expiration.getTime() - now > RENEW_BEFORE_MS) return existing;
    const name = /^arn:aws:iam::\d{12}:role\/(?:.*\/)?([^/]+)$/.exec(roleArn)?.[1] ?? '';
    // With authorization off, a template that declares no role still runs (as that role's name).
    const role =
      core.policies.findRole(name) ??
      (this.enabled ? undefined : placeholderRole(name, roleArn, core.clock.now()));
    const caller = serviceCaller(service, core.accountId, options.sourceArn);
    const outcome = core.authorizer.evaluate(caller, {
      action: 'sts:AssumeRole',
      resource: roleArn,
      resourcePolicy: role?.trustPolicy,
      resourcePolicyKind: 'trust',
      resourcePolicyRequired: true,
    });
    if (!role || outcome.verdict !== 'Allowed') {
      throw new ServiceError(
        'AccessDenied',
        denialSentence(service, 'sts:AssumeRole', roleArn, outcome.cause ?? 'no-resource-allow'),
        403,
      );
    }
    const duration = options.durationSeconds ?? 3600;
    if (existing) {
      existing.expiration = new Date(now + duration * 1000);
      return existing;
    }
    return issueSession(core, role, options.sessionName, duration);
  }

  /** The role a system principal named `name` acts as, holding `policy` as its inline `sandbox`. */
  grantSystemRole(name: string, policy: string): void {
    const trust = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${this.core.accountId}:root` },
          Action: 'sts:AssumeRole',
        },
      ],
    });
    const role =
      this.core.policies.findRole(name) ??
      createRole(this.core, { roleName: name, trustPolicy: trust });
    requireValid(policy, 'identity');
    role.inline.set('sandbox', policy);
  }

  /** Evaluates `check` for the principal holding `accessKeyId` (a session, or a system principal). */
  checkAs(accessKeyId: string, check: Check): CheckResult {
    return this.evaluate(this.callerOfKey(accessKeyId), check);
  }

  /** Evaluates `check` for a service principal acting for `sourceArn`. */
  checkService(service: string, sourceArn: string | undefined, check: Check): CheckResult {
    return this.evaluate(serviceCaller(service, this.core.accountId, sourceArn), check);
  }

  /** SNS Publish by a service principal (an alarm action), authorized by the topic policy. */
  publishAsService(
    service: string,
    sourceArn: string,
    params: { TopicArn: string; Subject?: string; Message: string },
  ): void {
    const ctx: CallContext = {
      principal: this.placeholder(),
      caller: serviceCaller(service, this.core.accountId, sourceArn),
      now: this.core.clock.now(),
      region: this.core.region,
    };
    const flat: Record<string, string> = { TopicArn: params.TopicArn, Message: params.Message };
    if (params.Subject !== undefined) flat.Subject = params.Subject;
    this.runSnsPublish(ctx, flat);
  }

  private callerOfKey(accessKeyId: string): Caller {
    const core = this.core;
    const session = core.policies.sessions.get(accessKeyId);
    if (session) return callerOf({ kind: 'session', session }, core.policies, core.accountId);
    const system = core.account.system.get(accessKeyId);
    if (system)
      return callerOf({ kind: 'system', principal: system }, core.policies, core.accountId);
    throw new Error(`No session or system principal holds access key ${accessKeyId}`);
  }

  private evaluate(caller: Caller, check: Check): CheckResult {
    const outcome = this.core.authorizer.evaluate(caller, check);
    if (outcome.verdict === 'Allowed') return outcome;
    const cause = outcome.cause ?? 'no-identity-allow';
    return { ...outcome, message: denialSentence(caller.arn, check.action, check.resource, cause) };
  }
}
