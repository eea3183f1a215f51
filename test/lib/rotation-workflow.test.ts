import type { Template } from 'aws-cdk-lib/assertions';
import { StateMachine } from 'aws-local-stepfunctions';
import { REFUSALS } from '../../lib/rotation-workflow';
import { AS_IT_WAS_OUTCOMES } from '../../lambdas/shared/failed-states';
import { STATES as STATE_NAMES } from '../../lambdas/shared/states';
import {
  definitionOf,
  handlerOf,
  defaultTemplate,
  stateMachineOf,
  type Asl,
  type AslState,
} from './support';

/** The states the rotation is made of (docs/design.md steps 1-9, compensation and refusal). */
const STATES = [
  'Inspect',
  'Decide',
  'StageKey',
  'VerifyKey',
  'PromoteKey',
  'WaitForCutover',
  'CheckCutover',
  'CutoverDone',
  'DeactivateOldKey',
  'RecoveryWindow',
  'CheckRecoveryWindow',
  'RecoveryWindowEnded',
  'DeleteOldKey',
  'Report',
  'Compensate',
  'CompensationOutcome',
  'RotationFailed',
  'RotationFailedUnchanged',
  'Refused',
];

/** The tasks that act on or depend on the new key — every failure there must be compensated. */
const COMPENSATED = [
  'StageKey',
  'VerifyKey',
  'PromoteKey',
  'CheckCutover',
  'DeactivateOldKey',
  'DeactivateExposedKey',
  'CheckRecoveryWindow',
  'DeleteOldKey',
];

const targets = (s: AslState): string[] => [
  ...(s.Next ? [s.Next] : []),
  ...(s.Default ? [s.Default] : []),
  ...(s.Choices ?? []).map((c) => c.Next),
  ...(s.Catch ?? []).map((c) => c.Next),
];

function state(asl: Asl, name: string): AslState {
  const found = asl.States[name];
  if (!found) throw new Error(`no state ${name}`);
  return found;
}

describe('the rotation state machine', () => {
  let template: Template;
  let asl: Asl;
  let tokens: unknown[];
  beforeAll(() => {
    template = defaultTemplate();
    ({ asl, tokens } = definitionOf(template));
  });

  it('is a Standard state machine with X-Ray tracing, beside the fleet scan', () => {
    // Two state machines: this one and the fleet scan (test/lib/fleet-scan.test.ts).
    template.resourceCountIs('AWS::StepFunctions::StateMachine', 2);
    expect(stateMachineOf(template, 'rotation').properties).toMatchObject({
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
    });
  });

  it('logs every execution event to its own encrypted vended log group', () => {
    const logging = stateMachineOf(template, 'rotation').properties.LoggingConfiguration as {
      Level: string;
      IncludeExecutionData: boolean;
      Destinations: { CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': [string] } } }[];
    };
    expect(logging).toMatchObject({ Level: 'ALL', IncludeExecutionData: true });
    expect(logging.Destinations).toHaveLength(1);
    const [logicalId] = logging.Destinations[0]?.CloudWatchLogsLogGroup.LogGroupArn[
      'Fn::GetAtt'
    ] ?? [''];
    const logGroup = template.findResources('AWS::Logs::LogGroup')[logicalId];
    expect(logGroup?.Properties).toMatchObject({
      LogGroupName: expect.stringMatching(/^\/aws\/vendedlogs\/states\/.+-rotation$/) as string,
      KmsKeyId: expect.anything() as unknown,
      RetentionInDays: 365,
    });
  });

  it('is a valid JSONPath definition by the ASL validator', () => {
    // The validator fills in defaults, so it gets a copy.
    expect(() => new StateMachine(structuredClone(asl) as never)).not.toThrow();
    expect(asl.QueryLanguage).toBe('JSONPath');
    // The validator does reject a broken definition.
    const broken = structuredClone(asl) as { States: Record<string, { Default?: string }> };
    const decide = broken.States.Decide ?? {};
    decide.Default = 'Nowhere';
    expect(() => new StateMachine(broken as never)).toThrow(/MISSING_TRANSITION_TARGET/);
  });

  it('uses no JSONata anywhere', () => {
    const text = JSON.stringify(asl);

    expect(
      Object.values(asl.States).filter((s) => (s.QueryLanguage ?? 'JSONPath') !== 'JSONPath'),
    ).toEqual([]);
    expect(text).not.toContain('{%');
    for (const jsonataOnly of ['"Arguments"', '"Output"', '"Assign"']) {
      expect(text).not.toContain(jsonataOnly);
    }
  });

  it('has the states of the rotation, starting at Inspect', () => {
    expect(asl.StartAt).toBe('Inspect');
    expect(Object.keys(asl.States)).toEqual(expect.arrayContaining(STATES));
  });

  it('names its states from the one table the CLI reads them by, and that table from the definition', () => {
    // A failure's readable-cause helpers are named after their Fail state (lib/readable-failure.ts).
    const helper = /^(.+?)(ParseCause|Cause|WithoutCause|WithPlainCause)$/;
    const table: readonly string[] = Object.values(STATE_NAMES);
    const outside = Object.keys(asl.States).filter(
      (name) => !table.includes(name) && !table.includes(helper.exec(name)?.[1] ?? ''),
    );

    expect(outside).toEqual([]);
    expect(table.filter((name) => !(name in asl.States))).toEqual([]);
  });

  it('reaches every state from Inspect', () => {
    const reached = new Set<string>();
    const visit = (name: string): void => {
      if (reached.has(name)) return;
      reached.add(name);
      targets(state(asl, name)).forEach(visit);
    };
    visit(asl.StartAt);

    expect([...reached].sort()).toEqual(Object.keys(asl.States).sort());
  });

  it('catches every failure of a task after Inspect into Compensate', () => {
    const tasks = Object.entries(asl.States).filter(
      ([name, s]) =>
        s.Type === 'Task' &&
        // Forensics runs once the exposed key is cut off: its failure must not undo that.
        !['Inspect', 'Compensate', 'ReportCompensationFailure', 'Report', 'Forensics'].includes(
          name,
        ),
    );

    expect(tasks.map(([name]) => name).sort()).toEqual([...COMPENSATED].sort());
    for (const [, s] of tasks) {
      expect(s.Catch).toEqual([
        expect.objectContaining({ ErrorEquals: ['States.ALL'], Next: 'Compensate' }),
      ]);
    }
  });

  it('does not undo a completed rotation when only the report fails', () => {
    const report = state(asl, 'Report');

    expect(report.Catch).toEqual([
      expect.objectContaining({ ErrorEquals: ['States.ALL'], Next: 'Rotated' }),
    ]);
    expect(state(asl, 'Rotated').Type).toBe('Succeed');
    expect(targets(state(asl, 'DeleteOldKey'))).toEqual(['Report', 'Compensate']);
  });

  it('fails the execution after compensating, and also when compensation fails', () => {
    const compensate = state(asl, 'Compensate');

    expect(compensate.Next).toBe('CompensationOutcome');
    expect(state(asl, 'RotationFailed').Type).toBe('Fail');
    expect(compensate.Catch).toEqual([
      {
        ErrorEquals: ['States.ALL'],
        Next: 'ReportCompensationFailure',
        ResultPath: '$.compensationError',
      },
    ]);
    // The report runs the same function, which then only says what is left, and notifies.
    const report = state(asl, 'ReportCompensationFailure');
    expect(report.Type).toBe('Task');
    expect(report.Next).toBe('CompensationFailed');
    expect(state(asl, 'CompensationFailed')).toMatchObject({
      Type: 'Fail',
      ErrorPath: '$.compensation.error',
      CausePath: '$.compensation.cause',
    });
    expect(report.Catch).toEqual([
      expect.objectContaining({ ErrorEquals: ['States.ALL'], Next: 'CompensationUnreportedCause' }),
    ]);
  });

  it('ends in a Fail state named by whether compensation left the user as it was, for the fleet scan to read without data', () => {
    const outcome = state(asl, 'CompensationOutcome');

    expect(AS_IT_WAS_OUTCOMES).toEqual(['unchanged', 'restored']);
    expect(outcome).toMatchObject({
      Type: 'Choice',
      Choices: [
        {
          And: [
            {
              Or: AS_IT_WAS_OUTCOMES.map((o) => ({
                Variable: '$.compensation.outcome',
                StringEquals: o,
              })),
            },
            // and no key left that compensation could not account for
            { Variable: '$.compensation.asItWas', IsPresent: true },
            { Variable: '$.compensation.asItWas', BooleanEquals: true },
          ],
          Next: 'RotationFailedUnchanged',
        },
      ],
      Default: 'RotationFailed',
    });
    // Both keep compensation's readable error and cause (one sentence, read from AWS).
    for (const name of ['RotationFailed', 'RotationFailedUnchanged']) {
      expect(state(asl, name)).toMatchObject({
        Type: 'Fail',
        ErrorPath: '$.compensation.error',
        CausePath: '$.compensation.cause',
      });
    }
  });

  it('gives every Fail state a readable cause: the Lambda error message, never its JSON and trace', () => {
    for (const name of ['Refused', 'InspectFailed', 'CompensationUnreported']) {
      const at = name === 'CompensationUnreported' ? '$.compensationError' : '$';
      expect(state(asl, `${name}ParseCause`)).toMatchObject({
        Type: 'Pass',
        Parameters: { 'error.$': `${at}.Error`, 'lambda.$': `States.StringToJson(${at}.Cause)` },
        Next: name,
      });
      expect(state(asl, name)).toMatchObject({
        Type: 'Fail',
        ErrorPath: '$.error',
        CausePath: '$.lambda.errorMessage',
      });
      expect(state(asl, `${name}Cause`).Choices).toEqual([
        { Not: { Variable: `${at}.Cause`, IsPresent: true }, Next: `${name}WithoutCause` },
        { Variable: `${at}.Cause`, StringMatches: '{*', Next: `${name}ParseCause` },
      ]);
      expect(state(asl, `${name}WithPlainCause`)).toMatchObject({
        Type: 'Fail',
        CausePath: `${at}.Cause`,
      });
    }
  });

  it('passes Inspect the input from the context object, so that a null input reaches it too', () => {
    expect(state(asl, 'Inspect').Parameters).toEqual({
      'input.$': '$$.Execution.Input',
      'executionArn.$': '$$.Execution.Id',
    });
  });

  it("turns Inspect's refusals into a Refused failure without compensating", () => {
    const inspect = state(asl, 'Inspect');

    expect(inspect.Catch?.[0]).toEqual(
      expect.objectContaining({ ErrorEquals: REFUSALS, Next: 'RefusedCause' }),
    );
    expect(state(asl, 'Refused').Type).toBe('Fail');
    expect(targets(inspect)).not.toContain('Compensate');
  });

  it('retries VerifyKey while the new key has not propagated', () => {
    const retry = state(asl, 'VerifyKey').Retry?.find((r) =>
      r.ErrorEquals.includes('KeyNotYetValidError'),
    );

    expect(retry?.ErrorEquals).toEqual(['KeyNotYetValidError']);
    expect(retry?.MaxAttempts).toBeGreaterThan(1);
  });

  it('waits in Wait states for the durations the Lambdas compute', () => {
    expect(state(asl, 'WaitForCutover')).toMatchObject({
      Type: 'Wait',
      SecondsPath: '$.cutover.waitSeconds',
      Next: 'CheckCutover',
    });
    expect(state(asl, 'RecoveryWindow')).toMatchObject({
      Type: 'Wait',
      SecondsPath: '$.recovery.waitSeconds',
      Next: 'RecoveryWindowEnded',
    });
    expect(state(asl, 'CutoverDone').Default).toBe('WaitForCutover');
  });

  it('checks the secret after every wait of the recovery window but the last, which DeleteOldKey follows', () => {
    expect(targets(state(asl, 'DeactivateOldKey'))).toEqual(['RecoveryWindow', 'Compensate']);
    expect(state(asl, 'RecoveryWindow')).toMatchObject({ Next: 'RecoveryWindowEnded' });
    expect(state(asl, 'RecoveryWindowEnded')).toMatchObject({
      Type: 'Choice',
      Choices: [{ Variable: '$.recovery.lastWait', BooleanEquals: true, Next: 'DeleteOldKey' }],
      Default: 'CheckRecoveryWindow',
    });
    expect(state(asl, 'CheckRecoveryWindow')).toMatchObject({
      Type: 'Task',
      Parameters: { check: 'recovery-window', 'state.$': '$' },
      ResultPath: '$.recovery',
      Next: 'RecoveryWindow',
    });
    // Nothing else leads to DeleteOldKey.
    const into = Object.entries(asl.States)
      .filter(([, s]) => targets(s).includes('DeleteOldKey'))
      .map(([name]) => name);
    expect(into).toEqual(['RecoveryWindowEnded']);
  });

  it.each([
    ['Inspect', 'inspect'],
    ['StageKey', 'stage-key'],
    ['VerifyKey', 'verify-key'],
    ['PromoteKey', 'promote-key'],
    ['CheckCutover', 'check-cutover'],
    ['CheckRecoveryWindow', 'check-cutover'],
    ['DeactivateOldKey', 'deactivate-key'],
    ['DeleteOldKey', 'delete-key'],
    ['Report', 'report'],
    ['Compensate', 'compensate'],
  ])('invokes the %s task on the %s Lambda', (name, step) => {
    const resource = state(asl, name).Resource ?? '';
    const token = tokens[Number(/token-(\d+)$/.exec(resource)?.[1])];

    expect(handlerOf(template, token)).toBe(`lambdas/${step}/handler.ts`);
  });
});
