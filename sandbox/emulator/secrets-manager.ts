/** Secrets Manager (awsJson1_1): secret lifecycle operations, and the service assembly. */
import type { Core, JsonOperation, JsonService } from './core';
import { ServiceError } from './errors';
import { newSecretSuffix, uuid } from './ids';
import { decodeToken, encodeToken, type JsonObject } from './json-protocol';
import { policyOperations, secretKeyUse } from './secret-policies';
import { addVersion } from './secret-staging';
import { valueOperations } from './secret-values';
import {
  invalidParameter,
  mergeSecretTags,
  readTags,
  readValue,
  requireSecret,
  validateToken,
} from './secrets-common';
import type { SecretRecord } from './state/secrets';
import { addSeconds } from './time';

const NAME = /^[A-Za-z0-9/_+=.@-]{1,512}$/;

function stagesMap(secret: SecretRecord): Record<string, string[]> {
  const map: Record<string, string[]> = {};
  for (const version of secret.versions) {
    if (version.stages.length > 0) map[version.versionId] = [...version.stages];
  }
  return map;
}

function describe(secret: SecretRecord): JsonObject {
  return {
    ARN: secret.arn,
    Name: secret.name,
    Description: secret.description,
    KmsKeyId: secret.kmsKeyId,
    LastChangedDate: secret.lastChangedDate,
    LastAccessedDate: secret.lastAccessedDate,
    DeletedDate: secret.deletedDate,
    Tags: secret.tags.length > 0 ? secret.tags.map((t) => ({ ...t })) : undefined,
    VersionIdsToStages: stagesMap(secret),
    CreatedDate: secret.createdDate,
  };
}

function lifecycleOperations(core: Core): Record<string, JsonOperation> {
  const mutated = (operation: string, secretId: string, source: 'api' | 'seed' = 'api'): void =>
    core.mutations.emit({ service: 'secretsmanager', operation, secretId, source });
  return {
    CreateSecret: (input, ctx) => {
      const name = input.requiredString('Name');
      if (!NAME.test(name)) {
        throw invalidParameter(
          'Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!',
        );
      }
      const value = readValue(input);
      const token = input.string('ClientRequestToken') ?? uuid();
      validateToken(token);
      const existing = core.secrets.resolve(name, ctx.now);
      if (existing) {
        if (existing.deletedDate) {
          throw new ServiceError(
            'InvalidRequestException',
            "You can't create this secret because a secret with this name is already scheduled for deletion.",
          );
        }
        // Documented as idempotent: the same token and the same value is a successful retry.
        const version = existing.versions.find((v) => v.versionId === token);
        if (version && value && version.value === value.value && version.binary === value.binary) {
          return { ARN: existing.arn, Name: existing.name, VersionId: version.versionId };
        }
        throw new ServiceError(
          'ResourceExistsException',
          `The operation failed because the secret ${name} already exists.`,
        );
      }
      const secret: SecretRecord = {
        name,
        arn: `arn:aws:secretsmanager:${core.region}:${core.accountId}:secret:${name}-${newSecretSuffix()}`,
        description: input.string('Description'),
        kmsKeyId: input.string('KmsKeyId'),
        tags: mergeSecretTags([], readTags(input, 'Tags')),
        createdDate: ctx.now,
        lastChangedDate: ctx.now,
        versions: [],
        seq: core.secrets.nextSeq(),
      };
      if (value) {
        secretKeyUse(core, ctx, secret, token, 'kms:GenerateDataKey');
        addVersion(
          secret,
          { versionId: token, ...value, stages: [], createdDate: ctx.now },
          undefined,
        );
      }
      core.secrets.secrets.set(name, secret);
      mutated('CreateSecret', name, ctx.source);
      return { ARN: secret.arn, Name: secret.name, VersionId: value ? token : undefined };
    },
    DescribeSecret: (input, ctx) => describe(requireSecret(core, input, ctx.now)),
    ListSecrets: (input, ctx) => {
      const includeDeleted = input.boolean('IncludePlannedDeletion') ?? false;
      const prefixes = (input.records('Filters') ?? [])
        .filter((filter) => filter.Key === 'name' && Array.isArray(filter.Values))
        .flatMap((filter): unknown[] => (Array.isArray(filter.Values) ? filter.Values : []))
        .filter((value): value is string => typeof value === 'string');
      const secrets = core.secrets
        .all(ctx.now)
        .filter((s) => includeDeleted || !s.deletedDate)
        .filter((s) => prefixes.length === 0 || prefixes.some((p) => s.name.startsWith(p)));
      const maxResults = input.number('MaxResults') ?? 100;
      const start = decodeToken(
        input.string('NextToken'),
        () => new ServiceError('InvalidNextTokenException', 'The NextToken value is invalid.'),
      );
      return {
        SecretList: secrets.slice(start, start + maxResults).map((secret) => {
          const { VersionIdsToStages, ...rest } = describe(secret);
          return { ...rest, SecretVersionsToStages: VersionIdsToStages };
        }),
        NextToken:
          start + maxResults < secrets.length ? encodeToken(start + maxResults) : undefined,
      };
    },
    TagResource: (input, ctx) => {
      const secret = requireSecret(core, input, ctx.now);
      secret.tags = mergeSecretTags(secret.tags, readTags(input, 'Tags'));
      mutated('TagResource', secret.name);
      return {};
    },
    UntagResource: (input, ctx) => {
      const secret = requireSecret(core, input, ctx.now);
      const keys = new Set(input.stringArray('TagKeys') ?? []);
      secret.tags = secret.tags.filter((tag) => !keys.has(tag.Key));
      mutated('UntagResource', secret.name);
      return {};
    },
    DeleteSecret: (input, ctx) => {
      const secret = requireSecret(core, input, ctx.now);
      const window = input.number('RecoveryWindowInDays');
      const force = input.boolean('ForceDeleteWithoutRecovery') ?? false;
      if (force && window !== undefined) {
        throw invalidParameter(
          "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.",
        );
      }
      if (force) {
        core.secrets.secrets.delete(secret.name);
        mutated('DeleteSecret', secret.name);
        return { ARN: secret.arn, Name: secret.name, DeletionDate: ctx.now };
      }
      if (secret.deletedDate) {
        throw new ServiceError(
          'InvalidRequestException',
          "You can't perform this operation on the secret because it was already scheduled for deletion.",
        );
      }
      const days = window ?? 30;
      if (days < 7 || days > 30) {
        throw invalidParameter(
          'The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).',
        );
      }
      secret.deletedDate = ctx.now;
      secret.deletionDate = addSeconds(ctx.now, days * 86_400);
      mutated('DeleteSecret', secret.name);
      return { ARN: secret.arn, Name: secret.name, DeletionDate: secret.deletionDate };
    },
    RestoreSecret: (input, ctx) => {
      const secret = requireSecret(core, input, ctx.now);
      secret.deletedDate = undefined;
      secret.deletionDate = undefined;
      mutated('RestoreSecret', secret.name);
      return { ARN: secret.arn, Name: secret.name };
    },
  };
}

export function secretsManagerService(core: Core): JsonService {
  return {
    protocol: 'json',
    name: 'secretsmanager',
    contentType: 'application/x-amz-json-1.1',
    operations: {
      ...lifecycleOperations(core),
      ...valueOperations(core),
      ...policyOperations(core),
    },
    invalid: invalidParameter,
  };
}
