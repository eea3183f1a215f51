/**
 * The paths the least-privilege proof runs on one sandbox (manual clock): a clean rotation, an
 * inactive key deleted first, a refusal that notifies, a compensation, a crash-after-success
 * reconciled by StageKey, a cutover deadline, a rollback in the recovery window, a re-run after a
 * stopped execution, two scheduled fleet scans, a secret scheduled for deletion and a new key
 * deleted while VerifyKey waits, and both alarms.
 */
import type { Sandbox } from '../../../sandbox/sandbox';
import {
  advanceUntil,
  consumerOf,
  currentState,
  DAY,
  failedAttempts,
  HOUR,
  MINUTE,
  seedUser,
  setKeyStatus,
  stopExecution,
} from '../helpers';
import { DeleteAccessKeyCommand, IAMClient } from '@aws-sdk/client-iam';
import { DeleteSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

/** An operator deletes a key by hand (administrator credentials). */
async function deleteKey(sb: Sandbox, userName: string, accessKeyId: string): Promise<void> {
  const iam = new IAMClient(sb.clientConfig());
  try {
    await iam.send(new DeleteAccessKeyCommand({ UserName: userName, AccessKeyId: accessKeyId }));
  } finally {
    iam.destroy();
  }
}

/** An operator schedules a user's secret for deletion (administrator credentials). */
async function scheduleSecretDeletion(sb: Sandbox, userName: string): Promise<void> {
  const sm = new SecretsManagerClient(sb.clientConfig());
  try {
    await sm.send(
      new DeleteSecretCommand({ SecretId: `rekey/${userName}`, RecoveryWindowInDays: 7 }),
    );
  } finally {
    sm.destroy();
  }
}

const running = (sb: Sandbox, arn: string): boolean => sb.execution(arn).status === 'RUNNING';

async function untilDone(sb: Sandbox, arns: readonly string[]): Promise<void> {
  await advanceUntil(sb, () => arns.every((arn) => !running(sb, arn)), { stepMs: HOUR });
}

/** The access key of a function's role session (the one its handler signs with). */
function sessionKeyOf(sb: Sandbox, step: string): string {
  const fn = sb.stack.functions.find((f) => f.handlerPath === `lambdas/${step}/handler.ts`);
  if (!fn?.roleArn) throw new Error(`No function for step ${step}`);
  return sb.emulator.authorization.serviceSession('lambda.amazonaws.com', fn.roleArn, {
    sessionName: fn.functionName.slice(0, 64),
    sourceArn: fn.functionArn,
  }).accessKeyId;
}

export interface ScenarioOutcome {
  readonly name: string;
  readonly status: string;
  readonly error?: string;
}

export async function runScenarios(sb: Sandbox): Promise<ScenarioOutcome[]> {
  const outcomes: ScenarioOutcome[] = [];
  const record = (name: string, arn: string): void => {
    const e = sb.execution(arn);
    outcomes.push({ name, status: e.status, ...(e.error === undefined ? {} : { error: e.error }) });
  };
  const now = (): number => sb.clock.now().getTime();

  // A clean rotation, and one whose user also holds an inactive key (deleted first).
  seedUser(sb, 'ana');
  seedUser(sb, 'ben');
  sb.emulator.seed.accessKey({
    userName: 'ben',
    status: 'Inactive',
    createDate: new Date(now() - 200 * DAY),
  });
  // Two active keys that are no interrupted rotation: refused, operators notified.
  seedUser(sb, 'cal');
  sb.emulator.seed.accessKey({ userName: 'cal', createDate: new Date(now() - 20 * DAY) });
  const first = {
    ana: await sb.startRotation({ userName: 'ana' }),
    ben: await sb.startRotation({ userName: 'ben' }),
    cal: await sb.startRotation({ userName: 'cal' }),
  };
  await untilDone(sb, Object.values(first));
  for (const [name, arn] of Object.entries(first)) record(name, arn);

  // Promotion fails for good: Compensate restores the user and notifies.
  seedUser(sb, 'dan');
  const promoteKey = sessionKeyOf(sb, 'promote-key');
  const outage = sb.emulator.faults.add({
    service: 'secretsmanager',
    operation: 'UpdateSecretVersionStage',
    kind: 'server-error',
    accessKeyId: promoteKey,
  });
  const dan = await sb.startRotation({ userName: 'dan' });
  await untilDone(sb, [dan]);
  sb.emulator.faults.remove(outage);
  record('dan', dan);

  // CreateAccessKey took effect but its answer was lost: StageKey reconciles.
  seedUser(sb, 'eli');
  const crash = sb.emulator.faults.add({
    service: 'iam',
    operation: 'CreateAccessKey',
    kind: 'crash-after-success',
    times: 1,
  });
  const eli = await sb.startRotation({ userName: 'eli' });
  await untilDone(sb, [eli]);
  sb.emulator.faults.remove(crash);
  record('eli', eli);

  // An application that never switches: the cutover deadline passes (policy fail).
  const fay = seedUser(sb, 'fay', { lastUsedDaysAgo: 0 });
  const app = consumerOf(sb, fay, 'never');
  app.start();
  const fayArn = await sb.startRotation({ userName: 'fay' });
  await untilDone(sb, [fayArn]);
  await app.stop();
  record('fay', fayArn);

  // Rollback: the operator reactivates the old key in the recovery window.
  const gus = seedUser(sb, 'gus');
  const gusArn = await sb.startRotation({ userName: 'gus' });
  await advanceUntil(sb, () => currentState(sb.execution(gusArn)) === 'RecoveryWindow', {
    stepMs: 15 * MINUTE,
  });
  await setKeyStatus(sb, 'gus', gus.oldKey.accessKeyId, 'Active');
  await untilDone(sb, [gusArn]);
  record('gus', gusArn);

  // Stopped while waiting for the cutover, then started again: Inspect reads the old owner.
  seedUser(sb, 'hal', { lastUsedDaysAgo: 0 });
  const halFirst = await sb.startRotation({ userName: 'hal' });
  await advanceUntil(sb, () => currentState(sb.execution(halFirst)) === 'WaitForCutover', {
    stepMs: MINUTE,
  });
  await stopExecution(sb, halFirst);
  const halAgain = await sb.startRotation({ userName: 'hal' });
  await untilDone(sb, [halAgain]);
  record('hal', halAgain);

  // An operator deletes the new key during the cutover: Compensate puts AWSCURRENT back.
  seedUser(sb, 'kim', { lastUsedDaysAgo: 0 });
  const kim = await sb.startRotation({ userName: 'kim' });
  await advanceUntil(sb, () => currentState(sb.execution(kim)) === 'WaitForCutover', {
    stepMs: MINUTE,
  });
  const fresh = sb.emulator.state.accessKeys.find(
    (k) => k.userName === 'kim' && !k.deletedAt && k.createDate.getTime() > now() - HOUR,
  );
  await deleteKey(sb, 'kim', fresh?.accessKeyId ?? '');
  await untilDone(sb, [kim]);
  record('kim', kim);

  // StageKey's CreateAccessKey took effect unseen and StageKey cannot list keys to find it (its
  // two listings before the call go through): Compensate finds the never-used key by its
  // creating-marker and discards it.
  seedUser(sb, 'lea');
  const stageKey = sessionKeyOf(sb, 'stage-key');
  const lostKey = (): string =>
    sb.emulator.faults.add({
      service: 'iam',
      operation: 'CreateAccessKey',
      kind: 'crash-after-success',
      times: 1,
    });
  const blindStage = (): string =>
    sb.emulator.faults.add({
      service: 'iam',
      operation: 'ListAccessKeys',
      kind: 'server-error',
      accessKeyId: stageKey,
      after: 2,
    });
  const leaFaults = [lostKey(), blindStage()];
  const lea = await sb.startRotation({ userName: 'lea' });
  await untilDone(sb, [lea]);
  leaFaults.forEach((id) => sb.emulator.faults.remove(id));
  record('lea', lea);

  // The same, and Compensate cannot list keys either: the orphan stays until the next rotation,
  // whose Inspect proves it from the ended execution's creating-marker and plans its discard.
  seedUser(sb, 'mia');
  const miaFaults = [
    lostKey(),
    blindStage(),
    sb.emulator.faults.add({
      service: 'iam',
      operation: 'ListAccessKeys',
      kind: 'server-error',
      accessKeyId: sessionKeyOf(sb, 'compensate'),
    }),
  ];
  const miaFirst = await sb.startRotation({ userName: 'mia' });
  await untilDone(sb, [miaFirst]);
  miaFaults.forEach((id) => sb.emulator.faults.remove(id));
  record('mia', miaFirst);
  const miaAgain = await sb.startRotation({ userName: 'mia' });
  await untilDone(sb, [miaAgain]);
  record('mia again', miaAgain);

  // The schedule starts the fleet scan, twice (the second finds the rotations it started).
  seedUser(sb, 'ivy');
  seedUser(sb, 'jon', { keyAgeDays: 10 });
  const scan = await sb.startFleetScan();
  await untilDone(sb, [scan]);
  record('scan', scan);
  const again = await sb.startFleetScan();
  await untilDone(sb, [again]);
  record('scan-again', again);
  await untilDone(
    sb,
    sb.emulator.state.executions.map((e) => e.executionArn),
  );

  // The secret is scheduled for deletion while VerifyKey waits for the new key to propagate:
  // VerifyKey's read is refused, it asks the secret why, and the rotation stops.
  seedUser(sb, 'ned');
  const ned = await sb.startRotation({ userName: 'ned' });
  await advanceUntil(sb, () => failedAttempts(sb.execution(ned), 'VerifyKey') > 0, {
    stepMs: 500,
  });
  await scheduleSecretDeletion(sb, 'ned');
  await untilDone(sb, [ned]);
  record('ned', ned);

  // An operator deletes the new key while VerifyKey waits for it to propagate: once the key is
  // past the propagation grace, VerifyKey asks IAM why it is refused, and names the deletion.
  seedUser(sb, 'ola');
  const ola = await sb.startRotation({ userName: 'ola' });
  await advanceUntil(sb, () => failedAttempts(sb.execution(ola), 'VerifyKey') > 0, {
    stepMs: 500,
  });
  const staged = sb.emulator.state.accessKeys.find(
    (k) => k.userName === 'ola' && !k.deletedAt && k.createDate.getTime() > now() - HOUR,
  );
  await deleteKey(sb, 'ola', staged?.accessKeyId ?? '');
  await untilDone(sb, [ola]);
  record('ola', ola);

  // AWS Health finds a key exposed while its user's planned rotation waits for cutover: the
  // rule starts the emergency as its role; the emergency stops the planned rotation (Inspect's
  // states:StopExecution), keeps its new key, cuts the old key off and looks its CloudTrail
  // events up (Forensics).
  const pia = seedUser(sb, 'pia');
  const planned = await sb.startRotation({ userName: 'pia' });
  await advanceUntil(sb, () => currentState(sb.execution(planned)) === 'WaitForCutover', {
    stepMs: 10_000,
  });
  const [delivery] = await sb.exposeKey(pia.oldKey.accessKeyId);
  const emergency = delivery?.executionArn ?? `not started: ${delivery?.error ?? 'no rule'}`;
  await untilDone(sb, [emergency]);
  record('pia-planned', planned);
  record('pia', emergency);

  // Both alarms fire: CloudWatch publishes to the topic.
  for (const alarm of ['rotation', 'fleet-scan'] as const) {
    const [result] = sb.fireAlarm(alarm);
    outcomes.push({ name: `alarm ${alarm}`, status: result?.delivered ? 'DELIVERED' : 'REFUSED' });
  }
  return outcomes;
}
