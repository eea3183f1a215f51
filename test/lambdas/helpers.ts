/**
 * Shared fixtures for the unit tests of the rotation cores: a fixed clock, a Config, a fake
 * Telemetry, state builders, AWS-shaped errors (as SDK v3 surfaces them, docs/aws-semantics.md §0.2)
 * and two small stateful fakes that answer like IAM's access keys and a Secrets Manager secret
 * do, installed on aws-sdk-client-mock stubs.
 */
import {
  CreateAccessKeyCommand,
  DeleteAccessKeyCommand,
  GetAccessKeyLastUsedCommand,
  ListAccessKeysCommand,
  UpdateAccessKeyCommand,
  type CreateAccessKeyCommandInput,
  type DeleteAccessKeyCommandInput,
  type GetAccessKeyLastUsedCommandInput,
  type IAMClient,
  type UpdateAccessKeyCommandInput,
} from '@aws-sdk/client-iam';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateSecretVersionStageCommand,
  type CreateSecretCommandInput,
  type GetSecretValueCommandInput,
  type PutSecretValueCommandInput,
  type SecretsManagerClient,
  type TagResourceCommandInput,
  type UntagResourceCommandInput,
  type UpdateSecretVersionStageCommandInput,
} from '@aws-sdk/client-secrets-manager';
import type { AwsClientStub } from 'aws-sdk-client-mock';
import { randomUUID } from 'node:crypto';
import type { Clock } from '../../lambdas/shared/clock';
import { EMERGENCY_DEFAULTS, type Config } from '../../lambdas/shared/config';
import { initialCutover } from '../../lambdas/shared/cutover';
import { DEFAULT_POLICY } from '../../lambdas/shared/policy';
import type { EventDetail, Telemetry } from '../../lambdas/shared/telemetry';
import type { KeyRef, NewKey, RotationState } from '../../lambdas/shared/types';

export const ACCOUNT = '123456789012';
export const USER = 'alice';
export const USER_ARN = `arn:aws:iam::${ACCOUNT}:user/${USER}`;
export const USER_ID = 'AIDAR4TCS335ASKWA4QBP';
export const STATE_MACHINE = `arn:aws:states:us-east-1:${ACCOUNT}:stateMachine:rekey-rotation`;
export const EXECUTION_ARN = `arn:aws:states:us-east-1:${ACCOUNT}:execution:rekey-rotation:alice-2`;
export const OTHER_EXECUTION_ARN = `arn:aws:states:us-east-1:${ACCOUNT}:execution:rekey-rotation:alice-1`;
export const SECRET_ID = `rekey/${USER}`;
export const SECRET_ARN = `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:${SECRET_ID}-a1b2c3`;
export const KMS_KEY_ARN = `arn:aws:kms:us-east-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
export const TOPIC_ARN = `arn:aws:sns:us-east-1:${ACCOUNT}:rekey-alerts`;

/** Access key ids: AKIA + 16 upper-case alphanumerics. */
export const OLD_KEY_ID = 'AKIAOLDKEY7EXAMPLE01';
export const NEW_KEY_ID = 'AKIANEWKEY7EXAMPLE02';
export const STALE_KEY_ID = 'AKIASTALEKEYEXAMPLE3';
export const ORPHAN_KEY_ID = 'AKIAORPHANKEYEXAMPL4';
/** The new key's secret: 40 characters of [A-Za-z0-9/+]. It must never leave Secrets Manager (I4). */
export const NEW_SECRET = 'rEkEyNeWsEcReT/0123456789+abcdefghijKLMN';
export const OLD_SECRET = 'oLdOlDoLdSeCrEt/9876543210+zyxwvutsrqPQR';

/** Secret versions (ClientRequestTokens are UUIDs). */
export const BASELINE_VERSION = '0b5e1a2c-0000-4000-8000-00000000ba5e';
export const NEW_VERSION = '0b5e1a2c-0000-4000-8000-0000000000e2';

export const OLD_CREATED = '2025-12-01T09:00:00.000Z';
export const NOW = new Date('2026-03-01T12:00:00.000Z');
export const STARTED_AT = '2026-03-01T12:00:00.000Z';
export const NEW_CREATED = '2026-03-01T12:00:04.000Z';
export const STAGED_AT = '2026-03-01T12:00:05.000Z';
export const VERIFIED_AT = '2026-03-01T12:00:20.000Z';
export const PROMOTED_AT = '2026-03-01T12:00:30.000Z';

export const OLD_KEY: KeyRef = { accessKeyId: OLD_KEY_ID, createDate: OLD_CREATED };
export const NEW_KEY: NewKey = {
  accessKeyId: NEW_KEY_ID,
  createDate: NEW_CREATED,
  versionId: NEW_VERSION,
  stagedAt: STAGED_AT,
};

/** A clock the test moves by hand. */
export class FakeClock implements Clock {
  private at: number;
  constructor(start: Date | string = NOW) {
    this.at = new Date(start).getTime();
  }
  now(): Date {
    return new Date(this.at);
  }
  set(at: Date | string): void {
    this.at = new Date(at).getTime();
  }
  advance(seconds: number): void {
    this.at += seconds * 1000;
  }
}

export function testConfig(overrides: Partial<Config> = {}): Config {
  return {
    secretPrefix: 'rekey/',
    managedPath: '/',
    kmsKeyArn: KMS_KEY_ARN,
    eventBusName: 'rekey-events',
    topicArn: TOPIC_ARN,
    policy: DEFAULT_POLICY,
    selection: { mode: 'opt-out', minRotateAfterDays: 30 },
    rotationStateMachineArn: STATE_MACHINE,
    fleet: { maxConcurrentRotations: 100, exemptionWarningDays: 14 },
    consumerAccess: 'self',
    attribution: { enabled: false, regions: [], maxPages: 0 },
    emergency: EMERGENCY_DEFAULTS,
    ...overrides,
  };
}

/** Records every event and notification instead of sending them. */
export class FakeTelemetry implements Telemetry {
  readonly events: { detailType: string; detail: EventDetail }[] = [];
  readonly notifications: { subject: string; message: string }[] = [];
  emit(detailType: string, detail: EventDetail): Promise<void> {
    this.events.push({ detailType, detail });
    return Promise.resolve();
  }
  notify(subject: string, message: string): Promise<void> {
    this.notifications.push({ subject, message });
    return Promise.resolve();
  }
  detailTypes(): string[] {
    return this.events.map((e) => e.detailType);
  }
  event(detailType: string): EventDetail | undefined {
    return this.events.find((e) => e.detailType === detailType)?.detail;
  }
}

/** The state Inspect returns for a plain rotation of alice's 90-day-old key. */
export function inspectedState(overrides: Partial<RotationState> = {}): RotationState {
  return {
    userName: USER,
    dryRun: false,
    mode: 'on-demand',
    requestedBy: 'unspecified',
    executionArn: EXECUTION_ARN,
    userArn: USER_ARN,
    secretId: SECRET_ID,
    startedAt: STARTED_AT,
    policy: DEFAULT_POLICY,
    decision: 'rotate',
    reason: `key ${OLD_KEY_ID} is 90 days old`,
    oldKey: OLD_KEY,
    knownKeyIds: [OLD_KEY_ID],
    ...overrides,
  };
}

export function stagedState(overrides: Partial<RotationState> = {}): RotationState {
  return inspectedState({ newKey: NEW_KEY, ...overrides });
}

export function verifiedState(overrides: Partial<RotationState> = {}): RotationState {
  return stagedState({ verifiedAt: VERIFIED_AT, ...overrides });
}

export function promotedState(overrides: Partial<RotationState> = {}): RotationState {
  return verifiedState({
    promotedAt: PROMOTED_AT,
    cutover: initialCutover(DEFAULT_POLICY, new Date(PROMOTED_AT)),
    ...overrides,
  });
}

// ---------------------------------------------------------------------------------------------
// Errors as SDK v3 surfaces them (captured from the real clients, docs/aws-semantics.md §0.2).

const metadata = (httpStatusCode: number) => ({
  httpStatusCode,
  requestId: '7a62c49f-347e-4fc4-9331-6e8eEXAMPLE',
  attempts: 1,
  totalRetryDelay: 0,
});

/** awsQuery (IAM, STS): `name` is the exception class, `Code` the wire code. */
export function queryError(code: string, status: number, message: string, name = code): Error {
  return Object.assign(new Error(message), {
    name,
    Code: code,
    Type: status >= 500 ? 'Receiver' : 'Sender',
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: metadata(status),
  });
}

/** awsJson (Secrets Manager, Step Functions): `name` is the `__type` after any `#`. */
export function jsonError(type: string, status: number, message: string): Error {
  return Object.assign(new Error(message), {
    name: type.split('#').pop() ?? type,
    __type: type,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: metadata(status),
  });
}

export const awsErrors = {
  noSuchUser: (userName = USER) =>
    queryError(
      'NoSuchEntity',
      404,
      `The user with name ${userName} cannot be found.`,
      'NoSuchEntityException',
    ),
  noSuchKey: (accessKeyId: string) =>
    queryError(
      'NoSuchEntity',
      404,
      `The Access Key with id ${accessKeyId} cannot be found.`,
      'NoSuchEntityException',
    ),
  limitExceeded: () =>
    queryError(
      'LimitExceeded',
      409,
      'Cannot exceed quota for AccessKeysPerUser: 2',
      'LimitExceededException',
    ),
  iamServiceFailure: () =>
    queryError(
      'ServiceFailure',
      500,
      'The request processing has failed because of an unknown error, exception or failure.',
      'ServiceFailureException',
    ),
  iamThrottling: () => queryError('Throttling', 400, 'Rate exceeded'),
  invalidClientTokenId: () =>
    queryError(
      'InvalidClientTokenId',
      403,
      'The security token included in the request is invalid',
    ),
  signatureDoesNotMatch: () =>
    queryError(
      'SignatureDoesNotMatch',
      403,
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
    ),
  secretNotFound: () =>
    jsonError('ResourceNotFoundException', 400, "Secrets Manager can't find the specified secret."),
  secretExists: (name = SECRET_ID) =>
    jsonError(
      'ResourceExistsException',
      400,
      `The operation failed because the secret ${name} already exists.`,
    ),
  secretValueNotFound: (what: string) =>
    jsonError(
      'ResourceNotFoundException',
      400,
      `Secrets Manager can't find the specified secret value for ${what}`,
    ),
  invalidParameter: (message: string) => jsonError('InvalidParameterException', 400, message),
  invalidRequest: (message: string) => jsonError('InvalidRequestException', 400, message),
  encryptionFailure: () =>
    jsonError(
      'EncryptionFailure',
      400,
      `Access to KMS is not allowed. The key ${KMS_KEY_ARN} is disabled.`,
    ),
  smInternalError: () =>
    jsonError('InternalServiceError', 500, 'An error occurred on the server side.'),
  smThrottling: () =>
    jsonError('ThrottlingException', 400, 'The request was denied due to request throttling.'),
  executionDoesNotExist: (arn: string) =>
    jsonError(
      'com.amazonaws.swf.service.v2.model#ExecutionDoesNotExist',
      400,
      `Execution Does Not Exist: '${arn}'`,
    ),
};

// ---------------------------------------------------------------------------------------------
// Command logs.

interface RecordingStub {
  calls(): { args: readonly unknown[]; calledBefore(other: never): boolean }[];
}

interface LoggedCommand {
  readonly name: string;
  readonly input: Record<string, unknown>;
}

/** Every command the stubs received, in the order they were sent across all of them. */
export function commandLog(...stubs: RecordingStub[]): LoggedCommand[] {
  const calls = stubs.flatMap((s) => s.calls());
  calls.sort((a, b) => (a.calledBefore(b as never) ? -1 : 1));
  return calls.map((c) => {
    const command = c.args[0] as { constructor: { name: string }; input: Record<string, unknown> };
    return { name: command.constructor.name.replace(/Command$/, ''), input: command.input };
  });
}

const READS = /^(Get|List|Describe)/;

/** The commands that change something, in order: e.g. `UpdateAccessKey AKIA… Inactive`. */
export function mutations(...stubs: RecordingStub[]): string[] {
  return commandLog(...stubs)
    .filter((c) => !READS.test(c.name))
    .map((c) => {
      const i = c.input;
      const detail = [
        i.AccessKeyId,
        i.Status,
        i.VersionStage,
        i.VersionStages,
        i.TagKeys,
        Array.isArray(i.Tags) ? (i.Tags as { Key?: string }[]).map((t) => t.Key) : undefined,
      ]
        .filter((v): v is string | string[] => typeof v === 'string' || Array.isArray(v))
        .map((v) => (Array.isArray(v) ? v.join(',') : v));
      return [c.name, ...detail].join(' ');
    });
}

// ---------------------------------------------------------------------------------------------
// Stateful fakes that keep AWS's rules.

interface FakeKey {
  accessKeyId: string;
  status: 'Active' | 'Inactive';
  createDate: Date;
  lastUsed?: { date: string; serviceName: string; region: string };
}

/**
 * One IAM user's access keys as IAM keeps them: at most two (LimitExceeded), NoSuchEntity for a
 * key that is gone, last use as GetAccessKeyLastUsed reports it ("N/A" when never used).
 * Records every key deleted while active, which rekey must never do (I2).
 */
export class FakeKeys {
  readonly keys: FakeKey[] = [];
  readonly deletedWhileActive: string[] = [];
  /** What the next CreateAccessKey returns. */
  nextKey = { accessKeyId: NEW_KEY_ID, secret: NEW_SECRET, createDate: NEW_CREATED };

  constructor(readonly userName = USER) {}

  add(
    accessKeyId: string,
    status: 'Active' | 'Inactive',
    createDate: string,
    lastUsed?: FakeKey['lastUsed'],
  ): this {
    this.keys.push({ accessKeyId, status, createDate: new Date(createDate), lastUsed });
    return this;
  }

  find(accessKeyId: string): FakeKey | undefined {
    return this.keys.find((k) => k.accessKeyId === accessKeyId);
  }

  /** Records a use of the key, as IAM reports it in GetAccessKeyLastUsed. */
  use(accessKeyId: string, date: string, serviceName = 's3', region = 'eu-west-1'): void {
    const key = this.find(accessKeyId);
    if (key) key.lastUsed = { date, serviceName, region };
  }

  status(accessKeyId: string): 'Active' | 'Inactive' | 'deleted' {
    return this.find(accessKeyId)?.status ?? 'deleted';
  }

  /** Adds the next key as CreateAccessKey does, returning the API's answer. */
  create(input: CreateAccessKeyCommandInput) {
    if (this.keys.length >= 2) throw awsErrors.limitExceeded();
    const { accessKeyId, secret, createDate } = this.nextKey;
    this.add(accessKeyId, 'Active', createDate);
    return {
      AccessKey: {
        UserName: input.UserName ?? this.userName,
        AccessKeyId: accessKeyId,
        Status: 'Active' as const,
        SecretAccessKey: secret,
        CreateDate: new Date(createDate),
      },
    };
  }

  install(iam: AwsClientStub<IAMClient>, iamOnce: AwsClientStub<IAMClient> = iam): this {
    iam.on(ListAccessKeysCommand).callsFake(() => ({
      AccessKeyMetadata: this.keys.map((k) => ({
        UserName: this.userName,
        AccessKeyId: k.accessKeyId,
        Status: k.status,
        CreateDate: k.createDate,
      })),
      IsTruncated: false,
    }));
    iamOnce
      .on(CreateAccessKeyCommand)
      .callsFake((input: CreateAccessKeyCommandInput) => this.create(input));
    iam.on(UpdateAccessKeyCommand).callsFake((input: UpdateAccessKeyCommandInput) => {
      const key = this.find(input.AccessKeyId ?? '');
      if (!key) throw awsErrors.noSuchKey(input.AccessKeyId ?? '');
      key.status = input.Status === 'Inactive' ? 'Inactive' : 'Active';
      return {};
    });
    iam.on(DeleteAccessKeyCommand).callsFake((input: DeleteAccessKeyCommandInput) => {
      const key = this.find(input.AccessKeyId ?? '');
      if (!key) throw awsErrors.noSuchKey(input.AccessKeyId ?? '');
      if (key.status === 'Active') this.deletedWhileActive.push(key.accessKeyId);
      this.keys.splice(this.keys.indexOf(key), 1);
      return {};
    });
    iam.on(GetAccessKeyLastUsedCommand).callsFake((input: GetAccessKeyLastUsedCommandInput) => {
      // IAM answers NoSuchEntity for a key that does not exist (or no longer does).
      const key = this.find(input.AccessKeyId ?? '');
      if (!key) throw awsErrors.noSuchKey(input.AccessKeyId ?? '');
      const used = key.lastUsed;
      return {
        UserName: this.userName,
        AccessKeyLastUsed: used
          ? {
              LastUsedDate: new Date(used.date),
              ServiceName: used.serviceName,
              Region: used.region,
            }
          : { ServiceName: 'N/A', Region: 'N/A' },
      };
    });
    return this;
  }
}

export interface SecretFields {
  readonly AccessKeyId: string;
  readonly SecretAccessKey?: string;
  readonly CreateDate?: string;
}

/** The JSON rekey stores; a baseline version has no SecretAccessKey. */
export function secretJson(fields: SecretFields): string {
  return JSON.stringify({
    UserName: USER,
    AccessKeyId: fields.AccessKeyId,
    ...(fields.SecretAccessKey !== undefined && { SecretAccessKey: fields.SecretAccessKey }),
    CreateDate: fields.CreateDate ?? OLD_CREATED,
  });
}

interface FakeVersion {
  readonly value: string;
  readonly stages: Set<string>;
  readonly created: Date;
}

/**
 * One secret, keeping Secrets Manager's staging-label rules (docs/aws-semantics.md §3.1): a label on
 * one version at a time, the first version gets AWSCURRENT, moving AWSCURRENT moves AWSPREVIOUS,
 * RemoveFromVersionId must name the holder, tokens are idempotent, unlabelled versions are
 * left out of DescribeSecret.
 */
export class FakeSecret {
  exists: boolean;
  kmsKeyId?: string;
  /** Set while the secret is scheduled for deletion: DescribeSecret shows it, labels and all. */
  deletedDate?: Date;
  readonly versions = new Map<string, FakeVersion>();
  readonly tags = new Map<string, string>();

  constructor(
    exists = true,
    readonly name = SECRET_ID,
  ) {
    this.exists = exists;
  }

  /** A secret rekey created before: the baseline naming the old key is AWSCURRENT. */
  /** An empty secret as rekey creates it: its tags, encrypted with rekey's KMS key. */
  static owned(): FakeSecret {
    const secret = new FakeSecret();
    secret.kmsKeyId = KMS_KEY_ARN;
    return secret.tag('rekey:managed-by', 'rekey').tag('rekey:user', USER);
  }

  static withBaseline(): FakeSecret {
    return FakeSecret.owned().version(
      BASELINE_VERSION,
      { AccessKeyId: OLD_KEY_ID },
      ['AWSCURRENT'],
      '2026-01-01T00:00:00Z',
    );
  }

  /** Baseline AWSCURRENT and the new key staged as AWSPENDING. */
  static staged(): FakeSecret {
    return FakeSecret.withBaseline().version(
      NEW_VERSION,
      { AccessKeyId: NEW_KEY_ID, SecretAccessKey: NEW_SECRET, CreateDate: NEW_CREATED },
      ['AWSPENDING'],
      STAGED_AT,
    );
  }

  /** The new key promoted: AWSCURRENT on it, AWSPREVIOUS on the baseline. */
  static promoted(): FakeSecret {
    const secret = FakeSecret.staged();
    secret.move('AWSCURRENT', NEW_VERSION, BASELINE_VERSION);
    secret.remove('AWSPENDING', NEW_VERSION);
    return secret;
  }

  tag(key: string, value: string): this {
    this.tags.set(key, value);
    return this;
  }

  version(versionId: string, fields: SecretFields, stages: string[], created = STAGED_AT): this {
    this.versions.set(versionId, {
      value: secretJson(fields),
      stages: new Set(),
      created: new Date(created),
    });
    for (const stage of stages) this.attach(stage, versionId);
    return this;
  }

  holder(stage: string): string | undefined {
    return [...this.versions].find(([, v]) => v.stages.has(stage))?.[0];
  }

  stagesOf(versionId: string): string[] {
    return [...(this.versions.get(versionId)?.stages ?? [])].sort();
  }

  private attach(stage: string, versionId: string): void {
    for (const v of this.versions.values()) v.stages.delete(stage);
    this.versions.get(versionId)?.stages.add(stage);
  }

  private requireExists(): void {
    if (!this.exists) throw awsErrors.secretNotFound();
  }

  move(stage: string, to: string, from?: string): void {
    const holder = this.holder(stage);
    if (from !== undefined && holder !== from) {
      throw awsErrors.invalidParameter(`Version stage ${stage} not found in version ${from}`);
    }
    if (holder !== undefined && holder !== to && from !== holder) {
      throw awsErrors.invalidParameter(
        `The parameter RemoveFromVersionId can't be empty. Staging label ${stage} is currently attached to version ${holder}, so you must explicitly reference that version in RemoveFromVersionId.`,
      );
    }
    if (!this.versions.has(to)) {
      throw awsErrors.invalidParameter(`Version ${to} does not exist.`);
    }
    this.attach(stage, to);
    if (stage === 'AWSCURRENT' && holder !== undefined && holder !== to) {
      this.attach('AWSPREVIOUS', holder);
    }
  }

  remove(stage: string, from: string): void {
    if (this.holder(stage) !== from) {
      throw awsErrors.invalidParameter(
        `Staging label ${stage} is not attached to version ${from}.`,
      );
    }
    this.versions.get(from)?.stages.delete(stage);
  }

  describe() {
    this.requireExists();
    return {
      ARN: SECRET_ARN,
      Name: this.name,
      ...(this.kmsKeyId !== undefined && { KmsKeyId: this.kmsKeyId }),
      ...(this.deletedDate !== undefined && { DeletedDate: this.deletedDate }),
      Tags: [...this.tags].map(([Key, Value]) => ({ Key, Value })),
      VersionIdsToStages: Object.fromEntries(
        [...this.versions]
          .filter(([, v]) => v.stages.size > 0)
          .map(([id, v]) => [id, [...v.stages]]),
      ),
      CreatedDate: new Date('2026-01-01T00:00:00Z'),
    };
  }

  get(input: GetSecretValueCommandInput) {
    this.requireExists();
    const stage = input.VersionStage ?? (input.VersionId ? undefined : 'AWSCURRENT');
    const versionId = input.VersionId ?? this.holder(stage ?? '');
    const version = versionId === undefined ? undefined : this.versions.get(versionId);
    if (!version || (stage !== undefined && !version.stages.has(stage))) {
      throw awsErrors.secretValueNotFound(
        stage ? `staging label: ${stage}` : `VersionId: ${input.VersionId ?? ''}`,
      );
    }
    return {
      ARN: SECRET_ARN,
      Name: this.name,
      VersionId: versionId,
      SecretString: version.value,
      VersionStages: [...version.stages],
      CreatedDate: version.created,
    };
  }

  create(input: CreateSecretCommandInput) {
    if (this.exists) throw awsErrors.secretExists(input.Name);
    this.exists = true;
    this.kmsKeyId = input.KmsKeyId;
    for (const t of input.Tags ?? []) this.tags.set(t.Key ?? '', t.Value ?? '');
    const versionId = input.ClientRequestToken ?? BASELINE_VERSION;
    this.versions.set(versionId, {
      value: input.SecretString ?? '',
      stages: new Set(['AWSCURRENT']),
      created: new Date(STARTED_AT),
    });
    return { ARN: SECRET_ARN, Name: input.Name, VersionId: versionId };
  }

  put(input: PutSecretValueCommandInput) {
    this.requireExists();
    const token = input.ClientRequestToken ?? randomUUID();
    const existing = this.versions.get(token);
    if (existing) {
      if (existing.value !== input.SecretString) {
        throw jsonError(
          'ResourceExistsException',
          400,
          `You can't modify an existing version, you can only create a new version.`,
        );
      }
      return {
        ARN: SECRET_ARN,
        Name: this.name,
        VersionId: token,
        VersionStages: [...existing.stages],
      };
    }
    const stages = input.VersionStages ?? ['AWSCURRENT'];
    const first = this.versions.size === 0;
    const oldCurrent = this.holder('AWSCURRENT');
    this.versions.set(token, {
      value: input.SecretString ?? '',
      stages: new Set(),
      created: new Date(STAGED_AT),
    });
    for (const stage of first ? [...new Set([...stages, 'AWSCURRENT'])] : stages) {
      this.attach(stage, token);
    }
    if (stages.includes('AWSCURRENT') && oldCurrent !== undefined) {
      this.attach('AWSPREVIOUS', oldCurrent);
    }
    return {
      ARN: SECRET_ARN,
      Name: this.name,
      VersionId: token,
      VersionStages: this.stagesOf(token),
    };
  }

  update(input: UpdateSecretVersionStageCommandInput) {
    this.requireExists();
    const stage = input.VersionStage ?? '';
    if (input.MoveToVersionId) this.move(stage, input.MoveToVersionId, input.RemoveFromVersionId);
    else if (input.RemoveFromVersionId) this.remove(stage, input.RemoveFromVersionId);
    return { ARN: SECRET_ARN, Name: this.name };
  }

  install(sm: AwsClientStub<SecretsManagerClient>): this {
    sm.on(DescribeSecretCommand).callsFake(() => this.describe());
    sm.on(GetSecretValueCommand).callsFake((input: GetSecretValueCommandInput) => this.get(input));
    sm.on(CreateSecretCommand).callsFake((input: CreateSecretCommandInput) => this.create(input));
    sm.on(PutSecretValueCommand).callsFake((input: PutSecretValueCommandInput) => this.put(input));
    sm.on(UpdateSecretVersionStageCommand).callsFake(
      (input: UpdateSecretVersionStageCommandInput) => this.update(input),
    );
    sm.on(TagResourceCommand).callsFake((input: TagResourceCommandInput) => {
      this.requireExists();
      for (const t of input.Tags ?? []) this.tags.set(t.Key ?? '', t.Value ?? '');
      return {};
    });
    sm.on(UntagResourceCommand).callsFake((input: UntagResourceCommandInput) => {
      this.requireExists();
      for (const key of input.TagKeys ?? []) this.tags.delete(key);
      return {};
    });
    return this;
  }
}

// ---------------------------------------------------------------------------------------------
// Output capture.

/** Captures what the Powertools logger (and metrics) write to stdout and stderr. */
export function captureOutput(): { text(): string; records(): Record<string, unknown>[] } {
  const chunks: string[] = [];
  const grab = (chunk: string | Uint8Array): boolean => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  };
  jest.spyOn(process.stdout, 'write').mockImplementation(grab);
  jest.spyOn(process.stderr, 'write').mockImplementation(grab);
  const text = (): string => chunks.join('');
  return {
    text,
    records: () =>
      text()
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

/** Runs a promise expected to reject and returns the rejection. */
export async function failure(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => {
      throw new Error('expected the call to fail, but it succeeded');
    },
    (error: unknown) => {
      if (!(error instanceof Error)) throw new Error(`expected an Error, got ${String(error)}`);
      return error;
    },
  );
}
