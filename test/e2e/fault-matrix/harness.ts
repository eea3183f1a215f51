/**
 * The fault matrix: every AWS call the rotation workflow makes, under each fault the sandbox
 * injects (throttling, a 5xx, a crash after the call took effect, an outage). Each case rotates
 * a fresh user with the fault armed, then re-runs the workflow for that user, and checks I1-I6
 * after every run. A scenario adds what a person does meanwhile (a name typed in another case, a
 * key made by hand, the secret deleted) and what they do between runs to let the re-run finish.
 */
import {
  RestoreSecretCommand,
  SecretsManagerClient,
  DeleteSecretCommand,
} from '@aws-sdk/client-secrets-manager';
import { DeleteAccessKeyCommand, IAMClient, UpdateAccessKeyCommand } from '@aws-sdk/client-iam';
import type { ExecutionRecord, FaultKind, ServiceName } from '../../../sandbox/contracts';
import { Sandbox } from '../../../sandbox/sandbox';
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
} from '../helpers';

/**
 * What a clean rotation calls (the plain matrix proves the list complete), plus
 * states:DescribeExecution, which Inspect calls on a re-run, when the secret names an owner.
 */
export const OPERATIONS = [
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
  'secretsmanager:PutResourcePolicy',
  'events:PutEvents',
  'states:DescribeExecution',
] as const;

/**
 * throttle and server-error: enough to exhaust the SDK's 5 attempts once, so the step fails and
 * the state machine's Retry runs it again; crash-after-success: the call takes effect but its
 * answer is lost, once; outage: every call fails (5xx) for the whole run, so the retries give
 * up and the Catch (compensation) path runs.
 */
export type Kind =
  'throttle' | 'server-error' | 'crash-after-success' | 'outage' | 'permission-removed';
export const RULES: Record<Kind, { kind: Exclude<FaultKind, 'latency'>; times?: number }> = {
  throttle: { kind: 'throttle', times: 6 },
  'server-error': { kind: 'server-error', times: 6 },
  'crash-after-success': { kind: 'crash-after-success', times: 1 },
  outage: { kind: 'server-error' },
  // As an SCP change would: from the first call on, the action is denied (an explicit deny in a
  // service control policy) until the fault is cleared, like a permission taken away.
  'permission-removed': { kind: 'permission-removed' },
};
export const KINDS = Object.keys(RULES) as Kind[];
export const CASES = OPERATIONS.flatMap((operation) => KINDS.map((kind) => ({ operation, kind })));

/** What a person does while the cases run. */
export interface Scenario {
  readonly name: string;
  /** The rotation's input for the user, whose oldest active key is `oldKeyId`. @default { userName } */
  input?(userName: string, oldKeyId: string): unknown;
  /** Sets up the person's action for one case; returns what ends it. */
  arm?(sb: Sandbox, userName: string): () => void;
  /** What the person does after a run, so that the next run can finish. */
  between?(sb: Sandbox, userName: string): Promise<void>;
  /** Keys the person made (I3 holds rekey to the keys it made). */
  madeByHand?(): readonly string[];
  /** Every run succeeds when the fault is transient (the person's action does not fail one). */
  readonly transientRunsSucceed: boolean;
}

/** A person's own calls are not the faults' target: they act with the faults set aside. */
export async function asPerson<T>(sb: Sandbox, act: () => Promise<T>): Promise<T> {
  const rules = sb.emulator.faults.list();
  sb.emulator.faults.clear();
  try {
    return await act();
  } finally {
    for (const rule of rules) sb.emulator.faults.add(rule);
  }
}

export const plain: Scenario = { name: 'plain', transientRunsSucceed: true };

/** The name typed in upper case: IAM answers for the user, rekey keys everything by IAM's name. */
export const otherCase: Scenario = {
  name: 'case',
  input: (userName) => ({ userName: userName.toUpperCase() }),
  transientRunsSucceed: true,
};

/**
 * Every run is an emergency rotation of the user's oldest active key, as AWS Health starts it
 * when it finds that key exposed: no cutover wait, forensics, a day's recovery window.
 */
export const emergency: Scenario = {
  name: 'emergency',
  input: (userName, oldKeyId) => ({
    userName,
    emergency: { accessKeyId: oldKeyId, reason: 'fault matrix: exposed' },
  }),
  transientRunsSucceed: true,
};

/** A person makes a key by hand once the rotation starts changing things, and removes it after. */
export function handMadeKey(): Scenario {
  const made: string[] = [];
  return {
    name: 'foreign-key',
    transientRunsSucceed: false,
    arm: (sb, userName) => {
      let done = false;
      return sb.emulator.onMutation((m) => {
        if (done || m.source !== 'api' || m.secretId !== `${sb.secretPrefix}${userName}`) return;
        done = true;
        made.push(sb.emulator.seed.accessKey({ userName }).accessKeyId);
      });
    },
    between: (sb, userName) =>
      asPerson(sb, async () => {
        const iam = new IAMClient(sb.clientConfig());
        try {
          // As a careful person does (and as the monitor's I2 expects): deactivate, then delete.
          for (const key of liveKeys(sb, userName).filter((k) => made.includes(k.accessKeyId))) {
            const id = { UserName: userName, AccessKeyId: key.accessKeyId };
            await iam.send(new UpdateAccessKeyCommand({ ...id, Status: 'Inactive' }));
            await iam.send(new DeleteAccessKeyCommand(id));
          }
        } finally {
          iam.destroy();
        }
      }),
    madeByHand: () => made,
  };
}

/** A person schedules the secret for deletion as soon as it is promoted, and restores it after. */
export const secretDeleted: Scenario = {
  name: 'secret-deleted',
  transientRunsSucceed: false,
  arm: (sb, userName) => {
    let done = false;
    const secrets = new SecretsManagerClient(sb.clientConfig());
    const stop = sb.emulator.onMutation((m) => {
      if (done || m.source !== 'api' || m.operation !== 'UpdateSecretVersionStage') return;
      if (m.secretId !== `${sb.secretPrefix}${userName}`) return;
      done = true;
      void secrets
        .send(new DeleteSecretCommand({ SecretId: m.secretId, RecoveryWindowInDays: 30 }))
        .catch(() => undefined);
    });
    return () => {
      stop();
      secrets.destroy();
    };
  },
  between: async (sb, userName) => {
    const secret = sb.emulator.state.secrets.find(
      (s) => s.name === `${sb.secretPrefix}${userName}`,
    );
    if (!secret?.deletedDate) return;
    const secrets = new SecretsManagerClient(sb.clientConfig());
    await asPerson(sb, () =>
      secrets
        .send(new RestoreSecretCommand({ SecretId: secret.name }))
        .finally(() => secrets.destroy()),
    );
  },
};

interface CaseResult {
  readonly name: string;
  readonly faultsFired: number;
  /** Each run's status (and error). */
  readonly outcome: readonly string[];
  readonly violations: readonly string[];
}

/**
 * Declares the whole matrix for one scenario in the calling test file; returns the file's
 * sandbox, for tests beside the matrix.
 */
export function faultMatrix(scenario: Scenario): () => Sandbox {
  const results: CaseResult[] = [];
  let sb: Sandbox;
  let started = 0;
  let userSeq = 0;

  beforeAll(async () => {
    started = Date.now();
    shortenSdkBackoff();
    sb = await Sandbox.start();
  }, 60_000);

  afterAll(async () => {
    await sb?.stop();
  });

  const userName = (operation: string, kind: string): string =>
    `fm${(userSeq += 1)}-${operation.split(':')[1] ?? ''}-${kind}`.slice(0, 64).toLowerCase();
  /** The key an execution started now would rotate: the user's oldest active key. */
  const oldKeyOf = (name: string): string =>
    allKeys(sb, name).find((k) => !k.deletedAt && k.status === 'Active')?.accessKeyId ?? '';

  describe.each(CASES)('$operation under $kind', ({ operation, kind }) => {
    it('keeps every invariant, and a re-run completes the rotation', async () => {
      sb.emulator.reset();
      const [service, op] = operation.split(':') as [ServiceName, string];
      const { userName: name } = seedUser(sb, userName(operation, kind));
      const logsFrom = sb.runner.logs.length;
      const monitor = watch(sb, [name]);
      const disarm = scenario.arm?.(sb, name);
      const violations: string[] = [];
      const runs: ExecutionRecord[] = [];
      const fired = (): number =>
        sb.emulator.calls.filter((c) => c.service === service && c.operation === op && c.fault)
          .length;
      try {
        sb.emulator.faults.add({ service, operation: op, ...RULES[kind] });
        // Runs until a run after the fault (and the person's fix) succeeds: a fault on
        // DescribeExecution first fires on the re-run, when the secret names an earlier execution.
        for (let armed = true; runs.length < 5;) {
          const clean = !armed;
          const before = allKeys(sb, name).map((k) => k.accessKeyId);
          const oldKeyId = oldKeyOf(name);
          const execution = await rotate(
            sb,
            scenario.input?.(name, oldKeyId) ?? { userName: name },
          );
          runs.push(execution);
          const run = `run ${runs.length}`;

          monitor.checkNoOrphans(scenario.madeByHand?.() ?? []);
          checkSecrecy(sb, monitor, [execution], logsFrom);
          if (execution.status !== 'SUCCEEDED') monitor.checkSafeFailure(name, oldKeyId);
          if (/"errorType"|"trace"/.test(execution.cause ?? '')) {
            violations.push(`after ${run}: the cause is Lambda JSON: ${execution.cause ?? ''}`);
          }
          const hand = scenario.madeByHand?.() ?? [];
          const survivors = survivingNewKeys(sb, name, before).filter((k) => !hand.includes(k));
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
            if (clean) break;
          }
          if (armed && fired() > 0) {
            sb.emulator.faults.clear();
            armed = false;
          }
          await scenario.between?.(sb, name);
        }
        violations.unshift(...monitor.violations);
        const outcome = runs.map((e) => `${e.status}${e.error ? ` ${e.error}` : ''}`);
        results.push({ name: `${operation} ${kind}`, faultsFired: fired(), outcome, violations });

        expect(fired()).toBeGreaterThanOrEqual(RULES[kind].times ?? 1);
        expect(violations).toEqual([]);
        // A re-run after the fault (and the person's fix) always completes the rotation; a
        // transient fault is absorbed by the retries, so the faulted run completes too.
        expect(runs[runs.length - 1]?.status).toBe('SUCCEEDED');
        if (kind === 'permission-removed' && scenario.transientRunsSucceed) {
          // A run the denial stopped says which action was denied, and why.
          for (const e of runs.filter((r) => r.status !== 'SUCCEEDED')) {
            expect(`${e.error ?? ''} ${e.cause ?? ''}`).toContain(
              `is not authorized to perform: ${operation}`,
            );
          }
        } else if (kind !== 'outage' && scenario.transientRunsSucceed) {
          expect(outcome.every((o) => o === 'SUCCEEDED')).toBe(true);
        }
        if (scenario === otherCase) {
          expect(sb.emulator.state.secrets.map((s) => s.name)).toEqual([
            `${sb.secretPrefix}${name}`,
          ]);
        }
      } finally {
        disarm?.();
        monitor.stop();
      }
    });
  });

  it(`states the ${scenario.name} matrix: ${CASES.length} cases (${OPERATIONS.length} operations x ${KINDS.length} faults), zero violations`, () => {
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    const lines = results.map(
      (r) =>
        `${r.name.padEnd(58)} fired ${String(r.faultsFired).padStart(3)}  ${r.violations.length} violations  ${r.outcome.join(' -> ')}`,
    );
    const total = results.reduce((sum, r) => sum + r.violations.length, 0);
    console.log(
      `Fault matrix (${scenario.name}): ${results.length}/${CASES.length} cases run (${OPERATIONS.length} operations x ${KINDS.length} faults), ` +
        `${total} invariant violations, ${seconds} s\n${lines.join('\n')}`,
    );
    expect(results).toHaveLength(CASES.length);
    expect(total).toBe(0);
  });
  return () => sb;
}
