import { GetUserCommand, type IAMClient } from '@aws-sdk/client-iam';
import { DescribeExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { Deps } from '../shared/deps';
import {
  asRetryable,
  awsErrorCode,
  RekeyError,
  RotationInProgressError,
  UserNotFoundError,
  UserNotManagedError,
} from '../shared/errors';
import { listKeys, userTags } from '../shared/keys';
import { logger } from '../shared/logger';
import { resolvePolicy } from '../shared/policy';
import {
  describeStages,
  SECRET_TAGS,
  secretName,
  secretNameProblem,
  type SecretStages,
} from '../shared/secret';
import type { RotationState } from '../shared/types';
import { parseRotationInput } from './input';
import { planRotation, SCHEDULED_REQUESTER } from './plan';

export interface InspectEvent {
  readonly input: unknown;
  readonly executionArn: string;
}

export interface InspectDeps extends Deps {
  readonly sfn: SFNClient;
}

/** Refusals an operator must act on go to the SNS topic too. */
const NOTIFY = new Set(['TwoActiveKeysError', 'InactiveKeyPresentError']);

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

async function loadUser(
  iam: IAMClient,
  userName: string,
  managedPath: string,
): Promise<{ arn: string; path: string }> {
  try {
    const { User } = await iam.send(new GetUserCommand({ UserName: userName }));
    return { arn: User?.Arn ?? '', path: User?.Path ?? '/' };
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

/** A rotation already owned by a running execution is refused: one rotation per user (I5). */
async function refuseIfOwned(
  sfn: SFNClient,
  stages: SecretStages | undefined,
  userName: string,
  executionArn: string,
): Promise<void> {
  const owner = stages?.tags[SECRET_TAGS.execution];
  if (!owner || owner === executionArn) return;
  try {
    // Execution data is encrypted with the customer managed key: METADATA_ONLY needs no kms:Decrypt.
    const { status } = await sfn.send(
      new DescribeExecutionCommand({ executionArn: owner, includedData: 'METADATA_ONLY' }),
    );
    if (status === 'RUNNING') {
      throw new RotationInProgressError(
        `${userName} is already being rotated by execution ${owner}. ` +
          `Wait for it to finish (or stop it), then start again.`,
      );
    }
  } catch (error) {
    if (awsErrorCode(error) === 'ExecutionDoesNotExist') return;
    throw error;
  }
}

/** Step 1: load the user, its tags, keys and secret; decide rotate, skip or refuse. Changes nothing. */
export async function inspect(event: InspectEvent, deps: InspectDeps): Promise<RotationState> {
  const input = parseRotationInput(event.input);
  const { config, telemetry } = deps;
  const now = deps.clock.now();
  const at = now.toISOString();
  const { userName } = input;
  logger.appendKeys({ userName });
  try {
    const user = await loadUser(deps.iam, userName, config.managedPath);
    if (!user.path.startsWith(config.managedPath)) {
      throw new UserNotManagedError(
        `${userName} has the IAM path ${user.path}; this rekey deployment manages users under ${config.managedPath} only.`,
      );
    }
    const resolved = resolvePolicy(
      config.policy,
      config.selection,
      await userTags(deps.iam, userName),
      now,
    );
    const keys = await listKeys(deps.iam, userName);
    const secretId = secretName(config.secretPrefix, userName);
    const unnamable = secretNameProblem(config.secretPrefix, userName);
    if (unnamable) throw new UserNotManagedError(unnamable);
    const stages = await describeStages(deps.secrets, secretId);
    await refuseIfOwned(deps.sfn, stages, userName, event.executionArn);
    const plan = await planRotation({
      userName,
      keys,
      resolved,
      scheduled: input.requestedBy === SCHEDULED_REQUESTER,
      now,
      secrets: deps.secrets,
      secretId,
      stages,
    });
    for (const warning of resolved.warnings) logger.warn('policy tag ignored', { warning });
    const state: RotationState = {
      ...input,
      executionArn: event.executionArn,
      userArn: user.arn,
      secretId,
      startedAt: at,
      policy: resolved.policy,
      knownKeyIds: keys.map((k) => k.accessKeyId),
      ...plan,
    };
    const detailType =
      plan.decision === 'skip'
        ? 'Rotation Skipped'
        : input.dryRun
          ? 'Rotation Planned'
          : 'Rotation Started';
    logger.info(detailType, { decision: plan.decision, reason: plan.reason });
    await telemetry.emit(detailType, {
      userName,
      executionArn: event.executionArn,
      oldKeyId: plan.oldKey?.accessKeyId,
      decision: plan.decision,
      reason: plan.reason,
      dryRun: input.dryRun,
      requestedBy: input.requestedBy,
      warnings: resolved.warnings,
      at,
    });
    return state;
  } catch (error) {
    if (error instanceof RekeyError && error.name !== 'AwsTransientError') {
      logger.warn('Rotation Refused', { error: error.name, reason: error.message });
      await telemetry.emit('Rotation Refused', {
        userName,
        executionArn: event.executionArn,
        error: error.name,
        reason: error.message,
        at,
      });
      if (NOTIFY.has(error.name)) {
        await telemetry.notify(`rekey refused to rotate ${userName}`, error.message);
      }
    }
    throw asRetryable(error, 'Inspecting the user');
  }
}
