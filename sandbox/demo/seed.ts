import type { Sandbox } from '../sandbox';

const DAY = 86_400_000;

export interface DemoUser {
  readonly userName: string;
  readonly story: string;
  /** The key an application was configured with, for the simulated consumer. */
  readonly appKey?: { accessKeyId: string; secretAccessKey: string };
  readonly keyIds: readonly string[];
}

/**
 * A small fleet that shows each decision rekey makes: a due user whose application reads the
 * secret, an exempt user, two active keys, a never-used key, a young key, an expired exemption
 * and a user who opted out.
 */
export function seedDemoAccount(sb: Sandbox): DemoUser[] {
  const now = sb.clock.now().getTime();
  const ago = (days: number): Date => new Date(now - days * DAY);
  const dayOf = (days: number): string => ago(-days).toISOString().slice(0, 10);
  const exemptUntil = dayOf(120);
  const expiredOn = dayOf(-28);
  const seed = sb.emulator.seed;
  const users: DemoUser[] = [];
  const add = (
    userName: string,
    story: string,
    keys: { ageDays: number; usedDaysAgo?: number; status?: 'Active' | 'Inactive' }[],
    tags: { Key: string; Value: string }[] = [],
  ): void => {
    seed.user({ userName, path: '/apps/', tags, createDate: ago(400) });
    const created = keys.map((k) =>
      seed.accessKey({
        userName,
        status: k.status,
        createDate: ago(k.ageDays),
        lastUsed:
          k.usedDaysAgo === undefined
            ? undefined
            : { date: ago(k.usedDaysAgo), service: 's3', region: sb.region },
      }),
    );
    users.push({ userName, story, appKey: created[0], keyIds: created.map((c) => c.accessKeyId) });
  };
  add('alice', 'key 85 days old, used by billing-app, which reads rekey/alice every 5 minutes', [
    { ageDays: 85, usedDaysAgo: 0.01 },
  ]);
  add(
    'bob',
    `key 120 days old, exempt until ${exemptUntil} (vendor integration)`,
    [{ ageDays: 120, usedDaysAgo: 1 }],
    [
      { Key: 'rekey:exempt-until', Value: exemptUntil },
      { Key: 'rekey:exempt-reason', Value: 'vendor integration - rotation agreed with the vendor' },
    ],
  );
  add('carol', 'two active keys (95 and 30 days old), both in use', [
    { ageDays: 95, usedDaysAgo: 1 },
    { ageDays: 30, usedDaysAgo: 1 },
  ]);
  add('dave', 'key 95 days old, never used', [{ ageDays: 95 }]);
  add('erin', 'key 12 days old, not due', [{ ageDays: 12, usedDaysAgo: 1 }]);
  add(
    'frank',
    `key 88 days old, exemption expired on ${expiredOn}`,
    [{ ageDays: 88, usedDaysAgo: 2 }],
    [
      { Key: 'rekey:exempt-until', Value: expiredOn },
      { Key: 'rekey:exempt-reason', Value: 'migration freeze' },
    ],
  );
  add(
    'gina',
    'key 100 days old, opted out with rekey:rotate=false',
    [{ ageDays: 100, usedDaysAgo: 1 }],
    [{ Key: 'rekey:rotate', Value: 'false' }],
  );
  return users;
}

/** The two applications of the deadline case, each with its own user agent and address. */
export const DEADLINE_APPS = {
  /** Follows the secret with rekey's credential provider. */
  moves: { name: 'ledger-sync', userAgent: 'ledger-sync/4.2', localAddress: '127.0.0.3' },
  /** Keeps the key it was configured with. */
  never: { name: 'nightly-export', userAgent: 'nightly-export/1.4', localAddress: '127.0.0.2' },
} as const;

/**
 * The deadline case, seeded by `npm start` only (the CLI's demo account stays as it is): hank's
 * key is used by two applications, one of which never moves; a one-day deadline with the fail
 * action, so the rotation stops with both keys active and names the program that never moved.
 */
export function seedDeadlineCase(sb: Sandbox): DemoUser {
  const now = sb.clock.now().getTime();
  sb.emulator.seed.user({
    userName: 'hank',
    path: '/apps/',
    createDate: new Date(now - 400 * DAY),
    tags: [
      { Key: 'rekey:cutover-deadline-hours', Value: '24' },
      { Key: 'rekey:deadline-action', Value: 'fail' },
    ],
  });
  const key = sb.emulator.seed.accessKey({
    userName: 'hank',
    createDate: new Date(now - 86 * DAY),
    lastUsed: { date: new Date(now - 0.01 * DAY), service: 'sts', region: sb.region },
  });
  return {
    userName: 'hank',
    story: `key 86 days old, used by ${DEADLINE_APPS.moves.name} (follows the secret) and ${DEADLINE_APPS.never.name} (never re-reads it); 1-day deadline, action fail`,
    appKey: key,
    keyIds: [key.accessKeyId],
  };
}
