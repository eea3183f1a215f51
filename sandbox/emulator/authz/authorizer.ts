/**
 * Policy evaluation with @cloud-copilot/iam-simulate. Its validated entry point (runSimulation)
 * filters the request context down to the keys its service data lists for the action, and that
 * drops every `kms:EncryptionContext:<key>` key: a key policy or identity policy bounded to one
 * secret's ARN would then deny the matching secret too (test/sandbox/emulator/authz-library.test.ts
 * shows it). So decisions use its lower-level runUnsafeSimulation, which evaluates the context as
 * given; the emulator builds that context itself and validates every stored policy up front
 * (documents.ts), which is the validation the unsafe entry point skips.
 */
import { runUnsafeSimulation } from '@cloud-copilot/iam-simulate';
import type { Clock } from '../../contracts';
import type { Caller, ContextValues } from './callers';
import { loaded, type DocumentKind } from './documents';
import { memoKey } from './memo';

/** Remembered verdicts before the memo starts afresh (bounds memory on long runs). */
const MEMO_LIMIT = 50_000;

export type Verdict = 'Allowed' | 'ExplicitlyDenied' | 'ImplicitlyDenied';

/** Which policy a denial comes from, as AWS's message names it. */
export type DenialCause =
  | 'no-identity-allow'
  | 'no-resource-allow'
  | 'explicit-identity-deny'
  | 'explicit-resource-deny'
  | 'explicit-scp-deny';

export interface Check {
  /** `service:Action`, as policies name it. */
  readonly action: string;
  readonly resource: string;
  /** The resource's own policy: secret policy, key policy, topic policy, trust policy. */
  readonly resourcePolicy?: string;
  /** Trust policies are validated as such; everything else is a resource policy. */
  readonly resourcePolicyKind?: Extract<DocumentKind, 'resource' | 'trust'>;
  /** Whether the service requires its resource policy to allow (KMS key policies, trust). */
  readonly resourcePolicyRequired?: boolean;
  readonly context?: ContextValues;
  /** The service calling KMS for the caller (`secretsmanager.us-east-1.amazonaws.com`). */
  readonly via?: string;
  /** Evaluate with a service control policy that denies this action (a permission removed). */
  readonly scpDeny?: boolean;
}

/** One recorded decision. Holds ARNs and names only, never a secret value or key. */
export interface AuthorizationDecision {
  /** Sandbox time. */
  readonly at: Date;
  /** The caller's ARN, or the service principal. */
  readonly principal: string;
  /** The role behind a session (for grouping by role). */
  readonly roleArn?: string;
  readonly action: string;
  readonly resource: string;
  readonly decision: Verdict;
  readonly cause?: DenialCause;
  readonly via?: string;
}

export interface Outcome {
  readonly verdict: Verdict;
  readonly cause?: DenialCause;
}

/** An account-level SCP: everything allowed but `action` (FullAWSAccess plus one Deny). */
function removedPermission(action: string) {
  return [
    {
      orgIdentifier: 'sandbox-account',
      policies: [
        {
          name: 'permission-removed',
          policy: {
            Version: '2012-10-17',
            Statement: [
              { Effect: 'Allow', Action: '*', Resource: '*' },
              { Effect: 'Deny', Action: action, Resource: '*' },
            ],
          },
        },
      ],
    },
  ];
}

export class Authorizer {
  readonly decisions: AuthorizationDecision[] = [];
  private readonly memo = new Map<string, Outcome>();

  constructor(
    private readonly clock: Clock,
    private readonly accountId: string,
    /** When false, every check is allowed and nothing is recorded. */
    public enabled: boolean,
  ) {}

  evaluate(caller: Caller, check: Check): Outcome {
    if (!this.enabled) return { verdict: 'Allowed' };
    const now = this.clock.now();
    const context: ContextValues = {
      'aws:SecureTransport': 'true',
      'aws:CurrentTime': now.toISOString(),
      'aws:EpochTime': String(Math.floor(now.getTime() / 1000)),
      ...caller.context,
      ...check.context,
    };
    const key = memoKey(caller, check, context);
    let outcome = key === undefined ? undefined : this.memo.get(key);
    if (!outcome) {
      const result = this.simulate(caller, check, context, true, true);
      outcome = {
        verdict: result,
        ...(result === 'Allowed' ? {} : { cause: this.cause(caller, check, context, result) }),
      };
      if (key !== undefined) {
        if (this.memo.size >= MEMO_LIMIT) this.memo.clear();
        this.memo.set(key, outcome);
      }
    }
    const { verdict, cause } = outcome;
    this.decisions.push({
      at: now,
      principal: caller.arn,
      ...(caller.roleArn === undefined ? {} : { roleArn: caller.roleArn }),
      action: check.action,
      resource: check.resource,
      decision: verdict,
      ...(cause === undefined ? {} : { cause }),
      ...(check.via === undefined ? {} : { via: check.via }),
    });
    return { verdict, cause };
  }

  /** Which policy to name in the message: evaluate each side alone. */
  private cause(caller: Caller, check: Check, context: ContextValues, verdict: Verdict) {
    if (verdict === 'ExplicitlyDenied' && check.scpDeny === true) return 'explicit-scp-deny';
    if (verdict === 'ExplicitlyDenied') {
      const identityDenies =
        this.simulate(caller, check, context, true, false) === 'ExplicitlyDenied';
      return identityDenies ? 'explicit-identity-deny' : 'explicit-resource-deny';
    }
    const resourceMustAllow = check.resourcePolicyRequired === true || caller.service !== undefined;
    return resourceMustAllow ? 'no-resource-allow' : 'no-identity-allow';
  }

  private simulate(
    caller: Caller,
    check: Check,
    context: ContextValues,
    withIdentity: boolean,
    withResource: boolean,
  ): Verdict {
    const kind = check.resourcePolicyKind ?? 'resource';
    const resourcePolicy =
      withResource && check.resourcePolicy !== undefined
        ? loaded(check.resourcePolicy, kind, `${kind} policy`)
        : undefined;
    return runUnsafeSimulation(
      {
        request: {
          principal: caller.principal,
          action: check.action,
          resource: { resource: check.resource, accountId: this.accountId },
          contextVariables: context,
        },
        identityPolicies: withIdentity
          ? caller.identityPolicies.map((p) => ({
              name: p.name,
              policy: loaded(p.text, 'identity', p.name),
            }))
          : [],
        serviceControlPolicies: check.scpDeny === true ? removedPermission(check.action) : [],
        resourceControlPolicies: [],
        resourcePolicy,
      },
      {},
    );
  }

  clear(): void {
    this.decisions.length = 0;
  }
}
