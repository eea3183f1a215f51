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
import { pathsOf, STATES } from '../lambdas/shared/states';
import type { CaughtError, CutoverVerdict, Decision, RotationState } from '../lambdas/shared/types';
import type { Compensation } from '../lambdas/compensate/core';
import { readableFail } from './readable-failure';
import { TRANSIENT_ERRORS } from './transient-errors';

/**
 * What the definition reads: the rotation state the Lambdas return, and what its Catch clauses
 * and compensation add to it.
 */
type WorkflowState = RotationState & {
  readonly error?: CaughtError;
  readonly compensation?: Compensation;
  readonly compensationError?: CaughtError;
  readonly reportError?: CaughtError;
  readonly forensicsError?: CaughtError;
};

/** JSONPaths into the workflow's state, checked against its type. */
const state = pathsOf<WorkflowState>();

/** The verdicts after which the cutover is over and the old key is deactivated. */
const CUTOVER_DONE = [
  'switched',
  'idle',
  'deadline-enforced',
] as const satisfies readonly CutoverVerdict[];

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

    const inspect = new tasks.LambdaInvoke(this, STATES.inspect, {
      stateName: STATES.inspect,
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
    inspect.addCatch(readableFail(this, STATES.refused, '$', 'Nothing was changed.'), {
      errors: REFUSALS,
    });
    inspect.addCatch(
      readableFail(
        this,
        STATES.inspectFailed,
        '$',
        'Inspect changes nothing; the failure is in its logs.',
      ),
      { errors: ['States.ALL'] },
    );

    const compensate = new tasks.LambdaInvoke(this, STATES.compensate, {
      stateName: STATES.compensate,
      comment: 'Restore a safe state (I6), report, then fail.',
      lambdaFunction: steps.compensate,
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
      taskTimeout: sfn.Timeout.duration(Duration.minutes(2)),
    });
    compensate.addRetry(transientRetry(8));
    // Compensation failed after its retries: report it anyway (event, notification, a final
    // read of what is left), with the same function, then fail with that account.
    const reportFailure = new tasks.LambdaInvoke(this, STATES.reportCompensationFailure, {
      stateName: STATES.reportCompensationFailure,
      comment: 'Compensation failed: say what is left, notify, then fail.',
      lambdaFunction: steps.compensate,
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
      taskTimeout: sfn.Timeout.duration(Duration.minutes(2)),
    });
    reportFailure.addRetry(transientRetry(3));
    reportFailure.addCatch(
      readableFail(this, STATES.compensationUnreported, state('compensationError')),
      {
        errors: ['States.ALL'],
        resultPath: state('reportError'),
      },
    );
    reportFailure.next(
      new sfn.Fail(this, STATES.compensationFailed, {
        stateName: STATES.compensationFailed,
        errorPath: state('compensation', 'error'),
        causePath: state('compensation', 'cause'),
      }),
    );
    compensate.addCatch(reportFailure, {
      errors: ['States.ALL'],
      resultPath: state('compensationError'),
    });
    // The state an execution ends in is metadata (readable without the execution's data): the
    // fleet scan tells from it whether a failed attempt left the user as it was.
    const failedAs = (name: string, comment: string): sfn.Fail =>
      new sfn.Fail(this, name, {
        stateName: name,
        comment,
        errorPath: state('compensation', 'error'),
        causePath: state('compensation', 'cause'),
      });
    compensate.next(
      new sfn.Choice(this, STATES.compensationOutcome, { stateName: STATES.compensationOutcome })
        .when(
          sfn.Condition.and(
            sfn.Condition.or(
              ...AS_IT_WAS_OUTCOMES.map((outcome) =>
                sfn.Condition.stringEquals(state('compensation', 'outcome'), outcome),
              ),
            ),
            // Not when a key is left that compensation could not account for.
            sfn.Condition.isPresent(state('compensation', 'asItWas')),
            sfn.Condition.booleanEquals(state('compensation', 'asItWas'), true),
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
      task.addCatch(compensate, { errors: ['States.ALL'], resultPath: state('error') });
      return task;
    };

    const stageKey = guarded(
      step(STATES.stageKey, steps.stageKey, 'Create the new key and publish it as AWSPENDING.'),
    );
    const verifyKey = guarded(
      step(STATES.verifyKey, steps.verifyKey, 'Sign sts:GetCallerIdentity with the new key.'),
    );
    verifyKey.addRetry({
      errors: errorNames(KeyNotYetValidError),
      interval: Duration.seconds(2),
      backoffRate: 2,
      maxAttempts: 7,
    });
    const promoteKey = guarded(
      step(STATES.promoteKey, steps.promoteKey, 'Move AWSCURRENT to the new key.'),
    );
    const waitForCutover = new sfn.Wait(this, STATES.waitForCutover, {
      stateName: STATES.waitForCutover,
      comment: 'Poll intervals grow to keep state transitions few.',
      time: sfn.WaitTime.secondsPath(state('cutover', 'waitSeconds')),
    });
    const checkCutover = guarded(
      step(STATES.checkCutover, steps.checkCutover, "Compare the keys' last use."),
    );
    const deactivate = guarded(
      step(STATES.deactivateOldKey, steps.deactivateKey, 'Deactivate the old key.'),
    );
    // The recovery window is a loop, not one Wait: the secret holds the only copy of the new
    // key's secret access key while the old key is inactive, so it is checked at least every three
    // days, and a deletion request reaches an operator (through Compensate) while the secret can
    // still be restored. After the last wait DeleteOldKey reads the secret itself, so no check
    // runs there. The Wait keeps the name RecoveryWindow: it is where `rekey rollback`
    // finds a rotation it may roll back.
    const recoveryWindow = new sfn.Wait(this, STATES.recoveryWindow, {
      stateName: STATES.recoveryWindow,
      comment:
        'The old key stays restorable (rekey rollback) until the window ends; the secret is checked at least every three days.',
      time: sfn.WaitTime.secondsPath(state('recovery', 'waitSeconds')),
    });
    const checkRecoveryWindow = guarded(
      step(
        STATES.checkRecoveryWindow,
        steps.checkCutover,
        'Is the secret still there? The next wait, and whether it is the last.',
        {
          payload: sfn.TaskInput.fromObject({
            check: 'recovery-window',
            state: sfn.JsonPath.entirePayload,
          }),
          resultPath: state('recovery'),
        },
      ),
    );
    // An emergency (docs/design.md, "Emergency rotation"): the exposed key is cut off as soon as
    // the new key is current (after the grace, if any), by the same function, then its CloudTrail
    // events are looked up and the operators told. A failed lookup never undoes the cut-off.
    const deactivateExposed = guarded(
      step(STATES.deactivateExposedKey, steps.deactivateKey, 'Cut the exposed key off.'),
    );
    const forensics = step(
      STATES.forensics,
      steps.checkCutover,
      'What the exposed key did since the exposure (CloudTrail); notify at the highest severity.',
      {
        payload: sfn.TaskInput.fromObject({
          check: 'forensics',
          state: sfn.JsonPath.entirePayload,
        }),
      },
    );
    forensics.addCatch(recoveryWindow, {
      errors: ['States.ALL'],
      resultPath: state('forensicsError'),
    });
    const deleteKey = guarded(
      step(
        STATES.deleteOldKey,
        steps.deleteKey,
        'Delete the old key if still inactive and not current.',
      ),
    );
    const report = step(STATES.report, steps.report, 'Completion event and metrics.');
    const succeeded = new sfn.Succeed(this, STATES.rotated, { stateName: STATES.rotated });
    report.addCatch(succeeded, { errors: ['States.ALL'], resultPath: state('reportError') });

    const cutoverDone = new sfn.Choice(this, STATES.cutoverDone, { stateName: STATES.cutoverDone })
      .when(
        sfn.Condition.stringEquals(state('cutover', 'verdict'), 'exposed' satisfies CutoverVerdict),
        deactivateExposed.next(forensics).next(recoveryWindow),
      )
      .when(
        sfn.Condition.or(
          ...CUTOVER_DONE.map((verdict) =>
            sfn.Condition.stringEquals(state('cutover', 'verdict'), verdict),
          ),
        ),
        deactivate.next(recoveryWindow).next(
          new sfn.Choice(this, STATES.recoveryWindowEnded, {
            stateName: STATES.recoveryWindowEnded,
          })
            .when(
              sfn.Condition.booleanEquals(state('recovery', 'lastWait'), true),
              deleteKey.next(report).next(succeeded),
            )
            .otherwise(checkRecoveryWindow.next(recoveryWindow)),
        ),
      )
      .otherwise(waitForCutover);

    const decide = new sfn.Choice(this, STATES.decide, { stateName: STATES.decide })
      .when(
        sfn.Condition.stringEquals(state('decision'), 'skip' satisfies Decision),
        new sfn.Succeed(this, STATES.skipped, { stateName: STATES.skipped }),
      )
      .when(
        sfn.Condition.booleanEquals(state('dryRun'), true),
        new sfn.Succeed(this, STATES.dryRunComplete, {
          stateName: STATES.dryRunComplete,
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
