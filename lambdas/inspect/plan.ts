import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { InactiveKeyPresentError, TwoActiveKeysError } from '../shared/errors';
import type { AccessKey } from '../shared/keys';
import { ageInDays, type ResolvedPolicy } from '../shared/policy';
import { keyIdOfVersion, type SecretStages } from '../shared/secret';
import type { KeyRef, NewKey } from '../shared/types';

export type Plan =
  | { readonly decision: 'skip'; readonly reason: string; readonly oldKey?: KeyRef }
  | {
      readonly decision: 'rotate';
      readonly reason: string;
      readonly oldKey: KeyRef;
      readonly inactiveKeyToDelete?: string;
      readonly resumed?: 'staged' | 'promoted';
      readonly newKey?: NewKey;
    };

export interface PlanInput {
  readonly userName: string;
  readonly keys: readonly AccessKey[];
  readonly resolved: ResolvedPolicy;
  readonly scheduled: boolean;
  readonly now: Date;
  readonly secrets: SecretsManagerClient;
  readonly secretId: string;
  readonly stages?: SecretStages;
}

export const ref = (k: AccessKey): KeyRef => ({
  accessKeyId: k.accessKeyId,
  createDate: k.createDate,
});

/** Which key each label holds. Reads versions one by one, keeping only the key ids. */
export async function labelledKeys(p: PlanInput): Promise<
  Record<'current' | 'pending' | 'previous', string | undefined> & {
    stagedAt: Record<string, string>;
    /** Versions that hold a secret access key (a baseline holds none). */
    withSecret: Set<string>;
  }
> {
  const stagedAt: Record<string, string> = {};
  const withSecret = new Set<string>();
  const idOf = async (versionId: string | undefined): Promise<string | undefined> => {
    if (!versionId) return undefined;
    const { accessKeyId, createdDate, hasSecret } = await keyIdOfVersion(
      p.secrets,
      p.secretId,
      versionId,
    );
    if (createdDate) stagedAt[versionId] = createdDate.toISOString();
    if (hasSecret) withSecret.add(versionId);
    return accessKeyId;
  };
  return {
    current: await idOf(p.stages?.current),
    pending: await idOf(p.stages?.pending),
    previous: await idOf(p.stages?.previous),
    stagedAt,
    withSecret,
  };
}

/** Decides rotate, skip or refuse (by throwing) from the key-slot table of docs/design.md. */
export async function planRotation(p: PlanInput): Promise<Plan> {
  const { exemption, notSelected, policy } = p.resolved;
  const active = p.keys.filter((k) => k.status === 'Active');
  const inactive = p.keys.filter((k) => k.status === 'Inactive');
  if (exemption && !exemption.expired) {
    return { decision: 'skip', reason: `exempt until ${exemption.until}: ${exemption.reason}` };
  }
  if (notSelected) return { decision: 'skip', reason: notSelected };
  const [first, second] = active;
  if (!first) {
    return {
      decision: 'skip',
      reason: "no active access key (rekey never creates a user's first key)",
    };
  }
  if (second) return resumeOrRefuse(p, first, second);

  const plan = { decision: 'rotate' as const, oldKey: ref(first) };
  const [stale] = inactive;
  let inactiveKeyToDelete: string | undefined;
  if (stale) {
    const { current } = await labelledKeys(p);
    if (current === stale.accessKeyId) {
      throw new InactiveKeyPresentError(
        `${p.userName}'s secret ${p.secretId} names the inactive key ${stale.accessKeyId} as AWSCURRENT. ` +
          `Reactivate it or move AWSCURRENT to the active key ${first.accessKeyId}, then start again.`,
      );
    }
    if (policy.inactiveKeyAction === 'refuse') {
      throw new InactiveKeyPresentError(
        `${p.userName} holds the inactive key ${stale.accessKeyId} and policy (inactiveKeyAction=refuse) ` +
          `does not let rekey delete it. Delete it, then start again.`,
      );
    }
    inactiveKeyToDelete = stale.accessKeyId;
  }
  const age = ageInDays(new Date(first.createDate), p.now);
  if (p.scheduled && age < policy.rotateAfterDays) {
    return {
      decision: 'skip',
      oldKey: plan.oldKey,
      reason: `not due: key ${first.accessKeyId} is ${age} days old, rotation after ${policy.rotateAfterDays}`,
    };
  }
  return {
    ...plan,
    inactiveKeyToDelete,
    reason: `key ${first.accessKeyId} is ${age} days old${inactiveKeyToDelete ? `; inactive key ${inactiveKeyToDelete} is deleted first` : ''}`,
  };
}

async function resumeOrRefuse(p: PlanInput, older: AccessKey, newer: AccessKey): Promise<Plan> {
  const labels = await labelledKeys(p);
  const resume = (
    resumed: 'staged' | 'promoted',
    versionId: string | undefined,
  ): Plan | undefined =>
    versionId
      ? {
          decision: 'rotate',
          oldKey: ref(older),
          resumed,
          newKey: {
            ...ref(newer),
            versionId,
            stagedAt: labels.stagedAt[versionId] ?? newer.createDate,
          },
          reason: `resuming the interrupted rotation of ${older.accessKeyId} (new key ${newer.accessKeyId} is ${resumed})`,
        }
      : undefined;
  if (labels.current === newer.accessKeyId && labels.previous === older.accessKeyId) {
    const plan = resume('promoted', p.stages?.current);
    if (plan) return plan;
  }
  if (labels.pending === newer.accessKeyId && labels.current === older.accessKeyId) {
    const plan = resume('staged', p.stages?.pending);
    if (plan) return plan;
  }
  const noSecret = p.stages
    ? ''
    : ` The secret ${p.secretId} does not exist (if it was deleted during a rotation, the newer key's ` +
      'secret access key went with it).';
  throw new TwoActiveKeysError(
    `${p.userName} has two active access keys (${older.accessKeyId}, ${newer.accessKeyId}) that are not ` +
      `an interrupted rekey rotation.${noSecret} rekey never deletes an active key to make room: ` +
      `deactivate the key no longer in use (\`rekey report\` shows each key's last use), then start ` +
      'the rotation again.',
  );
}
