/**
 * CloudTrail's event history, from the requests the emulator answers: one management event per
 * authenticated request, kept per region for 90 days of sandbox time (docs/aws-semantics.md §8).
 */

/** What CloudTrail records of one request; the event's JSON is built from it when looked up. */
export interface TrailEvent {
  /** Arrival order: newest-first listing and pagination cursors follow it. */
  readonly seq: number;
  readonly eventId: string;
  readonly eventTime: Date;
  /** `sts.amazonaws.com`, `iam.amazonaws.com`, ... */
  readonly eventSource: string;
  readonly eventName: string;
  readonly awsRegion: string;
  readonly sourceIPAddress: string;
  readonly userAgent: string;
  readonly accessKeyId: string;
  readonly readOnly: boolean;
  readonly identity: TrailIdentity;
  readonly errorCode?: string;
}

export interface TrailIdentity {
  readonly type: 'IAMUser' | 'AssumedRole';
  readonly principalId: string;
  readonly arn: string;
  /** The user's name (IAMUser) or the role session's name (AssumedRole). */
  readonly userName: string;
}

/** Event history keeps 90 days (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/view-cloudtrail-events.html). */
export const RETENTION_MS = 90 * 86_400_000;
/** LookupEvents: two requests per second, per account, per region (API_LookupEvents). */
export const LOOKUPS_PER_SECOND = 2;

export class Trail {
  private readonly byRegion = new Map<string, TrailEvent[]>();
  private readonly lookups = new Map<string, number[]>();
  private seq = 0;

  record(event: Omit<TrailEvent, 'seq'>): void {
    const events = this.byRegion.get(event.awsRegion) ?? [];
    this.byRegion.set(event.awsRegion, events);
    events.push({ ...event, seq: ++this.seq });
    // Forget what fell out of the retention window, so a long run does not grow without end.
    const horizon = event.eventTime.getTime() - RETENTION_MS;
    let expired = 0;
    while (expired < events.length && (events[expired]?.eventTime.getTime() ?? 0) < horizon) {
      expired++;
    }
    if (expired > 0) events.splice(0, expired);
  }

  /** The region's events within retention, newest first. */
  newestFirst(region: string, now: Date): TrailEvent[] {
    const horizon = now.getTime() - RETENTION_MS;
    return (this.byRegion.get(region) ?? [])
      .filter((e) => e.eventTime.getTime() >= horizon)
      .reverse();
  }

  /**
   * Counts a lookup in the region unless two were already made in the last second of sandbox
   * time: false means the caller is throttled (and the lookup is not counted).
   */
  admitLookup(region: string, now: Date): boolean {
    const recent = (this.lookups.get(region) ?? []).filter((t) => now.getTime() - t < 1000);
    if (recent.length >= LOOKUPS_PER_SECOND) {
      this.lookups.set(region, recent);
      return false;
    }
    this.lookups.set(region, [...recent, now.getTime()]);
    return true;
  }

  get size(): number {
    let n = 0;
    for (const events of this.byRegion.values()) n += events.length;
    return n;
  }

  reset(): void {
    this.byRegion.clear();
    this.lookups.clear();
  }
}
