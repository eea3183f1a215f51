/**
 * Authorization as the services' handlers use it: `authorize` for the action a request is, and
 * `useKey` for the KMS call a service makes for its caller (Secrets Manager encrypting a secret
 * value, SNS an encrypted message, Step Functions execution data).
 */
import type { ServiceName } from '../../contracts';
import type { CallContext, Core } from '../core';
import type { KmsKeyRecord } from '../state/policies';
import type { Check } from './authorizer';
import { callerOf, type Caller, type ContextValues } from './callers';
import { accessDenied, denialSentence, kmsDenied } from './denials';

export function callerFor(core: Core, ctx: CallContext): Caller {
  return ctx.caller ?? callerOf(ctx.principal, core.policies, core.accountId);
}

/**
 * Throws the service's refusal unless the caller may do `check`. Seeds are setup, not requests.
 * `shown` is the resource as the service's message names it (default: the ARN evaluated).
 */
export function authorize(
  core: Core,
  ctx: CallContext,
  service: ServiceName,
  check: Check,
  shown?: string,
): void {
  if (ctx.source === 'seed') return;
  const caller = callerFor(core, ctx);
  const outcome = core.authorizer.evaluate(
    caller,
    ctx.permissionRemoved === true ? { ...check, scpDeny: true } : check,
  );
  if (outcome.verdict === 'Allowed') return;
  throw accessDenied(
    service,
    caller.arn,
    check.action,
    shown ?? check.resource,
    outcome.cause ?? 'no-identity-allow',
  );
}

export interface KeyUse {
  readonly key: KmsKeyRecord;
  readonly action: 'kms:Decrypt' | 'kms:GenerateDataKey';
  /** `secretsmanager`, `sns`, `states`. */
  readonly viaService: string;
  readonly encryptionContext: Readonly<Record<string, string>>;
}

/**
 * The KMS request a service makes on the caller's behalf: the caller is the principal, the key
 * policy must allow it (directly or by trusting the account's IAM policies), with kms:ViaService,
 * kms:CallerAccount and the encryption context set as KMS sets them.
 */
export function useKey(core: Core, ctx: CallContext, service: ServiceName, use: KeyUse): void {
  if (ctx.source === 'seed') return;
  const caller = callerFor(core, ctx);
  const via = `${use.viaService}.${core.region}.amazonaws.com`;
  const context: ContextValues = { 'kms:ViaService': via, 'kms:CallerAccount': core.accountId };
  for (const [name, value] of Object.entries(use.encryptionContext)) {
    context[`kms:EncryptionContext:${name}`] = value;
  }
  const check: Check = {
    action: use.action,
    resource: use.key.arn,
    resourcePolicy: use.key.policy,
    resourcePolicyRequired: true,
    context,
    via,
  };
  const outcome = core.authorizer.evaluate(caller, check);
  if (outcome.verdict === 'Allowed') return;
  throw kmsDenied(
    service,
    denialSentence(caller.arn, use.action, use.key.arn, outcome.cause ?? 'no-resource-allow'),
  );
}

/** The key a service uses: the one named, or the service's AWS managed key. */
export function keyFor(core: Core, keyIdOrArn: string | undefined, managedAlias: string) {
  return core.policies.findKey(keyIdOrArn ?? managedAlias);
}
