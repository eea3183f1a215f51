import * as fs from 'node:fs';
import * as path from 'node:path';
import { Duration } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { DeadlineAction, InactiveKeyAction, UserSelection } from '../../lib/key-rotation-props';
import type { RekeyStack } from '../../lib/rekey-stack';
import { FUNCTIONS, realApp, REPO_ROOT, resolved, rotationStack } from './support';

interface FunctionResource {
  readonly Properties: {
    readonly Runtime: string;
    readonly Architectures: string[];
    readonly TracingConfig?: { Mode: string };
    readonly LoggingConfig?: { LogGroup?: unknown; LogFormat?: string };
    readonly Environment: { Variables: Record<string, unknown> };
  };
  readonly Metadata?: Record<string, unknown>;
}

const functionsOf = (template: Template): Record<string, FunctionResource> =>
  template.findResources('AWS::Lambda::Function') as Record<string, FunctionResource>;

/** The REKEY_* JSON variables of every function, parsed; throws if two functions disagree. */
function policyEnvironment(template: Template): { policy: unknown; selection: unknown } {
  const seen = new Set<string>();
  for (const fn of Object.values(functionsOf(template))) {
    const { REKEY_POLICY, REKEY_SELECTION } = fn.Properties.Environment.Variables;
    seen.add(JSON.stringify([REKEY_POLICY, REKEY_SELECTION]));
  }
  expect(seen.size).toBe(1);
  const [policy, selection] = JSON.parse([...seen][0] ?? '[]') as [string, string];
  return { policy: JSON.parse(policy), selection: JSON.parse(selection) };
}

/** The fleet settings only the fleet-scan function gets. */
function fleetEnvironment(template: Template): Record<string, unknown>[] {
  return Object.values(functionsOf(template))
    .filter((fn) => fn.Properties.Environment.Variables.REKEY_FLEET !== undefined)
    .map((fn) => ({
      handler: fn.Metadata?.['rekey:handler'],
      fleet: JSON.parse(String(fn.Properties.Environment.Variables.REKEY_FLEET)) as unknown,
    }));
}

describe('the rotation Lambdas of the deployable stack', () => {
  let stack: RekeyStack;
  let template: Template;
  beforeAll(() => {
    ({ stack, template } = realApp());
  });

  it('runs every step and both fleet scan functions on nodejs22.x on arm64 with active tracing', () => {
    const functions = Object.values(functionsOf(template));

    expect(functions).toHaveLength(FUNCTIONS.length);
    for (const fn of functions) {
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
      });
    }
  });

  it("sends every function's JSON logs to its own log group", () => {
    const logGroups = template.findResources('AWS::Logs::LogGroup');
    const used = Object.values(functionsOf(template)).map((fn) => {
      const ref = fn.Properties.LoggingConfig?.LogGroup as { Ref?: string } | undefined;
      expect(fn.Properties.LoggingConfig?.LogFormat).toBe('JSON');
      expect(ref?.Ref && logGroups[ref.Ref]).toBeDefined();
      return ref?.Ref;
    });
    expect(new Set(used).size).toBe(FUNCTIONS.length);
  });

  it('names the handler of every function in rekey:handler metadata, and the file exists', () => {
    const handlers = Object.values(functionsOf(template)).map(
      (fn) => fn.Metadata?.['rekey:handler'],
    );

    expect([...handlers].sort()).toEqual(FUNCTIONS.map((s) => `lambdas/${s}/handler.ts`).sort());
    for (const handler of handlers) {
      expect(fs.existsSync(path.join(REPO_ROOT, String(handler)))).toBe(true);
    }
  });

  it('gives every function the default policy and selection as JSON', () => {
    expect(policyEnvironment(template)).toEqual({
      policy: {
        rotateAfterDays: 80,
        cutoverDeadlineSeconds: 7 * 86_400,
        deadlineAction: 'fail',
        pollInitialSeconds: 15 * 60,
        pollMaxSeconds: 18 * 3600,
        recoveryWindowSeconds: 7 * 86_400,
        lastUsedLagSeconds: 4 * 3600,
        inactiveKeyAction: 'delete',
      },
      selection: { mode: 'opt-out', minRotateAfterDays: 80 },
    });
  });

  it('gives only the fleet scan the rotation state machine and the default fleet settings', () => {
    expect(fleetEnvironment(template)).toEqual([
      {
        handler: 'lambdas/fleet-scan/handler.ts',
        fleet: { maxConcurrentRotations: 100, exemptionWarningDays: 14 },
      },
    ]);
    const withArn = Object.values(functionsOf(template)).filter(
      (fn) => fn.Properties.Environment.Variables.REKEY_ROTATION_STATE_MACHINE_ARN !== undefined,
    );
    expect(withArn.map((fn) => fn.Metadata?.['rekey:handler'])).toEqual([
      'lambdas/fleet-scan/handler.ts',
    ]);
    expect(withArn[0]?.Properties.Environment.Variables.REKEY_ROTATION_STATE_MACHINE_ARN).toEqual(
      resolved(stack, stack.rotation.stateMachine.stateMachineArn),
    );
  });

  it('gives every function the secret prefix, managed path, event bus and topic', () => {
    template.allResourcesProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          REKEY_SECRET_PREFIX: 'rekey/',
          REKEY_MANAGED_PATH: '/',
          REKEY_EVENT_BUS_NAME: 'default',
          REKEY_TOPIC_ARN: resolved(stack, stack.topic.topicArn),
          POWERTOOLS_SERVICE_NAME: 'rekey',
        }),
      },
    });
  });
});

describe('the rotation Lambdas given a custom policy', () => {
  let template: Template;
  beforeAll(() => {
    ({ template } = rotationStack(() => ({
      rotateAfter: Duration.days(60),
      minimumRotateAfter: Duration.days(30),
      cutoverDeadline: Duration.days(3),
      deadlineAction: DeadlineAction.ENFORCE,
      pollInterval: Duration.minutes(30),
      maxPollInterval: Duration.hours(6),
      recoveryWindow: Duration.days(14),
      lastUsedReportingLag: Duration.hours(2),
      inactiveKeyAction: InactiveKeyAction.REFUSE,
      userSelection: UserSelection.OPT_IN,
      managedPath: '/apps/',
      secretPrefix: 'team-a/',
      maxConcurrentRotations: 25,
      exemptionWarning: Duration.days(30),
    })));
  });

  it('passes the concurrency cap and exemption warning to the fleet scan in days', () => {
    expect(fleetEnvironment(template)).toEqual([
      {
        handler: 'lambdas/fleet-scan/handler.ts',
        fleet: { maxConcurrentRotations: 25, exemptionWarningDays: 30 },
      },
    ]);
  });

  it('passes the resolved policy to every function in seconds and days', () => {
    expect(policyEnvironment(template)).toEqual({
      policy: {
        rotateAfterDays: 60,
        cutoverDeadlineSeconds: 3 * 86_400,
        deadlineAction: 'enforce',
        pollInitialSeconds: 30 * 60,
        pollMaxSeconds: 6 * 3600,
        recoveryWindowSeconds: 14 * 86_400,
        lastUsedLagSeconds: 2 * 3600,
        inactiveKeyAction: 'refuse',
      },
      selection: { mode: 'opt-in', minRotateAfterDays: 30 },
    });
  });

  it('passes the managed path and secret prefix, and no topic when none is given', () => {
    template.allResourcesProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          REKEY_SECRET_PREFIX: 'team-a/',
          REKEY_MANAGED_PATH: '/apps/',
          REKEY_TOPIC_ARN: Match.absent(),
        }),
      },
    });
  });
});
