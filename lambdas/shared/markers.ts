import {
  TagResourceCommand,
  UntagResourceCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { createHash } from 'node:crypto';

/**
 * Creating-markers: rekey's evidence that it created a key whose CreateAccessKey answer was lost.
 * A marker is a secret tag set just before CreateAccessKey and cleared once the key is staged:
 *
 *   rekey:creating:<hash of the execution ARN> = <execution ARN>@<call start>[/<call end>][!<key>]
 *
 * IAM can only have created the key between the call's start and its end (recorded when an
 * unanswered call returns). A key is rekey's own orphan only if it was created inside that window,
 * was never used (rekey never held its secret) and no secret version holds it. One call creates
 * one key at most: once that key is discarded, the marker names it (`!<key>`) and proves nothing
 * more. Any other key is somebody else's, and rekey leaves it alone. A throttled or refused call
 * created nothing, and its marker is cleared. The call is cut off after CALL_TIMEOUT_MS, so even a
 * marker whose end was never recorded (the step died in the call, or clearing a refused call's
 * marker failed too) covers those seconds only. What remains: a key made by hand inside one
 * call's window (seconds) cannot be told from rekey's.
 */
export const MARKER_PREFIX = 'rekey:creating:';
/** A marker younger than this may belong to a stage attempt that is still running. */
export const MARKER_FRESH_MS = 15 * 60_000;
/**
 * CreateAccessKey is abandoned after this long (an abort signal on the call): IAM answers in well
 * under a second, so a slower call has lost its connection, and whatever IAM did, it did inside
 * the call. Also the window of a marker with no recorded end.
 */
export const CALL_TIMEOUT_MS = 10_000;
/** With no recorded end, the call cannot have outlived its abort signal. */
export const MAX_CALL_MS = CALL_TIMEOUT_MS;
/**
 * IAM's CreateDate has whole seconds (a key made at 12:00:04.9 shows 12:00:04), and Lambda's and
 * IAM's clocks are kept within milliseconds of each other.
 */
export const CLOCK_SKEW_MS = 1_000;

export interface CreatingMarker {
  readonly tagKey: string;
  readonly executionArn: string;
  /** When the CreateAccessKey call started (epoch ms); undefined when the value is unreadable. */
  readonly startedAt?: number;
  /** When the unanswered call returned (epoch ms), when it was recorded. */
  readonly endedAt?: number;
  /** The key the call created, already discarded: the marker proves nothing more. */
  readonly settledKeyId?: string;
}

export function creatingMarker(executionArn: string): string {
  return `${MARKER_PREFIX}${createHash('sha256').update(executionArn).digest('hex').slice(0, 12)}`;
}

function parse(tagKey: string, value: string): CreatingMarker {
  const at = value.lastIndexOf('@');
  if (at < 0) return { tagKey, executionArn: value };
  const [window = '', settledKeyId] = value.slice(at + 1).split('!');
  const [start = '', end] = window.split('/');
  const startedAt = Date.parse(start);
  const endedAt = end === undefined ? NaN : Date.parse(end);
  return {
    tagKey,
    executionArn: value.slice(0, at),
    ...(!Number.isNaN(startedAt) && { startedAt }),
    ...(!Number.isNaN(endedAt) && { endedAt }),
    ...(settledKeyId && { settledKeyId }),
  };
}

/** Every creating-marker on the secret. */
export function parseMarkers(tags: Readonly<Record<string, string>>): CreatingMarker[] {
  return Object.entries(tags)
    .filter(([key]) => key.startsWith(MARKER_PREFIX))
    .map(([key, value]) => parse(key, value));
}

/** This execution's marker, if it is on the secret. */
export function ownMarker(
  tags: Readonly<Record<string, string>>,
  executionArn: string,
): CreatingMarker | undefined {
  const key = creatingMarker(executionArn);
  const value = tags[key];
  return value === undefined ? undefined : parse(key, value);
}

/** Markers other executions left. */
export function otherMarkers(
  tags: Readonly<Record<string, string>>,
  executionArn: string,
): CreatingMarker[] {
  const own = creatingMarker(executionArn);
  return parseMarkers(tags).filter((m) => m.tagKey !== own);
}

/** Set within the last 15 minutes: its stage attempt may be creating a key right now. */
export function isFresh(marker: CreatingMarker, now: Date): boolean {
  return marker.startedAt !== undefined && now.getTime() - marker.startedAt < MARKER_FRESH_MS;
}

/** Whether a key created at `createDate` can be the one the marked call created. */
export function createdWithin(marker: CreatingMarker, createDate: string): boolean {
  if (marker.startedAt === undefined || marker.settledKeyId !== undefined) return false;
  const created = Date.parse(createDate);
  const end = marker.endedAt ?? marker.startedAt + MAX_CALL_MS;
  return created >= marker.startedAt - CLOCK_SKEW_MS && created <= end + CLOCK_SKEW_MS;
}

export async function setMarker(
  sm: SecretsManagerClient,
  secretId: string,
  executionArn: string,
  startedAt: Date,
  endedAt?: Date,
  settledKeyId?: string,
): Promise<void> {
  const window =
    `${startedAt.toISOString()}${endedAt ? `/${endedAt.toISOString()}` : ''}` +
    (settledKeyId ? `!${settledKeyId}` : '');
  await sm.send(
    new TagResourceCommand({
      SecretId: secretId,
      Tags: [{ Key: creatingMarker(executionArn), Value: `${executionArn}@${window}` }],
    }),
  );
}

export async function clearMarker(
  sm: SecretsManagerClient,
  secretId: string,
  executionArn: string,
): Promise<void> {
  await removeMarkers(sm, secretId, [creatingMarker(executionArn)]);
}

export async function removeMarkers(
  sm: SecretsManagerClient,
  secretId: string,
  tagKeys: readonly string[],
): Promise<void> {
  if (tagKeys.length === 0) return;
  await sm.send(new UntagResourceCommand({ SecretId: secretId, TagKeys: [...tagKeys] }));
}
