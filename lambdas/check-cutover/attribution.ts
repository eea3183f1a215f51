/**
 * Who still uses the old key: its CloudTrail management events in a window, grouped by caller.
 * Attribution never fails a check: a denied, throttled or failing lookup becomes a problem the
 * result names. It is bounded in pages, in time and in callers, and paced to CloudTrail's
 * documented 2 LookupEvents per second per account and region (docs/aws-semantics.md §8).
 */
import {
  LookupEventsCommand,
  type CloudTrailClient,
  type LookupEventsCommandOutput,
} from '@aws-sdk/client-cloudtrail';
import { CallerTally, MAX_CALLERS, parseRecord } from '../shared/attribution';
import type { Clock, Sleep } from '../shared/clock';
import type { AttributionSettings } from '../shared/config';
import { awsErrorCode } from '../shared/errors';
import type { Attribution } from '../shared/types';
import { AWS_REGION } from '../shared/regions';

export interface AttributionDeps {
  /** A client for the region: one lookup answers for one region only. */
  readonly cloudTrail: (region: string) => CloudTrailClient;
  readonly clock: Clock;
  /**
   * Pacing and backoff between lookups. This is a rate limiter, not a wait: the cutover's
   * waiting stays the state machine's. (The sandbox's moves sandbox time.)
   */
  readonly sleep: Sleep;
  readonly settings: AttributionSettings;
  /** The function's own region: looked up by default. */
  readonly homeRegion: string;
}

export interface AttributionQuery {
  readonly accessKeyId: string;
  readonly since: Date;
  readonly until: Date;
  readonly regions: readonly string[];
  /** Callers kept; the rest are counted (MAX_CALLERS by default). */
  readonly maxCallers?: number;
}

/** 2 requests per second: at least 500 ms between two lookups of this check. */
export const SPACING_MS = 500;
/** Waits after a ThrottlingException (other callers share the account's rate); then give up. */
export const BACKOFF_MS: readonly number[] = [1000, 2000, 4000];
/** A check spends no more than this on lookups, far inside the function's 60 s timeout. */
export const TIME_BUDGET_MS = 20_000;
const PAGE_SIZE = 50;

/**
 * The regions the policy names, or else the function's own and the one IAM reports for the old
 * key's last use (IAM's own uses are reported in us-east-1, where CloudTrail records them too).
 */
export function regionsFor(deps: AttributionDeps, lastUseRegion: string | undefined): string[] {
  if (deps.settings.regions.length > 0) return [...deps.settings.regions];
  const regions = [deps.homeRegion, lastUseRegion].filter(
    (r): r is string => r !== undefined && AWS_REGION.test(r),
  );
  return [...new Set(regions)];
}

function problem(region: string, error: unknown): string {
  const code = awsErrorCode(error) ?? 'error';
  if (code === 'AccessDeniedException' || code === 'AccessDenied') {
    return `${region}: CloudTrail refused LookupEvents (${code}; the role needs cloudtrail:LookupEvents and no policy may deny it)`;
  }
  if (code === 'ThrottlingException') {
    return `${region}: CloudTrail throttled LookupEvents ${BACKOFF_MS.length + 1} times (2 per second per account and region, shared with every caller)`;
  }
  return `${region}: LookupEvents failed (${code})`;
}

export async function whoUses(q: AttributionQuery, deps: AttributionDeps): Promise<Attribution> {
  const { clock, sleep, settings } = deps;
  const tally = new CallerTally();
  const started = clock.now().getTime();
  const looked: string[] = [];
  const problems: string[] = [];
  let pagesLeft = settings.maxPages;
  let lookups = 0;
  let truncated = false;
  let last: number | undefined;

  const send = async (
    client: CloudTrailClient,
    token: string | undefined,
  ): Promise<LookupEventsCommandOutput> => {
    for (let attempt = 0; ; attempt++) {
      const wait = last === undefined ? 0 : last + SPACING_MS - clock.now().getTime();
      if (wait > 0) await sleep(wait);
      last = clock.now().getTime();
      lookups += 1;
      try {
        return await client.send(
          new LookupEventsCommand({
            LookupAttributes: [{ AttributeKey: 'AccessKeyId', AttributeValue: q.accessKeyId }],
            StartTime: q.since,
            EndTime: q.until,
            MaxResults: PAGE_SIZE,
            NextToken: token,
          }),
        );
      } catch (error) {
        const backoff = BACKOFF_MS[attempt];
        if (awsErrorCode(error) !== 'ThrottlingException' || backoff === undefined) throw error;
        await sleep(backoff);
      }
    }
  };
  const outOfBudget = (): boolean =>
    pagesLeft <= 0 || clock.now().getTime() - started >= TIME_BUDGET_MS;

  for (const region of q.regions) {
    if (outOfBudget()) {
      truncated = true;
      problems.push(`${region}: not looked up (the check's lookup budget was spent)`);
      continue;
    }
    const client = deps.cloudTrail(region);
    let token: string | undefined;
    try {
      do {
        pagesLeft -= 1;
        const page = await send(client, token);
        for (const event of page.Events ?? []) {
          const record = parseRecord(event.CloudTrailEvent);
          if (record) tally.add(record);
        }
        token = page.NextToken;
      } while (token !== undefined && !outOfBudget());
      if (token !== undefined) truncated = true;
      looked.push(region);
    } catch (error) {
      problems.push(problem(region, error));
    }
  }
  const { callers, others } = tally.top(q.maxCallers ?? MAX_CALLERS);
  return {
    status: looked.length > 0 ? 'found' : 'unavailable',
    since: q.since.toISOString(),
    until: q.until.toISOString(),
    regions: looked,
    callers,
    otherCallers: others,
    events: tally.events,
    truncated,
    lookups,
    problems,
  };
}
