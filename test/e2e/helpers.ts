/**
 * Shared arrangements and checks for the end-to-end suite: the synthesized RekeyStack on the
 * sandbox (emulator + runner), driven through the same APIs an operator would use.
 */
import { IAMClient, UpdateAccessKeyCommand } from '@aws-sdk/client-iam';
import { SFNClient, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { Retry } from '@smithy/core/retry';
import {
  SimulatedConsumer,
  type ConsumerBehaviour,
  type ConsumerOptions,
} from '../../sandbox/apps/consumer';
import type { ExecutionRecord } from '../../sandbox/contracts';
import type { AccessKeyView, SecretView, Tag } from '../../sandbox/emulator';
import { InvariantMonitor } from '../../sandbox/invariants';
import type { Sandbox } from '../../sandbox/sandbox';

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

export interface SeededUser {
  readonly userName: string;
  readonly oldKey: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

export interface SeedOptions {
  /** Age of the active key. @default 85 days */
  readonly keyAgeDays?: number;
  /** When the active key was last used; undefined: never. @default 30 days ago */
  readonly lastUsedDaysAgo?: number | null;
  readonly tags?: readonly Tag[];
}

/**
 * Shortens the AWS SDK's retry backoff (1 s base for throttling, doubling, jittered) to 1 ms.
 * The handlers' SDK retries sleep in real time while the sandbox clock stands still (the
 * invocation holds it), so this changes nothing the sandbox can observe, only how long the
 * fault matrix takes. Call before the handlers load (their clients read the base at creation).
 */
export function shortenSdkBackoff(): void {
  jest.spyOn(Retry, 'delay').mockReturnValue(1);
  jest.spyOn(Retry, 'throttlingDelay').mockReturnValue(1);
}

/** A user with one active key, 85 days old and idle for a month: a quick, clean rotation. */
export function seedUser(sb: Sandbox, userName: string, options: SeedOptions = {}): SeededUser {
  const now = sb.clock.now().getTime();
  sb.emulator.seed.user({ userName, tags: options.tags });
  const lastUsedDaysAgo = options.lastUsedDaysAgo === undefined ? 30 : options.lastUsedDaysAgo;
  const oldKey = sb.emulator.seed.accessKey({
    userName,
    createDate: new Date(now - (options.keyAgeDays ?? 85) * DAY),
    lastUsed:
      lastUsedDaysAgo === null
        ? undefined
        : { date: new Date(now - lastUsedDaysAgo * DAY), service: 's3', region: 'eu-west-1' },
  });
  return { userName, oldKey };
}

/**
 * A secret as rekey creates it (its tags, the stack's KMS key) holding `value` as AWSCURRENT: the
 * state an earlier rotation or an operator's edit left.
 */
export function seedRekeySecret(sb: Sandbox, userName: string, value: object): void {
  sb.emulator.seed.secret({
    name: `${sb.secretPrefix}${userName}`,
    value: JSON.stringify(value),
    kmsKeyId: sb.encryptionKeyArn,
    tags: [
      { Key: 'rekey:managed-by', Value: 'rekey' },
      { Key: 'rekey:user', Value: userName },
    ],
  });
}

/** Every key the user ever had, deleted ones (tombstones) included, in creation order. */
export function allKeys(sb: Sandbox, userName: string): AccessKeyView[] {
  return sb.emulator.state.accessKeys.filter((k) => k.userName === userName);
}

/** The keys the user holds now. */
export function liveKeys(sb: Sandbox, userName: string): AccessKeyView[] {
  return allKeys(sb, userName).filter((k) => !k.deletedAt);
}

export function keyById(sb: Sandbox, accessKeyId: string): AccessKeyView | undefined {
  return sb.emulator.state.accessKeys.find((k) => k.accessKeyId === accessKeyId);
}

export function secretOf(sb: Sandbox, userName: string): SecretView | undefined {
  return sb.emulator.state.secrets.find((s) => s.name === `${sb.secretPrefix}${userName}`);
}

export interface StagedValue {
  readonly versionId: string;
  readonly value: Record<string, unknown>;
}

/** The secret version holding `stage`, with its value parsed. */
export function staged(sb: Sandbox, userName: string, stage: string): StagedValue | undefined {
  const version = secretOf(sb, userName)?.versions.find((v) => v.stages.includes(stage));
  if (!version) return undefined;
  return {
    versionId: version.versionId,
    value: JSON.parse(version.value) as Record<string, unknown>,
  };
}

/** The account as rekey could change it (users, keys, secrets), to compare before and after. */
export function accountSnapshot(sb: Sandbox): string {
  const { users, accessKeys, secrets } = sb.emulator.state;
  return JSON.stringify({ users, accessKeys, secrets });
}

/** Starts a rotation execution and lets sandbox time run until everything is idle. */
export async function rotate(sb: Sandbox, input: unknown): Promise<ExecutionRecord> {
  const arn = await sb.startRotation(input);
  await sb.settle();
  return sb.execution(arn);
}

export function output(execution: ExecutionRecord): Record<string, unknown> {
  return JSON.parse(execution.output ?? 'null') as Record<string, unknown>;
}

/** The names of the states the execution entered, in order. */
export function statesEntered(execution: ExecutionRecord): string[] {
  return execution.events.flatMap((e) =>
    e.stateEnteredEventDetails?.name ? [e.stateEnteredEventDetails.name] : [],
  );
}

/** How many attempts of `state` failed so far (the state machine retries them). */
export function failedAttempts(execution: ExecutionRecord, state: string): number {
  let inside = false;
  let failures = 0;
  for (const e of execution.events) {
    if (e.stateEnteredEventDetails) inside = e.stateEnteredEventDetails.name === state;
    if (inside && /^(Lambda\w*|Task)Failed$/.test(e.type ?? '')) failures += 1;
  }
  return failures;
}

/** The state the execution is in: the last state entered and not yet exited. */
export function currentState(execution: ExecutionRecord): string | undefined {
  const last = [...execution.events]
    .reverse()
    .find((e) => e.stateEnteredEventDetails !== undefined || e.stateExitedEventDetails);
  return last?.stateEnteredEventDetails?.name;
}

/** In 'manual' clock mode: moves sandbox time `stepMs` at a time until `done` holds. */
export async function advanceUntil(
  sb: Sandbox,
  done: () => boolean,
  { stepMs = MINUTE, maxSteps = 50_000 }: { stepMs?: number; maxSteps?: number } = {},
): Promise<void> {
  for (let step = 0; !done(); step += 1) {
    if (step >= maxSteps) {
      throw new Error(`advanceUntil: not done after ${maxSteps} steps of ${stepMs} ms`);
    }
    await sb.scheduler.advance(stepMs);
  }
}

/** The operator's IAM client (administrator credentials), as `rekey rollback` would use. */
export async function setKeyStatus(
  sb: Sandbox,
  userName: string,
  accessKeyId: string,
  status: 'Active' | 'Inactive',
): Promise<void> {
  const iam = new IAMClient(sb.clientConfig());
  try {
    await iam.send(
      new UpdateAccessKeyCommand({ UserName: userName, AccessKeyId: accessKeyId, Status: status }),
    );
  } finally {
    iam.destroy();
  }
}

export async function stopExecution(sb: Sandbox, executionArn: string): Promise<void> {
  const sfn = new SFNClient(sb.clientConfig());
  try {
    await sfn.send(new StopExecutionCommand({ executionArn, cause: 'stopped by the test' }));
  } finally {
    sfn.destroy();
  }
}

/**
 * A simulated application of `user` that signs a request every `periodMinutes`; `options` give
 * it a name, its own user agent and address (`identity`), or a cache of the secret.
 */
export function consumerOf(
  sb: Sandbox,
  user: SeededUser,
  behaviour: ConsumerBehaviour,
  periodMinutes = 15,
  options: Partial<Pick<ConsumerOptions, 'name' | 'identity' | 'cacheSeconds'>> = {},
): SimulatedConsumer {
  return new SimulatedConsumer({
    name: `${user.userName}-app`,
    behaviour,
    secretId: `${sb.secretPrefix}${user.userName}`,
    initialKey: user.oldKey,
    readerCredentials: sb.applicationCredentials(`${user.userName}-app-role`, user.userName),
    endpoint: sb.endpoint,
    region: sb.region,
    clock: sb.clock,
    scheduler: sb.scheduler,
    periodSeconds: periodMinutes * 60,
    ...options,
  });
}

/** An InvariantMonitor watching `users` from now on (I1/I2 after every change). */
export function watch(sb: Sandbox, users: readonly string[]): InvariantMonitor {
  return new InvariantMonitor(sb.emulator, { users, secretPrefix: sb.secretPrefix }).start();
}

/**
 * I4: everything rekey wrote outside Secrets Manager, i.e. the executions' histories, outputs,
 * errors and causes, the Lambdas' logs, the recorded events and the notifications.
 */
export function checkSecrecy(
  sb: Sandbox,
  monitor: InvariantMonitor,
  executions: readonly ExecutionRecord[],
  logsFrom = 0,
): void {
  monitor.checkSecrecy([
    ...executions.map((e) => ({
      where: `execution ${e.name} (history, output, error, cause)`,
      text: JSON.stringify([e.events, e.output, e.error, e.cause, e.input]),
    })),
    { where: 'the Lambda logs', text: JSON.stringify(sb.runner.logs.slice(logsFrom)) },
    { where: 'the EventBridge events', text: JSON.stringify(sb.emulator.events) },
    { where: 'the SNS notifications', text: JSON.stringify(sb.emulator.notifications) },
  ]);
}

/**
 * I5: of the keys created since `before` (ids known then), at most one survives: a rotation
 * leaves one new key, or none when it put the user back as it was.
 */
export function survivingNewKeys(
  sb: Sandbox,
  userName: string,
  before: readonly string[],
): string[] {
  return liveKeys(sb, userName)
    .filter((k) => !before.includes(k.accessKeyId))
    .map((k) => k.accessKeyId);
}

/** Names of the recorded EventBridge events about `userName`, in order. */
export function eventsOf(sb: Sandbox, userName: string): string[] {
  return sb.emulator.events.filter((e) => e.Detail.userName === userName).map((e) => e.DetailType);
}

export function notificationsAbout(sb: Sandbox, userName: string): string[] {
  return sb.emulator.notifications
    .filter((n) => (n.Subject ?? '').includes(userName) || n.Message.includes(userName))
    .map((n) => `${n.Subject ?? ''}\n${n.Message}`);
}
