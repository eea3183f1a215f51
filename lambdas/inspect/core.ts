import { GetAccessKeyLastUsedCommand, GetUserCommand, type IAMClient } from '@aws-sdk/client-iam';
import { StopExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { Deps } from '../shared/deps';
import {
  asRetryable,
  AwsTransientError,
  awsErrorCode,
  errorNames,
  InactiveKeyPresentError,
  InvalidInputError,
  RekeyError,
  RotationInProgressError,
  SecretDeletedError,
  SecretNotOwnedError,
  TwoActiveKeysError,
  UserNotFoundError,
  UserNotManagedError,
} from '../shared/errors';
import { executionRunning, refuseIfClaimed } from '../shared/executions';
import { parseMarkers } from '../shared/markers';
import type { IsRunning } from '../shared/orphans';
import { listKeys, userTags } from '../shared/keys';
import { logger } from '../shared/logger';
import { auditKeys } from '../shared/orphans';
import { readersOf, smtpRegionsOf } from '../shared/consumers';
import { resolvePolicy } from '../shared/policy';
import {
  deletionSchedule,
  describeStages,
  requireOwnedSecret,
  restoreCommand,
  secretName,
  secretNameProblem,
  SECRET_TAGS,
  type SecretStages,
} from '../shared/secret';
import type { EmergencyRequest, EmergencyState, RotationState } from '../shared/types';
import { emergencyPolicy, planEmergency } from './emergency';
import { parseRotationInput } from './input';
import { planRotation, type Plan } from './plan';

export interface InspectEvent {
  readonly input: unknown;
  readonly executionArn: string;
}

export interface InspectDeps extends Deps {
  readonly sfn: SFNClient;
}

/** Refusals an operator must act on go to the SNS topic too. */
const NOTIFY = new Set(
  errorNames(TwoActiveKeysError, InactiveKeyPresentError, SecretDeletedError, SecretNotOwnedError),
);

interface User {
  /** The name as IAM spells it: user names ignore case, secret and execution names do not. */
  readonly userName: string;
  readonly arn: string;
  readonly path: string;
}

/**
 * Inspect may read only users under the managed path (its iam:GetUser is scoped to them), so IAM
 * refuses a user outside it. IAM's refusal names the user's ARN, path included, and says no
 * policy allows the action: when that ARN lies outside the managed path, the refusal is exactly
 * "not managed", and saying so is true. Any other refusal (an explicit deny, a permission taken
 * away, a user inside the path) stays an AccessDenied failure.
 */
function outsideManagedPath(error: unknown, managedPath: string): string | undefined {
  if (awsErrorCode(error) !== 'AccessDenied' || !(error instanceof Error)) return undefined;
  const match =
    / on resource: (arn:aws[\w-]*:iam::\d{12}:user(\/(?:[^\s]*\/)?)[^\s/]+) because no identity-based policy allows/.exec(
      error.message,
    );
  const [, arn, path] = match ?? [];
  return arn !== undefined && path !== undefined && !path.startsWith(managedPath) ? arn : undefined;
}

async function loadUser(iam: IAMClient, userName: string, managedPath: string): Promise<User> {
  try {
    const { User } = await iam.send(new GetUserCommand({ UserName: userName }));
    return { userName: User?.UserName ?? userName, arn: User?.Arn ?? '', path: User?.Path ?? '/' };
  } catch (error) {
    if (awsErrorCode(error) === 'NoSuchEntity') throw new UserNotFoundError(userName, error);
    const outside = outsideManagedPath(error, managedPath);
    if (outside !== undefined) {
      throw new UserNotManagedError(
        `${userName} (${outside}) is outside the IAM path this rekey deployment manages (${managedPath}); IAM does not let rekey read it. Nothing was changed.`,
      );
    }
    throw error;
  }
}

/**
 * The owner of an exposed key, when the input names only the key (AWS Health's event): IAM's
 * GetAccessKeyLastUsed answers with the user name. A key of a user outside the managed path is
 * refused by IAM, and that refusal is "not managed".
 */
async function ownerOf(iam: IAMClient, accessKeyId: string, managedPath: string): Promise<string> {
  try {
    const out = await iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: accessKeyId }));
    if (out.UserName) return out.UserName;
  } catch (error) {
    const outside = outsideManagedPath(error, managedPath);
    if (outside !== undefined) {
      throw new UserNotManagedError(
        `The exposed key ${accessKeyId} belongs to ${outside}, outside the IAM path this rekey deployment manages (${managedPath}). Nothing was changed: rotate it by hand, now.`,
      );
    }
    if (awsErrorCode(error) !== 'NoSuchEntity') throw error;
  }
  throw new InvalidInputError(
    `The exposed key ${accessKeyId} is no access key of this account (IAM has no such key: deleted already?). Nothing was changed.`,
  );
}

/**
 * How long a stopped execution's step may still run: Step Functions does not stop a Lambda it
 * invoked, and a step's task times out after two minutes. Until then an emergency treats the
 * creating-marker of an execution it stopped as live, so its key is never taken for an orphan.
 */
export const STOPPED_STEP_MS = 2 * 60_000;

/**
 * The planned rotation an emergency takes over: the running execution that owns the user's
 * secret. A running emergency is never taken over: it is already cutting the key off.
 */
async function plannedOwner(
  deps: InspectDeps,
  stages: SecretStages | undefined,
  userName: string,
  executionArn: string,
): Promise<string | undefined> {
  const owner = stages?.tags[SECRET_TAGS.execution];
  if (!owner || owner === executionArn) return undefined;
  if (!(await executionRunning(deps.sfn)(owner))) return undefined;
  if (stages?.tags[SECRET_TAGS.emergency] === owner) {
    throw new RotationInProgressError(
      `${userName} is already in an emergency rotation, execution ${owner}, which cuts its exposed key off. ` +
        'Nothing was changed. If the key reported now is another one, cut it off by hand: ' +
        `aws iam update-access-key --user-name ${userName} --access-key-id <key> --status Inactive.`,
    );
  }
  return owner;
}

async function stopPlanned(
  deps: InspectDeps,
  owner: string,
  userName: string,
  executionArn: string,
): Promise<void> {
  await deps.sfn.send(
    new StopExecutionCommand({
      executionArn: owner,
      error: 'TakenOverByEmergency',
      cause: `An emergency rotation of ${userName} took over: ${executionArn}.`,
    }),
  );
  logger.warn('planned rotation taken over', { stopped: owner });
}

/**
 * For an emergency: an execution is live while it runs, and also for STOPPED_STEP_MS after its
 * creating-marker was set when it no longer runs (it may have been stopped mid-step).
 */
function liveOrLingering(
  isRunning: IsRunning,
  stages: SecretStages | undefined,
  now: Date,
): IsRunning {
  return async (arn) => {
    if (await isRunning(arn)) return true;
    return parseMarkers(stages?.tags ?? {}).some(
      (m) =>
        m.executionArn === arn &&
        m.endedAt === undefined &&
        m.settledKeyId === undefined &&
        m.startedAt !== undefined &&
        now.getTime() - m.startedAt < STOPPED_STEP_MS,
    );
  };
}

/** A secret scheduled for deletion holds the only copy of its key's secret: change nothing. */
function refuseIfDeleting(stages: SecretStages | undefined, secretId: string, now: Date): void {
  if (stages?.deletedDate === undefined) return;
  throw new SecretDeletedError(
    `The secret ${secretId} is scheduled for deletion: ${deletionSchedule(stages.deletedDate, now)}. ` +
      `rekey changes nothing. Restore it before then (${restoreCommand(secretId)}) to ` +
      'rotate with it, or delete it for good (aws secretsmanager delete-secret --secret-id ' +
      `${secretId} --force-delete-without-recovery) to let rekey create a new one; then start again.`,
  );
}

function explain(plan: Plan, requested: string, userName: string, orphans: string[]): string {
  const parts = [
    requested !== userName ? `"${requested}" is IAM user ${userName}: ` : '',
    plan.reason,
    plan.decision === 'rotate' && orphans.length > 0
      ? `; ${orphans.join(', ')}, created by an ended rotation and never published, is discarded first`
      : '',
  ];
  return parts.join('');
}

function emergencyState(
  request: EmergencyRequest,
  graceSeconds: number,
  tookOver: string | undefined,
  keptKey: string | undefined,
): EmergencyState {
  return {
    ...request,
    graceSeconds,
    ...(tookOver && { tookOver }),
    ...(keptKey && { keptKey }),
  };
}

/** Whether the raw input asks for an emergency, even one that failed to parse. */
function emergencyAsked(input: unknown): boolean {
  return typeof input === 'object' && input !== null && 'emergency' in input;
}

/** Step 1: load the user, its tags, keys and secret; decide rotate, skip or refuse. Changes nothing. */
export async function inspect(event: InspectEvent, deps: InspectDeps): Promise<RotationState> {
  const { config, telemetry } = deps;
  const now = deps.clock.now();
  const at = now.toISOString();
  let userName: string | undefined;
  try {
    const input = parseRotationInput(event.input);
    const { emergency, ...requestedInput } = input;
    // A future exposure would make every caller look expected in the forensics.
    if (emergency?.exposedAt && Date.parse(emergency.exposedAt) > now.getTime() + 5 * 60_000) {
      throw new InvalidInputError(
        `"emergency.exposedAt" (${emergency.exposedAt}) is in the future; give when the key was exposed, or leave it out.`,
      );
    }
    const requested =
      input.userName ?? (await ownerOf(deps.iam, emergency?.accessKeyId ?? '', config.managedPath));
    userName = requested;
    logger.appendKeys({ userName });
    const user = await loadUser(deps.iam, requested, config.managedPath);
    userName = user.userName;
    logger.appendKeys({ userName });
    if (!user.path.startsWith(config.managedPath)) {
      throw new UserNotManagedError(
        `${userName} has the IAM path ${user.path}; this rekey deployment manages users under ${config.managedPath} only.`,
      );
    }
    const unnamable = secretNameProblem(config.secretPrefix, userName);
    if (unnamable) throw new UserNotManagedError(unnamable);
    const tags = await userTags(deps.iam, userName);
    const resolved = resolvePolicy(config.policy, config.selection, tags, now);
    const readers = readersOf(tags, user.arn);
    const smtp = smtpRegionsOf(tags);
    const warnings = [
      ...resolved.warnings,
      ...[readers.warning, smtp.warning].filter((w): w is string => w !== undefined),
    ];
    const keys = await listKeys(deps.iam, userName);
    const secretId = secretName(config.secretPrefix, userName);
    const stages = await describeStages(deps.secrets, secretId);
    refuseIfDeleting(stages, secretId, now);
    if (stages) requireOwnedSecret(stages, secretId, config.kmsKeyArn);
    const running = executionRunning(deps.sfn);
    const isRunning = emergency ? liveOrLingering(running, stages, now) : running;
    // An emergency takes a planned rotation over, once its plan is known (below); any other
    // rotation is refused while another execution owns the user.
    const owner = emergency
      ? await plannedOwner(deps, stages, userName, event.executionArn)
      : await refuseIfClaimed(isRunning, stages, userName, event.executionArn);
    const audit = await auditKeys({
      ...deps,
      secretId,
      stages,
      keys,
      known: [],
      executionArn: event.executionArn,
      now,
      isRunning,
    });
    if (audit.liveCreator && emergency) {
      // A rotation is creating its key right now: an emergency does not wait for it to finish.
      // It stops it (unless a dry run) and reads what it left on Inspect's retry, once the
      // stopped step can no longer be running.
      if (!input.dryRun && (await running(audit.liveCreator))) {
        if (stages?.tags[SECRET_TAGS.emergency] === audit.liveCreator) {
          throw new RotationInProgressError(
            `${userName} is already in an emergency rotation, execution ${audit.liveCreator}. Nothing was changed.`,
          );
        }
        await stopPlanned(deps, audit.liveCreator, userName, event.executionArn);
      }
      throw new AwsTransientError(
        `${audit.liveCreator} was creating a key of ${userName}; reading what it left once its step has ended.`,
      );
    }
    if (audit.liveCreator) {
      throw new RotationInProgressError(
        `${userName} is being rotated by execution ${audit.liveCreator}, which is creating its new key right now.`,
      );
    }
    const orphans = audit.orphans.map((k) => k.accessKeyId);
    const planInput = {
      userName,
      keys: keys.filter((k) => !orphans.includes(k.accessKeyId)),
      resolved,
      scheduled: input.mode === 'scheduled',
      now,
      secrets: deps.secrets,
      secretId,
      stages,
    };
    const { keptKey, ...plan } = emergency
      ? await planEmergency(planInput, emergency)
      : { ...(await planRotation(planInput)), keptKey: undefined };
    // The takeover comes after the plan: a refused or skipped emergency stops nothing.
    let tookOver: string | undefined;
    if (emergency && owner && plan.decision === 'rotate') {
      if (!input.dryRun) await stopPlanned(deps, owner, userName, event.executionArn);
      tookOver = owner;
    }
    for (const warning of warnings) logger.warn('policy tag ignored', { warning });
    const reason = explain(plan, requested, userName, orphans);
    const state: RotationState = {
      ...requestedInput,
      userName,
      ...(requested !== userName && { requestedUserName: requested }),
      executionArn: event.executionArn,
      userArn: user.arn,
      secretId,
      startedAt: at,
      policy: emergency ? emergencyPolicy(resolved.policy, config.emergency) : resolved.policy,
      ...(emergency && {
        emergency: emergencyState(emergency, config.emergency.graceSeconds, tookOver, keptKey),
      }),
      knownKeyIds: keys.map((k) => k.accessKeyId),
      ...(stages && { secretArn: stages.arn }),
      ...plan,
      ...(plan.decision === 'rotate' && orphans.length > 0 && { orphanKeyIds: orphans }),
      ...(readers.values.length > 0 && { readers: readers.values }),
      ...(smtp.values.length > 0 && { sesSmtpRegions: smtp.values }),
      reason,
    };
    const detailType =
      plan.decision === 'skip'
        ? 'Rotation Skipped'
        : input.dryRun
          ? 'Rotation Planned'
          : 'Rotation Started';
    if (state.emergency && plan.decision === 'skip' && !input.dryRun) {
      await telemetry.notify(`rekey EMERGENCY: ${userName}'s exposed key`, reason);
    }
    logger.info(detailType, { decision: plan.decision, reason });
    await telemetry.emit(detailType, {
      userName,
      executionArn: event.executionArn,
      oldKeyId: plan.oldKey?.accessKeyId,
      decision: plan.decision,
      reason,
      dryRun: input.dryRun,
      mode: input.mode,
      requestedBy: input.requestedBy,
      ...(state.requestedUserName && { requestedUserName: state.requestedUserName }),
      ...(state.emergency && { emergency: state.emergency }),
      warnings,
      at,
    });
    return state;
  } catch (error) {
    if (error instanceof RekeyError && error.name !== AwsTransientError.errorName) {
      logger.warn('Rotation Refused', { error: error.name, reason: error.message });
      await telemetry.emit('Rotation Refused', {
        userName,
        executionArn: event.executionArn,
        error: error.name,
        reason: error.message,
        at,
      });
      if (emergencyAsked(event.input)) {
        // An exposed key rekey did not cut off is the worst case there is: always say so.
        const dryRun = (event.input as { dryRun?: unknown }).dryRun === true;
        if (!dryRun) {
          await telemetry.notify(
            `rekey EMERGENCY: refused to rotate ${userName ?? 'an exposed key'}`,
            `${error.message}\n\nrekey did not cut the exposed key off. See whether it is still active: aws iam list-access-keys${userName ? ` --user-name ${userName}` : ''}.`,
          );
        }
      } else if (NOTIFY.has(error.name)) {
        await telemetry.notify(`rekey refused to rotate ${userName ?? 'a user'}`, error.message);
      }
    }
    throw asRetryable(error, 'Inspecting the user');
  }
}
