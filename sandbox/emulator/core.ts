/**
 * What every service handler shares: the account, the clock and the recorders. Handlers take
 * a Core and a CallContext and return plain values; the protocol layer does the wire.
 */
import type { CallRecord, Clock, ServiceName } from '../contracts';
import type { Authorizer } from './authz/authorizer';
import type { Caller } from './authz/callers';
import type { ServiceError } from './errors';
import type { JsonInput, JsonObject } from './json-protocol';
import type { QueryParams, XmlValue } from './query-protocol';
import type { Account, Principal } from './state/account';
import type { ExecutionRegistry } from './state/executions';
import type { MutationBus } from './state/mutations';
import type { PolicyState } from './state/policies';
import type { RecordedEvent, RecordedMessage, Recorder } from './state/recorder';
import type { SecretStore } from './state/secrets';
import type { CredentialReports } from './state/reports';
import type { Trail } from './state/trail';

export interface CoreOptions {
  readonly lastUsedLagSeconds: number;
  readonly keyPropagationSeconds: number;
  readonly credentialReportSeconds: number;
}

export interface Core {
  readonly clock: Clock;
  readonly accountId: string;
  readonly region: string;
  readonly options: CoreOptions;
  readonly account: Account;
  readonly policies: PolicyState;
  readonly authorizer: Authorizer;
  readonly reports: CredentialReports;
  readonly secrets: SecretStore;
  readonly executions: ExecutionRegistry;
  readonly mutations: MutationBus;
  readonly recorder: Recorder;
  readonly calls: CallRecord[];
  /** CloudTrail's event history of the requests answered. */
  readonly trail: Trail;
}

export type { RecordedEvent, RecordedMessage };

/** One authenticated request. */
export interface CallContext {
  readonly principal: Principal;
  /** Sandbox time when the request arrived. */
  readonly now: Date;
  /** The region the client signed for. */
  readonly region: string;
  /** `seed` when a setup helper calls an operation directly (never authorized). @default 'api' */
  readonly source?: 'api' | 'seed';
  /** A service principal acting in the sandbox's place (CloudWatch publishing an alarm). */
  readonly caller?: Caller;
  /** A `permission-removed` fault: a service control policy denies this request's actions. */
  readonly permissionRemoved?: boolean;
}

export type QueryOperation = (params: QueryParams, ctx: CallContext) => XmlValue | undefined;
export type JsonOperation = (input: JsonInput, ctx: CallContext) => JsonObject;

export interface QueryService {
  readonly protocol: 'query';
  readonly name: ServiceName;
  readonly namespace: string;
  readonly operations: Readonly<Record<string, QueryOperation>>;
}

export interface JsonService {
  readonly protocol: 'json';
  readonly name: ServiceName;
  readonly contentType: string;
  readonly operations: Readonly<Record<string, JsonOperation>>;
  /** The service's error for a malformed member (differs per service). */
  readonly invalid: (message: string) => ServiceError;
}

export type Service = QueryService | JsonService;
