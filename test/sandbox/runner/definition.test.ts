import { WAIT_RESOURCE, prepareDefinition } from '../../../sandbox/runner/definition';
import {
  installFunctionEnvironments,
  withFunctionEnvironment,
} from '../../../sandbox/runner/function-env';
import { RetryPolicy, errorMatches } from '../../../sandbox/runner/retry';
import { waitMillis } from '../../../sandbox/runner/tasks';

const FN = 'arn:aws:lambda:us-east-1:123456789012:function:f';

describe('prepareDefinition', () => {
  const prepared = prepareDefinition(
    JSON.stringify({
      StartAt: 'Wait',
      TimeoutSeconds: 600,
      States: {
        Wait: { Type: 'Wait', SecondsPath: '$.s', InputPath: '$.in', Next: 'Each' },
        Each: {
          Type: 'Map',
          ItemProcessor: {
            StartAt: 'Inner',
            States: {
              Inner: {
                Type: 'Task',
                Resource: FN,
                Parameters: { 'started.$': '$$.Execution.StartTime' },
                Retry: [{ ErrorEquals: ['States.ALL'] }],
                TimeoutSeconds: 5,
                End: true,
              },
            },
          },
          End: true,
        },
      },
    }),
  );
  const states = prepared.definition.States as unknown as Record<string, Record<string, unknown>>;
  const inner = (states.Each?.ItemProcessor as { States: Record<string, Record<string, unknown>> })
    .States.Inner;

  it('turns Wait states into sandbox-time tasks that keep their paths', () => {
    expect(states.Wait).toEqual({
      Type: 'Task',
      Resource: WAIT_RESOURCE,
      InputPath: '$.in',
      Next: 'Each',
      TimeoutSeconds: 2_147_483,
    });
    expect(prepared.states.get('Wait')?.type).toBe('Wait');
  });

  it('leaves retries and timeouts to the runner, also inside a Map', () => {
    expect(inner).not.toHaveProperty('Retry');
    expect(inner?.TimeoutSeconds).toBe(2_147_483);
    expect(prepared.states.get('Inner')?.raw.Retry).toEqual([{ ErrorEquals: ['States.ALL'] }]);
    expect(prepared.timeoutSeconds).toBe(600);
    expect(prepared.definition).not.toHaveProperty('TimeoutSeconds');
  });

  it('points $$.Execution.StartTime at the sandbox start time', () => {
    expect(inner?.Parameters).toEqual({ 'started.$': '$$.Execution.SandboxStartTime' });
  });

  it('refuses JSONata, duplicate state names and invalid definitions', () => {
    const pass = { Type: 'Pass', End: true };
    expect(() =>
      prepareDefinition(
        JSON.stringify({ QueryLanguage: 'JSONata', StartAt: 'A', States: { A: pass } }),
      ),
    ).toThrow('JSONata');
    const nested = { Type: 'Map', ItemProcessor: { StartAt: 'A', States: { A: pass } }, End: true };
    expect(() =>
      prepareDefinition(JSON.stringify({ StartAt: 'M', States: { M: nested, A: pass } })),
    ).toThrow('A state with this name already exists: A');
    expect(() =>
      prepareDefinition(JSON.stringify({ StartAt: 'Nowhere', States: { A: pass } })),
    ).toThrow('invalid');
  });
});

describe('RetryPolicy', () => {
  it('backs off per retrier, caps at MaxDelaySeconds and stops after MaxAttempts', () => {
    const policy = new RetryPolicy([
      {
        ErrorEquals: ['Throttled'],
        IntervalSeconds: 2,
        BackoffRate: 3,
        MaxAttempts: 4,
        MaxDelaySeconds: 30,
      },
      { ErrorEquals: ['States.ALL'], MaxAttempts: 1 },
    ]);

    expect(
      ['Throttled', 'Throttled', 'Throttled', 'Throttled', 'Throttled'].map((e) => policy.next(e)),
    ).toEqual([2000, 6000, 18_000, 30_000, undefined]);
    expect(policy.next('Other')).toBe(1000);
    expect(policy.next('Other')).toBeUndefined();
  });

  it('uses the ASL defaults, full jitter, and MaxAttempts 0 as never', () => {
    expect(new RetryPolicy([{ ErrorEquals: ['E'] }]).next('E')).toBe(1000);
    const jittered = new RetryPolicy(
      [{ ErrorEquals: ['E'], IntervalSeconds: 10, JitterStrategy: 'FULL' }],
      () => 0.25,
    );
    expect(jittered.next('E')).toBe(2500);
    expect(new RetryPolicy([{ ErrorEquals: ['E'], MaxAttempts: 0 }]).next('E')).toBeUndefined();
  });

  it('matches wildcards as ASL does', () => {
    expect(errorMatches(['States.TaskFailed'], 'Lambda.ServiceException')).toBe(true);
    expect(errorMatches(['States.TaskFailed'], 'States.Timeout')).toBe(false);
    expect(errorMatches(['States.ALL'], 'States.Timeout')).toBe(true);
    expect(errorMatches(['States.ALL'], 'States.Runtime')).toBe(false);
    expect(errorMatches(['A', 'B'], 'C')).toBe(false);
  });
});

describe('waitMillis', () => {
  const now = new Date('2030-01-01T00:00:00Z');
  const wait = (raw: Record<string, unknown>) => ({ name: 'W', type: 'Wait' as const, raw });

  it('reads Seconds, SecondsPath, Timestamp and TimestampPath against the sandbox clock', () => {
    expect(waitMillis(wait({ Seconds: 5 }), {}, {}, now)).toBe(5000);
    expect(waitMillis(wait({ SecondsPath: '$.a.b' }), { a: { b: 7 } }, {}, now)).toBe(7000);
    expect(waitMillis(wait({ Timestamp: '2030-01-02T00:00:00Z' }), {}, {}, now)).toBe(86_400_000);
    expect(
      waitMillis(wait({ TimestampPath: '$.t' }), { t: '2029-12-31T00:00:00+00:00' }, {}, now),
    ).toBe(0);
    expect(
      waitMillis(
        wait({ TimestampPath: '$$.Execution.Until' }),
        {},
        { Execution: { Until: '2030-01-01T00:01:00Z' } },
        now,
      ),
    ).toBe(60_000);
  });

  it('fails with States.Runtime on a value ASL refuses', () => {
    expect(() => waitMillis(wait({ SecondsPath: '$.s' }), { s: -1 }, {}, now)).toThrow(
      expect.objectContaining({ name: 'States.Runtime' }) as Error,
    );
    expect(() => waitMillis(wait({ SecondsPath: '$.s' }), { s: 1.5 }, {}, now)).toThrow('integer');
    expect(() => waitMillis(wait({ TimestampPath: '$.t' }), { t: 'tomorrow' }, {}, now)).toThrow(
      'RFC 3339',
    );
  });
});

describe('function environments', () => {
  beforeAll(() => installFunctionEnvironments());

  it("answers each function's own variables, even across awaits of concurrent invocations", async () => {
    const read = async (env: Record<string, string>): Promise<(string | undefined)[]> =>
      withFunctionEnvironment(env, async () => {
        const first = process.env.REKEY_X;
        await new Promise((resolve) => setTimeout(resolve, 5));
        return [first, process.env.REKEY_X, process.env.AWS_ACCESS_KEY_ID];
      });
    const [a, b] = await Promise.all([
      read({ REKEY_X: 'a', AWS_ACCESS_KEY_ID: 'ASIAA' }),
      read({ REKEY_X: 'b' }),
    ]);
    expect(a).toEqual(['a', 'a', 'ASIAA']);
    // A function sees no AWS_ variable it was not given, whatever the process holds.
    expect(b).toEqual(['b', 'b', undefined]);
  });

  it('leaves the process environment alone outside any function', () => {
    process.env.REKEY_OUTSIDE = 'yes';
    expect(withFunctionEnvironment({}, () => process.env.REKEY_OUTSIDE)).toBeUndefined();
    expect(withFunctionEnvironment({}, () => process.env.PATH)).toBe(process.env.PATH);
    expect(process.env.REKEY_OUTSIDE).toBe('yes');
    delete process.env.REKEY_OUTSIDE;
  });
});
