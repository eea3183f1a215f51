import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { synthTemplate } from '../../../sandbox/runner';
import { FIXTURE_STACK, fixtureApp } from './fixtures/app';
import { DAY_SECONDS, createSandbox, secondsSince, type TestSandbox } from './fixtures/sandbox';

let sandbox: TestSandbox;
let mainArn: string;
let relayArn: string;

interface MainOutput {
  ticks: string[];
  flakyAttempts: number;
  flakyAt: string;
  itemResults?: { item: number; doubled: number }[];
}

beforeAll(async () => {
  sandbox = await createSandbox(synthTemplate(fixtureApp(), FIXTURE_STACK));
  mainArn = sandbox.stack.stateMachineArns.main ?? '';
  relayArn = sandbox.stack.stateMachines.find((m) => m.alias === undefined)?.arn ?? '';
});

afterAll(async () => {
  await sandbox.close();
});

async function runToEnd(arn: string, input: unknown): Promise<{ executionArn: string; t0: Date }> {
  const t0 = sandbox.clock.now();
  const executionArn = await sandbox.start(arn, input);
  await sandbox.scheduler.runUntilIdle();
  return { executionArn, t0 };
}

async function outputOf(executionArn: string): Promise<MainOutput> {
  const described = await sandbox.describe(executionArn);
  expect(described.status).toBe('SUCCEEDED');
  return JSON.parse(described.output ?? 'null') as MainOutput;
}

function lambdaInput(event: HistoryEvent): { action?: string } {
  return JSON.parse(event.lambdaFunctionScheduledEventDetails?.input ?? '{}') as {
    action?: string;
  };
}

describe('deployTemplate', () => {
  it('resolves the synthesized definitions to plain ASL JSON that names the sandbox functions', () => {
    const { stateMachines, functions, topicArns } = sandbox.stack;
    const step = functions.find((f) => f.handlerPath?.endsWith('step-handler.ts'));
    const probe = functions.find((f) => f.handlerPath?.endsWith('probe-handler.ts'));

    expect(stateMachines).toHaveLength(2);
    for (const machine of stateMachines) {
      expect(() => JSON.parse(machine.definition) as unknown).not.toThrow();
      expect(machine.definition).not.toMatch(/Fn::|"Ref"/);
    }
    const main = stateMachines.find((m) => m.alias === 'main');
    const states = (
      JSON.parse(main?.definition ?? '{}') as { States: Record<string, { Resource?: string }> }
    ).States;
    expect(states.Begin?.Resource).toBe(step?.functionArn);
    expect(step?.functionArn).toMatch(/^arn:aws:lambda:us-east-1:123456789012:function:Step/);
    expect(probe?.environment.MAIN_STATE_MACHINE_ARN).toBe(mainArn);
    expect(probe?.environment.TOPIC_ARN).toBe(Object.values(topicArns)[0]);
    expect(probe?.environment.KEY_ARN).toMatch(
      /^arn:aws:kms:us-east-1:123456789012:key\/[0-9a-f-]{36}$/,
    );
    expect(probe?.environment.BUS_NAME).toBe('fixture-bus');
  });
});

describe('running the synthesized state machine', () => {
  it('runs to SUCCEEDED with the real handlers, each seeing the sandbox time it ran at', async () => {
    const { executionArn, t0 } = await runToEnd(mainArn, {
      waitSeconds: 7 * DAY_SECONDS,
      rounds: 2,
      items: [1, 2, 3],
    });

    const output = await outputOf(executionArn);
    expect(output.ticks.map((tick) => secondsSince(t0, tick) / DAY_SECONDS)).toEqual([7, 14]);
    expect(output.flakyAttempts).toBe(3);
    expect(secondsSince(t0, output.flakyAt)).toBe(14 * DAY_SECONDS + 40);
    expect(output.itemResults?.map((r) => r.doubled)).toEqual([2, 4, 6]);
    expect(secondsSince(t0, sandbox.clock.now())).toBe(14 * DAY_SECONDS + 40);
  });

  it('passes a 7-day Wait in well under a second of real time', async () => {
    await runToEnd(mainArn, { waitSeconds: 60, rounds: 1 }); // warm: handler modules loaded
    const real = Date.now();

    const { executionArn, t0 } = await runToEnd(mainArn, {
      waitSeconds: 7 * DAY_SECONDS,
      rounds: 1,
    });

    expect(Date.now() - real).toBeLessThan(1000);
    const output = await outputOf(executionArn);
    expect(output.ticks.map((tick) => secondsSince(t0, tick))).toEqual([7 * DAY_SECONDS]);
  });

  it('retries with the backoff interval passing in sandbox time', async () => {
    const { executionArn, t0 } = await runToEnd(mainArn, { waitSeconds: 60, rounds: 1 });

    const events = await sandbox.history(executionArn);
    const flaky = events.filter(
      (e) => e.type === 'LambdaFunctionScheduled' && lambdaInput(e).action === 'flaky',
    );
    const failures = events.filter((e) => e.type === 'LambdaFunctionFailed');
    expect(flaky.map((e) => secondsSince(t0, e.timestamp))).toEqual([60, 70, 100]);
    expect(failures.map((e) => e.lambdaFunctionFailedEventDetails?.error)).toEqual([
      'FlakyError',
      'FlakyError',
    ]);
  });

  it('reaches the Fail state with the caught error and cause, and fails the execution', async () => {
    const { executionArn } = await runToEnd(mainArn, { waitSeconds: 60, rounds: 1, boom: true });

    const described = await sandbox.describe(executionArn);
    expect(described.status).toBe('FAILED');
    expect(described.error).toBe('BoomError');
    const cause = JSON.parse(described.cause ?? '{}') as Record<string, unknown>;
    expect(cause).toEqual({
      errorType: 'BoomError',
      errorMessage: `boom for ${described.name}`,
      trace: expect.arrayContaining([`BoomError: boom for ${described.name}`]) as unknown,
    });
    const events = await sandbox.history(executionArn);
    const types = events.map((e) => e.type);
    expect(types.filter((t) => t === 'LambdaFunctionFailed')).toHaveLength(1);
    expect(types.slice(-2)).toEqual(['FailStateEntered', 'ExecutionFailed']);
    expect(events.at(-1)?.executionFailedEventDetails).toEqual({
      error: 'BoomError',
      cause: described.cause,
    });
  });

  it('writes AWS-shaped history events, each task attempt between its state events', async () => {
    const { executionArn } = await runToEnd(mainArn, {
      waitSeconds: 3600,
      rounds: 1,
      items: [1, 2],
    });

    const events = await sandbox.history(executionArn);
    expect(events.map((e) => e.id)).toEqual(events.map((_, i) => i + 1));
    expect(events[0]).toMatchObject({ type: 'ExecutionStarted', previousEventId: 0 });
    expect(events[1]).toMatchObject({ type: 'TaskStateEntered', previousEventId: 0 });
    expect(events.at(-1)?.type).toBe('ExecutionSucceeded');
    const times = events.map((e) => e.timestamp?.getTime() ?? NaN);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(events.slice(1, 6).map((e) => e.type)).toEqual([
      'TaskStateEntered',
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionSucceeded',
      'TaskStateExited',
    ]);
    for (const event of events.filter((e) => e.type?.endsWith('StateEntered'))) {
      expect(event.stateEnteredEventDetails).toEqual({
        name: expect.any(String) as unknown,
        input: expect.any(String) as unknown,
        inputDetails: { truncated: false },
      });
    }
    const open = new Map<string, number>();
    const stateOf: Record<string, string> = {
      begin: 'Begin',
      tick: 'Tick',
      flaky: 'Flaky',
      item: 'Item',
    };
    for (const event of events) {
      const name =
        event.stateEnteredEventDetails?.name ?? event.stateExitedEventDetails?.name ?? '';
      if (event.type === 'TaskStateEntered') open.set(name, (open.get(name) ?? 0) + 1);
      if (event.type === 'TaskStateExited') open.set(name, (open.get(name) ?? 0) - 1);
      if (event.type === 'LambdaFunctionScheduled') {
        expect(open.get(stateOf[lambdaInput(event).action ?? ''] ?? '')).toBeGreaterThan(0);
      }
    }
    const wait = events.filter((e) => e.type?.startsWith('WaitState'));
    expect(wait.map((e) => e.type)).toEqual(['WaitStateEntered', 'WaitStateExited']);
    expect(secondsSince(wait[0]?.timestamp ?? new Date(NaN), wait[1]?.timestamp)).toBe(3600);
    const map = events.filter((e) => e.type?.startsWith('Map'));
    expect(map.map((e) => e.type)).toEqual([
      'MapStateEntered',
      'MapStateStarted',
      'MapIterationStarted',
      'MapIterationStarted',
      'MapIterationSucceeded',
      'MapIterationSucceeded',
      'MapStateSucceeded',
      'MapStateExited',
    ]);
    expect(map[1]?.mapStateStartedEventDetails).toEqual({ length: 2 });
  });

  it('interleaves two concurrent executions with different waits on the shared clock', async () => {
    const t0 = sandbox.clock.now();
    // The test is a participant too: it holds the clock until both executions have started.
    const release = sandbox.scheduler.activity();
    const a = await sandbox.start(mainArn, { waitSeconds: 3600, rounds: 2 });
    const b = await sandbox.start(mainArn, { waitSeconds: 5400, rounds: 1 });
    release();
    await sandbox.scheduler.runUntilIdle();

    const [outA, outB] = [await outputOf(a), await outputOf(b)];
    expect(outA.ticks.map((tick) => secondsSince(t0, tick))).toEqual([3600, 7200]);
    expect(outB.ticks.map((tick) => secondsSince(t0, tick))).toEqual([5400]);
    expect(secondsSince(t0, outA.flakyAt)).toBe(7240);
    expect(secondsSince(t0, outB.flakyAt)).toBe(5440);
    const [descA, descB] = [await sandbox.describe(a), await sandbox.describe(b)];
    expect(secondsSince(t0, descB.stopDate)).toBe(5440);
    expect(secondsSince(t0, descA.stopDate)).toBe(7240);
  });
});

describe('operating sandbox time', () => {
  afterEach(() => sandbox.scheduler.setMode('auto'));

  it('in manual mode moves time only on request, through the API or the control route', async () => {
    sandbox.scheduler.setMode('manual');
    const t0 = sandbox.clock.now();
    const arn = await sandbox.start(mainArn, { waitSeconds: 3600, rounds: 1 });
    await sandbox.scheduler.runUntilIdle();
    const lastType = async () => (await sandbox.history(arn)).at(-1)?.type;

    expect((await sandbox.describe(arn)).status).toBe('RUNNING');
    expect(await lastType()).toBe('WaitStateEntered');
    expect(sandbox.clock.now()).toEqual(t0);

    await sandbox.scheduler.advance(1_800_000);
    expect(await lastType()).toBe('WaitStateEntered');

    const clockUrl = `${sandbox.emulator.endpoint}/_sandbox/clock`;
    const response = await fetch(clockUrl, { method: 'POST', body: '{"advanceSeconds":1800}' });
    expect(await response.json()).toMatchObject({ mode: 'manual', pendingTimers: 1 });
    expect(await lastType()).toBe('LambdaFunctionFailed'); // the first Flaky attempt, awaiting retry
    expect(secondsSince(t0, sandbox.clock.now())).toBe(3600);

    await sandbox.scheduler.advance(40_000);
    const output = await outputOf(arn);
    expect(secondsSince(t0, output.flakyAt)).toBe(3640);
    expect(await (await fetch(clockUrl)).json()).toEqual({
      now: new Date(t0.getTime() + 3_640_000).toISOString(),
      mode: 'manual',
      pendingTimers: 0,
    });
  });

  it('stops a waiting execution on StopExecution and drops its timer', async () => {
    sandbox.scheduler.setMode('manual');
    const t0 = sandbox.clock.now();
    const arn = await sandbox.start(mainArn, { waitSeconds: 7 * DAY_SECONDS, rounds: 1 });
    await sandbox.scheduler.runUntilIdle();
    expect(sandbox.scheduler.pendingTimers).toBe(1);

    await sandbox.stop(arn);
    sandbox.scheduler.setMode('auto');
    await sandbox.scheduler.runUntilIdle();

    expect((await sandbox.describe(arn)).status).toBe('ABORTED');
    expect(sandbox.scheduler.pendingTimers).toBe(0);
    expect(sandbox.runner.runningExecutions).not.toContain(arn);
    expect(sandbox.clock.now()).toEqual(t0);
    expect((await sandbox.history(arn)).map((e) => e.type).slice(-2)).toEqual([
      'WaitStateEntered',
      'ExecutionAborted',
    ]);
  });
});

describe('lambda:invoke and the handlers environment', () => {
  it('returns the Invoke API shape, and handlers reach the emulator with the deployed environment', async () => {
    const { executionArn } = await runToEnd(relayArn, { note: 'hi' });

    const described = await sandbox.describe(executionArn);
    expect(described.status).toBe('SUCCEEDED');
    const output = JSON.parse(described.output ?? '{}') as Record<string, unknown>;
    expect(output).toMatchObject({
      ExecutedVersion: '$LATEST',
      StatusCode: 200,
      SdkHttpMetadata: { HttpStatusCode: 200 },
      Payload: {
        mainStateMachineArn: mainArn,
        topicArn: Object.values(sandbox.stack.topicArns)[0],
        greeting: 'hello',
      },
    });
    expect(sandbox.emulator.notifications.map((n) => [n.TopicArn, n.Message])).toContainEqual([
      Object.values(sandbox.stack.topicArns)[0],
      'probe hi',
    ]);
    const scheduled = (await sandbox.history(executionArn)).find((e) => e.type === 'TaskScheduled');
    expect(scheduled?.taskScheduledEventDetails).toMatchObject({
      resourceType: 'lambda',
      resource: 'invoke',
      region: 'us-east-1',
    });
  });

  it('keeps handler output as logs and metrics at sandbox time, without printing it', async () => {
    const write = jest.spyOn(process.stdout, 'write');
    try {
      await runToEnd(relayArn, { note: 'quiet' });
    } finally {
      write.mockRestore();
    }

    const printed = write.mock.calls.map(([chunk]) => String(chunk)).join('');
    expect(printed).not.toContain('probe published');
    const log = sandbox.runner.logs.filter((l) => l.record?.message === 'probe published').at(-1);
    expect(log).toMatchObject({
      stream: 'stdout',
      functionName: expect.stringMatching(/^Probe/) as unknown,
    });
    expect(log?.at).toEqual(sandbox.clock.now());
    expect(sandbox.runner.metrics.at(-1)).toMatchObject({
      namespace: 'fixture',
      name: 'ProbeRuns',
      unit: 'Count',
      value: 1,
      dimensions: { service: 'fixture' },
    });
  });
});
