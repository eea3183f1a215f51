/**
 * The sandbox emulator: a loopback HTTP server that speaks the wire protocols of the AWS APIs
 * rekey calls (IAM, STS, Secrets Manager, Step Functions, EventBridge PutEvents, SNS Publish),
 * so the real SDK v3 clients and the AWS CLI work against it through an endpoint URL.
 *
 * It authenticates every request (SigV4, with the key's status and propagation, role sessions
 * with their token and expiry), records key use like IAM does, and authorizes every request with
 * IAM, resource and KMS key policies (authz/), unless constructed with `authorization: false`.
 */
export { Emulator } from './emulator';
export type { Credentials, EmulatorOptions, FaultControls } from './emulator';
export type { Mutation, MutationListener } from './state/mutations';
export type { RecordedEvent, RecordedMessage } from './state/recorder';
export type { Seed, SeedAccessKey, SeedSecret } from './seed';
export type { NewUser } from './iam-users';
export type { NewAccessKey } from './iam-keys';
export type { KeyStatus, Tag } from './state/account';
export type {
  AccessKeyView,
  LastUsedView,
  SecretVersionView,
  SecretView,
  StateView,
  UserView,
} from './views';
export type { ControlHandler } from './control';
export type {
  AuthorizationDecision,
  Check,
  DenialCause,
  Outcome,
  Verdict,
} from './authz/authorizer';
export type {
  AuthorizationControls,
  CheckResult,
  ServiceSessionOptions,
  SessionCredentials,
} from './authz/controls';
