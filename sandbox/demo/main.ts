import { SimulatedConsumer } from '../apps/consumer';
import { InvariantMonitor } from '../invariants';
import { Sandbox } from '../sandbox';
import { sandboxTime, span, table } from '../../core/format';
import { bold, dim, green, key, red, yellow } from './format';
import { DEADLINE_APPS, seedDeadlineCase, seedDemoAccount, type DemoUser } from './seed';
import { entryOf } from './timeline';
import { CutoverDeadlineError } from '../../lambdas/shared/errors';

type Out = { write(text: string): unknown };

type Outcome = 'rotated' | 'unchanged' | 'deadline';

/** What each demo user should end as; the demo exits non-zero otherwise. */
const EXPECTED: Record<string, Outcome> = {
  alice: 'rotated',
  bob: 'unchanged',
  carol: 'unchanged',
  dave: 'rotated',
  erin: 'unchanged',
  frank: 'rotated',
  gina: 'unchanged',
  // Both keys stay active, the new one current: nightly-export never moved.
  hank: 'deadline',
};

/**
 * `npm start`: seeds a demo account in the sandbox, rotates the due users with the real state
 * machine and handlers, prints the timeline as it happens and a summary. Returns the exit code.
 */
export async function runDemo(out: Out = process.stdout): Promise<number> {
  const realStart = Date.now();
  const line = (s = ''): unknown => out.write(`${s}\n`);
  line(
    bold('rekey sandbox demo') +
      dim(' — real rotations against an emulated AWS account; sandbox time runs fast'),
  );
  const sb = await Sandbox.start();
  const startedAt = sb.clock.now();
  try {
    line(
      dim(
        `sandbox ${sb.endpoint}, account ${sb.emulator.accountId}, ${sb.region}; ready in ${((Date.now() - realStart) / 1000).toFixed(1)} s`,
      ),
    );
    line();
    line(bold('Account') + dim('  (IAM users under /apps/)'));
    const users = [...seedDemoAccount(sb), seedDeadlineCase(sb)];
    for (const u of users) line(`  ${u.userName.padEnd(6)} ${u.story}`);
    const monitor = new InvariantMonitor(sb.emulator, {
      users: users.map((u) => u.userName),
      secretPrefix: sb.secretPrefix,
    }).start();
    const alice = users.find((u) => u.userName === 'alice');
    const app = alice?.appKey
      ? new SimulatedConsumer({
          name: 'billing-app',
          behaviour: 'prompt',
          secretId: `${sb.secretPrefix}alice`,
          // Its only identity is alice's key: it reads her secret with the key it holds.
          initialKey: alice.appKey,
          endpoint: sb.endpoint,
          region: sb.region,
          clock: sb.clock,
          scheduler: sb.scheduler,
          periodSeconds: 600,
        })
      : undefined;

    const hankApps = deadlineApps(sb, users);

    line();
    line(bold('Timeline') + dim('  (sandbox time, real time since start)'));
    let shown = 0;
    let seenCalls = 0;
    let appKey = alice?.appKey?.accessKeyId;
    const flush = (): void => {
      const calls = app?.calls ?? [];
      for (; seenCalls < calls.length; seenCalls++) {
        const call = calls[seenCalls];
        if (call?.ok && call.accessKeyId !== appKey) {
          appKey = call.accessKeyId;
          print(call.at, 'alice', 'Application', `billing-app now signs with ${key(appKey)}`);
        }
      }
      const events = sb.emulator.events;
      for (; shown < events.length; shown++) {
        const event = events[shown];
        const entry = event && entryOf(event);
        if (entry) print(entry.at, entry.user, entry.what, entry.text);
      }
    };
    const print = (at: Date, user: string, what: string, text: string): void => {
      const real = `+${((Date.now() - realStart) / 1000).toFixed(2)}s`;
      const colour = /Failed|Refused|Deadline/.test(what)
        ? red
        : /Completed|Deleted/.test(what)
          ? green
          : (s: string) => s;
      line(
        `  ${dim(sandboxTime(at))} ${dim(real.padStart(7))}  ${user.padEnd(6)} ${colour(what.padEnd(22))} ${text}`,
      );
    };
    const ticker = setInterval(flush, 25);
    app?.start();
    for (const a of hankApps) a.start();
    // EventBridge Scheduler's daily schedule starts the fleet scan with this input.
    const scan = await sb.startFleetScan({ dryRun: false });
    await waitForExecutions(sb, [scan]);
    await waitForExecutions(sb, rotationArns(sb));
    await app?.stop();
    await Promise.all(hankApps.map((a) => a.stop()));
    clearInterval(ticker);
    flush();

    const decisions = scanDecisions(sb, scan);
    const exposed = await exposedKeyScene(sb, line, print);
    monitor.checkNoOrphans();
    monitor.checkSecrecy(secrecyTexts(sb));
    monitor.stop();
    const code = summarize(
      sb,
      users.map((u) => u.userName),
      decisions,
      monitor.violations,
      { line, startedAt, realStart, appFailures: app?.failures.length ?? 0 },
    );
    return exposed ? code : 1;
  } finally {
    await sb.stop();
  }
}

/**
 * The final scene: AWS Health reports dave's new key exposed (the sandbox delivers the event to
 * the stack's rule, as AWS would; customers cannot put aws.health events). The emergency rotation
 * cuts it off as soon as its replacement is current and says what the key did. Returns whether
 * it ended as it should: rotated, the exposed key inactive then deleted.
 */
async function exposedKeyScene(
  sb: Sandbox,
  line: (s?: string) => unknown,
  print: (at: Date, user: string, what: string, text: string) => void,
): Promise<boolean> {
  const user = 'dave';
  const exposedKey = sb.emulator.state.accessKeys.find(
    (k) => k.userName === user && !k.deletedAt && k.status === 'Active',
  );
  line();
  line(
    bold('Exposed key') +
      dim(
        `  (AWS Health: ${user}'s key found in a public repository; AWS_RISK_CREDENTIALS_EXPOSED)`,
      ),
  );
  if (!exposedKey) {
    line(red(`  ${user} has no active key to expose`));
    return false;
  }
  const from = sb.emulator.events.length;
  const [delivery] = await sb.exposeKey(exposedKey.accessKeyId);
  if (!delivery?.executionArn) {
    line(red(`  the rule started nothing: ${delivery?.error ?? 'no rule matched'}`));
    return false;
  }
  await waitForExecutions(sb, [delivery.executionArn]);
  for (const event of sb.emulator.events.slice(from)) {
    const entry = entryOf(event);
    if (entry && entry.user === user) print(entry.at, entry.user, entry.what, entry.text);
  }
  const notice = sb.emulator.notifications.find((n) =>
    n.Subject?.startsWith(`rekey EMERGENCY: exposed key ${exposedKey.accessKeyId}`),
  );
  if (notice) {
    line(`  ${red('notification')} ${notice.Subject ?? ''}`);
    for (const part of (notice.Message ?? '').split('\n\n').slice(0, 4)) {
      line(dim(`    ${part.replace(/\bA[KS]IA[A-Z0-9]{16}\b/g, (id) => key(id))}`));
    }
  }
  const status = sb.execution(delivery.executionArn).status;
  const deleted = sb.emulator.state.accessKeys.find(
    (k) => k.accessKeyId === exposedKey.accessKeyId,
  )?.deletedAt;
  const ok = status === 'SUCCEEDED' && deleted !== undefined && notice !== undefined;
  line(
    ok
      ? green(`  ${user}: exposed key cut off at once and deleted after the 1-day emergency window`)
      : red(
          `  ${user}: the emergency ended ${status}${deleted ? '' : ', the exposed key still exists'}`,
        ),
  );
  return ok;
}

/** hank's two applications, signing with his key from their own addresses and user agents. */
function deadlineApps(sb: Sandbox, users: readonly DemoUser[]): SimulatedConsumer[] {
  const hank = users.find((u) => u.userName === 'hank');
  if (!hank?.appKey) return [];
  const initialKey = hank.appKey;
  return (
    [
      ['prompt', DEADLINE_APPS.moves],
      ['never', DEADLINE_APPS.never],
    ] as const
  ).map(
    ([behaviour, identity]) =>
      new SimulatedConsumer({
        name: identity.name,
        behaviour,
        secretId: `${sb.secretPrefix}hank`,
        initialKey,
        endpoint: sb.endpoint,
        region: sb.region,
        clock: sb.clock,
        scheduler: sb.scheduler,
        periodSeconds: 900,
        identity,
      }),
  );
}

function rotationArns(sb: Sandbox): string[] {
  const arn = sb.stateMachineArn('rotation');
  return sb.emulator.state.executions
    .filter((e) => e.stateMachineArn === arn)
    .map((e) => e.executionArn);
}

/** Each user's categories in the scan's summary, and the rotation it started, if any. */
function scanDecisions(
  sb: Sandbox,
  scanArn: string,
): Map<string, { categories: string[]; rotation?: string }> {
  const out = new Map<string, { categories: string[]; rotation?: string }>();
  const summary = JSON.parse(sb.execution(scanArn).output ?? '{}') as {
    users?: Record<string, string[]>;
  };
  for (const [category, names] of Object.entries(summary.users ?? {})) {
    for (const name of names) {
      const entry = out.get(name) ?? { categories: [] };
      entry.categories.push(category);
      out.set(name, entry);
    }
  }
  const rotation = sb.stateMachineArn('rotation');
  for (const e of sb.emulator.state.executions.filter((x) => x.stateMachineArn === rotation)) {
    const user = (JSON.parse(e.input) as { userName?: string }).userName ?? '';
    const entry = out.get(user) ?? { categories: [] };
    out.set(user, { ...entry, rotation: e.executionArn });
  }
  return out;
}

async function waitForExecutions(sb: Sandbox, arns: string[]): Promise<void> {
  while (arns.some((arn) => sb.execution(arn).status === 'RUNNING')) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Every text a secret access key must never appear in (I4). */
export function secrecyTexts(sb: Sandbox): { where: string; text: string }[] {
  return [
    ...sb.emulator.state.executions.map((e) => ({
      where: `execution ${e.name}`,
      text: JSON.stringify(e),
    })),
    { where: 'Lambda logs', text: JSON.stringify(sb.runner.logs) },
    { where: 'EventBridge events', text: JSON.stringify(sb.emulator.events) },
    { where: 'SNS notifications', text: JSON.stringify(sb.emulator.notifications) },
  ];
}

type Decisions = Map<string, { categories: string[]; rotation?: string }>;

/** The user's key id in the secret's AWSCURRENT, if the secret exists. */
function currentKeyOf(sb: Sandbox, user: string): string | undefined {
  const secret = sb.emulator.state.secrets.find((s) => s.name === `${sb.secretPrefix}${user}`);
  const value = secret?.versions.find((v) => v.stages.includes('AWSCURRENT'))?.value;
  return value ? (JSON.parse(value) as { AccessKeyId?: string }).AccessKeyId : undefined;
}

function summarize(
  sb: Sandbox,
  users: string[],
  decisions: Decisions,
  violations: readonly string[],
  ctx: { line: (s?: string) => unknown; startedAt: Date; realStart: number; appFailures: number },
): number {
  const { line } = ctx;
  const now = sb.clock.now();
  const problems: string[] = [...violations];
  const rows: string[][] = [
    ['user', 'scan decision', 'rotation', 'keys now (status, age)', 'AWSCURRENT', 'result'],
  ];
  for (const user of users) {
    const decision = decisions.get(user);
    const execution = decision?.rotation ? sb.execution(decision.rotation) : undefined;
    const keys = sb.emulator.state.accessKeys.filter((k) => k.userName === user && !k.deletedAt);
    const deleted = sb.emulator.state.accessKeys.filter((k) => k.userName === user && k.deletedAt);
    const current = currentKeyOf(sb, user);
    const rotated = deleted.length > 0 && keys.length === 1 && keys[0]?.accessKeyId === current;
    // The deadline's safe failure: both keys active, the new one (not the first) current.
    const keptBoth =
      execution?.error === CutoverDeadlineError.errorName &&
      keys.length === 2 &&
      keys.every((k) => k.status === 'Active') &&
      current === keys[1]?.accessKeyId;
    const outcome: Outcome = rotated ? 'rotated' : keptBoth ? 'deadline' : 'unchanged';
    if (outcome !== EXPECTED[user]) {
      problems.push(`${user}: expected ${EXPECTED[user] ?? '?'}, got ${outcome}`);
    }
    const status = !execution
      ? dim('not started')
      : execution.status === 'SUCCEEDED'
        ? green(execution.status)
        : yellow(`${execution.status} ${execution.error ?? ''}`);
    const age = (d: Date): string => span(now.getTime() - d.getTime());
    rows.push([
      user,
      (decision?.categories ?? []).filter((c) => c !== 'started').join(', '),
      status,
      keys.map((k) => `${key(k.accessKeyId)} ${k.status} ${age(k.createDate)}`).join(', '),
      current ? key(current) : '-',
      rotated
        ? green(`rotated (${deleted.map((k) => key(k.accessKeyId)).join(', ')} deleted)`)
        : keptBoth
          ? yellow('deadline: both keys kept, new one current')
          : outcome,
    ]);
  }
  if (ctx.appFailures > 0) problems.push(`billing-app had ${ctx.appFailures} failed calls`);
  line();
  line(bold('Summary'));
  line(table(rows).replace(/^/gm, '  '));
  line();
  line(
    `Invariants I1-I6: ${violations.length === 0 ? green('0 violations') : red(`${violations.length} violations`)}. ` +
      `billing-app failed calls: ${ctx.appFailures}. Sandbox time advanced ${span(now.getTime() - ctx.startedAt.getTime())} ` +
      `in ${((Date.now() - ctx.realStart) / 1000).toFixed(1)} s.`,
  );
  for (const p of problems) line(red(`  problem: ${p}`));
  return problems.length === 0 ? 0 : 1;
}
