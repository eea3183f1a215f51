/**
 * Fault injection. Each rule counts the requests it matches, lets `after` of them through,
 * then applies to the next `times` (or all). Latency combines with any other outcome.
 */
import type { FaultKind, FaultRule, ServiceName } from '../contracts';
import { ServiceError } from './errors';
import { uuid } from './ids';

interface ActiveRule {
  readonly id: string;
  readonly rule: FaultRule;
  seen: number;
}

export interface FaultDecision {
  /** Real milliseconds to wait before answering. */
  readonly latencyMs: number;
  /** The non-latency fault that decides the outcome, if any. */
  readonly kind?: Exclude<FaultKind, 'latency'>;
  /** What to record in CallRecord.fault. */
  readonly recorded?: FaultKind;
}

export class Faults {
  private readonly rules: ActiveRule[] = [];

  add(rule: FaultRule): string {
    const id = uuid();
    this.rules.push({ id, rule: { ...rule }, seen: 0 });
    return id;
  }

  remove(id: string): void {
    const index = this.rules.findIndex((r) => r.id === id);
    if (index >= 0) this.rules.splice(index, 1);
  }

  clear(): void {
    this.rules.length = 0;
  }

  list(): FaultRule[] {
    return this.rules.map((r) => ({ ...r.rule }));
  }

  /** Counts the request against every matching rule and says what applies to it. */
  decide(service: ServiceName, operation: string, accessKeyId: string | undefined): FaultDecision {
    let latencyMs = 0;
    let kind: Exclude<FaultKind, 'latency'> | undefined;
    for (const active of this.rules) {
      const { rule } = active;
      if (rule.service !== service) continue;
      if (rule.operation !== '*' && rule.operation !== operation) continue;
      if (rule.accessKeyId !== undefined && rule.accessKeyId !== accessKeyId) continue;
      active.seen += 1;
      const after = rule.after ?? 0;
      if (active.seen <= after) continue;
      if (rule.times !== undefined && active.seen > after + rule.times) continue;
      if (rule.kind === 'latency') latencyMs += rule.latencyMs ?? 0;
      else kind ??= rule.kind;
    }
    return { latencyMs, kind, recorded: kind ?? (latencyMs > 0 ? 'latency' : undefined) };
  }
}

/** The service's throttling error (docs/aws-semantics.md §0.4). */
export function throttlingError(service: ServiceName): ServiceError {
  switch (service) {
    case 'iam':
    case 'sts':
    case 'cloudformation':
      return new ServiceError('Throttling', 'Rate exceeded', 400, true);
    case 'sns':
      return new ServiceError('Throttled', 'Rate exceeded', 429, true);
    default:
      return new ServiceError(
        'ThrottlingException',
        'The request was denied due to request throttling.',
        400,
        true,
      );
  }
}

/** The service's internal (5xx) error. */
export function serverError(service: ServiceName): ServiceError {
  switch (service) {
    case 'iam':
      return new ServiceError(
        'ServiceFailure',
        'The request processing has failed because of an unknown error, exception or failure.',
        500,
      );
    case 'sts':
    case 'cloudformation':
    case 'cloudtrail':
      return new ServiceError(
        'InternalFailure',
        'The request processing has failed because of an unknown error, exception or failure.',
        500,
        true,
      );
    case 'secretsmanager':
      return new ServiceError('InternalServiceError', 'An error occurred on the server side.', 500);
    case 'states':
      return new ServiceError(
        'InternalFailure',
        'The request processing has failed because of an unknown error, exception or failure.',
        500,
        true,
      );
    case 'events':
      return new ServiceError('InternalException', 'An internal error occurred.', 500);
    case 'sns':
      return new ServiceError('InternalError', 'Internal error.', 500);
  }
}
