/** Step Functions (awsJson1_0) executions: the registry's API. Running them is the runner's job. */
import type { ExecutionRecord, HistoryEvent } from '../contracts';
import { useKey } from './authz';
import type { CallContext, Core, JsonOperation, JsonService } from './core';
import { isRecord } from './errors';
import { uuid } from './ids';
import type { JsonObject } from './json-protocol';
import { requireArn, sfnError, sfnPage, validateInput, validateName } from './sfn-validation';
import { machineOperations } from './sfn-machines';
import { withoutUndefined, type StoredStateMachine } from './state/executions';

const STATUSES = ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'];

/** Drops execution data (input and output) from an event's details. */
function withoutData(event: HistoryEvent): JsonObject {
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(event)) {
    if (key.endsWith('EventDetails') && isRecord(value)) {
      out[key] = Object.fromEntries(
        Object.entries(value).filter(([name]) => name !== 'input' && name !== 'output'),
      );
    } else {
      out[key] = value;
    }
  }
  return out;
}

/**
 * A state machine encrypted with a customer managed key: Step Functions encrypts execution data
 * (GenerateDataKey, at StartExecution) and decrypts it for whoever reads it (DescribeExecution
 * with data, GetExecutionHistory with execution data) as that caller.
 */
function machineKey(
  core: Core,
  ctx: CallContext,
  machine: StoredStateMachine | undefined,
  action: 'kms:Decrypt' | 'kms:GenerateDataKey',
): void {
  const key = machine?.kmsKeyId === undefined ? undefined : core.policies.findKey(machine.kmsKeyId);
  if (!machine || !key) return;
  useKey(core, ctx, 'states', {
    key,
    action,
    viaService: 'states',
    encryptionContext: { 'aws:states:stateMachineArn': machine.stateMachineArn },
  });
}

function executionOperations(core: Core): Record<string, JsonOperation> {
  const registry = core.executions;
  const stateMachine = (arn: string): StoredStateMachine => {
    requireArn(arn, 'stateMachine');
    const found = registry.stateMachines.get(arn);
    if (!found)
      throw sfnError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
    return found;
  };
  const execution = (arn: string): ExecutionRecord => {
    requireArn(arn, 'execution');
    const found = registry.executions.get(arn);
    if (!found) throw sfnError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
    return found;
  };
  return {
    StartExecution: (input, ctx) => {
      const machine = stateMachine(input.requiredString('stateMachineArn'));
      const name = input.string('name') ?? uuid();
      validateName(name);
      const executionInput = input.string('input') ?? '{}';
      validateInput(executionInput);
      machineKey(core, ctx, machine, 'kms:GenerateDataKey');
      const executionArn = `arn:aws:states:${core.region}:${core.accountId}:execution:${machine.name}:${name}`;
      const existing = registry.executions.get(executionArn);
      if (existing) {
        // Idempotent only while RUNNING with the same input (exact string comparison).
        if (existing.status === 'RUNNING' && existing.input === executionInput) {
          return { executionArn, startDate: existing.startDate };
        }
        throw sfnError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
      }
      const record: ExecutionRecord = {
        executionArn,
        stateMachineArn: machine.stateMachineArn,
        name,
        input: executionInput,
        status: 'RUNNING',
        startDate: ctx.now,
        events: [],
      };
      registry.add(record);
      registry.push(record, {
        type: 'ExecutionStarted',
        timestamp: ctx.now,
        executionStartedEventDetails: {
          input: executionInput,
          inputDetails: { truncated: false },
          roleArn: machine.roleArn,
        },
      });
      // After the response is on its way, as AWS starts executions asynchronously.
      setImmediate(() => {
        const runner = registry.runner;
        if (!runner || record.status !== 'RUNNING') return;
        try {
          runner.run(record, machine);
        } catch (error) {
          registry.fail(
            executionArn,
            'States.Runtime',
            error instanceof Error ? error.message : String(error),
          );
        }
      });
      return { executionArn, startDate: record.startDate };
    },
    DescribeExecution: (input, ctx) => {
      const found = execution(input.requiredString('executionArn'));
      const withData = input.string('includedData') !== 'METADATA_ONLY';
      if (withData) {
        machineKey(core, ctx, registry.stateMachines.get(found.stateMachineArn), 'kms:Decrypt');
      }
      const succeeded = found.status === 'SUCCEEDED';
      return {
        executionArn: found.executionArn,
        stateMachineArn: found.stateMachineArn,
        name: found.name,
        status: found.status,
        startDate: found.startDate,
        stopDate: found.stopDate,
        input: withData ? found.input : undefined,
        inputDetails: { included: withData },
        output: succeeded && withData ? found.output : undefined,
        outputDetails: succeeded ? { included: withData } : undefined,
        error: found.error,
        cause: found.cause,
      };
    },
    ListExecutions: (input) => {
      const machine = stateMachine(input.requiredString('stateMachineArn'));
      const statusFilter = input.string('statusFilter');
      if (statusFilter !== undefined && !STATUSES.includes(statusFilter)) {
        throw sfnError('ValidationException', `Invalid statusFilter: ${statusFilter}`);
      }
      const key = (e: ExecutionRecord): number => (e.stopDate ?? e.startDate).getTime();
      const executions = [...registry.executions.values()]
        .filter((e) => e.stateMachineArn === machine.stateMachineArn)
        .filter((e) => statusFilter === undefined || e.status === statusFilter)
        .sort(
          (a, b) =>
            key(b) - key(a) ||
            registry.sequenceOf(b.executionArn) - registry.sequenceOf(a.executionArn),
        );
      const result = sfnPage(executions, input.number('maxResults'), input.string('nextToken'));
      return {
        executions: result.items.map((e) => ({
          executionArn: e.executionArn,
          stateMachineArn: e.stateMachineArn,
          name: e.name,
          status: e.status,
          startDate: e.startDate,
          stopDate: e.stopDate,
        })),
        nextToken: result.nextToken,
      };
    },
    GetExecutionHistory: (input, ctx) => {
      const found = execution(input.requiredString('executionArn'));
      const ordered = input.boolean('reverseOrder') ? [...found.events].reverse() : found.events;
      const withData = input.boolean('includeExecutionData') ?? true;
      if (withData) {
        machineKey(core, ctx, registry.stateMachines.get(found.stateMachineArn), 'kms:Decrypt');
      }
      const result = sfnPage(ordered, input.number('maxResults'), input.string('nextToken'));
      return {
        events: result.items.map((event) => (withData ? { ...event } : withoutData(event))),
        nextToken: result.nextToken,
      };
    },
    StopExecution: (input, ctx) => {
      const found = execution(input.requiredString('executionArn'));
      // Stopping a closed execution changes nothing (AWS's answer there is unverified).
      if (found.status !== 'RUNNING') return { stopDate: found.stopDate ?? ctx.now };
      const details = withoutUndefined({
        error: input.string('error'),
        cause: input.string('cause'),
      });
      found.status = 'ABORTED';
      found.stopDate = ctx.now;
      found.error = details.error;
      found.cause = details.cause;
      registry.push(found, {
        type: 'ExecutionAborted',
        timestamp: ctx.now,
        executionAbortedEventDetails: details,
      });
      registry.runner?.abort(found.executionArn);
      return { stopDate: found.stopDate };
    },
  };
}

export function stepFunctionsService(core: Core): JsonService {
  return {
    protocol: 'json',
    name: 'states',
    contentType: 'application/x-amz-json-1.0',
    operations: { ...machineOperations(core), ...executionOperations(core) },
    invalid: (message) => sfnError('ValidationException', message),
  };
}
