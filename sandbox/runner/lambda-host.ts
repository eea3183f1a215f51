/**
 * Runs the real handler modules in this process, as Lambda would run them: the function's
 * environment set before the module loads, a JSON copy of the event, a Lambda context, a JSON
 * copy of the result, and a failure reported as Lambda reports it (errorType, errorMessage,
 * trace). Output goes to the sandbox's logs.
 */
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import type { Context } from 'aws-lambda';
import { withFunctionEnvironment } from './function-env';
import { cloneJson, type JsonValue } from './json-path';
import type { OutputCapture } from './output-capture';

export interface LambdaFunctionSpec {
  readonly logicalId: string;
  readonly functionName: string;
  readonly functionArn: string;
  /** Module path relative to the repository root (Metadata `rekey:handler`), if known. */
  readonly handlerPath?: string;
  /** The exported function (the part of the Handler property after the last dot). */
  readonly handlerExport: string;
  readonly environment: Readonly<Record<string, string>>;
  readonly timeoutSeconds: number;
  readonly memoryMB: number;
  /** The execution role's ARN (the Role property), when the template names one. */
  readonly roleArn?: string;
  /** Its log group (LoggingConfig.LogGroup) and that group's KMS key ARN. */
  readonly logGroupName?: string;
  readonly logGroupKeyArn?: string;
}

/**
 * What Lambda gives a function around its code: its environment for the next invocation (with
 * its role's credentials kept fresh), and whether its logs may be written (the role's
 * logs:CreateLogStream / PutLogEvents, and CloudWatch Logs' use of the group's KMS key).
 */
export interface FunctionRuntime {
  environment(fn: LambdaFunctionSpec): Record<string, string>;
  logsAllowed(fn: LambdaFunctionSpec): boolean;
}

export type InvokeResult = { readonly requestId: string } & (
  | { readonly ok: true; readonly payload: JsonValue }
  | {
      readonly ok: false;
      readonly errorType: string;
      readonly errorMessage: string;
      readonly trace: string[];
    }
);

type Handler = (event: unknown, context: Context) => unknown;

/**
 * The endpoint handler modules were first loaded with. They create their SDK clients at load
 * (module scope), which then keep that endpoint and their first credentials for as long as the
 * modules stay loaded, so a second emulator in the same module registry cannot be served.
 */
let loadedEndpoint: string | undefined;

export function assertHandlersCanReach(endpoint: string): void {
  if (loadedEndpoint !== undefined && loadedEndpoint !== endpoint) {
    throw new Error(
      `Handler modules in this process were loaded against ${loadedEndpoint} and keep their SDK ` +
        `clients; they cannot reach ${endpoint}. Deploy to one emulator per process (one per jest ` +
        'test file), or load the runner in jest.isolateModules',
    );
  }
}

export class LambdaHost {
  private readonly byArn = new Map<string, LambdaFunctionSpec>();
  private readonly byName = new Map<string, LambdaFunctionSpec>();
  private readonly modules = new Map<string, Promise<Handler>>();

  constructor(
    private readonly repoRoot: string,
    private readonly capture: OutputCapture,
    private readonly runtime: FunctionRuntime,
  ) {}

  add(functions: readonly LambdaFunctionSpec[]): void {
    for (const fn of functions) {
      this.byArn.set(fn.functionArn, fn);
      this.byName.set(fn.functionName, fn);
    }
  }

  /** By name, full ARN or partial ARN, with or without a version or alias qualifier. */
  find(nameOrArn: string): LambdaFunctionSpec | undefined {
    const match = /^(?:arn:aws:lambda:[^:]*:)?(?:\d{12}:)?(?:function:)?([^:]+)(?::[^:]+)?$/.exec(
      nameOrArn,
    );
    const name = match?.[1];
    return this.byArn.get(nameOrArn) ?? (name === undefined ? undefined : this.byName.get(name));
  }

  async invoke(fn: LambdaFunctionSpec, event: unknown): Promise<InvokeResult> {
    const requestId = randomUUID();
    const deadline = Date.now() + fn.timeoutSeconds * 1000;
    const context = lambdaContext(fn, requestId, deadline);
    const environment = this.runtime.environment(fn);
    try {
      const payload = await this.capture.run(fn.functionName, requestId, () =>
        withFunctionEnvironment(environment, async () => {
          const handler = await this.load(fn);
          return cloneJson(await handler(cloneJson(event), context));
        }),
      );
      return { requestId, ok: true, payload };
    } catch (error) {
      const failure = describeError(error);
      this.capture.note(
        fn.functionName,
        requestId,
        'stderr',
        `ERROR\tInvoke Error\t${JSON.stringify(failure)}`,
      );
      return { requestId, ok: false, ...failure };
    } finally {
      if (!this.runtime.logsAllowed(fn)) this.capture.drop(requestId);
    }
  }

  /** Loads the function's module (its cold start), so that timeouts measure the invocation only. */
  async prepare(fn: LambdaFunctionSpec): Promise<void> {
    // The failure itself is reported by the invocation that follows.
    const environment = this.runtime.environment(fn);
    await this.capture
      .run(fn.functionName, 'init', () => withFunctionEnvironment(environment, () => this.load(fn)))
      .catch(() => undefined);
  }

  private load(fn: LambdaFunctionSpec): Promise<Handler> {
    const { handlerPath } = fn;
    if (handlerPath === undefined) {
      return Promise.reject(
        new Error(
          `Function ${fn.logicalId} has no 'rekey:handler' metadata, so the sandbox cannot find its code`,
        ),
      );
    }
    const key = `${handlerPath}#${fn.handlerExport}`;
    let loaded = this.modules.get(key);
    if (!loaded) {
      loadedEndpoint ??= process.env.AWS_ENDPOINT_URL;
      loaded = import(resolve(this.repoRoot, handlerPath)).then(
        (module: Record<string, unknown>) => {
          const handler = module[fn.handlerExport];
          if (typeof handler !== 'function') {
            throw new Error(`${handlerPath} does not export a function named ${fn.handlerExport}`);
          }
          return handler as Handler;
        },
      );
      // A module that fails to load fails every invocation, as a broken cold start does.
      this.modules.set(key, loaded);
    }
    return loaded;
  }
}

function describeError(error: unknown): {
  errorType: string;
  errorMessage: string;
  trace: string[];
} {
  if (error instanceof Error) {
    return {
      errorType: error.name || 'Error',
      errorMessage: error.message,
      trace: (error.stack ?? '').split('\n').filter((line) => line !== ''),
    };
  }
  return { errorType: 'Error', errorMessage: String(error), trace: [] };
}

function lambdaContext(fn: LambdaFunctionSpec, requestId: string, deadline: number): Context {
  const unsupported = (): never => {
    throw new Error('The callback-style context methods are not supported; return a promise');
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: fn.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: fn.functionArn,
    memoryLimitInMB: String(fn.memoryMB),
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${fn.functionName}`,
    logStreamName: `sandbox/[$LATEST]${requestId.replace(/-/g, '')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: unsupported,
    fail: unsupported,
    succeed: unsupported,
  };
}
