import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  StartExecutionCommand,
  type ExecutionStatus,
  type StartExecutionCommandInput,
} from '@aws-sdk/client-sfn';
import { failure, jsonError, NOW, STATE_MACHINE } from '../helpers';
import {
  expectedName,
  givenReport,
  givenRunning,
  resetHarness,
  rotationArn,
  runScan,
  sfn,
  starts,
  type Harness,
} from './harness';

let h: Harness;
beforeEach(() => {
  h = resetHarness();
});
afterEach(() => jest.restoreAllMocks());

const YESTERDAY = new Date(NOW.getTime() - 86_400_000);
const alreadyExists = (name: string): Error =>
  jsonError('ExecutionAlreadyExists', 400, `Execution Already Exists: '${rotationArn(name)}'`);

describe('scan: starting rotations', () => {
  it('starts one rotation per due user under its deterministic name, oldest key first', async () => {
    givenReport([
      { name: 'due-81', keys: [{ age: 81 }] },
      { name: 'fine', keys: [{ age: 5 }] },
      { name: 'overdue-95', keys: [{ age: 95 }] },
      { name: 'two-keys', keys: [{ age: 88 }, { age: 2 }] },
    ]);

    const summary = await runScan(h);

    // Two active keys are started too: Inspect resumes an interrupted rotation or refuses.
    expect(starts()).toEqual([
      {
        stateMachineArn: STATE_MACHINE,
        name: expectedName('overdue-95', 95),
        input: JSON.stringify({
          userName: 'overdue-95',
          mode: 'scheduled',
          requestedBy: 'rekey fleet scan',
        }),
      },
      {
        stateMachineArn: STATE_MACHINE,
        name: expectedName('two-keys', 88),
        input: JSON.stringify({
          userName: 'two-keys',
          mode: 'scheduled',
          requestedBy: 'rekey fleet scan',
        }),
      },
      {
        stateMachineArn: STATE_MACHINE,
        name: expectedName('due-81', 81),
        input: JSON.stringify({
          userName: 'due-81',
          mode: 'scheduled',
          requestedBy: 'rekey fleet scan',
        }),
      },
    ]);
    expect(summary.counts).toMatchObject({ started: 3, inProgress: 0, deferred: 0 });
    expect(summary.users.started).toEqual(['due-81', 'overdue-95', 'two-keys']);
  });

  it('asks for the running rotations of the rotation state machine only', async () => {
    givenReport([{ name: 'due', keys: [{ age: 85 }] }]);

    await runScan(h);

    expect(sfn).toHaveReceivedCommandWith(ListExecutionsCommand, {
      stateMachineArn: STATE_MACHINE,
      statusFilter: 'RUNNING',
    });
  });

  it('starts nothing and lists nothing when no one is due', async () => {
    givenReport([{ name: 'fine', keys: [{ age: 5 }] }]);

    await runScan(h);

    expect(sfn.calls()).toEqual([]);
  });

  it('counts an idempotent start of a rotation still running as in progress', async () => {
    givenReport([{ name: 'alice', keys: [{ age: 85 }] }]);
    // Step Functions answers a repeated start (same name, same input) with the original.
    sfn.on(StartExecutionCommand).resolves({
      executionArn: rotationArn(expectedName('alice', 85)),
      startDate: YESTERDAY,
    });

    const summary = await runScan(h);

    expect(summary.counts).toMatchObject({ due: 1, started: 0, inProgress: 1 });
    expect(summary.users.inProgress).toEqual(['alice']);
  });

  it.each<[ExecutionStatus, string, string | undefined]>([
    ['RUNNING', 'inProgress', undefined],
    ['SUCCEEDED', 'recentlyRotated', undefined],
    ['FAILED', 'failed', 'CutoverDeadlineError'],
    ['ABORTED', 'failed', undefined],
    ['TIMED_OUT', 'failed', undefined],
  ])(
    'reads a closed or running execution of the same name (%s) as %s, starting nothing new',
    async (status, category, error) => {
      const name = expectedName('alice', 85);
      givenReport([{ name: 'alice', keys: [{ age: 85 }] }]);
      sfn.on(StartExecutionCommand).rejects(alreadyExists(name));
      sfn
        .on(DescribeExecutionCommand, { executionArn: rotationArn(name) })
        .resolves({ executionArn: rotationArn(name), status, error, startDate: YESTERDAY });

      const summary = await runScan(h);

      // METADATA_ONLY: the rotation's data is encrypted with the CMK the scan may not decrypt.
      expect(sfn).toHaveReceivedCommandWith(DescribeExecutionCommand, {
        executionArn: rotationArn(name),
        includedData: 'METADATA_ONLY',
      });
      expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
      expect(summary.users).toMatchObject({ [category]: ['alice'] });
      expect(summary.counts.started).toBe(0);
    },
  );

  it('lets a throttled start fail the scan retryably (starts are idempotent)', async () => {
    givenReport([{ name: 'alice', keys: [{ age: 85 }] }]);
    sfn.on(StartExecutionCommand).rejects(jsonError('ThrottlingException', 400, 'Rate exceeded'));

    const error = await failure(runScan(h));

    expect(error.name).toBe('AwsTransientError');
  });

  it('fails loudly when due users meet a deployment without the rotation state machine', async () => {
    givenReport([{ name: 'alice', keys: [{ age: 85 }] }]);

    const error = await failure(
      runScan(h, { dryRun: false }, { rotationStateMachineArn: undefined }),
    );

    expect(error).toMatchObject({
      name: 'ConfigurationError',
      message: expect.stringMatching(
        /^REKEY_ROTATION_STATE_MACHINE_ARN is not set: .* Deploy the stack again\.$/,
      ) as unknown,
    });
  });
});

describe('scan: the concurrency cap', () => {
  const fleet = (maxConcurrentRotations: number) => ({
    fleet: { maxConcurrentRotations, exemptionWarningDays: 14 },
  });

  it('starts only as many as the running rotations leave room for, oldest keys first', async () => {
    givenReport([
      { name: 'd81', keys: [{ age: 81 }] },
      { name: 'd85', keys: [{ age: 85 }] },
      { name: 'd83', keys: [{ age: 83 }] },
      { name: 'd82', keys: [{ age: 82 }] },
    ]);
    givenRunning(['on-demand-1', 'on-demand-2']);

    const summary = await runScan(h, { dryRun: false }, fleet(4));

    expect(starts().map((s) => s.name)).toEqual([expectedName('d85', 85), expectedName('d83', 83)]);
    expect(summary.counts).toMatchObject({ due: 4, started: 2, deferred: 2 });
    expect(summary.users.deferred).toEqual(['d81', 'd82']);
    expect(h.telemetry.notifications.at(-1)?.message).toContain(
      'Due but deferred by the concurrency cap (2): d81, d82',
    );
  });

  it('counts the running rotations on every page', async () => {
    givenReport([
      { name: 'd90', keys: [{ age: 90 }] },
      { name: 'd89', keys: [{ age: 89 }] },
    ]);
    sfn
      .on(ListExecutionsCommand, { nextToken: undefined })
      .resolves({
        executions: [
          {
            name: 'r1',
            executionArn: rotationArn('r1'),
            stateMachineArn: STATE_MACHINE,
            status: 'RUNNING',
            startDate: YESTERDAY,
          },
        ],
        nextToken: 'page-2',
      })
      .on(ListExecutionsCommand, { nextToken: 'page-2' })
      .resolves({
        executions: [
          {
            name: 'r2',
            executionArn: rotationArn('r2'),
            stateMachineArn: STATE_MACHINE,
            status: 'RUNNING',
            startDate: YESTERDAY,
          },
        ],
      });

    const summary = await runScan(h, { dryRun: false }, fleet(3));

    expect(sfn).toHaveReceivedCommandTimes(ListExecutionsCommand, 2);
    expect(sfn).toHaveReceivedNthCommandWith(2, ListExecutionsCommand, { nextToken: 'page-2' });
    expect(summary.counts).toMatchObject({ started: 1, deferred: 1 });
    expect(summary.users.started).toEqual(['d90']);
  });

  it('starts nothing while the cap is full', async () => {
    givenReport([{ name: 'd85', keys: [{ age: 85 }] }]);
    givenRunning(['r1', 'r2']);

    const summary = await runScan(h, { dryRun: false }, fleet(2));

    expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
    expect(summary.counts).toMatchObject({ deferred: 1, started: 0 });
  });

  it('reports a due user deferred after learning no rotation of its key ran before', async () => {
    givenReport([{ name: 'd85', keys: [{ age: 85 }] }]);
    givenRunning(['r1']);

    const summary = await runScan(h, { dryRun: false }, fleet(1));

    expect(sfn).toHaveReceivedCommandWith(DescribeExecutionCommand, {
      executionArn: rotationArn(expectedName('d85', 85)),
      includedData: 'METADATA_ONLY',
    });
    expect(summary.users.deferred).toEqual(['d85']);
  });

  it.each<[ExecutionStatus, string]>([
    ['FAILED', 'failed'],
    ['TIMED_OUT', 'failed'],
    ['SUCCEEDED', 'recentlyRotated'],
  ])(
    'still reports an earlier %s rotation of the key as %s, not deferred, while the cap is full',
    async (status, category) => {
      const name = expectedName('d85', 85);
      givenReport([{ name: 'd85', keys: [{ age: 85 }] }]);
      givenRunning(['r1']);
      sfn
        .on(DescribeExecutionCommand, { executionArn: rotationArn(name) })
        .resolves({ executionArn: rotationArn(name), status, startDate: YESTERDAY });

      const summary = await runScan(h, { dryRun: false }, fleet(1));

      expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
      expect(summary.users).toMatchObject({ [category]: ['d85'] });
      expect(summary.counts.deferred).toBe(0);
    },
  );

  it('reports its own running rotations as in progress, not deferred, while the cap is full', async () => {
    givenReport([
      { name: 'd85', keys: [{ age: 85 }] },
      { name: 'd84', keys: [{ age: 84 }] },
      { name: 'd81', keys: [{ age: 81 }] },
    ]);
    givenRunning([expectedName('d85', 85), expectedName('d84', 84)]);

    const summary = await runScan(h, { dryRun: false }, fleet(2));

    expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
    expect(summary.users.inProgress).toEqual(['d85', 'd84']);
    expect(summary.users.deferred).toEqual(['d81']);
    expect(summary.counts).toMatchObject({ started: 0, inProgress: 2, deferred: 1 });
  });

  it('reports a user in its rotation’s cutover (both keys active) as due and in progress, not refused', async () => {
    givenReport([{ name: 'cutover', keys: [{ age: 85 }, { age: 0 }] }]);
    givenRunning([expectedName('cutover', 85)]);

    const summary = await runScan(h, { dryRun: false }, fleet(1));

    expect(summary.counts).toMatchObject({ due: 1, refused: 0, inProgress: 1, deferred: 0 });
    expect(h.telemetry.notifications).toEqual([]);
  });

  it.each([
    ['a scheduled rotation of an older key', () => expectedName('alice', 200)],
    ['an on-demand rotation from the CLI', () => 'rekey-alice-20260301115959123'],
  ])('counts %s of the user as in progress, and starts nothing', async (_, name) => {
    givenReport([{ name: 'alice', keys: [{ age: 85 }] }]);
    givenRunning([name()]);

    const summary = await runScan(h, { dryRun: false }, fleet(5));

    expect(starts()).toEqual([]);
    expect(summary.counts).toMatchObject({ due: 1, inProgress: 1, started: 0, failed: 0 });
  });

  it('counts a console-started rotation of the user as in progress, from its input', async () => {
    givenReport([
      { name: 'alice', keys: [{ age: 85 }] },
      { name: 'bob', keys: [{ age: 85 }] },
    ]);
    givenRunning(['0b7c1e36-console-uuid']);
    sfn
      .on(DescribeExecutionCommand, { executionArn: rotationArn('0b7c1e36-console-uuid') })
      .resolves({ status: 'RUNNING', input: JSON.stringify({ userName: 'ALICE' }) });

    const summary = await runScan(h, { dryRun: false }, fleet(5));

    expect(starts().map((s) => s.name)).toEqual([expectedName('bob', 85)]);
    expect(summary.users.inProgress).toEqual(['alice']);
  });
});

describe('scan: an attempt that changed nothing does not use the key up', () => {
  const attempt = (n: number): string => `${expectedName('alice', 85)}${n > 1 ? `-${n}` : ''}`;
  const endedIn = (names: Record<string, [string, string]>): void => {
    sfn.on(StartExecutionCommand).callsFake((input: StartExecutionCommandInput) => {
      if (input.name && input.name in names) throw alreadyExists(input.name);
      return { executionArn: rotationArn(input.name ?? ''), startDate: NOW };
    });
    for (const [name, [status, state]] of Object.entries(names)) {
      sfn
        .on(DescribeExecutionCommand, { executionArn: rotationArn(name) })
        .resolves({ executionArn: rotationArn(name), status: status as ExecutionStatus });
      sfn.on(GetExecutionHistoryCommand, { executionArn: rotationArn(name) }).resolves({
        events: [
          {
            type: 'FailStateEntered',
            id: 9,
            timestamp: YESTERDAY,
            stateEnteredEventDetails: { name: state },
          },
        ],
      });
    }
  };

  it.each([
    ['refused (another rotation was running)', 'Refused'],
    ['failed in Inspect (throttled)', 'InspectFailed'],
    ['failed after Inspect, compensation reading the user as it was', 'RotationFailedUnchanged'],
  ])('starts attempt 2 after attempt 1 %s', async (_, state) => {
    givenReport([{ name: 'alice', keys: [{ age: 85 }] }]);
    endedIn({ [attempt(1)]: ['FAILED', state] });

    const summary = await runScan(h);

    expect(starts().map((s) => s.name)).toEqual([attempt(1), attempt(2)]);
    expect(summary.users.started).toEqual(['alice']);
    // Without data: the history's state names are metadata, readable without kms:Decrypt.
    expect(sfn).toHaveReceivedCommandWith(GetExecutionHistoryCommand, {
      executionArn: rotationArn(attempt(1)),
      includeExecutionData: false,
      reverseOrder: true,
    });
  });

  it('finds the latest of many attempts and starts the next one', async () => {
    givenReport([{ name: 'alice', keys: [{ age: 85 }] }]);
    const ended: Record<string, [string, string]> = {};
    for (let n = 1; n <= 6; n++) ended[attempt(n)] = ['FAILED', 'Refused'];
    endedIn(ended);

    const summary = await runScan(h);

    expect(starts().at(-1)?.name).toBe(attempt(7));
    expect(summary.users.started).toEqual(['alice']);
    expect(sfn.commandCalls(DescribeExecutionCommand).length).toBeLessThanOrEqual(8);
  });

  it('reports, and does not retry, an attempt that failed after changing something', async () => {
    givenReport([{ name: 'alice', keys: [{ age: 85 }] }]);
    endedIn({ [attempt(1)]: ['FAILED', 'Refused'], [attempt(2)]: ['FAILED', 'RotationFailed'] });

    const summary = await runScan(h);

    expect(starts().map((s) => s.name)).toEqual([attempt(1)]);
    expect(summary.users.failed).toEqual(['alice']);
  });
});
