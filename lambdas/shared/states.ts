import { FAILED_AS_IT_WAS, FAILED_CHANGED } from './failed-states';

/**
 * The rotation state machine's states, by name. The definition (lib/rotation-workflow.ts) names
 * its states from this table, and the CLI reads execution histories by it, so a renamed state
 * cannot leave a reader looking for the old name. The names are part of the product: `rekey
 * status` shows them, and `rekey rollback` finds a rotation by the state it is in.
 */
export const STATES = {
  inspect: 'Inspect',
  refused: 'Refused',
  inspectFailed: 'InspectFailed',
  decide: 'Decide',
  skipped: 'Skipped',
  dryRunComplete: 'DryRunComplete',
  stageKey: 'StageKey',
  verifyKey: 'VerifyKey',
  promoteKey: 'PromoteKey',
  waitForCutover: 'WaitForCutover',
  checkCutover: 'CheckCutover',
  cutoverDone: 'CutoverDone',
  deactivateOldKey: 'DeactivateOldKey',
  deactivateExposedKey: 'DeactivateExposedKey',
  forensics: 'Forensics',
  recoveryWindow: 'RecoveryWindow',
  recoveryWindowEnded: 'RecoveryWindowEnded',
  checkRecoveryWindow: 'CheckRecoveryWindow',
  deleteOldKey: 'DeleteOldKey',
  report: 'Report',
  rotated: 'Rotated',
  compensate: 'Compensate',
  compensationOutcome: 'CompensationOutcome',
  rotationFailed: FAILED_CHANGED,
  rotationFailedUnchanged: FAILED_AS_IT_WAS,
  reportCompensationFailure: 'ReportCompensationFailure',
  compensationFailed: 'CompensationFailed',
  compensationUnreported: 'CompensationUnreported',
} as const;

export type RotationStateName = (typeof STATES)[keyof typeof STATES];

type Field<T> = Extract<keyof NonNullable<T>, string>;

/**
 * JSONPaths into a state of type T, `$.a` or `$.a.b`, whose field names the compiler checks:
 * the definition's Wait and Choice states read the fields the Lambdas write, and a renamed field
 * fails to compile instead of failing an execution.
 */
export function pathsOf<T>(): {
  <A extends Field<T>>(a: A): string;
  <A extends Field<T>, B extends Field<NonNullable<T>[A]>>(a: A, b: B): string;
} {
  return (...fields: string[]) => `$.${fields.join('.')}`;
}
