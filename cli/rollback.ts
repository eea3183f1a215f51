import { UpdateSecretVersionStageCommand } from '@aws-sdk/client-secrets-manager';
import { StopExecutionCommand } from '@aws-sdk/client-sfn';
import { UpdateAccessKeyCommand } from '@aws-sdk/client-iam';
import { listKeys, shortKey } from '../lambdas/shared/keys';
import { AWSCURRENT, describeStages, keyIdOfVersion } from '../lambdas/shared/secret';
import type { Clients } from './context';
import { CliError, EXIT } from './errors';
import { findRunningRotation, latestFinishedRotation, type Rotation } from './find-rotation';
import {
  field,
  isJson,
  latestState,
  readHistory,
  RECOVERY_WINDOW_STATES,
  recoveryWindowEnd,
  stepsOf,
  text,
  type Step,
} from './history';
import type { StackInfo } from './stack';
import { callerArn, requireUser } from './users';
import { STATES } from '../lambdas/shared/states';

export interface RollbackResult {
  readonly userName: string;
  readonly executionArn: string;
  readonly secretId: string;
  /** The old key: active again and AWSCURRENT. */
  readonly restoredKeyId: string;
  /** The rotation's new key: still active, now AWSPREVIOUS. */
  readonly newKeyId: string;
  readonly stoppedAt: string;
  readonly cause: string;
  /** The restored key is an emergency's exposed key (rolled back with --force). */
  readonly exposedKeyReactivated?: true;
}

/** Too close to the window's end, the workflow's DeleteOldKey may already be running. */
const MARGIN_MS = 2 * 60_000;

const refuse = (message: string): CliError => new CliError(message, EXIT.failed, 'RollbackRefused');

/** States before PromoteKey completes: applications still read the old key from the secret. */
const BEFORE_PROMOTION = new Set([
  'starting',
  STATES.inspect,
  STATES.decide,
  STATES.stageKey,
  STATES.verifyKey,
  STATES.promoteKey,
]);

function noRotation(userName: string, last: Rotation | undefined, phase?: string): CliError {
  if (!last) return refuse(`${userName} has no running rotation: there is nothing to roll back.`);
  const ended = `${last.name} ended ${last.status} at ${last.stopDate?.toISOString() ?? '?'}`;
  if (
    last.status === 'SUCCEEDED' &&
    (phase === STATES.skipped || phase === STATES.dryRunComplete)
  ) {
    return refuse(
      `${userName} has no running rotation: the last one (${ended}) ${phase === STATES.skipped ? 'was skipped' : 'was a dry run'} ` +
        'and changed nothing. Nothing to roll back.',
    );
  }
  if (last.status === 'SUCCEEDED') {
    return refuse(
      `${userName} has no running rotation: the last one (${ended}) is complete and its old key was ` +
        'deleted after the recovery window. Rollback is no longer possible; if an application still ' +
        'needs a key, give it the current one from the secret.',
    );
  }
  if (last.error === 'RolledBack') {
    return refuse(
      `${userName} has no running rotation: the last one (${ended}) was already rolled back, so its ` +
        'old key is active and current. Nothing to roll back.',
    );
  }
  return refuse(
    `${userName} has no running rotation: the last one (${ended}${last.error ? `, ${last.error}` : ''}` +
      `${phase ? `, in ${phase}` : ''}) is over and left the user with a working current key. Nothing to roll back.`,
  );
}

/** Why a running rotation outside its recovery window cannot be rolled back. */
function notInWindow(
  userName: string,
  rotation: Rotation,
  step: Step | undefined,
  emergency: boolean,
): CliError {
  const phase = step?.name ?? 'starting';
  const stop = `aws stepfunctions stop-execution --execution-arn ${rotation.executionArn}`;
  if (BEFORE_PROMOTION.has(phase)) {
    return refuse(
      `${userName}'s rotation has not promoted its new key yet (phase ${phase}): applications still ` +
        `read the old key, so there is nothing to roll back. To abandon the rotation, stop it (${stop}); ` +
        "rekey's next rotation of the user removes any key it created and never published.",
    );
  }
  if (RECOVERY_WINDOW_STATES.has(phase)) {
    return refuse(
      `${userName}'s rotation is moving between the steps of its recovery window (${phase}): run ` +
        'rollback again in a moment.',
    );
  }
  switch (phase) {
    case STATES.deactivateOldKey:
      return refuse(
        `${userName}'s rotation is deactivating the old key right now: run rollback again in a moment.`,
      );
    case STATES.deactivateExposedKey:
    case STATES.forensics:
      return refuse(
        `${userName}'s emergency rotation is ${phase === STATES.forensics ? 'looking up what the exposed key did (Forensics); the key is already cut off' : 'cutting the exposed key off right now'}: ` +
          'nothing to roll back yet. Reactivating an exposed key gives whoever found it access again; if you must, run rollback --force once the rotation waits in RecoveryWindow.',
      );
    case STATES.deleteOldKey:
    case STATES.report:
    case STATES.rotated:
      return refuse(
        `${userName}'s recovery window has ended and the old key is already deleted (phase ${phase}): ` +
          'rollback is no longer possible.',
      );
    default:
      // Stopping an emergency now would leave the exposed key active: never advise it.
      if (emergency) {
        return refuse(
          `${userName}'s emergency rotation is in its grace (phase ${phase}): the exposed key is still ` +
            'active and is cut off when the grace ends, so there is nothing to roll back. Do not stop ' +
            'the rotation: that leaves the exposed key active. Applications that read the secret already have the new key.',
        );
      }
      return refuse(
        `${userName}'s rotation is still in cutover (phase ${phase}): the old key is still active, so ` +
          'there is nothing to roll back yet. Applications that read the secret already have the new key; ' +
          `to abandon the rotation instead, stop it (${stop}): both keys stay active.`,
      );
  }
}

interface Restored {
  readonly oldKeyId: string;
  readonly newKeyId: string;
  readonly secretId: string;
  /** The old key was an emergency's exposed key (reactivated with --force). */
  readonly exposed: boolean;
}

/**
 * An emergency rotation, by its state (Inspect's EmergencyState, mode `emergency`) or, before
 * Inspect ran or in a state that lost it, by its execution input: its old key is the exposed one.
 */
function isEmergency(state: unknown, rotation: Rotation): boolean {
  return (
    isJson(field(state, 'emergency')) ||
    field(state, 'mode') === 'emergency' ||
    rotation.emergency !== undefined
  );
}

/** What rollback may do with an emergency's exposed key: nothing, unless forced. */
export interface ExposedKeyGuard {
  readonly force?: boolean;
  /** Told once when a forced rollback reactivates an exposed key. */
  readonly warn?: (message: string) => void;
}

/**
 * An emergency rotation's old key is the exposed one: reactivating it gives whoever found it
 * access again. Refused without --force; with it, said loudly.
 */
function guardExposedKey(
  userName: string,
  state: unknown,
  rotation: Rotation,
  guard: ExposedKeyGuard,
): boolean {
  if (!isEmergency(state, rotation)) return false;
  const exposed =
    text(field(state, 'emergency', 'accessKeyId')) ??
    rotation.emergency?.accessKeyId ??
    text(field(state, 'oldKey', 'accessKeyId')) ??
    'the exposed key';
  const reason = text(field(state, 'emergency', 'reason')) ?? rotation.emergency?.reason;
  const danger =
    // In full: the id an operator looks up in CloudTrail and revokes (an id, not a secret).
    `${exposed} is the key ${userName}'s emergency rotation cut off because it was exposed` +
    `${reason ? ` (${reason})` : ''}: reactivating it gives whoever found it access again`;
  if (!guard.force) {
    throw refuse(
      `${danger}. rekey does not roll an emergency back unless told to. Give the application that broke the new key from the secret instead; if you must have the exposed key back, run rekey rollback ${userName} --force.`,
    );
  }
  guard.warn?.(`WARNING: ${danger}. Rolling back anyway (--force).`);
  return true;
}

/** Reactivates the rotation's old key and makes it AWSCURRENT again (idempotent). */
async function restore(
  clients: Clients,
  userName: string,
  rotation: Rotation,
  events: Parameters<typeof latestState>[0],
  guard: ExposedKeyGuard = {},
): Promise<Restored> {
  const { name } = rotation;
  const state = latestState(events);
  const exposed = guardExposedKey(userName, state, rotation, guard);
  const oldKeyId = text(field(state, 'oldKey', 'accessKeyId'));
  const newKeyId = text(field(state, 'newKey', 'accessKeyId'));
  const newVersion = text(field(state, 'newKey', 'versionId'));
  const secretId = text(field(state, 'secretId'));
  if (!oldKeyId || !newKeyId || !newVersion || !secretId) {
    throw refuse(`the state of ${name} does not name both keys and the secret: roll back by hand.`);
  }
  const oldKey = (await listKeys(clients.iam, userName)).find((k) => k.accessKeyId === oldKeyId);
  if (!oldKey) {
    throw refuse(
      `${userName}'s old key ${shortKey(oldKeyId)} no longer exists: it cannot be restored.`,
    );
  }
  const versions = await secretVersions(clients, secretId, oldKeyId, newVersion);
  if (oldKey.status !== 'Active') {
    await clients.iam.send(
      new UpdateAccessKeyCommand({ UserName: userName, AccessKeyId: oldKeyId, Status: 'Active' }),
    );
  }
  if (versions.move) {
    await clients.secrets.send(
      new UpdateSecretVersionStageCommand({
        SecretId: secretId,
        VersionStage: AWSCURRENT,
        MoveToVersionId: versions.move.to,
        RemoveFromVersionId: versions.move.from,
      }),
    );
  }
  return { oldKeyId, newKeyId, secretId, exposed };
}

/**
 * `rekey rollback`: during the recovery window (the rotation is in its loop of RecoveryWindow
 * waits and checks of the secret, the old key inactive, the new key AWSCURRENT),
 * reactivates the old key, makes it AWSCURRENT again and stops the rotation, so the workflow
 * never deletes it. A rotation that was stopped during its recovery window is rolled back the
 * same way (its old key is still there). Idempotent; refuses outside the window, and close to
 * its end (the window's end, not the next check, is when DeleteOldKey runs).
 */
export async function rollback(
  clients: Clients,
  stack: StackInfo,
  request: { userName: string; reason?: string; now: Date } & ExposedKeyGuard,
): Promise<RollbackResult> {
  const { userName } = await requireUser(clients, request.userName);
  const rotation = await findRunningRotation(clients, stack, userName);
  if (!rotation) return rollbackStopped(clients, stack, userName, request);
  const events = await readHistory(clients.sfn, rotation.executionArn);
  const steps = stepsOf(events);
  const step = steps.at(-1);
  if (!step || !RECOVERY_WINDOW_STATES.has(step.name) || step.status !== 'running') {
    throw notInWindow(userName, rotation, step, isEmergency(latestState(events), rotation));
  }
  const endsAt = recoveryWindowEnd(latestState(events), steps);
  if (endsAt && endsAt.getTime() - request.now.getTime() < MARGIN_MS) {
    throw refuse(
      `${userName}'s recovery window ends at ${endsAt.toISOString()}, too soon to roll back ` +
        'safely: the workflow may be deleting the old key. Check with `rekey status` in a few minutes.',
    );
  }
  const restored = await restore(clients, userName, rotation, events, request);
  const cause = rolledBackCause(await callerArn(clients), request.reason, restored);
  const stopped = await clients.sfn.send(
    new StopExecutionCommand({ executionArn: rotation.executionArn, error: 'RolledBack', cause }),
  );
  return {
    userName,
    executionArn: rotation.executionArn,
    secretId: restored.secretId,
    restoredKeyId: restored.oldKeyId,
    newKeyId: restored.newKeyId,
    ...(restored.exposed && { exposedKeyReactivated: true as const }),
    stoppedAt: (stopped.stopDate ?? request.now).toISOString(),
    cause,
  };
}

function rolledBackCause(caller: string, reason: string | undefined, r: Restored): string {
  return (
    `Rolled back by ${caller} with rekey rollback${r.exposed ? ' --force' : ''}: ${reason ?? 'no reason given'}. ` +
    `The old key ${r.oldKeyId}${r.exposed ? ', the EXPOSED key,' : ''} is active and AWSCURRENT again; the new key ${r.newKeyId} stays ` +
    'active (AWSPREVIOUS). rekey deletes neither.'
  );
}

/** No rotation runs: only one stopped during its recovery window can still be rolled back. */
async function rollbackStopped(
  clients: Clients,
  stack: StackInfo,
  userName: string,
  request: { reason?: string; now: Date } & ExposedKeyGuard,
): Promise<RollbackResult> {
  const last = await latestFinishedRotation(clients, stack, userName);
  if (!last) throw noRotation(userName, last);
  const events = await readHistory(clients.sfn, last.executionArn);
  const phase = stepsOf(events).at(-1)?.name;
  if (
    last.status !== 'ABORTED' ||
    last.error === 'RolledBack' ||
    phase === undefined ||
    !RECOVERY_WINDOW_STATES.has(phase)
  ) {
    throw noRotation(userName, last, phase);
  }
  const restored = await restore(clients, userName, last, events, request);
  return {
    userName,
    executionArn: last.executionArn,
    secretId: restored.secretId,
    restoredKeyId: restored.oldKeyId,
    newKeyId: restored.newKeyId,
    ...(restored.exposed && { exposedKeyReactivated: true as const }),
    stoppedAt: (last.stopDate ?? request.now).toISOString(),
    cause: rolledBackCause(await callerArn(clients), request.reason, restored),
  };
}

/**
 * Which version must become AWSCURRENT: the one holding the old key (AWSPREVIOUS after the
 * promotion). Reads each version's value only for its AccessKeyId. Nothing to move when the
 * old key is already current (a repeated rollback).
 */
async function secretVersions(
  clients: Clients,
  secretId: string,
  oldKeyId: string,
  newVersion: string,
): Promise<{ move?: { to: string; from: string } }> {
  const stages = await describeStages(clients.secrets, secretId);
  const holds = async (versionId: string | undefined): Promise<boolean> =>
    versionId !== undefined &&
    (await keyIdOfVersion(clients.secrets, secretId, versionId)).accessKeyId === oldKeyId;
  if (
    stages?.current !== undefined &&
    stages.current !== newVersion &&
    (await holds(stages.current))
  ) {
    return {};
  }
  if (stages?.current !== newVersion || !(await holds(stages.previous)) || !stages.previous) {
    throw refuse(
      `the secret ${secretId} is not as the rotation left it (AWSCURRENT should be the new key and ` +
        `AWSPREVIOUS the old key ${shortKey(oldKeyId)}): restore it by hand.`,
    );
  }
  return { move: { to: stages.previous, from: newVersion } };
}
