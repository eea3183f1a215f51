/** IAM input rules (docs/aws-semantics.md §1, common rules). */
import { ServiceError } from './errors';
import type { Tag } from './state/account';

const USER_NAME = /^[\w+=,.@-]+$/;
/**
 * The API reference's pattern, `(\u002F)|(\u002F[\u0021-\u007E]+\u002F)`: its prose says "through
 * the DEL character (\u007F)", but the pattern itself stops at `~`, and the sandbox keeps it
 * (https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateUser.html).
 */
export const IAM_PATH = /^(\/|\/[\u0021-\u007E]+\/)$/;
const TAG_TEXT = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
export const MAX_TAGS = 50;

function constraint(value: string, member: string, rule: string): ServiceError {
  return new ServiceError(
    'ValidationError',
    `1 validation error detected: Value '${value}' at '${member}' failed to satisfy constraint: ${rule}`,
  );
}

export function validateUserName(userName: string, maxLength: number): void {
  if (userName.length < 1 || userName.length > maxLength) {
    throw constraint(
      userName,
      'userName',
      `Member must have length less than or equal to ${maxLength}`,
    );
  }
  if (!USER_NAME.test(userName)) {
    throw constraint(
      userName,
      'userName',
      'Member must satisfy regular expression pattern: [\\w+=,.@-]+',
    );
  }
}

export function validatePath(path: string): void {
  if (path.length > 512 || !IAM_PATH.test(path)) {
    throw constraint(
      path,
      'path',
      'Member must satisfy regular expression pattern: (\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)',
    );
  }
}

export function validateTags(tags: readonly Tag[]): void {
  const seen = new Set<string>();
  for (const tag of tags) {
    if (tag.Key.length < 1 || tag.Key.length > 128 || !TAG_TEXT.test(tag.Key)) {
      throw constraint(
        tag.Key,
        'tags.member.key',
        'Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+',
      );
    }
    if (tag.Value.length > 256 || !TAG_TEXT.test(tag.Value)) {
      throw constraint(
        tag.Value,
        'tags.member.value',
        'Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*',
      );
    }
    const lower = tag.Key.toLowerCase();
    if (seen.has(lower)) {
      throw new ServiceError(
        'InvalidInput',
        'Duplicate tag keys found. Please note that Tag keys are case insensitive.',
      );
    }
    seen.add(lower);
  }
}

/** Tag keys are case-insensitive but keep their case: a new `department` replaces `Department`. */
export function mergeTags(existing: readonly Tag[], added: readonly Tag[]): Tag[] {
  const merged = existing.filter(
    (tag) => !added.some((add) => add.Key.toLowerCase() === tag.Key.toLowerCase()),
  );
  merged.push(...added.map((tag) => ({ Key: tag.Key, Value: tag.Value })));
  if (merged.length > MAX_TAGS) {
    throw new ServiceError(
      'LimitExceeded',
      `Cannot exceed quota for TagsPerUser: ${MAX_TAGS}`,
      409,
    );
  }
  return merged;
}

/** Markers are opaque: base64 of the position where the next page starts. */
export function encodeMarker(position: number): string {
  return Buffer.from(`m:${position}`).toString('base64');
}

export function decodeMarker(marker: string | undefined): number {
  if (marker === undefined) return 0;
  const match = /^m:(\d+)$/.exec(Buffer.from(marker, 'base64').toString('utf8'));
  if (!match?.[1]) throw new ServiceError('InvalidInput', 'Invalid Marker.');
  return Number(match[1]);
}

export function maxItems(value: number | undefined): number {
  if (value === undefined) return 100;
  if (value < 1 || value > 1000) {
    throw constraint(String(value), 'maxItems', 'Member must have value between 1 and 1000');
  }
  return value;
}

/** One IAM page: `IsTruncated` always, `Marker` only when truncated. */
export function page<T>(
  items: readonly T[],
  markerOf: (item: T) => number,
  marker: string | undefined,
  limit: number | undefined,
): { items: T[]; IsTruncated: boolean; Marker?: string } {
  const start = decodeMarker(marker);
  const remaining = items.filter((item) => markerOf(item) >= start);
  const size = maxItems(limit);
  const pageItems = remaining.slice(0, size);
  const next = remaining[size];
  return next === undefined
    ? { items: pageItems, IsTruncated: false }
    : { items: pageItems, IsTruncated: true, Marker: encodeMarker(markerOf(next)) };
}
