import {
  DescribeExecutionCommand,
  ListExecutionsCommand,
  StartExecutionCommand,
  type ExecutionStatus,
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
        .on(DescribeExecutionCommand)
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
      message: 'REKEY_ROTATION_STATE_MACHINE_ARN is not set',
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

  it('does not count a rotation of an older key of the user as its own', async () => {
    givenReport([{ name: 'alice', keys: [{ age: 85 }] }]);
    givenRunning([expectedName('alice', 200)]);

    const summary = await runScan(h, { dryRun: false }, fleet(5));

    expect(starts().map((s) => s.name)).toEqual([expectedName('alice', 85)]);
    expect(summary.counts.started).toBe(1);
  });
});
