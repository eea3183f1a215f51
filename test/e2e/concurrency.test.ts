/**
 * One rotation per user (I5): a second rotation of a user already rotating is refused with a
 * clear reason and changes nothing, whether it starts at the same instant or later.
 */
import type { InvariantMonitor } from '../../sandbox/invariants';
import { Sandbox } from '../../sandbox/sandbox';
import {
  accountSnapshot,
  advanceUntil,
  allKeys,
  checkSecrecy,
  currentState,
  liveKeys,
  MINUTE,
  seedUser,
  staged,
  statesEntered,
  watch,
} from './helpers';

let sb: Sandbox;
let monitor: InvariantMonitor | undefined;

beforeAll(async () => {
  sb = await Sandbox.start();
}, 60_000);

afterAll(async () => {
  await sb?.stop();
});

afterEach(() => {
  monitor?.stop();
  monitor = undefined;
  sb.scheduler.setMode('auto');
});

/** Starts one execution per input at the same sandbox instant, then lets them all finish. */
async function startTogether(inputs: readonly unknown[]): Promise<string[]> {
  const release = sb.scheduler.activity();
  let arns: string[];
  try {
    arns = await Promise.all(inputs.map((input) => sb.startRotation(input)));
  } finally {
    release();
  }
  await sb.settle();
  return arns;
}

it('lets exactly one of two rotations started at once rotate the user; the other is refused', async () => {
  const user = seedUser(sb, 'twice-at-once');
  monitor = watch(sb, [user.userName]);

  const arns = await startTogether([{ userName: user.userName }, { userName: user.userName }]);

  const executions = arns.map((arn) => sb.execution(arn));
  const winner = executions.find((e) => e.status === 'SUCCEEDED');
  const loser = executions.find((e) => e !== winner);
  expect(executions.map((e) => e.status).sort()).toEqual(['FAILED', 'SUCCEEDED']);
  expect(loser?.error).toBe('RotationInProgressError');
  expect(loser?.cause).toMatch(
    new RegExp(`${user.userName} is (already )?being rotated by execution`),
  );
  // The loser stopped before any change; the winner's key is named, not hidden.
  expect(loser?.cause).toMatch(
    /The old key AKIA\w+ is active and current\. AKIA\w+ is active too; compensation left it as it is\./,
  );
  expect(winner?.startDate.getTime()).toBe(loser?.startDate.getTime());
  // The loser created no key: the old one and the winner's, nothing else, ever.
  const keys = allKeys(sb, user.userName);
  expect(keys).toHaveLength(2);
  const [newKey] = liveKeys(sb, user.userName);
  expect(liveKeys(sb, user.userName)).toHaveLength(1);
  expect(staged(sb, user.userName, 'AWSCURRENT')?.value.AccessKeyId).toBe(newKey?.accessKeyId);
  monitor.checkNoOrphans();
  checkSecrecy(sb, monitor, executions);
  expect(monitor.violations).toEqual([]);
});

it('refuses a second rotation while the first waits for the cutover, changing nothing; the first completes', async () => {
  const user = seedUser(sb, 'twice-while-waiting');
  monitor = watch(sb, [user.userName]);
  sb.scheduler.setMode('manual');
  const firstArn = await sb.startRotation({ userName: user.userName });
  await advanceUntil(sb, () => currentState(sb.execution(firstArn)) === 'WaitForCutover');
  const before = accountSnapshot(sb);

  const secondArn = await sb.startRotation({ userName: user.userName });
  await advanceUntil(sb, () => sb.execution(secondArn).status !== 'RUNNING', { stepMs: MINUTE });

  const second = sb.execution(secondArn);
  expect(second.status).toBe('FAILED');
  expect(second.error).toBe('RotationInProgressError');
  expect(second.cause).toBe(
    `${user.userName} is already being rotated by execution ${firstArn}. ` +
      'Wait for it to finish (or stop it), then start again.',
  );
  expect(statesEntered(second)).toEqual([
    'Inspect',
    'RefusedCause',
    'RefusedParseCause',
    'Refused',
  ]);
  expect(accountSnapshot(sb)).toBe(before);

  sb.scheduler.setMode('auto');
  await sb.settle();
  expect(sb.execution(firstArn).status).toBe('SUCCEEDED');
  expect(allKeys(sb, user.userName)).toHaveLength(2);
  monitor.checkNoOrphans();
  checkSecrecy(sb, monitor, [sb.execution(firstArn), second]);
  expect(monitor.violations).toEqual([]);
});

it('rotates different users at the same time independently', async () => {
  const users = ['side-by-side-a', 'side-by-side-b', 'side-by-side-c'].map((name) =>
    seedUser(sb, name),
  );
  monitor = watch(
    sb,
    users.map((u) => u.userName),
  );

  const arns = await startTogether(users.map((u) => ({ userName: u.userName })));

  expect(arns.map((arn) => sb.execution(arn).status)).toEqual([
    'SUCCEEDED',
    'SUCCEEDED',
    'SUCCEEDED',
  ]);
  for (const user of users) {
    const [newKey, ...others] = liveKeys(sb, user.userName);
    expect(others).toEqual([]);
    expect(newKey?.accessKeyId).not.toBe(user.oldKey.accessKeyId);
    expect(staged(sb, user.userName, 'AWSCURRENT')?.value.AccessKeyId).toBe(newKey?.accessKeyId);
  }
  monitor.checkNoOrphans();
  expect(monitor.violations).toEqual([]);
});

it('leaves the first rotation its new key when the second one, started at once, has its CreateAccessKey throttled', async () => {
  const user = seedUser(sb, 'twice-throttled');
  monitor = watch(sb, [user.userName]);
  const created: string[] = [];
  const deleted: string[] = [];
  const unsubscribe = sb.emulator.onMutation((m) => {
    if (m.userName !== user.userName || !m.accessKeyId) return;
    if (m.operation === 'CreateAccessKey') created.push(m.accessKeyId);
    if (m.operation === 'DeleteAccessKey') deleted.push(m.accessKeyId);
  });
  // The second CreateAccessKey is throttled (its outcome unknown to the caller), and the first
  // rotation's PutSecretValue is slow, as Secrets Manager can be: the first key is not staged yet.
  sb.emulator.faults.add({
    service: 'iam',
    operation: 'CreateAccessKey',
    kind: 'throttle',
    after: 1,
    times: 1,
  });
  sb.emulator.faults.add({
    service: 'secretsmanager',
    operation: 'PutSecretValue',
    kind: 'latency',
    latencyMs: 1000,
    times: 1,
  });
  try {
    const arns = await startTogether([{ userName: user.userName }, { userName: user.userName }]);

    const executions = arns.map((arn) => sb.execution(arn));
    const [firstKey] = created;
    expect(deleted.filter((id) => id !== user.oldKey.accessKeyId)).toEqual([]);
    expect(staged(sb, user.userName, 'AWSCURRENT')?.value.AccessKeyId).toBe(firstKey);
    expect(executions.map((e) => e.error ?? e.status).sort()).toEqual([
      'RotationInProgressError',
      'SUCCEEDED',
    ]);
    expect(monitor.violations).toEqual([]);
  } finally {
    unsubscribe();
    sb.emulator.faults.clear();
  }
});
