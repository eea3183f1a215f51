/**
 * Secrets Manager resource policies: put (validated, principals resolved as IAM resolves them,
 * public policies refused when BlockPublicPolicy is set), get, delete; and the KMS use each value operation makes for its
 * caller. A secret has no policy until PutResourcePolicy gives it one (CreateSecret takes none).
 */
import { problems } from './authz/documents';
import { keyFor, useKey } from './authz';
import { SECRETS_MANAGER_ALIAS } from './authz/managed';
import type { CallContext, Core, JsonOperation } from './core';
import { ServiceError, isRecord } from './errors';
import { unresolvedPrincipal } from './policy-principals';
import { requireSecret } from './secrets-common';
import type { SecretRecord } from './state/secrets';

/** Allows anyone (a wildcard principal) with no condition narrowing it. */
function isPublic(document: unknown): boolean {
  if (!isRecord(document)) return false;
  const statements = Array.isArray(document.Statement) ? document.Statement : [document.Statement];
  return statements.some((s) => {
    if (!isRecord(s) || s.Effect !== 'Allow' || s.Condition !== undefined) return false;
    const principal = s.Principal;
    const aws = isRecord(principal) ? principal.AWS : principal;
    return aws === '*' || (Array.isArray(aws) && aws.includes('*'));
  });
}

/**
 * Secrets Manager encrypts each version with a data key from the secret's KMS key, as the
 * caller, through Secrets Manager, bound to the secret and version (its encryption context).
 */
export function secretKeyUse(
  core: Core,
  ctx: CallContext,
  secret: SecretRecord,
  versionId: string,
  action: 'kms:Decrypt' | 'kms:GenerateDataKey',
): void {
  // A key the sandbox does not model (seeded by id only) is not evaluated.
  const key = keyFor(core, secret.kmsKeyId, SECRETS_MANAGER_ALIAS);
  if (!key) return;
  useKey(core, ctx, 'secretsmanager', {
    key,
    action,
    viaService: 'secretsmanager',
    encryptionContext: { SecretARN: secret.arn, SecretVersionId: versionId },
  });
}

export function policyOperations(core: Core): Record<string, JsonOperation> {
  return {
    PutResourcePolicy: (input, ctx) => {
      const secret = requireSecret(core, input, ctx.now);
      const text = input.requiredString('ResourcePolicy');
      if (problems(text, 'resource').length > 0) {
        throw new ServiceError(
          'MalformedPolicyDocumentException',
          'This resource policy contains a syntax error.',
        );
      }
      const document: unknown = JSON.parse(text);
      // IAM resolves each user and role to its unique id and refuses one it does not know:
      // a malformed ARN, another partition, a wildcard, a role deleted or never created.
      if (unresolvedPrincipal(core, document) !== undefined) {
        throw new ServiceError(
          'MalformedPolicyDocumentException',
          'This resource policy contains an unsupported principal.',
        );
      }
      // The API reference: "By default, public policies aren't blocked." (text unverified)
      if ((input.boolean('BlockPublicPolicy') ?? false) && isPublic(document)) {
        throw new ServiceError(
          'PublicPolicyException',
          'This resource policy contains a public policy.',
        );
      }
      secret.resourcePolicy = text;
      return { ARN: secret.arn, Name: secret.name };
    },
    GetResourcePolicy: (input, ctx) => {
      const secret = requireSecret(core, input, ctx.now);
      return { ARN: secret.arn, Name: secret.name, ResourcePolicy: secret.resourcePolicy };
    },
    DeleteResourcePolicy: (input, ctx) => {
      const secret = requireSecret(core, input, ctx.now);
      secret.resourcePolicy = undefined;
      return { ARN: secret.arn, Name: secret.name };
    },
  };
}
