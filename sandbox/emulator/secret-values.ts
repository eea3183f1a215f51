/** Secrets Manager value operations: versions and staging labels. */
import type { Core, JsonOperation } from './core';
import { ServiceError } from './errors';
import { decodeToken, encodeToken } from './json-protocol';
import { secretKeyUse } from './secret-policies';
import { addVersion, moveStage } from './secret-staging';
import {
  invalidParameter,
  readValue,
  requireLiveSecret,
  requireSecret,
  validateToken,
} from './secrets-common';
import { versionHolding, type SecretVersion } from './state/secrets';

function dayOf(date: Date): Date {
  return new Date(Math.floor(date.getTime() / 86_400_000) * 86_400_000);
}

export function valueOperations(core: Core): Record<string, JsonOperation> {
  const mutated = (operation: string, secretId: string): void =>
    core.mutations.emit({ service: 'secretsmanager', operation, secretId, source: 'api' });
  return {
    GetSecretValue: (input, ctx) => {
      const secret = requireLiveSecret(core, input, ctx.now);
      const versionId = input.string('VersionId');
      const stage = input.string('VersionStage');
      let version: SecretVersion | undefined;
      if (versionId !== undefined) {
        version = secret.versions.find((v) => v.versionId === versionId);
        if (!version) {
          throw new ServiceError(
            'ResourceNotFoundException',
            `Secrets Manager can't find the specified secret value for VersionId: ${versionId}`,
          );
        }
        if (stage !== undefined && !version.stages.includes(stage)) {
          throw new ServiceError(
            'ResourceNotFoundException',
            'You provided a VersionStage that is not associated to the provided VersionId.',
          );
        }
      } else {
        const label = stage ?? 'AWSCURRENT';
        version = versionHolding(secret, label);
        if (!version) {
          throw new ServiceError(
            'ResourceNotFoundException',
            `Secrets Manager can't find the specified secret value for staging label: ${label}`,
          );
        }
      }
      secretKeyUse(core, ctx, secret, version.versionId, 'kms:Decrypt');
      // LastAccessedDate has day granularity (docs/aws-semantics.md §3, DescribeSecret).
      secret.lastAccessedDate = dayOf(ctx.now);
      version.lastAccessedDate = dayOf(ctx.now);
      return {
        ARN: secret.arn,
        Name: secret.name,
        VersionId: version.versionId,
        SecretString: version.binary ? undefined : version.value,
        SecretBinary: version.binary ? version.value : undefined,
        VersionStages: [...version.stages],
        CreatedDate: version.createdDate,
      };
    },
    PutSecretValue: (input, ctx) => {
      const secret = requireLiveSecret(core, input, ctx.now);
      const token = input.string('ClientRequestToken');
      if (token === undefined) {
        throw new ServiceError(
          'InvalidRequestException',
          'You must provide a ClientRequestToken value. We recommend a UUID-type value.',
        );
      }
      validateToken(token);
      const value = readValue(input);
      if (!value) {
        throw new ServiceError(
          'InvalidRequestException',
          'You must provide either SecretString or SecretBinary.',
        );
      }
      const stages = input.stringArray('VersionStages');
      if (stages !== undefined && (stages.length < 1 || stages.length > 20)) {
        throw invalidParameter('VersionStages must have between 1 and 20 entries.');
      }
      const existing = secret.versions.find((v) => v.versionId === token);
      if (existing) {
        // Rule 5: a version's value never changes; the same value is a no-op retry.
        if (existing.value !== value.value || existing.binary !== value.binary) {
          throw new ServiceError(
            'ResourceExistsException',
            `You can't modify an existing version, you can only create a new version. Version ${token} already exists.`,
          );
        }
        return {
          ARN: secret.arn,
          Name: secret.name,
          VersionId: existing.versionId,
          VersionStages: [...existing.stages],
        };
      }
      secretKeyUse(core, ctx, secret, token, 'kms:GenerateDataKey');
      const version: SecretVersion = {
        versionId: token,
        ...value,
        stages: [],
        createdDate: ctx.now,
      };
      addVersion(secret, version, stages);
      secret.lastChangedDate = ctx.now;
      mutated('PutSecretValue', secret.name);
      return {
        ARN: secret.arn,
        Name: secret.name,
        VersionId: version.versionId,
        VersionStages: [...version.stages],
      };
    },
    UpdateSecretVersionStage: (input, ctx) => {
      const secret = requireLiveSecret(core, input, ctx.now);
      moveStage(
        secret,
        input.requiredString('VersionStage'),
        input.string('MoveToVersionId'),
        input.string('RemoveFromVersionId'),
      );
      secret.lastChangedDate = ctx.now;
      mutated('UpdateSecretVersionStage', secret.name);
      return { ARN: secret.arn, Name: secret.name };
    },
    ListSecretVersionIds: (input, ctx) => {
      const secret = requireSecret(core, input, ctx.now);
      const includeDeprecated = input.boolean('IncludeDeprecated') ?? false;
      const maxResults = input.number('MaxResults') ?? 100;
      if (maxResults < 1 || maxResults > 100) {
        throw invalidParameter('MaxResults must be between 1 and 100.');
      }
      const start = decodeToken(
        input.string('NextToken'),
        () => new ServiceError('InvalidNextTokenException', 'The NextToken value is invalid.'),
      );
      const versions = secret.versions.filter((v) => includeDeprecated || v.stages.length > 0);
      const pageItems = versions.slice(start, start + maxResults);
      return {
        Versions: pageItems.map((v) => ({
          VersionId: v.versionId,
          // A deprecated version has no VersionStages key at all (M example).
          VersionStages: v.stages.length > 0 ? [...v.stages] : undefined,
          CreatedDate: v.createdDate,
          LastAccessedDate: v.lastAccessedDate,
          KmsKeyIds: [secret.kmsKeyId ?? 'DefaultEncryptionKey'],
        })),
        NextToken:
          start + maxResults < versions.length ? encodeToken(start + maxResults) : undefined,
        ARN: secret.arn,
        Name: secret.name,
      };
    },
  };
}
