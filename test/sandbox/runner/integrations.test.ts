import { SandboxClock, Scheduler } from '../../../sandbox/clock';
import { Emulator } from '../../../sandbox/emulator';
import { Runner, type CfnTemplate } from '../../../sandbox/runner';
import { REPO_ROOT, createSandbox, secondsSince, type TestSandbox } from './fixtures/sandbox';

const STEP = { 'Fn::GetAtt': ['Step', 'Arn'] };

function machine(definition: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return {
    Type: 'AWS::StepFunctions::StateMachine',
    Properties: { Definition: definition, ...extra },
  };
}

/** A hand-written template: one function, state machines for what the fixture app does not use. */
const TEMPLATE: CfnTemplate = {
  Resources: {
    Step: {
      Type: 'AWS::Lambda::Function',
      Metadata: { 'rekey:handler': 'test/sandbox/runner/fixtures/step-handler.ts' },
      Properties: { Handler: 'index.handler', Timeout: 10 },
    },
    Sdk: machine({
      StartAt: 'GetUser',
      States: {
        GetUser: {
          Type: 'Task',
          Resource: 'arn:aws:states:::aws-sdk:iam:getUser',
          Parameters: { 'UserName.$': '$.userName' },
          ResultSelector: { 'arn.$': '$.User.Arn' },
          Catch: [
            { ErrorEquals: ['Iam.NoSuchEntityException'], ResultPath: '$.error', Next: 'Missing' },
          ],
          Next: 'Describe',
        },
        Describe: {
          Type: 'Task',
          Resource: 'arn:aws:states:::aws-sdk:sfn:describeStateMachine',
          Parameters: { 'StateMachineArn.$': '$$.StateMachine.Id' },
          ResultSelector: { 'name.$': '$.Name', 'type.$': '$.Type' },
          ResultPath: '$.machine',
          End: true,
        },
        Missing: { Type: 'Pass', End: true },
      },
    }),
    Stamps: {
      Type: 'AWS::StepFunctions::StateMachine',
      Properties: {
        DefinitionString: JSON.stringify({
          StartAt: 'Until',
          States: {
            Until: { Type: 'Wait', TimestampPath: '$.until', Next: 'Fixed' },
            Fixed: { Type: 'Wait', Timestamp: '${FixedTime}', Next: 'Tick' },
            Tick: {
              Type: 'Task',
              Resource: '${StepArn}',
              Parameters: {
                action: 'tick',
                state: { round: 0, ticks: [] },
              },
              ResultSelector: { 'tick.$': '$.ticks[0]' },
              ResultPath: '$.tick',
              Next: 'Report',
            },
            Report: {
              Type: 'Pass',
              Parameters: { 'startTime.$': '$$.Execution.StartTime' },
              ResultPath: '$.report',
              End: true,
            },
          },
        }),
        DefinitionSubstitutions: { FixedTime: '2031-03-01T00:00:00Z', StepArn: STEP },
      },
    },
    TimedOut: machine({
      TimeoutSeconds: 3600,
      StartAt: 'Long',
      States: { Long: { Type: 'Wait', Seconds: 7200, End: true } },
    }),
    Unsupported: machine({
      StartAt: 'Put',
      States: { Put: { Type: 'Task', Resource: 'arn:aws:states:::dynamodb:putItem', End: true } },
    }),
    BadWait: machine({
      StartAt: 'W',
      States: { W: { Type: 'Wait', SecondsPath: '$.missing', End: true } },
    }),
    Bare: machine({ StartAt: 'Stop', States: { Stop: { Type: 'Fail' } } }),
    Spin: machine({
      StartAt: 'Spin',
      States: {
        Spin: { Type: 'Pass', Next: 'Again' },
        Again: {
          Type: 'Choice',
          Choices: [{ Variable: '$.stop', BooleanEquals: true, Next: 'Stop' }],
          Default: 'Spin',
        },
        Stop: { Type: 'Succeed' },
      },
    }),
    Big: machine({
      StartAt: 'Grow',
      States: { Grow: { Type: 'Pass', Result: { blob: 'x'.repeat(300_000) }, End: true } },
    }),
    Branches: machine({
      StartAt: 'Both',
      States: {
        Both: {
          Type: 'Parallel',
          Branches: [
            { StartAt: 'Hour', States: { Hour: { Type: 'Wait', Seconds: 3600, End: true } } },
            {
              StartAt: 'Each',
              States: {
                Each: {
                  Type: 'Map',
                  ItemsPath: '$.waits',
                  ItemProcessor: {
                    StartAt: 'Nap',
                    States: {
                      Nap: { Type: 'Wait', SecondsPath: '$', Next: 'Item' },
                      Item: {
                        Type: 'Task',
                        Resource: STEP,
                        Parameters: { action: 'item', 'item.$': '$' },
                        End: true,
                      },
                    },
                  },
                  End: true,
                },
              },
            },
          ],
          End: true,
        },
      },
    }),
  },
};

let sandbox: TestSandbox;
const arn = (logicalId: string): string => sandbox.stack.stateMachineArns[logicalId] ?? '';

beforeAll(async () => {
  // The hand-written template declares no roles: authorization is not what these tests are about.
  sandbox = await createSandbox(TEMPLATE, { authorization: false });
});

afterAll(async () => {
  await sandbox.close();
});

async function run(logicalId: string, input: unknown) {
  const executionArn = await sandbox.start(arn(logicalId), input);
  await sandbox.scheduler.runUntilIdle();
  return { executionArn, described: await sandbox.describe(executionArn) };
}

describe('the runner beyond the fixture app', () => {
  it('waits until timestamps on the sandbox clock and reads StartTime in sandbox time', async () => {
    const t0 = sandbox.clock.now();
    const { executionArn, described } = await run('Stamps', { until: '2031-02-01T00:00:00Z' });

    expect(described.status).toBe('SUCCEEDED');
    expect(JSON.parse(described.output ?? '{}')).toEqual({
      until: '2031-02-01T00:00:00Z',
      tick: { tick: '2031-03-01T00:00:00.000Z' },
      report: { startTime: t0.toISOString() },
    });
    const exits = (await sandbox.history(executionArn)).filter((e) => e.type === 'WaitStateExited');
    expect(exits.map((e) => e.timestamp?.toISOString())).toEqual([
      '2031-02-01T00:00:00.000Z',
      '2031-03-01T00:00:00.000Z',
    ]);
  });

  it('calls AWS SDK integrations on the emulator, naming their errors <Service>.<Code>Exception', async () => {
    sandbox.emulator.seed.user({ userName: 'alice' });

    const found = await run('Sdk', { userName: 'alice' });
    const missing = await run('Sdk', { userName: 'nobody' });

    expect(JSON.parse(found.described.output ?? '{}')).toEqual({
      arn: 'arn:aws:iam::123456789012:user/alice',
      machine: { name: 'Sdk', type: 'STANDARD' },
    });
    const error = (
      JSON.parse(missing.described.output ?? '{}') as { error: Record<string, string> }
    ).error;
    expect(error.Error).toBe('Iam.NoSuchEntityException');
    expect(error.Cause).toMatch(/nobody.*\(Service: Iam, Status Code: 404, Request ID: /);
    const scheduled = (await sandbox.history(found.executionArn)).find(
      (e) => e.type === 'TaskScheduled',
    );
    expect(scheduled?.taskScheduledEventDetails).toEqual({
      resourceType: 'aws-sdk:iam',
      resource: 'getUser',
      region: 'us-east-1',
      parameters: '{"UserName":"alice"}',
    });
  });

  it('times an execution out after its TimeoutSeconds of sandbox time', async () => {
    const t0 = sandbox.clock.now();
    const { described } = await run('TimedOut', {});

    expect(['TIMED_OUT', 'FAILED']).toContain(described.status);
    expect(described.error).toBe('States.Timeout');
    expect(secondsSince(t0, sandbox.clock.now())).toBe(3600);
    expect(sandbox.scheduler.pendingTimers).toBe(0);
  });

  it('fails with States.Runtime, saying why, on what the sandbox or ASL cannot run', async () => {
    const unsupported = await run('Unsupported', {});
    const badWait = await run('BadWait', {});

    expect(unsupported.described).toMatchObject({
      status: 'FAILED',
      error: 'States.Runtime',
      cause: 'The sandbox cannot run Task resource arn:aws:states:::dynamodb:putItem',
    });
    expect(badWait.described).toMatchObject({ status: 'FAILED', error: 'States.Runtime' });
    expect(badWait.described.cause).toContain('SecondsPath');
  });

  it('fails without error or cause when a Fail state names neither', async () => {
    const { executionArn, described } = await run('Bare', {});

    expect(described.status).toBe('FAILED');
    expect(described).not.toHaveProperty('error');
    expect(described).not.toHaveProperty('cause');
    expect((await sandbox.history(executionArn)).at(-1)?.executionFailedEventDetails).toEqual({});
  });
});

describe('Step Functions quotas', () => {
  it('fails an execution that reaches 25,000 history events with States.Runtime', async () => {
    const { executionArn, described } = await run('Spin', { stop: false });

    expect(described).toMatchObject({ status: 'FAILED', error: 'States.Runtime' });
    expect(described.cause).toContain('maximum number of history events (25000)');
    const events = await sandbox.history(executionArn);
    expect(events).toHaveLength(25_000);
    expect(events.at(-1)?.type).toBe('ExecutionFailed');
  });

  it('fails a state whose output exceeds 256 KiB with States.DataLimitExceeded', async () => {
    const { executionArn, described } = await run('Big', {});

    expect(described).toMatchObject({ status: 'FAILED', error: 'States.DataLimitExceeded' });
    expect(described.cause).toContain("'Grow'");
    expect((await sandbox.history(executionArn)).map((e) => e.type)).toEqual([
      'ExecutionStarted',
      'PassStateEntered',
      'ExecutionFailed',
    ]);
  });
});

describe('waits inside Parallel branches and Map iterations', () => {
  it('runs them side by side in sandbox time', async () => {
    const t0 = sandbox.clock.now();
    const { executionArn, described } = await run('Branches', { waits: [1800, 5400] });

    expect(described.status).toBe('SUCCEEDED');
    const [hour, items] = JSON.parse(described.output ?? '[]') as [unknown, { at: string }[]];
    expect(hour).toEqual({ waits: [1800, 5400] });
    expect(items.map((item) => secondsSince(t0, item.at))).toEqual([1800, 5400]);
    expect(secondsSince(t0, described.stopDate)).toBe(5400);
    const types = (await sandbox.history(executionArn)).map((e) => e.type);
    expect(types.filter((t) => t === 'WaitStateExited')).toHaveLength(3);
    expect(types).toEqual(
      expect.arrayContaining([
        'ParallelStateStarted',
        'ParallelStateSucceeded',
        'MapStateSucceeded',
      ]),
    );
  });
});

describe('deploying again', () => {
  it('is idempotent on the same emulator', async () => {
    const again = await sandbox.runner.deployTemplate(TEMPLATE);

    expect(again.stateMachineArns).toEqual(sandbox.stack.stateMachineArns);
  });

  it('refuses an environment that handlers already loaded in this process would not see', async () => {
    const clock = new SandboxClock();
    const other = new Emulator({ clock });
    await other.start();
    try {
      const runner = new Runner({
        emulator: other,
        clock,
        scheduler: new Scheduler(clock),
        repoRoot: REPO_ROOT,
      });

      await expect(runner.deployTemplate(TEMPLATE)).rejects.toThrow(
        /Handler modules in this process were loaded against http:\/\/127\.0\.0\.1:\d+ and keep their SDK clients; they cannot reach /,
      );
    } finally {
      await other.stop();
    }
  });
});
