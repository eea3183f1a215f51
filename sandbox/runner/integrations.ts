/**
 * What a Task's Resource does, and the history events one attempt of it writes: a bare Lambda
 * ARN writes LambdaFunction* events; `lambda:invoke` and SDK integrations write Task* events.
 */
import { randomUUID } from 'node:crypto';
import type { ExecutionSink } from '../contracts';
import { cloneJson, type JsonValue } from './json-path';
import type { LambdaHost } from './lambda-host';
import { StatesError, runtimeError } from './retry';
import { sdkTarget, type SdkInvoker } from './sdk-integration';

export type HistoryFields = Omit<Parameters<ExecutionSink['appendEvent']>[1], 'timestamp'>;

export interface Integration {
  /** Work before the attempt's events and clock start (a cold start); rejects if it cannot run. */
  prepare(input: JsonValue): Promise<void>;
  invoke(input: JsonValue): Promise<JsonValue>;
  scheduled(input: JsonValue, timeoutSeconds: number | undefined): HistoryFields;
  started(): HistoryFields;
  succeeded(output: JsonValue): HistoryFields;
  failed(error: StatesError): HistoryFields;
  timedOut(error: StatesError): HistoryFields;
}

/** What one execution acts as: its state machine's role. */
export interface ExecutionIdentity {
  /** AWS's denial sentence when the role may not invoke the function (lambda:InvokeFunction). */
  invokeDenied(functionArn: string): string | undefined;
  /** SDK integrations, signed as the role. */
  readonly sdk: SdkInvoker;
}

export interface IntegrationServices {
  readonly lambdas: LambdaHost;
  readonly sdk?: SdkInvoker;
  readonly region: string;
  /** When set, Lambda invocations are authorized for the execution's role. */
  readonly identity?: ExecutionIdentity;
}

const LAMBDA_ARN = /^arn:aws:lambda:[^:]+:\d{12}:function:[^:]+(?::[^:]+)?$/;
const truncated = { truncated: false };

function text(value: unknown): string {
  return JSON.stringify(value ?? null);
}

async function invokeFunction(services: IntegrationServices, name: string, event: unknown) {
  const fn = services.lambdas.find(name);
  if (!fn) throw new StatesError('Lambda.ResourceNotFoundException', `Function not found: ${name}`);
  const denied = services.identity?.invokeDenied(fn.functionArn);
  if (denied !== undefined) {
    // How Step Functions reports Lambda's 403 (the suffix's wording is assumed, unverified).
    throw new StatesError(
      'Lambda.AWSLambdaException',
      `${denied} (Service: AWSLambda; Status Code: 403; Error Code: AccessDeniedException; Request ID: ${randomUUID()})`,
    );
  }
  const result = await services.lambdas.invoke(fn, event);
  if (!result.ok) {
    const { errorType, errorMessage, trace } = result;
    throw new StatesError(errorType, JSON.stringify({ errorType, errorMessage, trace }));
  }
  return result;
}

async function prepareFunction(services: IntegrationServices, name: unknown): Promise<void> {
  const fn = typeof name === 'string' ? services.lambdas.find(name) : undefined;
  if (fn) await services.lambdas.prepare(fn);
}

function bareLambda(arn: string, services: IntegrationServices): Integration {
  return {
    prepare: () => prepareFunction(services, arn),
    invoke: async (input) => (await invokeFunction(services, arn, input)).payload,
    scheduled: (input, timeoutInSeconds) => ({
      type: 'LambdaFunctionScheduled',
      lambdaFunctionScheduledEventDetails: {
        resource: arn,
        input: text(input),
        inputDetails: truncated,
        ...(timeoutInSeconds === undefined ? {} : { timeoutInSeconds }),
      },
    }),
    started: () => ({ type: 'LambdaFunctionStarted' }),
    succeeded: (output) => ({
      type: 'LambdaFunctionSucceeded',
      lambdaFunctionSucceededEventDetails: { output: text(output), outputDetails: truncated },
    }),
    failed: (error) => ({
      type: 'LambdaFunctionFailed',
      lambdaFunctionFailedEventDetails: { error: error.name, cause: error.message },
    }),
    timedOut: (error) => ({
      type: 'LambdaFunctionTimedOut',
      lambdaFunctionTimedOutEventDetails: { error: error.name, cause: error.message },
    }),
  };
}

function taskEvents(resourceType: string, resource: string, region: string) {
  const ids = { resourceType, resource };
  return {
    scheduled: (input: JsonValue, timeoutInSeconds: number | undefined): HistoryFields => ({
      type: 'TaskScheduled',
      taskScheduledEventDetails: {
        ...ids,
        region,
        parameters: text(input),
        ...(timeoutInSeconds === undefined ? {} : { timeoutInSeconds }),
      },
    }),
    started: (): HistoryFields => ({ type: 'TaskStarted', taskStartedEventDetails: ids }),
    succeeded: (output: JsonValue): HistoryFields => ({
      type: 'TaskSucceeded',
      taskSucceededEventDetails: { ...ids, output: text(output), outputDetails: truncated },
    }),
    failed: (error: StatesError): HistoryFields => ({
      type: 'TaskFailed',
      taskFailedEventDetails: { ...ids, error: error.name, cause: error.message },
    }),
    timedOut: (error: StatesError): HistoryFields => ({
      type: 'TaskTimedOut',
      taskTimedOutEventDetails: { ...ids, error: error.name, cause: error.message },
    }),
  };
}

function field(input: JsonValue, name: string): unknown {
  return typeof input === 'object' && input !== null && !Array.isArray(input)
    ? input[name]
    : undefined;
}

/** `arn:aws:states:::lambda:invoke`: the output is the Invoke API's answer, Payload inside. */
function lambdaInvoke(services: IntegrationServices): Integration {
  return {
    ...taskEvents('lambda', 'invoke', services.region),
    prepare: (input) => prepareFunction(services, field(input, 'FunctionName')),
    invoke: async (input) => {
      const name = field(input, 'FunctionName');
      if (typeof name !== 'string')
        throw runtimeError('lambda:invoke needs Parameters.FunctionName');
      const result = await invokeFunction(services, name, field(input, 'Payload') ?? {});
      const headers = {
        'Content-Type': 'application/json',
        'X-Amz-Executed-Version': '$LATEST',
        'x-amzn-RequestId': result.requestId,
      };
      return cloneJson({
        ExecutedVersion: '$LATEST',
        Payload: result.ok ? result.payload : null,
        SdkHttpMetadata: {
          AllHttpHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
          HttpHeaders: headers,
          HttpStatusCode: 200,
        },
        SdkResponseMetadata: { RequestId: result.requestId },
        StatusCode: 200,
      });
    },
  };
}

/** The integration for a Task's Resource; an unsupported one fails when the state runs. */
export function integrationFor(resource: string, services: IntegrationServices): Integration {
  if (LAMBDA_ARN.test(resource)) return bareLambda(resource, services);
  if (resource === 'arn:aws:states:::lambda:invoke') return lambdaInvoke(services);
  const target = sdkTarget(resource);
  const sdk = services.identity?.sdk ?? services.sdk;
  if (target && sdk) {
    return {
      ...taskEvents(target.resourceType, target.resource, services.region),
      prepare: () => Promise.resolve(),
      invoke: (input) => sdk.call(target, input),
    };
  }
  // Rejected before the attempt writes any event: the history shows the state, then the failure.
  const unsupported = (): Promise<never> =>
    Promise.reject(runtimeError(`The sandbox cannot run Task resource ${resource}`));
  return {
    ...taskEvents('unsupported', resource, services.region),
    prepare: unsupported,
    invoke: unsupported,
  };
}
