/** The functions and state machines of a template, as the runner deploys them. */
import type { LambdaFunctionSpec } from './lambda-host';
import type { DeployedStateMachine } from './deploy';
import { functionArn, physicalName, sandboxAttributes } from './resources';
import type { CfnResource, TemplateResolver } from './template';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function functionSpec(
  resolver: TemplateResolver,
  logicalId: string,
  resource: CfnResource,
): LambdaFunctionSpec {
  const props = resource.Properties ?? {};
  const functionName = physicalName(resolver, logicalId, resource);
  const variables = resolver.resolve(
    isRecord(props.Environment) ? props.Environment.Variables : undefined,
  );
  const environment: Record<string, string> = {};
  for (const [name, value] of Object.entries(isRecord(variables) ? variables : {})) {
    environment[name] = typeof value === 'string' ? value : JSON.stringify(value);
  }
  const handlerPath = resource.Metadata?.['rekey:handler'];
  const handler = typeof props.Handler === 'string' ? props.Handler : 'index.handler';
  const logGroup = isRecord(props.LoggingConfig) ? props.LoggingConfig.LogGroup : undefined;
  const logGroupId =
    isRecord(logGroup) && typeof logGroup.Ref === 'string' ? logGroup.Ref : undefined;
  const logGroupKey = logGroupId
    ? resolver.resolve(resolver.resource(logGroupId).Properties?.KmsKeyId)
    : undefined;
  return {
    logicalId,
    functionName,
    functionArn: functionArn(resolver.env.region, resolver.env.accountId, functionName),
    handlerPath: typeof handlerPath === 'string' ? handlerPath : undefined,
    handlerExport: handler.slice(handler.lastIndexOf('.') + 1),
    environment,
    timeoutSeconds: typeof props.Timeout === 'number' ? props.Timeout : 3,
    memoryMB: typeof props.MemorySize === 'number' ? props.MemorySize : 128,
    ...(props.Role === undefined
      ? {}
      : { roleArn: resolver.resolveString(props.Role, `${logicalId}.Role`) }),
    ...(logGroup === undefined
      ? {}
      : { logGroupName: resolver.resolveString(logGroup, `${logicalId}.LoggingConfig.LogGroup`) }),
    ...(typeof logGroupKey === 'string' ? { logGroupKeyArn: logGroupKey } : {}),
  };
}

export interface StateMachineSpec extends DeployedStateMachine {
  readonly type: string;
  /** EncryptionConfiguration.KmsKeyId when it is a customer managed key. */
  readonly kmsKeyId?: string;
}

export function stateMachineSpec(
  resolver: TemplateResolver,
  logicalId: string,
  resource: CfnResource,
): StateMachineSpec {
  const props = resource.Properties ?? {};
  const where = `${logicalId} (AWS::StepFunctions::StateMachine)`;
  let definition: string;
  if (props.DefinitionString !== undefined) {
    definition = resolver.resolveString(props.DefinitionString, `${where} DefinitionString`);
  } else if (props.Definition !== undefined) {
    definition = JSON.stringify(resolver.resolve(props.Definition));
  } else {
    throw new Error(`${where} has no DefinitionString or Definition the sandbox can read`);
  }
  const substitutions = resolver.resolve(props.DefinitionSubstitutions);
  if (isRecord(substitutions)) {
    definition = definition.replace(/\$\{([^}]+)\}/g, (whole, key: string) => {
      const value = substitutions[key];
      return value === undefined
        ? whole
        : typeof value === 'string'
          ? value
          : JSON.stringify(value);
    });
  }
  try {
    JSON.parse(definition);
  } catch (error) {
    throw new Error(
      `${where} does not resolve to JSON: ${(error as Error).message}\n${definition}`,
    );
  }
  const name = physicalName(resolver, logicalId, resource);
  const alias = resource.Metadata?.['rekey:state-machine'];
  return {
    logicalId,
    name,
    arn: sandboxAttributes(resolver, logicalId, resource) as string,
    alias: typeof alias === 'string' ? alias : undefined,
    definition,
    roleArn:
      props.RoleArn === undefined
        ? `arn:aws:iam::${resolver.env.accountId}:role/${name}-role`
        : resolver.resolveString(props.RoleArn, `${where} RoleArn`),
    type: typeof props.StateMachineType === 'string' ? props.StateMachineType : 'STANDARD',
    kmsKeyId: customerKey(resolver.resolve(props.EncryptionConfiguration)),
  };
}

function customerKey(encryption: unknown): string | undefined {
  if (!isRecord(encryption) || encryption.Type !== 'CUSTOMER_MANAGED_KMS_KEY') return undefined;
  return typeof encryption.KmsKeyId === 'string' ? encryption.KmsKeyId : undefined;
}
