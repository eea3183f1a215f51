/**
 * The AWS front end: routes a request to its service, authenticates it, records the key's use,
 * applies faults, runs the operation and writes the service's envelope.
 */
import type { ServiceName } from '../contracts';
import { authenticate } from './auth';
import { authorize } from './authz';
import { JSON_CHECKS, QUERY_CHECKS } from './authz/checks';
import type { PlannedCheck } from './authz/query-checks';
import type { CallContext, Core, JsonService, QueryService } from './core';
import type { Principal } from './state/account';
import { ServiceError } from './errors';
import { serverError, throttlingError, type Faults } from './faults';
import { uuid } from './ids';
import { JsonInput, errorJson, parseJsonBody, toWireJson } from './json-protocol';
import { QueryParams, errorXml, successXml } from './query-protocol';
import { scopeService, type SignedRequest } from './sigv4';
import { recordManagementEvent } from './trail-recording';

export interface AwsResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** Query services share a body format; without a signature the API version still tells them apart. */
const VERSIONS: Readonly<Record<string, ServiceName>> = {
  '2010-05-08': 'iam',
  '2011-06-15': 'sts',
  '2010-03-31': 'sns',
};

const TARGET_PREFIXES: Readonly<Record<string, ServiceName>> = {
  secretsmanager: 'secretsmanager',
  AWSStepFunctions: 'states',
  AWSEvents: 'events',
  // The SDK v3 sends the model's short target; botocore and the AWS CLI the long one.
  CloudTrail_20131101: 'cloudtrail',
  'com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101': 'cloudtrail',
};

type Routed =
  | { readonly service: QueryService; readonly operation: string; readonly params: QueryParams }
  | { readonly service: JsonService; readonly operation: string; readonly body: string };

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function header(request: SignedRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export class AwsFrontEnd {
  constructor(
    private readonly core: Core,
    private readonly services: ReadonlyMap<ServiceName, QueryService | JsonService>,
    private readonly faults: Faults,
  ) {}

  async handle(request: SignedRequest): Promise<AwsResponse> {
    const requestId = uuid();
    const routed = this.route(request);
    if (!routed) {
      return this.json(
        400,
        { __type: 'UnknownOperationException', message: 'Unknown service' },
        requestId,
        'application/json',
      );
    }
    const { service, operation } = routed;
    const now = this.core.clock.now();
    let accessKeyId: string | undefined;
    let principalArn: string | undefined;
    let recordedFault: ReturnType<Faults['decide']>['recorded'];
    let caller: { principal: Principal; region: string } | undefined;
    let response: AwsResponse;
    try {
      const { principal, auth } = authenticate(
        this.core,
        request,
        service.protocol === 'query',
        now,
      );
      accessKeyId = auth.accessKeyId;
      caller = { principal, region: auth.region };
      principalArn =
        principal.kind === 'user'
          ? principal.user.arn
          : principal.kind === 'session'
            ? principal.session.arn
            : `arn:aws:sts::${this.core.accountId}:assumed-role/${principal.principal.name}/sandbox`;
      if (principal.kind === 'user') {
        // IAM is global: AWS reports its uses in us-east-1 (docs/aws-semantics.md §1.2).
        const region = service.name === 'iam' ? 'us-east-1' : auth.region;
        this.core.account.recordUse(
          principal.key,
          now,
          service.name,
          region,
          this.core.options.lastUsedLagSeconds,
        );
      }
      const decision = this.faults.decide(service.name, operation, accessKeyId);
      recordedFault = decision.recorded;
      if (decision.latencyMs > 0) await sleep(decision.latencyMs);
      if (decision.kind === 'throttle') throw throttlingError(service.name);
      if (decision.kind === 'server-error') throw serverError(service.name);
      const ctx: CallContext = {
        principal,
        now,
        region: auth.region,
        ...(decision.kind === 'permission-removed' ? { permissionRemoved: true } : {}),
      };
      response = this.run(routed, ctx, requestId);
      // The operation took effect; only the answer is lost.
      if (decision.kind === 'crash-after-success') throw serverError(service.name);
    } catch (error) {
      response = this.error(service, error, requestId, operation);
    }
    const errorCode = response.headers['x-amzn-ErrorType'];
    this.core.calls.push({
      service: service.name,
      operation,
      accessKeyId,
      principal: principalArn,
      status: response.status,
      errorCode,
      at: now,
      fault: recordedFault,
    });
    // CloudTrail records authenticated requests, refused ones included (with their error code).
    if (caller) {
      recordManagementEvent(this.core, request, {
        ...caller,
        service: service.name,
        operation,
        now,
        requestId,
        errorCode,
      });
    }
    return response;
  }

  private route(request: SignedRequest): Routed | undefined {
    const body = request.body.toString('utf8');
    const target = header(request, 'x-amz-target');
    if (target !== undefined) {
      const dot = target.lastIndexOf('.');
      const name = TARGET_PREFIXES[target.slice(0, dot)];
      const service = name === undefined ? undefined : this.services.get(name);
      if (!service || service.protocol !== 'json' || dot < 0) return undefined;
      return { service, operation: target.slice(dot + 1), body };
    }
    const queryStart = request.url.indexOf('?');
    const params = new QueryParams(body, queryStart < 0 ? '' : request.url.slice(queryStart + 1));
    const scope = scopeService(header(request, 'authorization'));
    const version = params.get('Version');
    const name = scope ?? (version === undefined ? undefined : VERSIONS[version]);
    const service = name === undefined ? undefined : this.services.get(name as ServiceName);
    if (!service || service.protocol !== 'query') return undefined;
    return { service, operation: params.get('Action') ?? '', params };
  }

  private run(routed: Routed, ctx: CallContext, requestId: string): AwsResponse {
    if ('params' in routed) {
      const { service, operation, params } = routed;
      const handler = service.operations[operation];
      if (!handler) {
        throw new ServiceError(
          'InvalidAction',
          `Could not find operation ${operation} for version ${params.get('Version') ?? ''}`,
          400,
          true,
        );
      }
      this.authorize(
        QUERY_CHECKS[service.name]?.[operation]?.(this.core, params, ctx),
        ctx,
        service,
      );
      const result = handler(params, ctx);
      return {
        status: 200,
        headers: { 'content-type': 'text/xml', 'x-amzn-RequestId': requestId },
        body: successXml(operation, service.namespace, result, requestId),
      };
    }
    const { service, operation, body } = routed;
    const handler = service.operations[operation];
    if (!handler) {
      throw new ServiceError(
        'UnknownOperationException',
        `Unknown operation ${operation}`,
        400,
        true,
      );
    }
    const input = new JsonInput(parseJsonBody(body), service.invalid);
    this.authorize(JSON_CHECKS[service.name]?.[operation]?.(this.core, input, ctx), ctx, service);
    return this.json(200, toWireJson(handler(input, ctx)), requestId, service.contentType);
  }

  /** Every action the request is, before the operation looks at anything (as AWS does). */
  private authorize(
    planned: readonly PlannedCheck[] | undefined,
    ctx: CallContext,
    service: QueryService | JsonService,
  ): void {
    for (const { check, shown } of planned ?? [])
      authorize(this.core, ctx, service.name, check, shown);
  }

  private error(
    service: QueryService | JsonService,
    error: unknown,
    requestId: string,
    operation: string,
  ): AwsResponse {
    const failure =
      error instanceof ServiceError ? error : unexpected(service.name, operation, error);
    if (service.protocol === 'query') {
      return {
        status: failure.status,
        headers: {
          'content-type': 'text/xml',
          'x-amzn-RequestId': requestId,
          'x-amzn-ErrorType': failure.code,
        },
        body: errorXml(failure, service.namespace, requestId),
      };
    }
    const response = this.json(
      failure.status,
      errorJson(failure, service.name === 'states'),
      requestId,
      service.contentType,
    );
    return { ...response, headers: { ...response.headers, 'x-amzn-ErrorType': failure.code } };
  }

  private json(status: number, body: unknown, requestId: string, contentType: string): AwsResponse {
    return {
      status,
      headers: { 'content-type': contentType, 'x-amzn-RequestId': requestId },
      body: JSON.stringify(body),
    };
  }
}

/** A bug in a handler still answers like AWS would: the service's 5xx. */
function unexpected(service: ServiceName, operation: string, error: unknown): ServiceError {
  const failure = serverError(service);
  const detail = error instanceof Error ? error.message : String(error);
  process.emitWarning(`sandbox emulator: ${service}.${operation} failed unexpectedly: ${detail}`);
  return failure;
}
