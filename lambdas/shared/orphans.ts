import type { IAMClient } from '@aws-sdk/client-iam';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { discardKey, lastUsed, type AccessKey } from './keys';
import { logger } from './logger';
import { createdWithin, isFresh, otherMarkers, ownMarker, type CreatingMarker } from './markers';
import { keyIdOfVersion, UnreadableSecretError, type SecretStages } from './secret';
import type { Deps } from './deps';
import type { RotationState } from './types';

/** Whether an execution is still running (another rotation's stage attempt may be live). */
export type IsRunning = (executionArn: string) => Promise<boolean>;

/** For steps that may not read executions: any fresh marker might belong to a live attempt. */
export const assumeRunning: IsRunning = () => Promise.resolve(true);

export interface KeyAudit {
  /** Keys rekey proved it created and never published (see markers.ts): safe to discard. */
  readonly orphans: readonly AccessKey[];
  /** Keys nothing explains: somebody else's. rekey leaves them alone. */
  readonly unknown: readonly AccessKey[];
  /** Another execution's stage attempt that may be creating a key right now. */
  readonly liveCreator?: string;
  /** Markers of other executions that are over; to be removed once their orphans are gone. */
  readonly spentMarkers: readonly string[];
}

export interface AuditInput {
  readonly iam: IAMClient;
  readonly secrets: SecretsManagerClient;
  readonly secretId: string;
  readonly stages: SecretStages | undefined;
  /** The user's keys now. */
  readonly keys: readonly AccessKey[];
  /** Keys accounted for already (the keys the user held when this rotation started). */
  readonly known: readonly string[];
  readonly executionArn: string;
  readonly now: Date;
  readonly isRunning: IsRunning;
}

/** The access key ids the secret's labelled versions hold (an unreadable version holds none). */
export async function labelledKeyIds(
  secrets: SecretsManagerClient,
  secretId: string,
  stages: SecretStages | undefined,
): Promise<Set<string>> {
  const ids = new Set<string>();
  for (const versionId of [stages?.current, stages?.pending, stages?.previous]) {
    if (!versionId) continue;
    try {
      ids.add((await keyIdOfVersion(secrets, secretId, versionId)).accessKeyId);
    } catch (error) {
      if (!(error instanceof UnreadableSecretError)) throw error;
    }
  }
  return ids;
}

/**
 * Sorts the keys nothing accounts for into rekey's provable orphans and somebody else's keys.
 * A key is an orphan of a marked CreateAccessKey call when it was created inside the call's
 * window, was never used, and is the only such key; the marker must be this execution's own or
 * that of an execution that is over.
 */
export async function auditKeys(input: AuditInput): Promise<KeyAudit> {
  const labelled = await labelledKeyIds(input.secrets, input.secretId, input.stages);
  const unexplained = input.keys.filter(
    (k) => !input.known.includes(k.accessKeyId) && !labelled.has(k.accessKeyId),
  );
  const tags = input.stages?.tags ?? {};
  const own = ownMarker(tags, input.executionArn);
  const evidence: CreatingMarker[] = own ? [own] : [];
  const spentMarkers: string[] = [];
  for (const marker of otherMarkers(tags, input.executionArn)) {
    if (isFresh(marker, input.now) && (await input.isRunning(marker.executionArn))) {
      return { orphans: [], unknown: [], liveCreator: marker.executionArn, spentMarkers: [] };
    }
    evidence.push(marker);
    spentMarkers.push(marker.tagKey);
  }
  if (unexplained.length === 0 || evidence.length === 0) {
    return { orphans: [], unknown: unexplained, spentMarkers };
  }
  const unused = new Set<string>();
  for (const key of unexplained) {
    if (!(await lastUsed(input.iam, key.accessKeyId)).date) unused.add(key.accessKeyId);
  }
  const orphans = new Map<string, AccessKey>();
  for (const marker of evidence) {
    const candidates = unexplained.filter(
      (k) => unused.has(k.accessKeyId) && createdWithin(marker, k.createDate),
    );
    const [only, another] = candidates;
    if (only && !another) orphans.set(only.accessKeyId, only);
  }
  return {
    orphans: [...orphans.values()],
    unknown: unexplained.filter((k) => !orphans.has(k.accessKeyId)),
    spentMarkers,
  };
}

/**
 * Discards proven orphans (deactivated first, so no key is deleted while active), never the
 * user's last active key, and says so: an event per key (and a log line), so that the history of
 * a key rekey deleted is never only a debug message. Returns the ids discarded.
 */
export async function discardOrphans(
  deps: Pick<Deps, 'iam' | 'telemetry' | 'clock'>,
  state: Pick<RotationState, 'userName' | 'executionArn'>,
  keys: readonly AccessKey[],
  orphans: readonly AccessKey[],
): Promise<string[]> {
  const discarded: string[] = [];
  for (const orphan of orphans) {
    const othersActive = keys.some(
      (k) =>
        k.accessKeyId !== orphan.accessKeyId &&
        k.status === 'Active' &&
        !discarded.includes(k.accessKeyId),
    );
    if (!othersActive) continue;
    await discardKey(deps.iam, state.userName, orphan.accessKeyId);
    logger.warn('discarded a key whose creation answer was lost', {
      orphanKeyId: orphan.accessKeyId,
    });
    discarded.push(orphan.accessKeyId);
    await deps.telemetry.emit('Orphan Key Discarded', {
      userName: state.userName,
      executionArn: state.executionArn,
      keyId: orphan.accessKeyId,
      createDate: orphan.createDate,
      reason:
        'created by a CreateAccessKey call of rekey whose answer was lost (inside its ' +
        'creating-marker window, never used, in no secret version): its secret access key ' +
        'was never stored, so nobody can use it',
      at: deps.clock.now().toISOString(),
    });
  }
  return discarded;
}

/** One sentence naming keys rekey leaves alone. */
export function describeUnknown(userName: string, unknown: readonly AccessKey[]): string {
  const keys = unknown
    .map((k) => `${k.accessKeyId} (${k.status.toLowerCase()}, created ${k.createDate})`)
    .join(', ');
  return (
    `${userName} holds ${unknown.length === 1 ? 'a key' : 'keys'} rekey cannot prove it created: ${keys}. ` +
    'rekey never removes a key it cannot prove it created; delete or deactivate ' +
    `${unknown.length === 1 ? 'it' : 'them'} yourself if unwanted, then start the rotation again.`
  );
}
