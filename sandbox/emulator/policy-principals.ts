/**
 * The AWS principals of a resource policy, resolved as IAM resolves them when a service saves
 * the policy. IAM turns every user and role ARN into the entity's unique id and refuses a
 * principal it cannot resolve ("IAM role principals", "IAM user principals":
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html);
 * Secrets Manager then answers MalformedPolicyDocumentException "This resource policy contains
 * an unsupported principal." (the text tools such as the Terraform AWS provider match to wait
 * for a new role to propagate). A principal takes no wildcard in an ARN.
 *
 * Only the sandbox's own account is modelled: a well-formed user or role ARN of another
 * account is accepted, where AWS would also check that it exists.
 */
import type { Core } from './core';
import { isRecord } from './errors';
import { ROLE_NAME as NAME } from './iam-roles';
import { IAM_PATH as PATH } from './iam-validation';

const UNIQUE_ID = /^A(IDA|ROA)[A-Z0-9]{12,}$/;

/** `/apps/alice` → path `/apps/`, name `alice`; undefined when either breaks IAM's rules. */
function pathAndName(rest: string): { path: string; name: string } | undefined {
  const cut = rest.lastIndexOf('/') + 1;
  const path = `/${rest.slice(0, cut)}`;
  const name = rest.slice(cut);
  if (path.length > 512 || !PATH.test(path) || !NAME.test(name)) return undefined;
  return { path, name };
}

/** Whether IAM resolves one value of a statement's `Principal.AWS`. */
function resolves(core: Core, value: string): boolean {
  if (value === '*' || /^\d{12}$/.test(value)) return true;
  if (UNIQUE_ID.test(value)) {
    return (
      [...core.account.users.values()].some((u) => u.userId === value) ||
      [...core.policies.roles.values()].some((r) => r.roleId === value)
    );
  }
  const arn = /^arn:([^:]+):(iam|sts)::(\d{12}):([^/]+)(?:\/(.*))?$/.exec(value);
  if (!arn || /[*?]/.test(value)) return false;
  const [, partition, service, account, type, rest] = arn;
  // The emulator's ARNs are all in the aws partition (see iam-users.ts, iam-roles.ts).
  if (partition !== 'aws') return false;
  const own = account === core.accountId;
  if (service === 'iam' && type === 'root') return rest === undefined;
  if (rest === undefined) return false;
  if (service === 'iam' && (type === 'user' || type === 'role')) {
    const entity = pathAndName(rest);
    if (!entity) return false;
    if (!own) return true;
    const found =
      type === 'user' ? core.account.findUser(entity.name) : core.policies.findRole(entity.name);
    return found !== undefined && found.path === entity.path;
  }
  if (service === 'sts' && type === 'assumed-role') {
    const [role, session] = rest.split('/');
    if (!role || !NAME.test(role) || !session || rest.split('/').length !== 2) return false;
    return !own || core.policies.findRole(role) !== undefined;
  }
  return service === 'sts' && type === 'federated-user' && NAME.test(rest);
}

function awsValues(principal: unknown): unknown[] {
  if (!isRecord(principal)) return [];
  const aws = principal.AWS;
  return Array.isArray(aws) ? aws : aws === undefined ? [] : [aws];
}

/**
 * The first `Principal`/`NotPrincipal` AWS value of `document` that IAM would not resolve in
 * this account, or undefined when every one resolves. The document is already known to be
 * syntactically valid.
 */
export function unresolvedPrincipal(core: Core, document: unknown): string | undefined {
  if (!isRecord(document)) return undefined;
  const statements = Array.isArray(document.Statement) ? document.Statement : [document.Statement];
  for (const statement of statements) {
    if (!isRecord(statement)) continue;
    for (const value of [...awsValues(statement.Principal), ...awsValues(statement.NotPrincipal)]) {
      if (typeof value !== 'string' || !resolves(core, value)) return String(value);
    }
  }
  return undefined;
}
