/**
 * The sandbox emulator: a loopback HTTP server that speaks the wire protocols of the AWS APIs
 * rekey calls (IAM, STS, Secrets Manager, Step Functions, EventBridge PutEvents, SNS Publish),
 * so the real SDK v3 clients and the AWS CLI work against it through an endpoint URL.
 *
 * It authenticates every request (SigV4, with the key's status and propagation) and records
 * key use like IAM does, but it does not evaluate IAM policies — every authenticated principal
 * may call any operation. rekey's least-privilege policies are checked by the CDK tests and
 * cdk-nag, not here.
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
