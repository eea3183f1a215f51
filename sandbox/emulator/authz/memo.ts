/**
 * Exact memoization of verdicts. The same principal, the same policies (by content), action,
 * resource and request context always get the same verdict, so a repeated question (a Lambda
 * invoked again, the same key policy check) is answered from memory: the decision is still
 * recorded. The request time is part of the question only when a policy names aws:CurrentTime or
 * aws:EpochTime; then nothing is memoized.
 */
import type { Check } from './authorizer';
import type { Caller, ContextValues } from './callers';

const TIME_KEYS = new Set(['aws:CurrentTime', 'aws:EpochTime']);
const ids = new Map<string, number>();
const timed = new Set<number>();

function idOf(text: string): number {
  let id = ids.get(text);
  if (id === undefined) {
    id = ids.size + 1;
    ids.set(text, id);
    if (/aws:(currenttime|epochtime)/i.test(text)) timed.add(id);
  }
  return id;
}

/** The question as a key, or undefined when the answer may depend on the time. */
export function memoKey(caller: Caller, check: Check, context: ContextValues): string | undefined {
  const policies = caller.identityPolicies.map((p) => idOf(p.text));
  if (check.resourcePolicy !== undefined) policies.push(idOf(check.resourcePolicy));
  if (policies.some((id) => timed.has(id))) return undefined;
  const values = Object.keys(context)
    .filter((key) => !TIME_KEYS.has(key))
    .sort()
    .map((key) => `${key}=${JSON.stringify(context[key])}`)
    .join('&');
  return [
    caller.principal,
    caller.service ?? '',
    policies.join(','),
    check.action,
    check.resource,
    check.resourcePolicyKind ?? 'resource',
    check.resourcePolicyRequired === true ? 'required' : '',
    check.scpDeny === true ? 'scp' : '',
    values,
  ].join('\n');
}
