/** Date formats the wire protocols use. */

/** ISO 8601 UTC without milliseconds, as IAM writes it: `2015-03-09T18:39:23Z`. */
export function isoSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The credential report's form: a numeric offset instead of `Z` (docs/aws-semantics.md §1.1). */
export function reportDate(date: Date): string {
  return isoSeconds(date).replace(/Z$/, '+00:00');
}

/** JSON protocols send timestamps as epoch seconds, with a fraction when there are milliseconds. */
export function epochSeconds(date: Date): number {
  return date.getTime() / 1000;
}

/** Last-used dates have minute precision (docs/aws-semantics.md §1.2). */
export function truncateToMinute(date: Date): Date {
  return new Date(Math.floor(date.getTime() / 60_000) * 60_000);
}

export function addSeconds(date: Date, seconds: number): Date {
  return new Date(date.getTime() + seconds * 1000);
}
