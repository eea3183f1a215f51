/**
 * Policy documents: parsed and validated once with @cloud-copilot/iam-policy (IAM's own rules,
 * so a malformed document is refused the way IAM refuses it) and cached by their text, because
 * the same few documents are evaluated thousands of times a run.
 */
import {
  createValidatedPolicy,
  validateIdentityPolicy,
  validateResourcePolicy,
  validateTrustPolicy,
  type ValidatedPolicy,
} from '@cloud-copilot/iam-policy';
import { ServiceError } from '../errors';

export type DocumentKind = 'identity' | 'resource' | 'trust';

const VALIDATORS = {
  identity: validateIdentityPolicy,
  resource: validateResourcePolicy,
  trust: validateTrustPolicy,
} as const;

/** By document text first: the stored text is the same string each time, so its hash is cached. */
const cache = new Map<string, Map<string, ValidatedPolicy<{ name: string }>>>();

/** AdministratorAccess, as AWS defines it: everything on everything. */
export const ADMINISTRATOR_ACCESS = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
});

function parse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** The validation problems of a document, as IAM would list them; empty when it is valid. */
export function problems(text: string, kind: DocumentKind): string[] {
  const document = parse(text);
  if (typeof document !== 'object' || document === null) return ['The policy is not valid JSON'];
  return VALIDATORS[kind](document).map((e) => `${e.path}: ${e.message}`);
}

/** IAM's MalformedPolicyDocument for a document that fails validation. */
export function requireValid(text: string, kind: DocumentKind): void {
  const found = problems(text, kind);
  if (found.length > 0) {
    throw new ServiceError('MalformedPolicyDocument', `Syntax errors in policy. ${found[0]}`, 400);
  }
}

/** The loaded policy for evaluation; invalid stored documents never get here (requireValid). */
export function loaded(
  text: string,
  kind: DocumentKind,
  name: string,
): ValidatedPolicy<{ name: string }> {
  let byName = cache.get(text);
  if (!byName) {
    byName = new Map();
    cache.set(text, byName);
  }
  const key = `${kind}:${name}`;
  let found = byName.get(key);
  if (!found) {
    found = createValidatedPolicy(parse(text), VALIDATORS[kind], { name });
    byName.set(key, found);
  }
  return found;
}
