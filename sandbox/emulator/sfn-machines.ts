/** Step Functions state machine operations: create (idempotent), list, describe. */
import type { Core, JsonOperation } from './core';
import { isRecord } from './errors';
import { requireArn, sfnError, sfnPage, validateDefinition, validateName } from './sfn-validation';

export function machineOperations(core: Core): Record<string, JsonOperation> {
  const registry = core.executions;
  return {
    CreateStateMachine: (input, ctx) => {
      const name = input.requiredString('name');
      validateName(name);
      const definition = input.requiredString('definition');
      validateDefinition(definition);
      const roleArn = input.requiredString('roleArn');
      if (!/^arn:aws:iam::\d{12}:role\/.+/.test(roleArn)) {
        throw sfnError('InvalidArn', `Invalid Arn: '${roleArn}'`);
      }
      const type = input.string('type') ?? 'STANDARD';
      if (type !== 'STANDARD' && type !== 'EXPRESS') {
        throw sfnError(
          'StateMachineTypeNotSupported',
          `State Machine Type is not supported: ${type}`,
        );
      }
      // roleArn and tags are not compared (docs/aws-semantics.md §4, idempotency).
      const settings = JSON.stringify([
        definition,
        type,
        input.raw.loggingConfiguration ?? null,
        input.raw.tracingConfiguration ?? null,
        input.raw.encryptionConfiguration ?? null,
        input.raw.publish ?? false,
        input.raw.versionDescription ?? null,
      ]);
      const stateMachineArn = `arn:aws:states:${core.region}:${core.accountId}:stateMachine:${name}`;
      const existing = registry.stateMachines.get(stateMachineArn);
      if (existing) {
        if (existing.settings !== settings) {
          throw sfnError(
            'StateMachineAlreadyExists',
            `State Machine Already Exists: '${stateMachineArn}'`,
          );
        }
        return { stateMachineArn, creationDate: existing.creationDate };
      }
      const encryption = input.raw.encryptionConfiguration;
      const kmsKeyId =
        isRecord(encryption) &&
        encryption.type === 'CUSTOMER_MANAGED_KMS_KEY' &&
        typeof encryption.kmsKeyId === 'string'
          ? encryption.kmsKeyId
          : undefined;
      registry.stateMachines.set(stateMachineArn, {
        kmsKeyId,
        stateMachineArn,
        name,
        type,
        definition,
        roleArn,
        creationDate: ctx.now,
        settings,
      });
      return { stateMachineArn, creationDate: ctx.now };
    },
    ListStateMachines: (input) => {
      const result = sfnPage(
        [...registry.stateMachines.values()],
        input.number('maxResults'),
        input.string('nextToken'),
      );
      return {
        stateMachines: result.items.map((m) => ({
          stateMachineArn: m.stateMachineArn,
          name: m.name,
          type: m.type,
          creationDate: m.creationDate,
        })),
        nextToken: result.nextToken,
      };
    },
    DescribeStateMachine: (input) => {
      const arn = input.requiredString('stateMachineArn');
      requireArn(arn, 'stateMachine');
      const machine = registry.stateMachines.get(arn);
      if (!machine)
        throw sfnError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
      return {
        stateMachineArn: machine.stateMachineArn,
        name: machine.name,
        status: 'ACTIVE',
        definition: machine.definition,
        roleArn: machine.roleArn,
        type: machine.type,
        creationDate: machine.creationDate,
        loggingConfiguration: { level: 'OFF', includeExecutionData: false },
        tracingConfiguration: { enabled: false },
      };
    },
  };
}
