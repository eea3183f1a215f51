/**
 * "Deploys" a synthesized stack to the sandbox: resolves the template, creates its topics and
 * event buses in the emulator, registers its state machines through the emulator's Step
 * Functions API, and gives the Lambda host each function's handler and environment.
 */
import { CreateStateMachineCommand, SFNClient } from '@aws-sdk/client-sfn';
import type { Emulator } from '../emulator';
import type { StackOutput } from '../emulator/cloudformation';
import { deployPermissions } from './deploy-iam';
import { functionSpec, stateMachineSpec, type StateMachineSpec } from './deploy-specs';
import { rulesOf, type DeployedRule } from './event-rules';
import {
  alarmsOf,
  schedulesOf,
  type DeployedAlarm,
  type DeployedSchedule,
} from './deploy-services';
import type { LambdaFunctionSpec } from './lambda-host';
import { physicalName, sandboxAttributes } from './resources';
import { TemplateResolver, type CfnResource, type CfnTemplate } from './template';

/** What the runner needs from the emulator (the real Emulator, or a test double). */
export type SandboxEmulator = Pick<
  Emulator,
  | 'accountId'
  | 'region'
  | 'admin'
  | 'endpoint'
  | 'executions'
  | 'setRunner'
  | 'createTopic'
  | 'createEventBus'
  | 'createSystemCredentials'
  | 'addControlRoute'
  | 'authorization'
>;

export interface DeployOptions {
  /** @default 'rekey' */
  readonly stackName?: string;
  /** Values for template parameters without a usable Default. */
  readonly parameters?: Readonly<Record<string, string>>;
}

export interface DeployedStateMachine {
  readonly logicalId: string;
  readonly name: string;
  readonly arn: string;
  /** Metadata `rekey:state-machine`, when the construct set it. */
  readonly alias?: string;
  /** The resolved ASL definition (JSON text). */
  readonly definition: string;
  /** The state machine's role (RoleArn). */
  readonly roleArn: string;
}

export interface DeployedStack {
  readonly stackName: string;
  /** State machine ARNs by logical id and by their `rekey:state-machine` name. */
  readonly stateMachineArns: Readonly<Record<string, string>>;
  readonly stateMachines: readonly DeployedStateMachine[];
  readonly functions: readonly LambdaFunctionSpec[];
  /** Topic ARNs by logical id. */
  readonly topicArns: Readonly<Record<string, string>>;
  /** Event bus names by logical id. */
  readonly eventBusNames: Readonly<Record<string, string>>;
  /** The template's Outputs, resolved as CloudFormation would (for DescribeStacks). */
  readonly outputs: readonly StackOutput[];
  /** EventBridge Scheduler schedules whose target the sandbox can start. */
  readonly schedules: readonly DeployedSchedule[];
  /** CloudWatch alarms and their actions. */
  readonly alarms: readonly DeployedAlarm[];
  /** EventBridge rules with a pattern, which the sandbox delivers injected events to. */
  readonly rules: readonly DeployedRule[];
}

function resourcesOf(
  template: CfnTemplate,
  resolver: TemplateResolver,
  type: string,
): [string, CfnResource][] {
  return Object.entries(template.Resources ?? {}).filter(
    ([, r]) => r.Type === type && (r.Condition === undefined || resolver.condition(r.Condition)),
  );
}

export async function deployStack(
  emulator: SandboxEmulator,
  template: CfnTemplate,
  options: DeployOptions = {},
): Promise<DeployedStack> {
  const env = {
    region: emulator.region,
    accountId: emulator.accountId,
    stackName: options.stackName ?? 'rekey',
    parameters: options.parameters,
  };
  const resolver = new TemplateResolver(template, env, sandboxAttributes);
  const topicArns: Record<string, string> = {};
  for (const [id, resource] of resourcesOf(template, resolver, 'AWS::SNS::Topic')) {
    topicArns[id] = emulator.createTopic(physicalName(resolver, id, resource));
  }
  const eventBusNames: Record<string, string> = {};
  for (const [id, resource] of resourcesOf(template, resolver, 'AWS::Events::EventBus')) {
    eventBusNames[id] = physicalName(resolver, id, resource);
    emulator.createEventBus(eventBusNames[id]);
  }
  await deployPermissions(emulator, template, resolver, topicArns);
  const functions = resourcesOf(template, resolver, 'AWS::Lambda::Function').map(([id, resource]) =>
    functionSpec(resolver, id, resource),
  );
  const stateMachines = resourcesOf(template, resolver, 'AWS::StepFunctions::StateMachine').map(
    ([id, resource]) => stateMachineSpec(resolver, id, resource),
  );
  const stateMachineArns: Record<string, string> = {};
  for (const machine of stateMachines) {
    const arn = await register(emulator, machine);
    stateMachineArns[machine.logicalId] = arn;
    if (machine.alias !== undefined) stateMachineArns[machine.alias] = arn;
  }
  return {
    stackName: env.stackName,
    stateMachineArns,
    stateMachines: stateMachines.map(({ type: _type, kmsKeyId: _key, ...deployed }) => deployed),
    functions,
    topicArns,
    eventBusNames,
    outputs: resolveOutputs(template, resolver),
    schedules: schedulesOf(template, resolver),
    alarms: alarmsOf(template, resolver),
    rules: rulesOf(template, resolver),
  };
}

/** Outputs whose Condition holds, with their values resolved; an unresolvable one fails loudly. */
export function resolveOutputs(template: CfnTemplate, resolver: TemplateResolver): StackOutput[] {
  return Object.entries(template.Outputs ?? {})
    .filter(([, o]) => o.Condition === undefined || resolver.condition(o.Condition))
    .map(([key, o]) => {
      const exportName = o.Export?.Name;
      return {
        OutputKey: key,
        OutputValue: resolver.resolveString(o.Value, `Output ${key}`),
        ...(o.Description === undefined ? {} : { Description: o.Description }),
        ...(exportName === undefined
          ? {}
          : { ExportName: resolver.resolveString(exportName, `Output ${key} Export.Name`) }),
      };
    });
}

/** Through the emulator's own API (CreateStateMachine is idempotent for the same definition). */
async function register(emulator: SandboxEmulator, spec: StateMachineSpec): Promise<string> {
  const client = new SFNClient({
    endpoint: emulator.endpoint,
    region: emulator.region,
    credentials: emulator.admin,
  });
  try {
    const created = await client.send(
      new CreateStateMachineCommand({
        name: spec.name,
        definition: spec.definition,
        roleArn: spec.roleArn,
        type: spec.type === 'EXPRESS' ? 'EXPRESS' : 'STANDARD',
        ...(spec.kmsKeyId === undefined
          ? {}
          : {
              encryptionConfiguration: {
                type: 'CUSTOMER_MANAGED_KMS_KEY',
                kmsKeyId: spec.kmsKeyId,
              },
            }),
      }),
    );
    return created.stateMachineArn ?? spec.arn;
  } finally {
    client.destroy();
  }
}
