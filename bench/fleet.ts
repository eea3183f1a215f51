/**
 * Fleet scan at 100, 1,000 and 10,000 users: rekey's credential-report scan (the deployed fleet
 * scan state machine, dry run) and, on the same seeded account, the per-user approach (ListUsers,
 * then ListAccessKeys per user and GetAccessKeyLastUsed per key). IAM calls by operation and
 * wall time for both.
 */
import { performance } from 'node:perf_hooks';
import {
  GetAccessKeyLastUsedCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListUsersCommand,
} from '@aws-sdk/client-iam';
import pLimit from 'p-limit';
import type { Sandbox } from '../sandbox/sandbox';
import {
  callsByOperation,
  finished,
  lambdaCost,
  PRICES,
  progress,
  random,
  startExecution,
  sum,
  transitions,
  type Counts,
  type Invocation,
} from './common';

export const FLEET_SIZES = [100, 1_000, 10_000] as const;
/** As many requests in flight as rekey's scan allows itself for tag reads. */
export const PER_USER_CONCURRENCY = 8;
const DAY = 86_400_000;

export interface ApproachResult {
  readonly iamCalls: Counts;
  readonly iamCallsTotal: number;
  readonly wallMs: number;
}

export interface FleetResult {
  readonly users: number;
  readonly keys: number;
  /** What the scan decided: compliant, due, overdue (the share a rotation would start for). */
  readonly decisions: { compliant: number; due: number; overdue: number };
  readonly rekey: ApproachResult & {
    readonly status: string;
    readonly stateTransitions: number;
    readonly lambdaMs: number;
    readonly costUsd: number;
  };
  readonly perUser: ApproachResult & { readonly keysRead: number };
}

/**
 * A fleet under the managed path '/': 75 % of users with a key 1-79 days old (compliant), 20 %
 * 80-89 days (due), 5 % 90-365 days (overdue); one in ten also holds an older inactive key;
 * one in ten keys was never used, the rest were used in the last three days.
 */
export function seedFleet(sb: Sandbox, users: number): { keys: number } {
  const rand = random(users);
  const now = sb.clock.now().getTime();
  let keys = 0;
  for (let i = 0; i < users; i++) {
    const userName = `user-${String(i).padStart(5, '0')}`;
    sb.emulator.seed.user({ userName, createDate: new Date(now - 400 * DAY) });
    const r = rand();
    const ageDays = r < 0.75 ? 1 + rand() * 78 : r < 0.95 ? 80 + rand() * 9.9 : 90 + rand() * 275;
    const used = (): { date: Date; service: string; region: string } | undefined =>
      rand() < 0.1
        ? undefined
        : { date: new Date(now - rand() * 3 * DAY), service: 's3', region: sb.region };
    if (rand() < 0.1) {
      sb.emulator.seed.accessKey({
        userName,
        status: 'Inactive',
        createDate: new Date(now - (ageDays + 30) * DAY),
        lastUsed: used(),
      });
      keys += 1;
    }
    sb.emulator.seed.accessKey({
      userName,
      createDate: new Date(now - ageDays * DAY),
      lastUsed: used(),
    });
    keys += 1;
  }
  return { keys };
}

/** The per-user approach, as a plain SDK loop: every user, every key, every key's last use. */
export async function perUserScan(iam: IAMClient): Promise<number> {
  const userNames: string[] = [];
  let marker: string | undefined;
  do {
    const page = await iam.send(new ListUsersCommand({ MaxItems: 1000, Marker: marker }));
    for (const u of page.Users ?? []) if (u.UserName) userNames.push(u.UserName);
    marker = page.IsTruncated ? page.Marker : undefined;
  } while (marker);
  const limit = pLimit(PER_USER_CONCURRENCY);
  const perUser = await Promise.all(
    userNames.map((UserName) =>
      limit(async () => {
        const keys = await iam.send(new ListAccessKeysCommand({ UserName }));
        const lastUsed = [];
        for (const key of keys.AccessKeyMetadata ?? []) {
          const out = await iam.send(
            new GetAccessKeyLastUsedCommand({ AccessKeyId: key.AccessKeyId }),
          );
          lastUsed.push(out.AccessKeyLastUsed?.LastUsedDate);
        }
        return lastUsed.length;
      }),
    ),
  );
  return sum(perUser);
}

async function rekeyScan(
  sb: Sandbox,
  invocations: Invocation[],
): Promise<FleetResult['rekey'] & { output: unknown }> {
  sb.emulator.clearCalls();
  invocations.length = 0;
  const started = performance.now();
  const arn = await startExecution(sb, 'fleet-scan', { dryRun: true });
  const execution = await finished(sb, arn);
  const wallMs = performance.now() - started;
  const iam = sb.emulator.calls.filter((c) => c.service === 'iam');
  return {
    status: execution.status,
    iamCalls: callsByOperation(iam),
    iamCallsTotal: iam.length,
    wallMs,
    stateTransitions: transitions(execution).billed,
    lambdaMs: sum(invocations.map((i) => i.ms)),
    costUsd: lambdaCost(invocations).usd + transitions(execution).billed * PRICES.stateTransition,
    output: JSON.parse(execution.output ?? 'null') as unknown,
  };
}

async function perUser(sb: Sandbox): Promise<FleetResult['perUser']> {
  const iam = new IAMClient(sb.clientConfig());
  try {
    sb.emulator.clearCalls();
    const started = performance.now();
    const keysRead = await perUserScan(iam);
    const wallMs = performance.now() - started;
    const calls = sb.emulator.calls.filter(
      (c) => c.service === 'iam' && c.accessKeyId === sb.emulator.admin.accessKeyId,
    );
    return { iamCalls: callsByOperation(calls), iamCallsTotal: calls.length, wallMs, keysRead };
  } finally {
    iam.destroy();
  }
}

export async function runFleet(sb: Sandbox, invocations: Invocation[]): Promise<FleetResult[]> {
  // Warm-up on a one-user account: loads the handler modules and SDK clients, so the figures
  // below are the scans themselves (cold initialisation is measured per Lambda on its own).
  sb.emulator.reset();
  seedFleet(sb, 1);
  await rekeyScan(sb, invocations);
  await perUser(sb);
  const results: FleetResult[] = [];
  for (const users of FLEET_SIZES) {
    sb.emulator.reset();
    const { keys } = seedFleet(sb, users);
    progress(`fleet scan, ${users.toLocaleString('en-US')} users (${keys} keys)`);
    const { output, ...rekey } = await rekeyScan(sb, invocations);
    const counts = (output as { counts?: Record<string, number> } | null)?.counts ?? {};
    const perUserResult = await perUser(sb);
    results.push({
      users,
      keys,
      decisions: {
        compliant: counts.compliant ?? 0,
        due: counts.due ?? 0,
        overdue: counts.overdue ?? 0,
      },
      rekey,
      perUser: perUserResult,
    });
  }
  sb.emulator.reset();
  return results;
}
