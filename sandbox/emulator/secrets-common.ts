/** Lookups and errors shared by the Secrets Manager operations. */
import type { Core } from './core';
import { ServiceError } from './errors';
import type { JsonInput } from './json-protocol';
import type { Tag } from './state/account';
import type { SecretRecord } from './state/secrets';

export const invalidParameter = (message: string): ServiceError =>
  new ServiceError('InvalidParameterException', message);

export const secretNotFound = (): ServiceError =>
  new ServiceError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");

export function requireSecret(core: Core, input: JsonInput, now: Date): SecretRecord {
  const secret = core.secrets.resolve(input.requiredString('SecretId'), now);
  if (!secret) throw secretNotFound();
  return secret;
}

/** Value operations are refused while the secret is pending deletion. */
export function requireLiveSecret(core: Core, input: JsonInput, now: Date): SecretRecord {
  const secret = requireSecret(core, input, now);
  if (secret.deletedDate) {
    throw new ServiceError(
      'InvalidRequestException',
      "You can't perform this operation on the secret because it was marked for deletion.",
    );
  }
  return secret;
}

export function readTags(input: JsonInput, name: string): Tag[] {
  return (input.records(name) ?? []).map((tag) => {
    if (typeof tag.Key !== 'string' || (tag.Value !== undefined && typeof tag.Value !== 'string')) {
      throw invalidParameter('Invalid tag.');
    }
    return { Key: tag.Key, Value: typeof tag.Value === 'string' ? tag.Value : '' };
  });
}

/** Tag keys are case-sensitive here (unlike IAM); an existing key is overwritten. */
export function mergeSecretTags(existing: readonly Tag[], added: readonly Tag[]): Tag[] {
  const merged = existing.filter((tag) => !added.some((add) => add.Key === tag.Key));
  merged.push(...added);
  if (merged.length > 50) {
    throw new ServiceError('LimitExceededException', 'A secret can have at most 50 tags.');
  }
  for (const tag of added) {
    if (tag.Key.toLowerCase().startsWith('aws:')) {
      throw invalidParameter('Tag keys with the prefix aws: are reserved for AWS use.');
    }
  }
  return merged;
}

/** The secret value of a request: exactly one of SecretString or SecretBinary, or none. */
export function readValue(input: JsonInput): { value: string; binary: boolean } | undefined {
  const text = input.string('SecretString');
  const binary = input.string('SecretBinary');
  if (text !== undefined && binary !== undefined) {
    throw invalidParameter(
      "You can't specify both a binary secret value and a string secret value in the same secret.",
    );
  }
  const value = text ?? binary;
  if (value === undefined) return undefined;
  const bytes = text !== undefined ? Buffer.byteLength(text) : Buffer.from(value, 'base64').length;
  if (bytes > 65_536) {
    throw invalidParameter('Secret value exceeds the maximum size of 65536 bytes.');
  }
  return { value, binary: text === undefined };
}

export function validateToken(token: string): void {
  if (token.length < 32 || token.length > 64) {
    throw invalidParameter('ClientRequestToken must be 32-64 characters long.');
  }
}
