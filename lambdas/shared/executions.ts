import { DescribeExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { awsErrorCode, RotationInProgressError } from './errors';
import type { IsRunning } from './orphans';
import { SECRET_TAGS, type SecretStages } from './secret';

/**
 * Whether an execution is RUNNING. METADATA_ONLY, because the data of a state machine encrypted
 * with a customer managed key needs kms:Decrypt; an execution that does not exist is not running.
 */
export function executionRunning(sfn: SFNClient): IsRunning {
  return async (executionArn) => {
    try {
      const { status } = await sfn.send(
        new DescribeExecutionCommand({ executionArn, includedData: 'METADATA_ONLY' }),
      );
      return status === 'RUNNING';
    } catch (error) {
      if (awsErrorCode(error) === 'ExecutionDoesNotExist') return false;
      throw error;
    }
  };
}

/** The execution's name: the last segment of its ARN. */
export function executionName(executionArn: string): string {
  return executionArn.slice(executionArn.lastIndexOf(':') + 1);
}

/** A rotation already owned by another running execution is refused: one rotation per user (I5). */
export async function refuseIfClaimed(
  isRunning: IsRunning,
  stages: SecretStages | undefined,
  userName: string,
  executionArn: string,
): Promise<void> {
  const owner = stages?.tags[SECRET_TAGS.execution];
  if (!owner || owner === executionArn) return;
  if (await isRunning(owner)) {
    throw new RotationInProgressError(
      `${userName} is already being rotated by execution ${owner}. ` +
        `Wait for it to finish (or stop it), then start again.`,
    );
  }
}
