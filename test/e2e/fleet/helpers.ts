/**
 * Arrangements and readings for the fleet scan's end-to-end tests: the synthesized fleet-scan
 * state machine on the sandbox, started through the Step Functions API as EventBridge Scheduler
 * would start it, with the rotations it starts run by the real rotation workflow.
 */
import { Retry } from '@smithy/core/retry';
import type { ScanSummary } from '../../../lambdas/fleet-scan/summary';
import type { CallRecord, ExecutionRecord } from '../../../sandbox/contracts';
import type { AccessKeyView, RecordedEvent, RecordedMessage } from '../../../sandbox/emulator';
import { InvariantMonitor } from '../../../sandbox/invariants';
import type { Sandbox } from '../../../sandbox/sandbox';

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/** What the scan Lambda publishes on EventBridge (source `rekey`). */
export const SCAN_EVENT = 'Fleet Scan Completed';

export interface KeySpec {
  /** Age of the key in days at seeding time. */
  readonly ageDays: number;
  /** @default 'Active' */
  readonly status?: 'Active' | 'Inactive';
}

export interface FleetUser {
  readonly userName: string;
  /** @default '/' */
  readonly path?: string;
  /** `rekey:*` tags (or any tag). */
  readonly tags?: Readonly<Record<string, string>>;
  /** @default [{ ageDays: 85 }]: one active key, due under the default 80-day policy */
  readonly keys?: readonly KeySpec[];
}

export interface SeededKey {
  readonly accessKeyId: string;
  readonly createDate: Date;
}

/**
 * Seeds a user and its keys (in memory, not over the wire). Every key was last used 30 days ago,
 * so a rotation's cutover finds the old key idle and completes without a consumer.
 */
export function seedUser(sb: Sandbox, user: FleetUser): SeededKey[] {
  const now = sb.clock.now().getTime();
  sb.emulator.seed.user({
    userName: user.userName,
    path: user.path,
    tags: Object.entries(user.tags ?? {}).map(([Key, Value]) => ({ Key, Value })),
  });
  return (user.keys ?? [{ ageDays: 85 }]).map((spec) => {
    const createDate = new Date(now - spec.ageDays * DAY);
    const { accessKeyId } = sb.emulator.seed.accessKey({
      userName: user.userName,
      status: spec.status,
      createDate,
      lastUsed: { date: new Date(now - 30 * DAY), service: 's3', region: 'eu-west-1' },
    });
    return { accessKeyId, createDate };
  });
}

/** Seeds a user with one key (by default active, 85 days old) and returns that key. */
export function seedOne(sb: Sandbox, user: FleetUser): SeededKey {
  const [key, ...more] = seedUser(sb, user);
  if (!key || more.length > 0) throw new Error(`seedOne: give ${user.userName} exactly one key`);
  return key;
}

/** The sandbox date `days` from now, as `rekey:exempt-until` takes it (YYYY-MM-DD, UTC). */
export function dateIn(sb: Sandbox, days: number): string {
  return new Date(sb.clock.now().getTime() + days * DAY).toISOString().slice(0, 10);
}

/**
 * The execution name the scan gives a user's rotation, computed here independently of the
 * scan's code: `scan-<user>-<creation of the oldest active key, YYYYMMDDhhmmss>`.
 */
export function rotationName(userName: string, key: SeededKey): string {
  const stamp = key.createDate
    .toISOString()
    .replace(/\.\d{3}Z$/, '')
    .replace(/\D/g, '');
  return `scan-${userName}-${stamp}`;
}

/** Starts the fleet scan as its schedule does: StartExecution as the schedule's role. */
export function startScan(sb: Sandbox, input: unknown = {}): Promise<string> {
  return sb.startFleetScan(input);
}

export interface ScanRun {
  readonly execution: ExecutionRecord;
  readonly summary: ScanSummary;
  /** Real milliseconds from StartExecution to the scan's end. */
  readonly realMs: number;
}

function finished(sb: Sandbox, executionArn: string, realStart: number): ScanRun {
  const execution = sb.execution(executionArn);
  if (execution.status !== 'SUCCEEDED') {
    throw new Error(
      `The fleet scan ended ${execution.status}: ${execution.error ?? ''} ${execution.cause ?? ''}`,
    );
  }
  const summary = JSON.parse(execution.output ?? 'null') as ScanSummary;
  return { execution, summary, realMs: Date.now() - realStart };
}

/**
 * 'auto' clock: runs a scan and lets sandbox time run until everything is idle, so the
 * rotations it started have ended too (days of cutover and recovery window included).
 */
export async function scanAndSettle(sb: Sandbox, input: unknown = {}): Promise<ScanRun> {
  const realStart = Date.now();
  const arn = await startScan(sb, input);
  await sb.settle();
  return finished(sb, arn, realStart);
}

/**
 * 'manual' clock: runs a scan, moving sandbox time 10 s at a time (the scan waits 10 s for the
 * credential report) only until the scan has ended; the rotations it started are still running.
 */
export async function scanOnly(sb: Sandbox, input: unknown = {}): Promise<ScanRun> {
  const realStart = Date.now();
  const arn = await startScan(sb, input);
  await sb.scheduler.advance(0);
  for (let step = 0; sb.execution(arn).status === 'RUNNING'; step += 1) {
    if (step >= 60) throw new Error('The fleet scan did not end within 10 sandbox minutes');
    await sb.scheduler.advance(10_000);
  }
  return finished(sb, arn, realStart);
}

/** Executions of the rotation state machine, in start order. */
export function rotations(sb: Sandbox): ExecutionRecord[] {
  const arn = sb.stateMachineArn('rotation');
  return sb.emulator.state.executions.filter((e) => e.stateMachineArn === arn);
}

/** `name: status` of every rotation execution, sorted, for exact comparisons. */
export function rotationStatuses(sb: Sandbox): string[] {
  return rotations(sb)
    .map((e) => `${e.name}: ${e.status}`)
    .sort();
}

/** The keys a user holds now (deleted keys left out). */
export function liveKeys(sb: Sandbox, userName: string): AccessKeyView[] {
  return sb.emulator.state.accessKeys.filter((k) => k.userName === userName && !k.deletedAt);
}

/** The key id the user's secret holds as AWSCURRENT, if the secret exists. */
export function currentKeyId(sb: Sandbox, userName: string): string | undefined {
  const secret = sb.emulator.state.secrets.find((s) => s.name === `${sb.secretPrefix}${userName}`);
  const current = secret?.versions.find((v) => v.stages.includes('AWSCURRENT'));
  if (!current) return undefined;
  return (JSON.parse(current.value) as { AccessKeyId?: string }).AccessKeyId;
}

/** Users, keys (with last use) and secrets, to compare before and after. */
export function accountSnapshot(sb: Sandbox): string {
  const { users, accessKeys, secrets } = sb.emulator.state;
  return JSON.stringify({ users, accessKeys, secrets });
}

/** Everything about one user that a rotation could change. */
export function userSnapshot(sb: Sandbox, userName: string): string {
  const { users, accessKeys, secrets } = sb.emulator.state;
  return JSON.stringify({
    user: users.find((u) => u.userName === userName),
    keys: accessKeys.filter((k) => k.userName === userName),
    secret: secrets.find((s) => s.name === `${sb.secretPrefix}${userName}`),
  });
}

/** The scan's compliance events on EventBridge. */
export function scanEvents(sb: Sandbox): RecordedEvent[] {
  return sb.emulator.events.filter((e) => e.DetailType === SCAN_EVENT);
}

/** The scan's SNS notifications (the rotation workflow's own are left out). */
export function scanNotifications(sb: Sandbox): RecordedMessage[] {
  return sb.emulator.notifications.filter((n) => (n.Subject ?? '').startsWith('rekey fleet scan'));
}

/** The metrics the fleet scan Lambda published from `from` on (an index into runner.metrics). */
export function scanMetrics(sb: Sandbox, from = 0): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of sb.runner.metrics.slice(from)) {
    if (/fleetscan/i.test(m.functionName)) out[`${m.namespace}/${m.name}`] = m.value;
  }
  return out;
}

/**
 * The IAM calls the scan made: those before the first rotation it started (the scan reads the
 * report and every tag it needs before it starts anything; after that, IAM calls are the
 * rotations'), or all of them when it started none.
 */
export function scanIamCalls(sb: Sandbox): CallRecord[] {
  const roles = sb.stack.functions
    .filter((f) => /lambdas\/fleet-(scan|report)\//.test(f.handlerPath ?? ''))
    .map((f) => (f.roleArn ?? '').slice((f.roleArn ?? '').lastIndexOf('/') + 1));
  const byScan = (c: CallRecord): boolean =>
    roles.some((role) => c.principal?.includes(`:assumed-role/${role}/`) === true);
  const calls = sb.emulator.calls;
  const firstStart = calls.findIndex(
    (c) => c.service === 'states' && c.operation === 'StartExecution' && byScan(c),
  );
  return calls
    .slice(0, firstStart < 0 ? calls.length : firstStart)
    .filter((c) => c.service === 'iam' && byScan(c));
}

/** `operation: count` of the IAM calls among `calls`. */
export function iamCallCounts(calls: readonly CallRecord[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of calls) if (c.service === 'iam') out[c.operation] = (out[c.operation] ?? 0) + 1;
  return out;
}

/** Bytes of JSON text, as Step Functions counts its 256 KiB payload quota (UTF-8). */
export function bytes(text: string | undefined): number {
  return Buffer.byteLength(text ?? '', 'utf8');
}

/** The largest input or output any state of the execution passed on. */
export function largestStatePayload(execution: ExecutionRecord): number {
  let largest = 0;
  for (const event of execution.events) {
    for (const details of Object.values(event)) {
      if (typeof details !== 'object' || details === null) continue;
      const { input, output } = details as { input?: unknown; output?: unknown };
      for (const data of [input, output]) {
        if (typeof data === 'string') largest = Math.max(largest, bytes(data));
      }
    }
  }
  return largest;
}

/** An InvariantMonitor (I1, I2 on every change) over `users` from now on. */
export function watch(sb: Sandbox, users: readonly string[]): InvariantMonitor {
  return new InvariantMonitor(sb.emulator, { users, secretPrefix: sb.secretPrefix }).start();
}

/**
 * Shortens the AWS SDK's retry backoff to 1 ms. Handlers retry in real time while the sandbox
 * clock stands still, so this changes nothing observable, only how long an injected outage
 * takes. Call before the handlers load (their clients read it at creation).
 */
export function shortenSdkBackoff(): void {
  jest.spyOn(Retry, 'delay').mockReturnValue(1);
  jest.spyOn(Retry, 'throttlingDelay').mockReturnValue(1);
}
