/**
 * The fault matrix: every AWS call the rotation workflow makes, under each fault the sandbox
 * injects (throttling, a 5xx, a crash after the call took effect). Each case rotates a fresh
 * user with the fault armed, then re-runs the workflow for that user, and checks I1-I6 after
 * both runs.
 */
import type { ExecutionRecord, FaultKind, ServiceName } from '../../sandbox/contracts';
import { Sandbox } from '../../sandbox/sandbox';
import {
  allKeys,
  checkSecrecy,
  liveKeys,
  rotate,
  seedUser,
  shortenSdkBackoff,
  staged,
  survivingNewKeys,
  watch,
} from './helpers';

/**
 * What a clean rotation calls (first test below proves the list complete), plus
 * states:DescribeExecution, which Inspect calls on a re-run, when the secret names an owner.
 */
const OPERATIONS = [
  'iam:GetUser',
  'iam:ListUserTags',
  'iam:ListAccessKeys',
  'iam:CreateAccessKey',
  'iam:GetAccessKeyLastUsed',
  'iam:UpdateAccessKey',
  'iam:DeleteAccessKey',
  'sts:GetCallerIdentity',
  'secretsmanager:DescribeSecret',
  'secretsmanager:CreateSecret',
  'secretsmanager:TagResource',
  'secretsmanager:UntagResource',
  'secretsmanager:PutSecretValue',
  'secretsmanager:GetSecretValue',
  'secretsmanager:UpdateSecretVersionStage',
  'events:PutEvents',
  'states:DescribeExecution',
] as const;

/** Calls the test makes itself, not the workflow. */
const OWN_CALLS = new Set(['states:CreateStateMachine', 'states:StartExecution']);

/**
 * throttle and server-error: enough to exhaust the SDK's 5 attempts once, so the step fails and
 * the state machine's Retry runs it again; crash-after-success: the call takes effect but its
 * answer is lost, once; outage: every call fails (5xx) for the whole run, so the retries give
 * up and the Catch (compensation) path runs.
 */
type Kind = 'throttle' | 'server-error' | 'crash-after-success' | 'outage' | 'permission-removed';
const RULES: Record<Kind, { kind: Exclude<FaultKind, 'latency'>; times?: number }> = {
  throttle: { kind: 'throttle', times: 6 },
  'server-error': { kind: 'server-error', times: 6 },
  'crash-after-success': { kind: 'crash-after-success', times: 1 },
  outage: { kind: 'server-error' },
  // As an SCP change would: from the first call on, the action is denied (an explicit deny in a
  // service control policy) until the fault is cleared, like a permission taken away.
  'permission-removed': { kind: 'permission-removed' },
};
const KINDS = Object.keys(RULES) as Kind[];

const CASES = OPERATIONS.flatMap((operation) => KINDS.map((kind) => ({ operation, kind })));

interface CaseResult {
  readonly name: string;
  readonly faultsFired: number;
  /** Each run's status (and error). */
  readonly outcome: readonly string[];
  readonly violations: readonly string[];
}

const results: CaseResult[] = [];

let sb: Sandbox;
let started = 0;

beforeAll(async () => {
  started = Date.now();
  shortenSdkBackoff();
  sb = await Sandbox.start();
}, 60_000);

afterAll(async () => {
  await sb?.stop();
});

let userSeq = 0;
const userName = (operation: string, kind: string): string =>
  `fm${(userSeq += 1)}-${operation.split(':')[1] ?? ''}-${kind}`.slice(0, 64);

it('lists every AWS call a clean rotation and its re-run make', async () => {
  sb.emulator.reset();
  seedUser(sb, 'fm-clean');
  const first = await rotate(sb, { userName: 'fm-clean' });
  const rerun = await rotate(sb, { userName: 'fm-clean' });

  expect([first.status, rerun.status]).toEqual(['SUCCEEDED', 'SUCCEEDED']);
  const called = new Set(
    sb.emulator.calls.map((c) => `${c.service}:${c.operation}`).filter((op) => !OWN_CALLS.has(op)),
  );
  expect([...called].sort()).toEqual([...OPERATIONS].sort());
});

/** The key an execution started now would rotate: the user's oldest active key. */
const oldKeyOf = (name: string): string =>
  allKeys(sb, name).find((k) => !k.deletedAt && k.status === 'Active')?.accessKeyId ?? '';

describe.each(CASES)('$operation under $kind', ({ operation, kind }) => {
  it('keeps every invariant, and a clean re-run completes the rotation', async () => {
    sb.emulator.reset();
    const [service, op] = operation.split(':') as [ServiceName, string];
    const { userName: name } = seedUser(sb, userName(operation, kind));
    const logsFrom = sb.runner.logs.length;
    const monitor = watch(sb, [name]);
    const violations: string[] = [];
    const runs: ExecutionRecord[] = [];
    const fired = (): number =>
      sb.emulator.calls.filter((c) => c.service === service && c.operation === op && c.fault)
        .length;
    try {
      sb.emulator.faults.add({ service, operation: op, ...RULES[kind] });
      // Runs until one clean run follows the one the fault hit (a fault on DescribeExecution
      // first fires on the re-run, when the secret names an earlier execution).
      for (let armed = true; runs.length < 3;) {
        const before = allKeys(sb, name).map((k) => k.accessKeyId);
        const oldKeyId = oldKeyOf(name);
        const execution = await rotate(sb, { userName: name });
        runs.push(execution);
        const run = `run ${runs.length}`;

        monitor.checkNoOrphans();
        checkSecrecy(sb, monitor, [execution], logsFrom);
        if (execution.status !== 'SUCCEEDED') monitor.checkSafeFailure(name, oldKeyId);
        const survivors = survivingNewKeys(sb, name, before);
        if (survivors.length > 1) {
          violations.push(`I5 after ${run}: new keys ${survivors.join(', ')} survive`);
        }
        if (execution.status === 'SUCCEEDED') {
          // Rotated: one key left, current in the secret, and not the key the run started with
          // (a resumed run completes the key an earlier run created).
          const current = staged(sb, name, 'AWSCURRENT')?.value.AccessKeyId;
          const live = liveKeys(sb, name).map((k) => k.accessKeyId);
          if (live.length !== 1 || current !== live[0] || current === oldKeyId) {
            violations.push(
              `after ${run}: SUCCEEDED from ${oldKeyId} with AWSCURRENT ${String(current)} and keys [${live.join(', ')}]`,
            );
          }
        }
        if (!armed) break;
        if (fired() > 0) {
          sb.emulator.faults.clear();
          armed = false;
        }
      }
      violations.unshift(...monitor.violations);
      const outcome = runs.map((e) => `${e.status}${e.error ? ` ${e.error}` : ''}`);
      results.push({ name: `${operation} ${kind}`, faultsFired: fired(), outcome, violations });

      expect(fired()).toBeGreaterThanOrEqual(RULES[kind].times ?? 1);
      expect(violations).toEqual([]);
      // The re-run after the fault always completes the rotation; a transient fault is
      // absorbed by the retries, so the faulted run completes too.
      const last = runs[runs.length - 1];
      expect(last?.status).toBe('SUCCEEDED');
      if (kind === 'permission-removed') {
        // A run the denial stopped says which action was denied, and why.
        const failed = runs.filter((e) => e.status !== 'SUCCEEDED');
        for (const e of failed) {
          expect(`${e.error ?? ''} ${e.cause ?? ''}`).toContain(
            `is not authorized to perform: ${operation}`,
          );
        }
      } else if (kind !== 'outage') {
        expect(outcome.every((o) => o === 'SUCCEEDED')).toBe(true);
      }
    } finally {
      monitor.stop();
    }
  });
});

it(`states the matrix: ${CASES.length} cases (${OPERATIONS.length} operations x ${KINDS.length} faults), zero violations`, () => {
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const lines = results.map(
    (r) =>
      `${r.name.padEnd(58)} fired ${String(r.faultsFired).padStart(3)}  ${r.violations.length} violations  ${r.outcome.join(' -> ')}`,
  );
  const total = results.reduce((sum, r) => sum + r.violations.length, 0);
  console.log(
    `Fault matrix: ${results.length}/${CASES.length} cases run (${OPERATIONS.length} operations x ${KINDS.length} faults), ` +
      `${total} invariant violations, ${seconds} s\n${lines.join('\n')}`,
  );
  expect(results).toHaveLength(CASES.length);
  expect(total).toBe(0);
});
