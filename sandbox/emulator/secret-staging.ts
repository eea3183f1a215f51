/**
 * Staging-label rules of docs/aws-semantics.md §3.1: a label lives on at most one version, the first
 * version gets AWSCURRENT, and whenever AWSCURRENT moves AWSPREVIOUS follows the version it left.
 */
import { ServiceError } from './errors';
import { labelCount, versionHolding, type SecretRecord, type SecretVersion } from './state/secrets';

export const MAX_LABELS = 20;

function detach(secret: SecretRecord, stage: string): void {
  for (const version of secret.versions) {
    version.stages = version.stages.filter((s) => s !== stage);
  }
}

/** Puts `stage` on `target` alone; moving AWSCURRENT sends AWSPREVIOUS to the version it left. */
export function attach(secret: SecretRecord, target: SecretVersion, stage: string): void {
  const previousHolder = versionHolding(secret, stage);
  if (previousHolder === target) return;
  detach(secret, stage);
  target.stages.push(stage);
  if (stage === 'AWSCURRENT' && previousHolder) {
    detach(secret, 'AWSPREVIOUS');
    previousHolder.stages.push('AWSPREVIOUS');
  }
}

function checkLabelLimit(secret: SecretRecord): void {
  if (labelCount(secret) > MAX_LABELS) {
    throw new ServiceError(
      'LimitExceededException',
      `A secret can't have more than ${MAX_LABELS} staging labels across all its versions.`,
    );
  }
}

/** Adds a new version with rules 2–4; the caller has checked idempotency and values. */
export function addVersion(
  secret: SecretRecord,
  version: SecretVersion,
  requested: readonly string[] | undefined,
): void {
  const stages = [...new Set(requested ?? ['AWSCURRENT'])];
  if (secret.versions.length === 0 && !stages.includes('AWSCURRENT')) stages.push('AWSCURRENT');
  const before = secret.versions.map((v) => ({ version: v, stages: [...v.stages] }));
  secret.versions.push(version);
  for (const stage of stages) attach(secret, version, stage);
  try {
    checkLabelLimit(secret);
  } catch (error) {
    secret.versions.pop();
    for (const { version: v, stages: saved } of before) v.stages = saved;
    throw error;
  }
}

/** UpdateSecretVersionStage, rules 6–9. */
export function moveStage(
  secret: SecretRecord,
  stage: string,
  moveToVersionId: string | undefined,
  removeFromVersionId: string | undefined,
): void {
  const find = (id: string): SecretVersion => {
    const version = secret.versions.find((v) => v.versionId === id);
    if (!version) throw new ServiceError('InvalidParameterException', `Not a valid version: ${id}`);
    return version;
  };
  const holder = versionHolding(secret, stage);
  if (removeFromVersionId !== undefined) {
    const from = find(removeFromVersionId);
    if (!from.stages.includes(stage)) {
      throw new ServiceError(
        'InvalidParameterException',
        `Version stage ${stage} not found in version ${removeFromVersionId}`,
      );
    }
  }
  if (moveToVersionId === undefined) {
    if (removeFromVersionId === undefined) {
      throw new ServiceError(
        'InvalidParameterException',
        'You must specify MoveToVersionId, RemoveFromVersionId, or both.',
      );
    }
    const from = find(removeFromVersionId);
    from.stages = from.stages.filter((s) => s !== stage);
    return;
  }
  const target = find(moveToVersionId);
  if (holder && holder !== target && removeFromVersionId !== holder.versionId) {
    throw new ServiceError(
      'InvalidParameterException',
      `The parameter RemoveFromVersionId can't be empty. Staging label ${stage} is currently attached to version ${holder.versionId}, so you must explicitly reference that version in RemoveFromVersionId.`,
    );
  }
  // Only a label that is on no version yet adds to the count.
  if (!holder && labelCount(secret) >= MAX_LABELS) {
    throw new ServiceError(
      'LimitExceededException',
      `A secret can't have more than ${MAX_LABELS} staging labels across all its versions.`,
    );
  }
  attach(secret, target, stage);
}
