import { Duration } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import {
  AS_IT_WAS_OUTCOMES,
  FAILED_AS_IT_WAS,
  FAILED_CHANGED,
} from '../lambdas/shared/failed-states';
import {
  errorNames,
  InactiveKeyPresentError,
  InvalidInputError,
  KeyNotYetValidError,
  RotationInProgressError,
  SecretDeletedError,
  SecretNotOwnedError,
  TwoActiveKeysError,
  UserNotFoundError,
  UserNotManagedError,
} from '../lambdas/shared/errors';
import { readableFail } from './readable-failure';
import { TRANSIENT_ERRORS } from './transient-errors';

/** The Lambda of each rotation step. */
export interface RotationSteps {
  readonly inspect: IFunction;
  readonly stageKey: IFunction;
  readonly verifyKey: IFunction;
  readonly promoteKey: IFunction;
  readonly checkCutover: IFunction;
  readonly deactivateKey: IFunction;
  readonly deleteKey: IFunction;
  readonly report: IFunction;
  readonly compensate: IFunction;
}

/** Errors Inspect throws when it refuses; their Cause is a Lambda error JSON with the reason. */
export const REFUSALS = errorNames(
  InvalidInputError,
  UserNotFoundError,
  UserNotManagedError,
  TwoActiveKeysError,
  InactiveKeyPresentError,
  RotationInProgressError,
  SecretDeletedError,
  SecretNotOwnedError,
);

/** Backoff with full jitter for TRANSIENT failures: every step is idempotent, so retrying is safe. */
function transientRetry(maxAttempts: number): sfn.RetryProps {
  return {
    errors: [...TRANSIENT_ERRORS],
    interval: Duration.seconds(5),
    backoffRate: 2,
    maxAttempts,
    maxDelay: Duration.minutes(5),
    jitterStrategy: sfn.JitterType.FULL,
  };
}

/**
 * The per-user rotation (docs/design.md steps 1-9) as a JSONPath state machine. Each task takes the
 * whole rotation state and returns it with its fields added. Waiting is done by Wait states
 * whose durations the Lambdas compute (no sleeping in a Lambda).
 */
export class RotationWorkflow extends Construct {
  public readonly definition: sfn.IChainable;

  constructor(scope: Construct, id: string, steps: RotationSteps) {
    super(scope, id);
    const step = (
      name: string,
      fn: IFunction,
      comment: string,
      io: Pick<tasks.LambdaInvokeProps, 'payload' | 'resultPath'> = {},
    ): tasks.LambdaInvoke => {
      const task = new tasks.LambdaInvoke(this, name, {
        stateName: name,
        comment,
        lambdaFunction: fn,
        payloadResponseOnly: true,
        retryOnServiceExceptions: false,
        taskTimeout: sfn.Timeout.duration(Duration.minutes(2)),
        ...io,
      });
      task.addRetry(transientRetry(6));
      return task;
    };

    const inspect = new tasks.LambdaInvoke(this, 'Inspect', {
      stateName: 'Inspect',
      comment: 'Validate the input; load the user, tags, keys and secret; decide. Changes nothing.',
      lambdaFunction: steps.inspect,
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
      // The context's copy of the input: `$` is not a path into an input that is JSON null.
      payload: sfn.TaskInput.fromObject({
        input: sfn.JsonPath.objectAt('$$.Execution.Input'),
        executionArn: sfn.JsonPath.executionId,
      }),
      taskTimeout: sfn.Timeout.duration(Duration.minutes(2)),
    });
    inspect.addRetry(transientRetry(6));

    // No ResultPath: the default ($) replaces the input with the error. aws-local-stepfunctions 3
    // mishandles an explicit "$" (it sets a key named "$"), so the default keeps both runtimes alike.
    inspect.addCatch(readableFail(this, 'Refused', '$', 'Nothing was changed.'), {
      errors: REFUSALS,
    });
    inspect.addCatch(
      readableFail(
        this,
        'InspectFailed',
        '$',
        'Inspect changes nothing; the failure is in its logs.',
      ),
      { errors: ['States.ALL'] },
    );

    const compensate = new tasks.LambdaInvoke(this, 'Compensate', {
      stateName: 'Compensate',
      comment: 'Restore a safe state (I6), report, then fail.',
      lambdaFunction: steps.compensate,
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
      taskTimeout: sfn.Timeout.duration(Duration.minutes(2)),
    });
    compensate.addRetry(transientRetry(8));
    // Compensation failed after its retries: report it anyway (event, notification, a final
    // read of what is left), with the same function, then fail with that account.
    const reportFailure = new tasks.LambdaInvoke(this, 'ReportCompensationFailure', {
      stateName: 'ReportCompensationFailure',
      comment: 'Compensation failed: say what is left, notify, then fail.',
      lambdaFunction: steps.compensate,
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
      taskTimeout: sfn.Timeout.duration(Duration.minutes(2)),
    });
    reportFailure.addRetry(transientRetry(3));
    reportFailure.addCatch(readableFail(this, 'CompensationUnreported', '$.compensationError'), {
      errors: ['States.ALL'],
      resultPath: '$.reportError',
    });
    reportFailure.next(
      new sfn.Fail(this, 'CompensationFailed', {
        stateName: 'CompensationFailed',
        errorPath: '$.compensation.error',
        causePath: '$.compensation.cause',
      }),
    );
    compensate.addCatch(reportFailure, {
      errors: ['States.ALL'],
      resultPath: '$.compensationError',
    });
    // The state an execution ends in is metadata (readable without the execution's data): the
    // fleet scan tells from it whether a failed attempt left the user as it was.
    const failedAs = (name: string, comment: string): sfn.Fail =>
      new sfn.Fail(this, name, {
        stateName: name,
        comment,
        errorPath: '$.compensation.error',
        causePath: '$.compensation.cause',
      });
    compensate.next(
      new sfn.Choice(this, 'CompensationOutcome', { stateName: 'CompensationOutcome' })
        .when(
          sfn.Condition.and(
            sfn.Condition.or(
              ...AS_IT_WAS_OUTCOMES.map((outcome) =>
                sfn.Condition.stringEquals('$.compensation.outcome', outcome),
              ),
            ),
            // Not when a key is left that compensation could not account for.
            sfn.Condition.isPresent('$.compensation.asItWas'),
            sfn.Condition.booleanEquals('$.compensation.asItWas', true),
          ),
          failedAs(
            FAILED_AS_IT_WAS,
            'The user is as it was (outcome unchanged or restored, no unaccounted key): a scheduled rotation tries again.',
          ),
        )
        .otherwise(
          failedAs(FAILED_CHANGED, 'Something changed, or is unknown: an operator is needed.'),
        ),
    );
    const guarded = (task: tasks.LambdaInvoke): tasks.LambdaInvoke => {
      task.addCatch(compensate, { errors: ['States.ALL'], resultPath: '$.error' });
      return task;
    };

    const stageKey = guarded(
      step('StageKey', steps.stageKey, 'Create the new key and publish it as AWSPENDING.'),
    );
    const verifyKey = guarded(
      step('VerifyKey', steps.verifyKey, 'Sign sts:GetCallerIdentity with the new key.'),
    );
    verifyKey.addRetry({
      errors: errorNames(KeyNotYetValidError),
      interval: Duration.seconds(2),
      backoffRate: 2,
      maxAttempts: 7,
    });
    const promoteKey = guarded(
      step('PromoteKey', steps.promoteKey, 'Move AWSCURRENT to the new key.'),
    );
    const waitForCutover = new sfn.Wait(this, 'WaitForCutover', {
      stateName: 'WaitForCutover',
      comment: 'Poll intervals grow to keep state transitions few.',
      time: sfn.WaitTime.secondsPath('$.cutover.waitSeconds'),
    });
    const checkCutover = guarded(
      step('CheckCutover', steps.checkCutover, "Compare the keys' last use."),
    );
    const deactivate = guarded(
      step('DeactivateOldKey', steps.deactivateKey, 'Deactivate the old key.'),
    );
    // The recovery window is a loop, not one Wait: the secret holds the only copy of the new
    // key's secret access key while the old key is inactive, so it is checked at least every three
    // days, and a deletion request reaches an operator (through Compensate) while the secret can
    // still be restored. After the last wait DeleteOldKey reads the secret itself, so no check
    // runs there. The Wait keeps the name RecoveryWindow: it is where `rekey rollback`
    // finds a rotation it may roll back.
    const recoveryWindow = new sfn.Wait(this, 'RecoveryWindow', {
      stateName: 'RecoveryWindow',
      comment:
        'The old key stays restorable (rekey rollback) until the window ends; the secret is checked at least every three days.',
      time: sfn.WaitTime.secondsPath('$.recovery.waitSeconds'),
    });
    const checkRecoveryWindow = guarded(
      step(
        'CheckRecoveryWindow',
        steps.checkCutover,
        'Is the secret still there? The next wait, or the end of the window.',
        {
          payload: sfn.TaskInput.fromObject({
            check: 'recovery-window',
            state: sfn.JsonPath.entirePayload,
          }),
          resultPath: '$.recovery',
        },
      ),
    );
    const deleteKey = guarded(
      step(
        'DeleteOldKey',
        steps.deleteKey,
        'Delete the old key if still inactive and not current.',
      ),
    );
    const report = step('Report', steps.report, 'Completion event and metrics.');
    const succeeded = new sfn.Succeed(this, 'Rotated', { stateName: 'Rotated' });
    report.addCatch(succeeded, { errors: ['States.ALL'], resultPath: '$.reportError' });

    const cutoverDone = new sfn.Choice(this, 'CutoverDone', { stateName: 'CutoverDone' })
      .when(
        sfn.Condition.or(
          sfn.Condition.stringEquals('$.cutover.verdict', 'switched'),
          sfn.Condition.stringEquals('$.cutover.verdict', 'idle'),
          sfn.Condition.stringEquals('$.cutover.verdict', 'deadline-enforced'),
        ),
        deactivate
          .next(recoveryWindow)
          .next(
            new sfn.Choice(this, 'RecoveryWindowEnded', { stateName: 'RecoveryWindowEnded' })
              .when(
                sfn.Condition.booleanEquals('$.recovery.lastWait', true),
                deleteKey.next(report).next(succeeded),
              )
              .otherwise(checkRecoveryWindow.next(recoveryWindow)),
          ),
      )
      .otherwise(waitForCutover);

    const decide = new sfn.Choice(this, 'Decide', { stateName: 'Decide' })
      .when(
        sfn.Condition.stringEquals('$.decision', 'skip'),
        new sfn.Succeed(this, 'Skipped', { stateName: 'Skipped' }),
      )
      .when(
        sfn.Condition.booleanEquals('$.dryRun', true),
        new sfn.Succeed(this, 'DryRunComplete', {
          stateName: 'DryRunComplete',
          comment: 'The plan is the output; nothing was changed.',
        }),
      )
      .otherwise(
        stageKey
          .next(verifyKey)
          .next(promoteKey)
          .next(waitForCutover)
          .next(checkCutover)
          .next(cutoverDone),
      );

    this.definition = inspect.next(decide);
  }
}
