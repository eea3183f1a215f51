import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import type {
  ExecutionRecord,
  ExecutionRunner,
  StateMachineRecord,
} from '../../../sandbox/contracts';
import type { Emulator } from '../../../sandbox/emulator';
import { clientConfig, failure, signedFetch, startEmulator, type TestClock } from './helpers';

const DEFINITION = JSON.stringify({ StartAt: 'P', States: { P: { Type: 'Pass', End: true } } });
const ROLE = 'arn:aws:iam::123456789012:role/rekey';

class FakeRunner implements ExecutionRunner {
  readonly runs: { execution: ExecutionRecord; stateMachine: StateMachineRecord }[] = [];
  readonly aborted: string[] = [];
  run(execution: ExecutionRecord, stateMachine: StateMachineRecord): void {
    this.runs.push({ execution, stateMachine });
  }
  abort(executionArn: string): void {
    this.aborted.push(executionArn);
  }
}

let emulator: Emulator;
let clock: TestClock;
let sfn: SFNClient;
let runner: FakeRunner;
let machineArn: string;

const nextTick = () => new Promise((resolve) => setImmediate(resolve));

beforeEach(async () => {
  runner = new FakeRunner();
  ({ emulator, clock } = await startEmulator({ runner }));
  sfn = new SFNClient(clientConfig(emulator));
  const created = await sfn.send(
    new CreateStateMachineCommand({ name: 'rotate', definition: DEFINITION, roleArn: ROLE }),
  );
  machineArn = created.stateMachineArn ?? '';
});
afterEach(() => emulator.stop());

const start = (name: string, input?: string) =>
  sfn.send(new StartExecutionCommand({ stateMachineArn: machineArn, name, input }));

describe('state machines', () => {
  it('creates, describes and lists; the same settings again is idempotent', async () => {
    expect(machineArn).toBe('arn:aws:states:us-east-1:123456789012:stateMachine:rotate');
    const again = await sfn.send(
      new CreateStateMachineCommand({
        name: 'rotate',
        definition: DEFINITION,
        roleArn: 'arn:aws:iam::123456789012:role/other',
      }),
    );
    expect(again.creationDate).toEqual(new Date('2026-03-01T10:00:00Z'));
    const different = await failure(
      sfn.send(
        new CreateStateMachineCommand({
          name: 'rotate',
          definition: DEFINITION,
          roleArn: ROLE,
          type: 'EXPRESS',
        }),
      ),
    );
    expect(different.name).toBe('StateMachineAlreadyExists');
    const described = await sfn.send(
      new DescribeStateMachineCommand({ stateMachineArn: machineArn }),
    );
    expect(described).toMatchObject({
      name: 'rotate',
      definition: DEFINITION,
      roleArn: ROLE,
      type: 'STANDARD',
      status: 'ACTIVE',
    });
    const listed = await sfn.send(new ListStateMachinesCommand({}));
    expect(listed.stateMachines).toEqual([
      {
        stateMachineArn: machineArn,
        name: 'rotate',
        type: 'STANDARD',
        creationDate: new Date('2026-03-01T10:00:00Z'),
      },
    ]);
  });
});

describe('executions', () => {
  it('starts an execution, records ExecutionStarted and hands it to the runner asynchronously', async () => {
    const started = await start('alice-1', '{"userName":"alice"}');
    const arn = 'arn:aws:states:us-east-1:123456789012:execution:rotate:alice-1';
    expect(started).toMatchObject({
      executionArn: arn,
      startDate: new Date('2026-03-01T10:00:00Z'),
    });
    await nextTick();
    expect(runner.runs).toHaveLength(1);
    expect(runner.runs[0]?.stateMachine.definition).toBe(DEFINITION);
    expect(runner.runs[0]?.execution.input).toBe('{"userName":"alice"}');
    const history = await sfn.send(new GetExecutionHistoryCommand({ executionArn: arn }));
    expect(history.events).toEqual([
      {
        timestamp: new Date('2026-03-01T10:00:00Z'),
        type: 'ExecutionStarted',
        id: 1,
        previousEventId: 0,
        executionStartedEventDetails: {
          input: '{"userName":"alice"}',
          inputDetails: { truncated: false },
          roleArn: ROLE,
        },
      },
    ]);
  });

  it('defaults the name to a uuid and the input to {}', async () => {
    const started = await sfn.send(new StartExecutionCommand({ stateMachineArn: machineArn }));
    expect(started.executionArn).toMatch(/:execution:rotate:[0-9a-f-]{36}$/);
    const described = await sfn.send(
      new DescribeExecutionCommand({ executionArn: started.executionArn }),
    );
    expect(described.input).toBe('{}');
    expect(described.status).toBe('RUNNING');
  });

  it('applies the idempotency table: same running input returns the original, otherwise ExecutionAlreadyExists', async () => {
    const first = await start('dup', '{"a":1}');
    clock.advance(5);
    const same = await start('dup', '{"a":1}');
    expect(same.startDate).toEqual(first.startDate);
    expect(emulator.state.executions).toHaveLength(1);
    const different = await failure(start('dup', '{"a":2}'));
    expect(different.name).toBe('ExecutionAlreadyExists');
    expect(different.message).toBe(`Execution Already Exists: '${first.executionArn}'`);
    emulator.executions.succeed(first.executionArn ?? '', '{"done":true}');
    const closed = await failure(start('dup', '{"a":1}'));
    expect(closed.name).toBe('ExecutionAlreadyExists');
  });

  it('validates names, input and ARNs', async () => {
    expect((await failure(start('has space'))).name).toBe('InvalidName');
    expect((await failure(start('x'.repeat(81)))).name).toBe('InvalidName');
    expect((await failure(start('ok', '{not json'))).name).toBe('InvalidExecutionInput');
    const wrongType = await failure(
      sfn.send(new DescribeExecutionCommand({ executionArn: machineArn })),
    );
    expect(wrongType.name).toBe('InvalidArn');
    expect(wrongType.message).toBe(
      "Invalid Arn: 'Resource type not valid in this context: stateMachine'",
    );
    const unknownMachine = await failure(
      sfn.send(new StartExecutionCommand({ stateMachineArn: `${machineArn}x` })),
    );
    expect(unknownMachine.name).toBe('StateMachineDoesNotExist');
    const unknown = await failure(
      sfn.send(
        new DescribeExecutionCommand({
          executionArn: 'arn:aws:states:us-east-1:123456789012:execution:rotate:nope',
        }),
      ),
    );
    expect(unknown.name).toBe('ExecutionDoesNotExist');
    expect(unknown.$metadata.httpStatusCode).toBe(400);
  });

  it('lets the runner append events and finish; ids and previous ids are assigned', async () => {
    const { executionArn = '' } = await start('run');
    clock.advance(2);
    emulator.executions.appendEvent(executionArn, {
      type: 'PassStateEntered',
      timestamp: clock.now(),
      previousEventId: 0,
      stateEnteredEventDetails: { name: 'P', input: '{}', inputDetails: { truncated: false } },
    });
    emulator.executions.appendEvent(executionArn, {
      type: 'PassStateExited',
      timestamp: clock.now(),
      stateExitedEventDetails: {
        name: 'P',
        output: '{"ok":1}',
        outputDetails: { truncated: false },
      },
    });
    emulator.executions.succeed(executionArn, '{"ok":1}');
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    expect(described).toMatchObject({
      status: 'SUCCEEDED',
      output: '{"ok":1}',
      stopDate: new Date('2026-03-01T10:00:02Z'),
    });
    const history = await sfn.send(new GetExecutionHistoryCommand({ executionArn }));
    expect(history.events?.map((e) => [e.id, e.previousEventId, e.type])).toEqual([
      [1, 0, 'ExecutionStarted'],
      [2, 0, 'PassStateEntered'],
      [3, 2, 'PassStateExited'],
      [4, 3, 'ExecutionSucceeded'],
    ]);
    const reversed = await sfn.send(
      new GetExecutionHistoryCommand({
        executionArn,
        reverseOrder: true,
        maxResults: 3,
        includeExecutionData: false,
      }),
    );
    expect(reversed.events?.map((e) => e.id)).toEqual([4, 3, 2]);
    expect(reversed.events?.[0]?.executionSucceededEventDetails).toEqual({
      outputDetails: { truncated: false },
    });
    const rest = await sfn.send(
      new GetExecutionHistoryCommand({
        executionArn,
        reverseOrder: true,
        maxResults: 3,
        nextToken: reversed.nextToken,
      }),
    );
    expect(rest.events?.map((e) => e.id)).toEqual([1]);
    expect(rest.nextToken).toBeUndefined();
  });

  it('records a failure with error and cause', async () => {
    const { executionArn = '' } = await start('fails');
    emulator.executions.fail(executionArn, 'TwoActiveKeysError', 'alice has two active keys');
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    expect(described).toMatchObject({
      status: 'FAILED',
      error: 'TwoActiveKeysError',
      cause: 'alice has two active keys',
    });
    expect(described.output).toBeUndefined();
  });

  it('stops a running execution: ABORTED, ExecutionAborted, runner.abort, later sink calls ignored', async () => {
    const { executionArn = '' } = await start('stop-me');
    clock.advance(7);
    const stopped = await sfn.send(
      new StopExecutionCommand({ executionArn, error: 'Op', cause: 'manual' }),
    );
    expect(stopped.stopDate).toEqual(new Date('2026-03-01T10:00:07Z'));
    expect(runner.aborted).toEqual([executionArn]);
    emulator.executions.succeed(executionArn, '{}');
    emulator.executions.appendEvent(executionArn, {
      type: 'PassStateEntered',
      timestamp: clock.now(),
    });
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    expect(described).toMatchObject({ status: 'ABORTED', error: 'Op', cause: 'manual' });
    const history = await sfn.send(new GetExecutionHistoryCommand({ executionArn }));
    expect(history.events?.map((e) => e.type)).toEqual(['ExecutionStarted', 'ExecutionAborted']);
    expect(history.events?.[1]?.executionAbortedEventDetails).toEqual({
      error: 'Op',
      cause: 'manual',
    });
  });

  it('lists executions newest first with a status filter and pagination', async () => {
    await start('e1');
    clock.advance(1);
    const { executionArn: e2 = '' } = await start('e2');
    clock.advance(1);
    await start('e3');
    clock.advance(1);
    emulator.executions.succeed(e2, '{}');
    const all = await sfn.send(new ListExecutionsCommand({ stateMachineArn: machineArn }));
    expect(all.executions?.map((e) => e.name)).toEqual(['e2', 'e3', 'e1']);
    const running = await sfn.send(
      new ListExecutionsCommand({
        stateMachineArn: machineArn,
        statusFilter: 'RUNNING',
        maxResults: 1,
      }),
    );
    expect(running.executions?.map((e) => e.name)).toEqual(['e3']);
    const more = await sfn.send(
      new ListExecutionsCommand({
        stateMachineArn: machineArn,
        statusFilter: 'RUNNING',
        nextToken: running.nextToken,
      }),
    );
    expect(more.executions?.map((e) => e.name)).toEqual(['e1']);
    const bad = await failure(
      sfn.send(new ListExecutionsCommand({ stateMachineArn: machineArn, nextToken: 'garbage' })),
    );
    expect(bad.name).toBe('InvalidToken');
  });

  it('keeps a new execution RUNNING when no runner is set, and runs with a runner set later', async () => {
    await emulator.stop();
    ({ emulator, clock } = await startEmulator());
    sfn = new SFNClient(clientConfig(emulator));
    const created = await sfn.send(
      new CreateStateMachineCommand({ name: 'm', definition: DEFINITION, roleArn: ROLE }),
    );
    machineArn = created.stateMachineArn ?? '';
    await start('lonely');
    await nextTick();
    expect(emulator.state.executions[0]?.status).toBe('RUNNING');
    const later = new FakeRunner();
    emulator.setRunner(later);
    await start('second');
    await nextTick();
    expect(later.runs.map((r) => r.execution.name)).toEqual(['second']);
  });

  it('answers model errors in the Step Functions __type form with a lowercase message', async () => {
    const response = await signedFetch(emulator, {
      service: 'states',
      target: 'AWSStepFunctions.DescribeExecution',
      contentType: 'application/x-amz-json-1.0',
      body: JSON.stringify({
        executionArn: `${machineArn.replace('stateMachine', 'execution')}:nope`,
      }),
    });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toBe('application/x-amz-json-1.0');
    expect(await response.json()).toEqual({
      __type: 'com.amazonaws.swf.service.v2.model#ExecutionDoesNotExist',
      message: `Execution Does Not Exist: '${machineArn.replace('stateMachine', 'execution')}:nope'`,
    });
    const unknown = await signedFetch(emulator, {
      service: 'states',
      target: 'AWSStepFunctions.Frobnicate',
      contentType: 'application/x-amz-json-1.0',
      body: '{}',
    });
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as { __type: string }).__type).toMatch(
      /#UnknownOperationException$/,
    );
  });
});
